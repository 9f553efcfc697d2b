package vault

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshpass/meshpass/shared/jws"
	"github.com/meshpass/meshpass/shared/keys"
)

// ring is a test Keyring: devices by name, content keys by epoch, and the
// first epoch each device may no longer write under (0: none).
type ring struct {
	vault   string
	devices map[string]*keys.SigningKey
	epochs  map[int][]byte
	retired map[string]int
}

func newRing(t testing.TB, devices ...string) *ring {
	t.Helper()
	r := &ring{vault: "vault-1", devices: map[string]*keys.SigningKey{}, epochs: map[int][]byte{}, retired: map[string]int{}}
	for _, d := range devices {
		k, err := keys.GenerateSigningKey()
		if err != nil {
			t.Fatal(err)
		}
		r.devices[d] = k
	}
	r.newEpoch(t, 1)
	return r
}

func (r *ring) newEpoch(t testing.TB, n int) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	r.epochs[n] = key
}

func (r *ring) Vault() string { return r.vault }

func (r *ring) Writer(d string, epoch int) (*keys.PublicKey, error) {
	k, ok := r.devices[d]
	if !ok {
		return nil, fmt.Errorf("%w: unknown device %s", ErrWriter, d)
	}
	if n := r.retired[d]; n != 0 && epoch >= n {
		return nil, fmt.Errorf("%w: %s was removed before epoch %d", ErrWriter, d, epoch)
	}
	return k.Public(), nil
}

func (r *ring) ContentKey(epoch int) ([]byte, error) {
	k, ok := r.epochs[epoch]
	if !ok {
		return nil, fmt.Errorf("%w: %d", ErrEpoch, epoch)
	}
	return k, nil
}

