package client

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/meshpass/meshpass/shared/jwe"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/policy"
	"github.com/meshpass/meshpass/shared/profile"
)

// passwords returns the decrypted passwords, decrypting the stored profile
// if needed.
func (c *Client) passwords() (*profile.PasswordData, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	if c.data != nil {
		return c.data, nil
	}
	if c.st.Password == nil {
		c.data = &profile.PasswordData{Entries: []profile.PasswordEntry{}}
		return c.data, nil
	}
	pp, err := profile.VerifyApplicationProfile(c.st.Password, c.personal)
	if err != nil {
		return nil, fmt.Errorf("%w: stored password profile: %w", ErrInvalidProfile, err)
	}
	d, err := c.decrypt(pp.EncryptedData)
	if err != nil {
		return nil, err
	}
	c.data = d
	return d, nil
}

// List returns the password entries (not the deleted ones) of the last
// verified password profile, sorted by first site, then username.
func (c *Client) List() ([]profile.PasswordEntry, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, err := c.passwords()
	if err != nil {
		return nil, err
	}
	var out []profile.PasswordEntry
	for _, e := range d.Entries {
		if !e.Deleted {
			out = append(out, cloneEntry(e))
		}
	}
	slices.SortStableFunc(out, func(a, b profile.PasswordEntry) int {
		return strings.Compare(firstSite(a)+"\x00"+a.Username, firstSite(b)+"\x00"+b.Username)
	})
	return out, nil
}

// Entry returns the entry with Id id.
func (c *Client) Entry(id string) (profile.PasswordEntry, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, err := c.passwords()
	if err != nil {
		return profile.PasswordEntry{}, err
	}
	i, err := live(d.Entries, id)
	if err != nil {
		return profile.PasswordEntry{}, err
	}
	return cloneEntry(d.Entries[i]), nil
}

func firstSite(e profile.PasswordEntry) string {
	if len(e.Sites) == 0 {
		return ""
	}
	return e.Sites[0]
}

func cloneEntry(e profile.PasswordEntry) profile.PasswordEntry {
	e.Sites = slices.Clone(e.Sites)
	return e
}

func cloneData(d *profile.PasswordData) *profile.PasswordData {
	out := &profile.PasswordData{Entries: make([]profile.PasswordEntry, 0, len(d.Entries))}
	for _, e := range d.Entries {
		out.Entries = append(out.Entries, cloneEntry(e))
	}
	return out
}

func find(entries []profile.PasswordEntry, id string) int {
	return slices.IndexFunc(entries, func(e profile.PasswordEntry) bool { return e.Id == id })
}

// live returns the index of the entry with Id id that is not deleted, or
// ErrNoEntry.
func live(entries []profile.PasswordEntry, id string) (int, error) {
	i := find(entries, id)
	if i < 0 || entries[i].Deleted {
		return -1, fmt.Errorf("%w: %q", ErrNoEntry, id)
	}
	return i, nil
}

// newEntryID returns a random entry Id: 128 bits as 26 lowercase base32
// letters and digits, so that it is easy to type and never starts with
// "-" (which command lines would read as a flag).
func newEntryID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)), nil
}

