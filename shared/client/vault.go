package client

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"slices"
	"strings"

	"github.com/meshpass/meshpass/shared/match"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/policy"
	"github.com/meshpass/meshpass/shared/vault"
)

// List returns the vault's entries (not the deleted ones), this device's
// pending changes included, sorted by first site, then username, then
// name.
func (c *Client) List() ([]vault.Entry, error) {
	c.awaitLoad()
	c.mu.Lock()
	defer c.mu.Unlock()
	v, err := c.view()
	if err != nil {
		return nil, err
	}
	out := v.entries()
	slices.SortStableFunc(out, func(a, b vault.Entry) int {
		return cmp.Or(strings.Compare(firstSite(a), firstSite(b)), strings.Compare(a.Username, b.Username), strings.Compare(a.Name, b.Name))
	})
	return out, nil
}

// Matching returns the entries that may fill the page at pageURL, this
// device's pending changes included, strongest match first (as match.Rank
// ranks them; Ranked.Index is into the entries returned). The entries'
// sites are indexed once per change of the vault, so a page of a vault
// of many entries is matched without going through them all.
func (c *Client) Matching(pageURL string, opts match.Options) ([]vault.Entry, []match.Ranked, error) {
	c.mu.Lock()
	if err := c.ready(); err != nil {
		c.mu.Unlock()
		return nil, nil, err
	}
	if c.vault == nil {
		// Not read yet (a restart, an unlock): the site index, if it is
		// of the device's present state, answers without the read.
		if entries, ranked, ok := c.indexedMatching(pageURL, opts); ok {
			c.mu.Unlock()
			return entries, ranked, nil
		}
	}
	c.mu.Unlock()
	c.awaitLoad()
	c.mu.Lock()
	defer c.mu.Unlock()
	v, err := c.view()
	if err != nil {
		return nil, nil, err
	}
	entries, ranked := v.matching(pageURL, opts)
	return entries, ranked, nil
}

// Warm reads the stored vault and indexes its entries' sites now, so that
// the first List or Matching after Unlock answers at once; the extension
// calls it right after unlocking. The read runs without holding the
// Client's lock: calls that need no vault (Account, Log, the session's
// resume) answer meanwhile, and those that need it wait for this read
// instead of making their own.
func (c *Client) Warm() error {
	c.preloadSiteIndex()
	c.mu.Lock()
	if err := c.ready(); err != nil {
		c.mu.Unlock()
		return err
	}
	if c.vault != nil || c.load != nil {
		c.mu.Unlock()
		c.awaitLoad()
		return nil
	}
	l := &vaultLoad{in: c.loadInput(), done: make(chan struct{})}
	c.load = l
	c.mu.Unlock()

	l.v, l.err = readView(c.opts.Storage, l.in, c.opts.Pause)
	if l.err == nil {
		if l.v.ring != nil {
			l.v.cat = l.v.verified
		}
		l.v.matching("https://warm.invalid/", match.Options{}) // lists and indexes
		if l.v.ring != nil {
			l.v.ring.pause = nil // the view's later users hold c.mu
		}
	}
	close(l.done)

	c.mu.Lock()
	defer c.mu.Unlock()
	c.adopt(l)
	if l.err != nil {
		return l.err
	}
	if c.vault != nil {
		c.vault.matching("https://warm.invalid/", match.Options{}) // pending records changed the list
	}
	return nil
}

// awaitLoad waits, not holding c.mu, for the background read Warm runs,
// if one does: a call that needs the vault then takes its view.
func (c *Client) awaitLoad() {
	c.mu.Lock()
	l := c.load
	c.mu.Unlock()
	if l != nil {
		<-l.done
	}
}

// Entry returns the entry with ID id, with its history.
func (c *Client) Entry(id string) (vault.Entry, error) {
	c.awaitLoad()
	c.mu.Lock()
	defer c.mu.Unlock()
	v, err := c.view()
	if err != nil {
		return vault.Entry{}, err
	}
	e, ok := v.entry(id)
	if !ok || e.Deleted {
		return vault.Entry{}, fmt.Errorf("%w: %q", ErrNoEntry, id)
	}
	return e, nil
}

// Pending returns the IDs of the entries with changes made on this device
// that the portal has not accepted yet (see ErrPending), sorted.
func (c *Client) Pending() ([]string, error) {
	c.mu.Lock()
	if err := c.ready(); err != nil {
		c.mu.Unlock()
		return nil, err
	}
	if c.vault == nil {
		if ids, ok := c.indexedPending(); ok {
			c.mu.Unlock()
			return ids, nil
		}
	}
	c.mu.Unlock()
	c.awaitLoad()
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.view(); err != nil {
		return nil, err
	}
	return c.pendingIDs(), nil
}

func firstSite(e vault.Entry) string {
	if len(e.Sites) == 0 {
		return ""
	}
	return e.Sites[0]
}

// newEntryID returns a random entry ID: 128 bits as 26 lowercase base32
// letters and digits, so that it is easy to type and never starts with
// "-" (which command lines would read as a flag).
func newEntryID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)), nil
}

// newEntry checks and completes an entry to add: an ID chosen at random
// if empty, sites checked and in their canonical form (policy.CheckSites:
// a refused site is an error wrapping policy.ErrSite), Created now if
// unset.
func (c *Client) newEntry(v *vaultView, e vault.Entry) (vault.Entry, error) {
	sites, err := policy.CheckSites(e.Sites)
	if err != nil {
		return e, err
	}
	if e.ID == "" {
		if e.ID, err = newEntryID(); err != nil {
			return e, err
		}
	} else if old, ok := v.entry(e.ID); ok && !old.Deleted {
		return e, fmt.Errorf("client: an entry with ID %q exists", e.ID)
	}
	e = cloneEntry(e)
	e.Sites = sites
	if e.Created.IsZero() {
		e.Created = c.now()
	}
	e.Deleted, e.History = false, nil
	return e, nil
}

