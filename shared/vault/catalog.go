package vault

import (
	"cmp"
	"fmt"
	"slices"
)

// Catalog is a vault's records, verified, and the entries they merge to.
// It is not safe for concurrent use.
type Catalog struct {
	keys Keyring
	// records by version, and each entry's versions in the order added.
	records map[string]*Opened
	entries map[string][]string
	// children counts, per version, the records written on it.
	children map[string]int
	// generation is 1 + the greatest generation of a record's parents.
	generation map[string]int
	// dropped are versions a snapshot compacted away (records of entries
	// deleted at the snapshot's position), by version: their entry. A
	// record may still name them as parents. droppedOf lists them by
	// entry, droppedBy by the snapshot record that listed them.
	dropped              map[string]string
	droppedOf, droppedBy map[string][]string
}

// NewCatalog returns an empty catalog of the vault whose keys k gives.
func NewCatalog(k Keyring) *Catalog {
	return &Catalog{keys: k, records: map[string]*Opened{}, entries: map[string][]string{},
		children: map[string]int{}, generation: map[string]int{},
		dropped: map[string]string{}, droppedOf: map[string][]string{}, droppedBy: map[string][]string{}}
}

// Add verifies and adds a signed record. A record already in the catalog
// is accepted again and changes nothing (a replay, or the same record
// from another device), so records may come in any order parents-first
// and more than once. A record whose parents are not (yet) in the catalog
// is refused (ErrParents): the caller gives records in the order the
// portal logged them, and a parent always comes first. It returns the
// record's version.
func (c *Catalog) Add(s *Signed) (string, error) { return c.addRecord(s, true) }

func (c *Catalog) addRecord(s *Signed, verify bool) (string, error) {
	v, err := Version(s)
	if err != nil {
		return "", err
	}
	if c.Has(v) {
		return v, nil
	}
	o, err := open(s, c.keys, verify)
	if err != nil {
		return "", err
	}
	if err := c.checkParents(o, nil); err != nil {
		return "", err
	}
	c.add(o)
	return v, nil
}

// AddBatch verifies a signed batch (one signature) and adds its records,
// all or none: a record's parents must be in the catalog or earlier in
// the batch. Records the catalog holds already are skipped. It returns
// the records' versions in order.
func (c *Catalog) AddBatch(s *Signed) ([]string, error) { return c.addBatch(s, true) }

func (c *Catalog) addBatch(s *Signed, verify bool) ([]string, error) {
	opened, err := openBatch(s, c.keys, verify)
	if err != nil {
		return nil, err
	}
	earlier := map[string]string{} // version -> entry, for this batch
	versions := make([]string, len(opened))
	for i, o := range opened {
		if c.Has(o.Version) {
			versions[i] = o.Version
			continue
		}
		if err := c.checkParents(o, earlier); err != nil {
			return nil, err
		}
		earlier[o.Version] = o.Entry.ID
		versions[i] = o.Version
	}
	for _, o := range opened {
		if !c.Has(o.Version) {
			c.add(o)
		}
	}
	return versions, nil
}

// checkParents checks that o's parents are records of o's entry in the
// catalog or, with earlier, before it in the same batch.
func (c *Catalog) checkParents(o *Opened, earlier map[string]string) error {
	for _, p := range o.Parents {
		if pr, ok := c.records[p]; ok && pr.Entry.ID == o.Entry.ID {
			continue
		}
		if id, ok := earlier[p]; ok && id == o.Entry.ID {
			continue
		}
		if id, ok := c.dropped[p]; ok && id == o.Entry.ID {
			continue
		}
		return fmt.Errorf("%w: record %s of entry %s names parent %s", ErrParents, o.Version, o.Entry.ID, p)
	}
	return nil
}

// add adds a verified record whose parents are in the catalog.
func (c *Catalog) add(o *Opened) {
	gen := 0
	for _, p := range o.Parents {
		gen = max(gen, c.generation[p])
	}
	c.records[o.Version] = o
	c.entries[o.Entry.ID] = append(c.entries[o.Entry.ID], o.Version)
	c.generation[o.Version] = gen + 1
	for _, p := range o.Parents {
		c.children[p]++
	}
}

// Len returns the number of records.
func (c *Catalog) Len() int { return len(c.records) }

// Heads returns the versions of entry id that no record was written on:
// one after a sequence of edits, more while concurrent edits stand unmerged.
// A new record of the entry names them all as its parents.
func (c *Catalog) Heads(id string) []string {
	var heads []string
	for _, v := range c.entries[id] {
		if c.children[v] == 0 {
			heads = append(heads, v)
		}
	}
	slices.Sort(heads)
	return heads
}