var t0 = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func write(t testing.TB, r *ring, device, entry string, parents []string, at time.Time, e Entry) (*Signed, string) {
	t.Helper()
	s, v, err := Seal(Header{Vault: r.vault, Entry: entry, Parents: parents, Writer: device, Epoch: 1, Time: at}, e, r.epochs[1], r.devices[device])
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

func add(t testing.TB, c *Catalog, s *Signed) string {
	t.Helper()
	v, err := c.Add(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSealOpen(t *testing.T) {
	r := newRing(t, "A")
	e := Entry{Name: "Bank", Sites: []string{"bank.example"}, Username: "alice", Password: "pw1", TOTP: "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP",
		Fields: []Field{{Name: "PIN", Value: "1234", Hidden: true}}, Folder: "Money", Tags: []string{"a", "b"}, Created: t0}
	s, v, err := Seal(Header{Vault: r.vault, Entry: "e1", Writer: "A", Epoch: 1, Time: t0}, e, r.epochs[1], r.devices["A"])
	if err != nil {
		t.Fatal(err)
	}
	o, err := Open(s, r)
	if err != nil {
		t.Fatal(err)
	}
	e.ID = "e1"
	if o.Version != v || o.Entry.ID != "e1" || o.Writer != "A" || !o.Time.Equal(t0) {
		t.Fatalf("opened %+v", o)
	}
	got, want := o.Entry, e
	if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
		t.Fatalf("entry\n got %s\nwant %s", g, w)
	}
	// The fields are not in the clear.
	raw, _ := json.Marshal(s)
	payload, _ := s.UnverifiedPayload()
	for _, secret := range []string{"pw1", "alice", "1234", "JBSWY3DP", "Money", "bank.example"} {
		if strings.Contains(string(raw), secret) || strings.Contains(string(payload), secret) {
			t.Errorf("the signed record shows %q", secret)
		}
	}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// resign re-signs a record's payload after change, as its writer could
// (a portal cannot: it has no device key).
func resign(t *testing.T, r *ring, s *Signed, writer string, change func(*Record)) *Signed {
	t.Helper()
	p, err := s.UnverifiedPayload()
	if err != nil {
		t.Fatal(err)
	}
	var rec Record
	if err := json.Unmarshal(p, &rec); err != nil {
		t.Fatal(err)
	}
	change(&rec)
	p, _ = json.Marshal(rec)
	out, err := jws.Sign(r.devices[writer], p)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRefused(t *testing.T) {
	r := newRing(t, "A", "B")
	other := newRing(t, "A")
	other.vault = "vault-2"
	s1, _ := write(t, r, "A", "e1", nil, t0, Entry{Username: "alice", Password: "one"})
	s2, _ := write(t, r, "A", "e2", nil, t0, Entry{Username: "bob", Password: "two"})
	stranger, _ := keys.GenerateSigningKey()

	cases := []struct {
		name string
		rec  func() *Signed
		want error
	}{
		{"fields swapped between records (re-signed by the writer)", func() *Signed {
			p2, _ := s2.UnverifiedPayload()
			var r2 Record
			json.Unmarshal(p2, &r2)
			return resign(t, r, s1, "A", func(rec *Record) { rec.Nonce, rec.Sealed = r2.Nonce, r2.Sealed })
		}, ErrTampered},
		{"header changed (entry id) under the same ciphertext", func() *Signed {
			return resign(t, r, s1, "A", func(rec *Record) { rec.Entry = "e2" })
		}, ErrTampered},
		{"payload changed without the writer's key", func() *Signed {
			c := *s1
			c.Payload = s2.Payload
			return &c
		}, ErrSignature},
		{"signed by a key that is not the writer's", func() *Signed {
			p, _ := s1.UnverifiedPayload()
			var rec Record
			json.Unmarshal(p, &rec)
			rec.Key = stranger.ID()
			b, _ := json.Marshal(rec)
			s, _ := jws.Sign(stranger, b)
			return s
		}, ErrWriter},
		{"writer not a device of the vault", func() *Signed {
			return resign(t, r, s1, "A", func(rec *Record) { rec.Writer = "Z" })
		}, ErrWriter},
		{"another vault's record", func() *Signed {
			s, _ := write(t, other, "A", "e1", nil, t0, Entry{Password: "x"})
			return s
		}, ErrOtherVault},
		{"unknown epoch", func() *Signed {
			return resign(t, r, s1, "A", func(rec *Record) { rec.Epoch = 7 })
		}, ErrEpoch},
		{"parent not in the catalog", func() *Signed {
			s, _ := write(t, r, "A", "e1", []string{"nosuchversion"}, t0, Entry{Password: "x"})
			return s
		}, ErrParents},
		{"garbage", func() *Signed { return &Signed{Protected: "e30", Payload: "bm90IGpzb24", Signature: "AA"} }, ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCatalog(r)
			_, err := c.Add(tc.rec())
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if c.Len() != 0 {
				t.Fatal("a refused record was kept")
			}
		})
	}

	// A parent of another entry.
	c := NewCatalog(r)
	v1 := add(t, c, s1)
	s3, _ := write(t, r, "A", "e2", []string{v1}, t0, Entry{Password: "x"})
	if _, err := c.Add(s3); !errors.Is(err, ErrParents) {
		t.Fatalf("parent of another entry: %v", err)
	}

	// A removed device cannot write under the epoch after its removal.
	r.retired["B"] = 2
	r.newEpoch(t, 2)
	s4, _, err := Seal(Header{Vault: r.vault, Entry: "e9", Writer: "B", Epoch: 2, Time: t0}, Entry{Password: "late"}, r.epochs[2], r.devices["B"])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Add(s4); !errors.Is(err, ErrWriter) {
		t.Fatalf("removed device under a new epoch: %v", err)
	}
}

func TestReplayAndOrder(t *testing.T) {
	r := newRing(t, "A")
	s1, v1 := write(t, r, "A", "e1", nil, t0, Entry{Password: "one"})
	s2, _ := write(t, r, "A", "e1", []string{v1}, t0.Add(time.Second), Entry{Password: "two"})
	c := NewCatalog(r)
	if _, err := c.Add(s2); !errors.Is(err, ErrParents) {
		t.Fatalf("child before parent: %v", err)
	}
	add(t, c, s1)
	add(t, c, s2)
	add(t, c, s1) // replayed
	add(t, c, s2)
	if c.Len() != 2 {
		t.Fatalf("%d records after replays", c.Len())
	}
	e, _ := c.Entry("e1")
	if e.Password != "two" || len(e.PasswordHistory(5)) != 1 || e.PasswordHistory(5)[0].Value != "one" {
		t.Fatalf("entry %+v", e)
	}
}

// TestConcurrentFields is the loss the issue shows: A changes the
// username, B (not yet synced) the notes; both changes survive.
func TestConcurrentFields(t *testing.T) {
	r := newRing(t, "A", "B")
	s0, v0 := write(t, r, "A", "e1", nil, t0, Entry{Username: "old", Password: "pw", Notes: "n0", Created: t0})
	sa, _ := write(t, r, "A", "e1", []string{v0}, t0.Add(time.Minute), Entry{Username: "new", Password: "pw", Notes: "n0", Created: t0})
	sb, _ := write(t, r, "B", "e1", []string{v0}, t0.Add(2*time.Minute), Entry{Username: "old", Password: "pw", Notes: "n1", Created: t0})
	for _, order := range [][]*Signed{{s0, sa, sb}, {s0, sb, sa}} {
		c := NewCatalog(r)
		for _, s := range order {
			add(t, c, s)
		}
		e, _ := c.Entry("e1")
		if e.Username != "new" || e.Notes != "n1" || e.Password != "pw" {
			t.Fatalf("merged %+v", e)
		}
		if len(c.Heads("e1")) != 2 {
			t.Fatalf("heads %v", c.Heads("e1"))
		}
	}
	// The same field on both: the later write wins, the other is history.
	c := NewCatalog(r)
	add(t, c, s0)
	sa2, _ := write(t, r, "A", "e1", []string{v0}, t0.Add(time.Minute), Entry{Username: "old", Password: "fromA", Notes: "n0", Created: t0})
	sb2, _ := write(t, r, "B", "e1", []string{v0}, t0.Add(2*time.Minute), Entry{Username: "old", Password: "fromB", Notes: "n0", Created: t0})
	add(t, c, sb2)
	add(t, c, sa2)
	e, _ := c.Entry("e1")
	if e.Password != "fromB" || !slices.ContainsFunc(e.History, func(ch Change) bool { return ch.Field == "Password" && ch.Value == "fromA" }) {
		t.Fatalf("same-field conflict: %+v", e)
	}
	// A delete concurrent with an edit keeps the entry, with the edit.
	c = NewCatalog(r)
	add(t, c, s0)
	del, _ := write(t, r, "A", "e1", []string{v0}, t0.Add(3*time.Minute), Entry{Username: "old", Password: "pw", Notes: "n0", Created: t0, Deleted: true})
	add(t, c, del)
	add(t, c, sb)
	e, _ = c.Entry("e1")
	if e.Deleted || e.Notes != "n1" {
		t.Fatalf("delete vs edit: %+v", e)
	}
	// A delete written on the edit wins.
	_, ok := c.Entry("e1")
	heads := c.Heads("e1")
	del2, _ := write(t, r, "A", "e1", heads, t0.Add(4*time.Minute), Entry{Notes: "n1", Password: "pw", Username: "old", Created: t0, Deleted: true})
	add(t, c, del2)
	if e, _ := c.Entry("e1"); !ok || !e.Deleted || len(c.Entries()) != 0 {
		t.Fatalf("delete after the edit: %+v", e)
	}
}

// replica is one device's catalog in the convergence test.
type replica struct {
	name string
	c    *Catalog
	has  map[string]bool
}

// TestConvergence: three devices make 1,000 random adds, edits and
// deletes, each on what it has seen, and exchange records at random.
// After a full exchange every device holds the same vault, and every
// value ever written is current or in its entry's history.
func TestConvergence(t *testing.T) {
	ops := 1000
	if testing.Short() {
		ops = 300
	}
	r := newRing(t, "A", "B", "C")
	rng := mrand.New(mrand.NewPCG(1, 2))
	var log []*Signed // every record, in the order written (parents first)
	var versions []string
	reps := []*replica{}
	for _, n := range []string{"A", "B", "C"} {
		reps = append(reps, &replica{name: n, c: NewCatalog(r), has: map[string]bool{}})
	}
	type written struct{ entry, field, value string }
	var all []written
	clock := t0
	for i := range ops {
		rep := reps[rng.IntN(len(reps))]
		clock = clock.Add(time.Duration(rng.IntN(3)) * time.Second) // equal times happen
		ids := rep.c.IDs()
		var id string
		var parents []string
		var e Entry
		if len(ids) == 0 || rng.IntN(4) == 0 {
			id = fmt.Sprintf("e%d", i)
			e = Entry{Sites: []string{"s.example"}, Username: fmt.Sprintf("u%d", i), Password: fmt.Sprintf("p%d", i), Created: clock}
		} else {
			id = ids[rng.IntN(len(ids))]
			e, _ = rep.c.Entry(id)
			parents = rep.c.Heads(id)
			switch rng.IntN(5) {
			case 0:
				e.Deleted = true
			case 1:
				e.Username = fmt.Sprintf("u%d-%s", i, rep.name)
			case 2:
				e.Notes = fmt.Sprintf("note %d", i)
			default:
				e.Password = fmt.Sprintf("p%d-%s", i, rep.name)
				e.Deleted = false
			}
			e.History = nil
		}
		s, v := write(t, r, rep.name, id, parents, clock, e)
		add(t, rep.c, s)
		rep.has[v] = true
		log = append(log, s)
		versions = append(versions, v)
		for _, f := range fields {
			if f.name != "Deleted" && f.name != "Created" && f.text(&e) != "" {
				all = append(all, written{id, f.name, f.text(&e)})
			}
		}
		// Now and then a device syncs: it takes the records it lacks, in
		// the order they were logged.
		if rng.IntN(3) == 0 {
			sync(t, reps[rng.IntN(len(reps))], log, versions)
		}
	}
	for _, rep := range reps {
		sync(t, rep, log, versions)
	}
	want := dump(t, reps[0].c)
	for _, rep := range reps[1:] {
		if got := dump(t, rep.c); got != want {
			t.Fatalf("%s and %s differ:\n%s\n%s", reps[0].name, rep.name, want, got)
		}
	}
	for _, w := range all {
		e, _ := reps[0].c.Entry(w.entry)
		cur := ""
		for _, f := range fields {
			if f.name == w.field {
				cur = f.text(&e)
			}
		}
		if cur != w.value && !slices.ContainsFunc(e.History, func(c Change) bool { return c.Field == w.field && c.Value == w.value }) {
			t.Fatalf("entry %s lost %s %q", w.entry, w.field, w.value)
		}
	}
	t.Logf("%d records, %d entries, %d live", len(log), len(reps[0].c.IDs()), len(reps[0].c.Entries()))
}

func sync(t *testing.T, rep *replica, log []*Signed, versions []string) {
	t.Helper()
	for i, s := range log {
		if !rep.has[versions[i]] {
			add(t, rep.c, s)
			rep.has[versions[i]] = true
		}
	}
}

func dump(t *testing.T, c *Catalog) string {
	t.Helper()
	var out []any
	for _, id := range c.IDs() {
		e, _ := c.Entry(id)
		out = append(out, []any{id, e, e.Updated, e.History})
	}
	return mustJSON(t, out)
}

func TestBatch(t *testing.T) {
	r := newRing(t, "A", "B")
	s0, v0 := write(t, r, "A", "e0", nil, t0, Entry{Password: "zero"})
	c := NewCatalog(r)
	add(t, c, s0)
	// Records may build on the catalog and on earlier records of the batch.
	recs := []BatchRecord{
		{Entry: Entry{ID: "e1", Password: "one"}, Time: t0},
		{Entry: Entry{ID: "e0", Password: "zero-2"}, Parents: []string{v0}, Time: t0.Add(time.Second)},
	}
	s, versions, err := SealBatch(r.vault, "A", 1, recs, r.epochs[1], r.devices["A"])
	if err != nil {
		t.Fatal(err)
	}
	recs2 := []BatchRecord{{Entry: Entry{ID: "e1", Password: "one-2"}, Parents: []string{versions[0]}, Time: t0.Add(2 * time.Second)}}
	s2, _, err := SealBatch(r.vault, "A", 1, recs2, r.epochs[1], r.devices["A"])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddBatch(s2); !errors.Is(err, ErrParents) {
		t.Fatalf("batch before its parent's batch: %v", err)
	}
	got, err := c.AddBatch(s)
	if err != nil || !slices.Equal(got, versions) {
		t.Fatalf("AddBatch: %v %v, want %v", got, err, versions)
	}
	if _, err := c.AddBatch(s); err != nil || c.Len() != 3 {
		t.Fatalf("replayed batch: %v, %d records", err, c.Len())
	}
	if _, err := c.AddBatch(s2); err != nil {
		t.Fatal(err)
	}
	e0, _ := c.Entry("e0")
	e1, _ := c.Entry("e1")
	if e0.Password != "zero-2" || e1.Password != "one-2" || len(c.Entries()) != 2 {
		t.Fatalf("entries %+v %+v", e0, e1)
	}

	// All or nothing: a batch with one bad record adds none.
	bad := []BatchRecord{{Entry: Entry{ID: "e5", Password: "five"}, Time: t0}, {Entry: Entry{ID: "e6"}, Parents: []string{"nosuch"}, Time: t0}}
	sb, _, err := SealBatch(r.vault, "A", 1, bad, r.epochs[1], r.devices["A"])
	if err != nil {
		t.Fatal(err)
	}
	n := c.Len()
	if _, err := c.AddBatch(sb); !errors.Is(err, ErrParents) || c.Len() != n {
		t.Fatalf("bad batch: %v, %d records (had %d)", err, c.Len(), n)
	}
	// A record of another writer inside a batch, re-signed by A.
	p, _ := s.UnverifiedPayload()
	var batch Batch
	json.Unmarshal(p, &batch)
	var rec Record
	json.Unmarshal(batch.Records[0], &rec)
	rec.Writer = "B"
	batch.Records[0], _ = json.Marshal(rec)
	p, _ = json.Marshal(batch)
	forged, _ := jws.Sign(r.devices["A"], p)
	if _, err := NewCatalog(r).AddBatch(forged); !errors.Is(err, ErrMalformed) {
		t.Fatalf("another writer's record in a batch: %v", err)
	}
	// Signed by B while naming A.
	sB, _, _ := SealBatch(r.vault, "A", 1, recs[:1], r.epochs[1], r.devices["B"])
	if _, err := NewCatalog(r).AddBatch(sB); !errors.Is(err, ErrWriter) {
		t.Fatalf("batch signed by another device: %v", err)
	}
}

// TestItemCanonical: an item reads back only in the form Item writes, so
// that every device chains the same bytes.
func TestItemCanonical(t *testing.T) {
	s, _ := write(t, newRing(t, "d1"), "d1", "e1", nil, time.Now(), Entry{Username: "u"})
	item, err := Item(s)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseItem(item)
	if err != nil || *back != *s {
		t.Fatalf("round trip: %v %+v", err, back)
	}
	for _, bad := range []string{
		strings.Replace(string(item), `{"protected"`, `{ "protected"`, 1),
		strings.Replace(string(item), `"payload":"`, `"payload":"=`, 1),
		string(item) + " ",
		`{"payload":"` + s.Payload + `","protected":"` + s.Protected + `","signature":"` + s.Signature + `"}`,
		`{"header":"` + s.Protected + `","payload":"` + s.Payload + `","signature":"` + s.Signature + `"}`,
	} {
		if _, err := ParseItem([]byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseItem(%.60q…): %v", bad, err)
		}
	}
}