// Add adds an entry and publishes the vault. An empty Id is chosen at
// random (newEntryID); Updated is set to now; the sites are checked and
// stored in their canonical form, each once (policy.CheckSites: a site it
// refuses is an error wrapping policy.ErrSite, and nothing is stored). It
// returns the entry as stored.
func (c *Client) Add(ctx context.Context, e profile.PasswordEntry) (profile.PasswordEntry, error) {
	sites, err := policy.CheckSites(e.Sites)
	if err != nil {
		return e, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.Id == "" {
		id, err := newEntryID()
		if err != nil {
			return e, err
		}
		e.Id = id
	}
	e = cloneEntry(e)
	e.Sites = sites
	e.Updated, e.Deleted = c.now(), false
	err = c.write(ctx, func(d *profile.PasswordData) error {
		if i := find(d.Entries, e.Id); i >= 0 && !d.Entries[i].Deleted {
			return fmt.Errorf("client: an entry with Id %q exists", e.Id)
		} else if i >= 0 {
			d.Entries[i] = e
			return nil
		}
		d.Entries = append(d.Entries, e)
		return nil
	})
	return e, err
}

// Edit changes the entry with Id id through change (which must not change
// the Id) and publishes the vault; Updated is set to now. Sites the change
// adds are checked and stored in their canonical form as by Add (a site
// the entry already had is kept as it is); a refused site is an error
// wrapping policy.ErrSite, and nothing changes.
func (c *Client) Edit(ctx context.Context, id string, change func(*profile.PasswordEntry)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	return c.write(ctx, func(d *profile.PasswordData) error {
		i, err := live(d.Entries, id)
		if err != nil {
			return err
		}
		e := cloneEntry(d.Entries[i])
		change(&e)
		if e.Sites, err = editedSites(d.Entries[i].Sites, e.Sites); err != nil {
			return err
		}
		e.Id, e.Updated, e.Deleted = id, now, false
		d.Entries[i] = e
		return nil
	})
}

// editedSites checks the sites of an edited entry: those it had before
// (old) are kept as they are, so that a site stored before the rules does
// not block other changes; the others must pass policy.CheckSite and are
// stored in their canonical form. Each site is kept once.
func editedSites(old, sites []string) ([]string, error) {
	var out []string
	for _, s := range sites {
		if !slices.Contains(old, s) {
			c, err := policy.CheckSite(s)
			if err != nil {
				return nil, err
			}
			s = c
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// Delete deletes the entry with Id id and publishes the vault. The entry
// is kept as a tombstone (Deleted, without its secrets) so that a merge
// with an older copy does not bring it back.
func (c *Client) Delete(ctx context.Context, id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	return c.write(ctx, func(d *profile.PasswordData) error {
		i, err := live(d.Entries, id)
		if err != nil {
			return err
		}
		d.Entries[i] = profile.PasswordEntry{Id: id, Sites: []string{}, Updated: now, Deleted: true}
		return nil
	})
}

// Merge merges two versions of the vault entry by entry: for each Id the
// entry Updated last wins, and of two updated at the same time a deletion
// wins (then the greater encoding, so every device merges alike). Entries
// keep the order of a, then those only in b.
func Merge(a, b []profile.PasswordEntry) []profile.PasswordEntry {
	out := make([]profile.PasswordEntry, 0, len(a)+len(b))
	for _, e := range a {
		if i := find(out, e.Id); i >= 0 {
			out[i] = newer(out[i], e)
			continue
		}
		out = append(out, cloneEntry(e))
	}
	for _, e := range b {
		if i := find(out, e.Id); i >= 0 {
			out[i] = newer(out[i], e)
			continue
		}
		out = append(out, cloneEntry(e))
	}
	return out
}

func newer(x, y profile.PasswordEntry) profile.PasswordEntry {
	switch {
	case x.Updated.After(y.Updated):
		return x
	case y.Updated.After(x.Updated):
		return cloneEntry(y)
	case x.Deleted != y.Deleted:
		if x.Deleted {
			return x
		}
		return cloneEntry(y)
	}
	bx, _ := json.Marshal(x)
	by, _ := json.Marshal(y)
	if string(by) > string(bx) {
		return cloneEntry(y)
	}
	return x
}

// write applies change to a copy of the vault and publishes it. When a
// concurrent update wins (409), it syncs, merges this change into the
// newer vault and tries again, at most MaxAttempts times.
func (c *Client) write(ctx context.Context, change func(*profile.PasswordData) error) error {
	cur, err := c.passwords()
	if err != nil {
		return err
	}
	next := cloneData(cur)
	if err := change(next); err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		err := c.publishPassword(ctx, next)
		if err == nil || mmm.StatusOf(err) != mmm.StatusConflict {
			return err
		}
		if attempt >= c.opts.MaxAttempts {
			return fmt.Errorf("%w: gave up after %d attempts: %w", ErrConflict, attempt, err)
		}
		err = c.sync(ctx)
		if errors.Is(err, profile.ErrRecipients) {
			// The publish that follows encrypts to the right keys.
			err = c.syncAnyRecipients(ctx)
		}
		if err != nil {
			return fmt.Errorf("client: syncing after a concurrent update: %w", err)
		}
		next = &profile.PasswordData{Entries: Merge(c.data.Entries, next.Entries)}
	}
}

// publish publishes entry e made from version previous and checks its log
// proof.
func (c *Client) publish(ctx context.Context, e *mmm.Entry, previous uint64) error {
	var pr mmm.PublishResponse
	if err := c.do(ctx, &mmm.PublishRequest{Entry: *e, Previous: previous}, &pr); err != nil {
		return err
	}
	return c.checkWrite(ctx, e, pr.Log)
}

// publishPassword encrypts d to the password application's recipients
// (its devices and the escrow keys) under a fresh content key, signs it
// with this device's key and publishes it as the next version.
func (c *Client) publishPassword(ctx context.Context, d *profile.PasswordData) error {
	app := passwordApp(c.personal)
	if app == nil {
		return fmt.Errorf("%w: the profile has no password application", ErrInvalidProfile)
	}
	if !containsID(app.SignID, c.st.Device) {
		return fmt.Errorf("%w: device %s may not write the passwords", ErrNotAuthorized, c.st.Device)
	}
	plain, err := json.Marshal(d)
	if err != nil {
		return err
	}
	ed, err := jwe.Encrypt(plain, c.personal.Recipients(app))
	if err != nil {
		return err
	}
	version := profile.FirstVersion()
	if c.st.PasswordVersion > 0 {
		version = profile.Versioned{Version: c.st.PasswordVersion}.Next()
	}
	pp := &profile.PasswordProfile{Identifier: app.Identifier, EncryptedData: ed, Versioned: version}
	sp, err := pp.Sign(c.keys.sign)
	if err != nil {
		return err
	}
	e := &mmm.Entry{SignedApplicationProfile: sp}
	if err := c.publish(ctx, e, c.st.PasswordVersion); err != nil {
		return err
	}
	c.st.Password, c.st.PasswordVersion = sp, version.Version
	c.data = cloneData(d)
	return c.save()
}