func cloneEntry(e vault.Entry) vault.Entry {
	e.Sites = slices.Clone(e.Sites)
	e.Fields = slices.Clone(e.Fields)
	e.Tags = slices.Clone(e.Tags)
	e.History = slices.Clone(e.History)
	return e
}

// parents returns the records a new record of entry id is written on.
func parents(v *vaultView, id string) []string {
	if v.cat == nil {
		return nil
	}
	return v.cat.Heads(id)
}

// Add adds an entry as one record and publishes it. An empty ID is chosen
// at random; the sites are checked and stored in their canonical form,
// each once (policy.CheckSites: a site it refuses is an error wrapping
// policy.ErrSite, and nothing is stored). It returns the entry as stored.
// An error wrapping ErrPending means it is kept on this device and
// published by the next Sync.
func (c *Client) Add(ctx context.Context, e vault.Entry) (vault.Entry, error) {
	out, err := c.AddBatch(ctx, []vault.Entry{e})
	if len(out) == 1 {
		return out[0], err
	}
	return e, err
}

// AddBatch adds many entries at once, checked as by Add (nothing is
// written if one is refused), sealed and signed in batches: the bulk write
// of imports. An entry's History (an import's earlier passwords with
// their dates) is written too, as records before the entry's own
// (vault.HistoryRecords), so the vault gives it back as the entry's
// history; a change it cannot write refuses the batch. It returns the
// entries as stored, without their History.
func (c *Client) AddBatch(ctx context.Context, entries []vault.Entry) ([]vault.Entry, error) {
	c.awaitLoad()
	c.mu.Lock()
	defer c.mu.Unlock()
	v, err := c.view()
	if err != nil {
		return nil, err
	}
	now := c.now()
	out := make([]vault.Entry, 0, len(entries))
	recs := make([]vault.BatchRecord, 0, len(entries))
	seen := map[string]bool{}
	for i, e := range entries {
		ne, err := c.newEntry(v, e)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i+1, err)
		}
		if seen[ne.ID] {
			return nil, fmt.Errorf("entry %d: the ID %q twice", i+1, ne.ID)
		}
		seen[ne.ID] = true
		out = append(out, ne)
		if len(e.History) == 0 {
			recs = append(recs, vault.BatchRecord{Entry: ne, Parents: parents(v, ne.ID), Time: now})
			continue
		}
		withHistory := ne
		withHistory.History = e.History
		chain, err := vault.HistoryRecords(withHistory, parents(v, ne.ID), now)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i+1, err)
		}
		recs = append(recs, chain...)
	}
	if len(recs) == 0 {
		return out, nil
	}
	err = c.write(ctx, recs)
	for i := range out {
		out[i].Updated = now
	}
	return out, err
}

// Edit changes the entry with ID id through change (which must not change
// the ID) and publishes the change as one record. Sites the change adds
// are checked and stored in their canonical form as by Add (a site the
// entry already had is kept as it is); a refused site is an error wrapping
// policy.ErrSite, and nothing changes. An error wrapping ErrPending means
// the change is kept on this device and published by the next Sync.
func (c *Client) Edit(ctx context.Context, id string, change func(*vault.Entry)) error {
	c.awaitLoad()
	c.mu.Lock()
	defer c.mu.Unlock()
	v, err := c.view()
	if err != nil {
		return err
	}
	cur, ok := v.entry(id)
	if !ok || cur.Deleted {
		return fmt.Errorf("%w: %q", ErrNoEntry, id)
	}
	e := cloneEntry(cur)
	change(&e)
	if e.Sites, err = editedSites(cur.Sites, e.Sites); err != nil {
		return err
	}
	e.ID, e.Deleted, e.Created, e.History = id, false, cur.Created, nil
	return c.write(ctx, []vault.BatchRecord{{Entry: e, Parents: parents(v, id), Time: c.now()}})
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

// Delete deletes the entry with ID id: one record marking it deleted,
// whose fields stay in the catalog (a concurrent edit on another device
// brings the entry back rather than being lost). An error wrapping
// ErrPending means the deletion is kept on this device and published by
// the next Sync.
func (c *Client) Delete(ctx context.Context, id string) error {
	return c.setDeleted(ctx, id, true)
}

// setDeleted writes one record of entry id, on its current heads, with
// its fields as they are and Deleted set to deleted; the entry must be
// the other way now (else ErrNoEntry).
func (c *Client) setDeleted(ctx context.Context, id string, deleted bool) error {
	c.awaitLoad()
	c.mu.Lock()
	defer c.mu.Unlock()
	v, err := c.view()
	if err != nil {
		return err
	}
	cur, ok := v.entry(id)
	if !ok || cur.Deleted == deleted {
		if deleted {
			return fmt.Errorf("%w: %q", ErrNoEntry, id)
		}
		return fmt.Errorf("%w: no deleted entry %q", ErrNoEntry, id)
	}
	e := cloneEntry(cur)
	e.Deleted, e.History = deleted, nil
	return c.write(ctx, []vault.BatchRecord{{Entry: e, Parents: parents(v, id), Time: c.now()}})
}

// publish publishes entry e made from version previous and checks its log
// proof.
func (c *Client) publish(ctx context.Context, e *mmm.Entry, previous uint64) error {
	var pr mmm.PublishResponse
	if err := c.do(ctx, &mmm.PublishRequest{Entry: *e, Previous: previous, CheckIn: c.signCheckIn()}, &pr); err != nil {
		return err
	}
	return c.checkWrite(ctx, e, pr.Log)
}
