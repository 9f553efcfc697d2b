package client

import (
	"context"
	"slices"

	"github.com/meshpass/meshpass/shared/vault"
)

// Deleted returns the entries deleted from the vault (their records keep
// every field), this device's pending deletions included, the most
// recently deleted first. Updated is when each was deleted (the time of
// its newest record). It reads only what the device holds.
func (c *Client) Deleted() ([]vault.Entry, error) {
	c.awaitLoad()
	c.mu.Lock()
	defer c.mu.Unlock()
	v, err := c.view()
	if err != nil {
		return nil, err
	}
	out := []vault.Entry{}
	if v.cat == nil {
		return out, nil
	}
	for _, id := range v.cat.IDs() {
		if e, ok := v.cat.Entry(id); ok && e.Deleted {
			out = append(out, cloneEntry(e))
		}
	}
	slices.SortStableFunc(out, func(a, b vault.Entry) int { return b.Updated.Compare(a.Updated) })
	return out, nil
}

// Restore brings back the deleted entry with ID id, as it was when
// deleted: one record, on the entry's current heads, that is not deleted.
// An entry that is not deleted (or unknown) is an error matching
// ErrNoEntry. An error wrapping ErrPending means the restore is kept on
// this device and published by the next Sync.
func (c *Client) Restore(ctx context.Context, id string) error {
	return c.setDeleted(ctx, id, false)
}