// IDs returns the IDs of every entry with a record, deleted ones too,
// sorted.
func (c *Catalog) IDs() []string {
	ids := make([]string, 0, len(c.entries))
	for id := range c.entries {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Entry returns entry id as its records merge, with its History, and
// whether it has any record.
func (c *Catalog) Entry(id string) (Entry, bool) {
	heads := c.Heads(id)
	if len(heads) == 0 {
		return Entry{}, false
	}
	// Fold the heads in a fixed order, oldest (time, version) first, so
	// that every device merges alike; of two concurrent changes of one
	// field, the later head's wins and the other goes to history.
	slices.SortFunc(heads, func(a, b string) int {
		ra, rb := c.records[a], c.records[b]
		return cmp.Or(ra.Time.Compare(rb.Time), cmp.Compare(a, b))
	})
	cur := c.records[heads[0]].Entry.clone()
	curAnc := c.ancestors(heads[0])
	curTime := c.records[heads[0]].Time
	for _, h := range heads[1:] {
		next := c.records[h]
		anc := c.ancestors(h)
		base := c.commonBase(curAnc, anc)
		cur = merge3(base, cur, next.Entry)
		for v := range anc {
			curAnc[v] = true
		}
		if next.Time.After(curTime) {
			curTime = next.Time
		}
	}
	cur.ID = id
	cur.Updated = curTime
	cur.History = c.history(id, &cur)
	return cur, true
}

// Entries returns every entry that is not deleted, by ID.
func (c *Catalog) Entries() []Entry {
	var out []Entry
	pause := pauseOf(c.keys)
	for i, id := range c.IDs() {
		if e, ok := c.Entry(id); ok && !e.Deleted {
			out = append(out, e)
		}
		if pause != nil && i%pauseRecords == pauseRecords-1 {
			pause()
		}
	}
	return out
}

// ancestors returns v and every record it was written on.
func (c *Catalog) ancestors(v string) map[string]bool {
	seen := map[string]bool{}
	stack := []string{v}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[x] {
			continue
		}
		seen[x] = true
		if r := c.records[x]; r != nil { // nil: compacted by a snapshot
			stack = append(stack, r.Parents...)
		}
	}
	return seen
}

// commonBase returns the entry at the best common ancestor of two sets of
// ancestors (greatest generation, then greatest version), or an empty
// entry when they share none (two devices added the same ID).
func (c *Catalog) commonBase(a, b map[string]bool) *Entry {
	best := ""
	for v := range a {
		if !b[v] || c.records[v] == nil {
			continue
		}
		if best == "" || c.generation[v] > c.generation[best] || c.generation[v] == c.generation[best] && v > best {
			best = v
		}
	}
	if best == "" {
		return nil
	}
	e := c.records[best].Entry
	return &e
}

// history lists each value of a field that some record of entry id wrote
// and e holds no more, newest first, each value once per field.
func (c *Catalog) history(id string, e *Entry) []Change {
	type seenKey struct{ field, value string }
	seen := map[seenKey]bool{}
	for _, f := range fields {
		seen[seenKey{f.name, f.text(e)}] = true
	}
	versions := slices.Clone(c.entries[id])
	slices.SortFunc(versions, func(a, b string) int {
		ra, rb := c.records[a], c.records[b]
		return cmp.Or(rb.Time.Compare(ra.Time), cmp.Compare(b, a))
	})
	var out []Change
	for _, v := range versions {
		r := c.records[v]
		for _, f := range fields {
			if f.name == "Deleted" || f.name == "Created" {
				continue
			}
			t := f.text(&r.Entry)
			k := seenKey{f.name, t}
			if t == "" || seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, Change{Field: f.name, Value: t, Time: r.Time, Writer: r.Writer})
		}
	}
	return out
}

// AddItem adds a catalog item as a portal holds it (the bytes Item gives
// of a signed record or batch): a batch through AddBatch, a record through
// Add. It returns the versions of the records it holds.
func (c *Catalog) AddItem(item []byte) ([]string, error) { return c.addItem(item, true) }

// AddTrusted adds an item as AddItem does, all checks made but the
// signature's: for an item this device verified before and kept in its
// own storage, read again at start (the signature costs most of opening a
// record). Its fields still open only under their identity and the
// epoch's key.
func (c *Catalog) AddTrusted(item []byte) ([]string, error) { return c.addItem(item, false) }

func (c *Catalog) addItem(item []byte, verify bool) ([]string, error) {
	s, payload, err := parseItem(item)
	if err != nil {
		return nil, err
	}
	if isBatch(payload) {
		return c.addBatch(s, verify)
	}
	v, err := c.addRecord(s, verify)
	if err != nil {
		return nil, err
	}
	return []string{v}, nil
}

// Has reports whether the catalog holds the record of that version, or
// held it before a snapshot compacted it away.
func (c *Catalog) Has(version string) bool {
	if _, ok := c.records[version]; ok {
		return true
	}
	_, ok := c.dropped[version]
	return ok
}

// Clone returns a copy of the catalog opening records with k: adding to
// one does not change the other (the records themselves, immutable, are
// shared).
func (c *Catalog) Clone(k Keyring) *Catalog {
	out := &Catalog{keys: k, records: make(map[string]*Opened, len(c.records)), entries: make(map[string][]string, len(c.entries)),
		children: make(map[string]int, len(c.children)), generation: make(map[string]int, len(c.generation)),
		dropped: make(map[string]string, len(c.dropped)), droppedOf: make(map[string][]string, len(c.droppedOf)),
		droppedBy: make(map[string][]string, len(c.droppedBy))}
	for v, o := range c.records {
		out.records[v] = o
	}
	for id, vs := range c.entries {
		out.entries[id] = slices.Clone(vs)
	}
	for v, n := range c.children {
		out.children[v] = n
	}
	for v, g := range c.generation {
		out.generation[v] = g
	}
	for v, id := range c.dropped {
		out.dropped[v] = id
	}
	for id, vs := range c.droppedOf {
		out.droppedOf[id] = slices.Clone(vs)
	}
	for v, vs := range c.droppedBy {
		out.droppedBy[v] = slices.Clone(vs)
	}
	return out
}
