package client

import (
	"context"
	"fmt"
	"strings"

	"github.com/meshpass/meshpass/shared/mmm"
)

// MovePortal points this device at newURL, the same portal at a new
// address (its operator moved it, or it is reached by another name). It
// checks, before changing anything, that newURL (https, or http on this
// machine) signs its checkpoints with the log key pinned here, that its
// log extends the one this device verified (cosigned by the pinned
// witnesses), and that it serves this account's profile with the pinned
// fingerprint, no older than the versions seen here, every entry with
// its log proof. Only then does the device keep newURL; on any failure it
// keeps the portal it had.
//
// A portal with another log key is another portal, not this one moved
// (ErrLog): moving to it would drop everything the log proves. The keys
// need not be unlocked.
func (c *Client) MovePortal(ctx context.Context, newURL string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st == nil {
		return ErrNoDevice
	}
	if c.st.Connect != nil {
		return fmt.Errorf("%w: the connection request is still pending; finish connecting first", ErrState)
	}
	newURL = strings.TrimRight(strings.TrimSpace(newURL), "/")
	if newURL == c.st.Portal {
		return nil
	}
	var h mmm.HelloResponse
	if err := c.opts.Transport.Do(ctx, newURL, &mmm.HelloRequest{}, &h); err != nil {
		return err
	}
	if h.LogKey != c.st.LogKey {
		return fmt.Errorf("%w: %s keeps a different log (key %q), not the one this device pinned (%q): it is another portal, not this one at a new address; this device stays with %s", ErrLog, newURL, h.LogKey, c.st.LogKey, c.st.Portal)
	}
	old := c.st.Portal
	c.st.Portal = newURL
	if _, err := c.fetch(ctx, c.st.Profile, false, false); err != nil {
		c.st.Portal = old
		return fmt.Errorf("%s does not serve what this device verified at %s, so it stays there: %w", newURL, old, err)
	}
	if err := c.save(); err != nil {
		c.st.Portal = old
		return err
	}
	return nil
}
