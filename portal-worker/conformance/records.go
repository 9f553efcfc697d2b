package conformance

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshpass/meshpass/shared/jws"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/profile/profiletest"
	"github.com/meshpass/meshpass/shared/translog"
	"github.com/meshpass/meshpass/shared/vault"
)

// Vault format 2 (docs/vault.md): the catalog of records at the portal.

// vault2 is a format-2 vault of an account, as its devices write it.
type vault2 struct {
	*account
	// keys are the content keys of the epochs, by number.
	keys map[int][]byte
	// items are the catalog's items as the test knows them, and head
	// their chain hash.
	items [][]byte
	head  string
}

// epochWriters returns every device of p as a writer of a key epoch.
func epochWriters(p *profiletest.Person) []profile.EpochWriter {
	var out []profile.EpochWriter
	for _, d := range p.Devices {
		out = append(out, profile.EpochWriter{Device: d.Profile.Identifier, Key: d.Sign.Public()})
	}
	return out
}

// Format2 makes p's PasswordProfile format 2 (docs/vault.md) with key
// epochs epochs (nil: one epoch, 1 from position 0, which every device of
// p writes), as the next version when next is set, and seals and signs
// it as profiletest does (EncryptedData: p.Passwords to every device and
// the escrow key; signed by the online key).
func Format2(p *profiletest.Person, epochs []profile.KeyEpoch, next bool) error {
	if epochs == nil {
		epochs = []profile.KeyEpoch{{Epoch: 1, Start: 0, Writers: epochWriters(p)}}
	}
	pp := p.PasswordProfile
	pp.Format, pp.Epochs = profile.FormatCatalog, epochs
	if next {
		pp.Versioned = pp.Next()
	}
	return p.Seal()
}

// newVault2 makes an account with devices whose password profile is
// published as format 2 (one epoch, every device a writer).
func (s *suite) newVault2(t *testing.T, devices int) *vault2 {
	t.Helper()
	return s.newVault2With(t, devices, 0)
}

// newVault2With is newVault2 whose one epoch has writers the first
// writers devices (0: all).
func (s *suite) newVault2With(t *testing.T, devices, writers int) *vault2 {
	t.Helper()
	a := s.newAccount(t, devices)
	var epochs []profile.KeyEpoch
	if writers > 0 {
		epochs = []profile.KeyEpoch{{Epoch: 1, Writers: epochWriters(a.person)[:writers]}}
	}
	if err := Format2(a.person, epochs, false); err != nil {
		t.Fatal(err)
	}
	s.must(t, &mmm.PublishRequest{Entry: mmm.Entry{SignedApplicationProfile: a.person.SignedPasswords}}, &mmm.PublishResponse{})
	return &vault2{account: a, keys: map[int][]byte{1: newKey(t)}, head: vault.EmptyHead}
}

func newKey(t *testing.T) []byte {
	k := make([]byte, vault.KeySize)
	rand.Read(k)
	return k
}

func (v *vault2) id() string { return v.person.PasswordProfile.Identifier }

// record seals one record of a new entry by device dev under epoch.
func (v *vault2) record(t *testing.T, dev, epoch int) []byte {
	t.Helper()
	d := v.person.Devices[dev]
	key := v.keys[epoch]
	if key == nil {
		key = newKey(t)
	}
	s, _, err := vault.Seal(vault.Header{Vault: v.id(), Entry: unique("entry"), Writer: d.Profile.Identifier, Epoch: epoch, Time: time.Now()},
		vault.Entry{Name: "site", Sites: []string{"example.com"}, Username: "alice", Password: unique("pw"), Created: time.Now()}, key, d.Sign)
	if err != nil {
		t.Fatal(err)
	}
	item, err := vault.Item(s)
	if err != nil {
		t.Fatal(err)
	}
	return item
}

// batch seals n records of new entries as one batch by device dev under
// epoch.
func (v *vault2) batch(t *testing.T, dev, epoch, n int) []byte {
	t.Helper()
	d := v.person.Devices[dev]
	var recs []vault.BatchRecord
	for range n {
		recs = append(recs, vault.BatchRecord{Entry: vault.Entry{ID: unique("entry"), Name: "imported", Password: unique("pw"), Created: time.Now()}, Time: time.Now()})
	}
	s, _, err := vault.SealBatch(v.id(), d.Profile.Identifier, epoch, recs, v.keys[epoch], d.Sign)
	if err != nil {
		t.Fatal(err)
	}
	item, err := vault.Item(s)
	if err != nil {
		t.Fatal(err)
	}
	return item
}

func raw(items ...[]byte) []json.RawMessage {
	out := make([]json.RawMessage, len(items))
	for i, it := range items {
		out[i] = it
	}
	return out
}

// reordered returns item's JSON object with its members in reverse
// order: the same item, not in its canonical form.
func reordered(t *testing.T, item []byte) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(item, &m); err != nil {
		t.Fatal(err)
	}
	names := slices.Sorted(maps.Keys(m))
	slices.Reverse(names)
	var b bytes.Buffer
	for i, n := range names {
		b.WriteString(map[bool]string{true: "{", false: ","}[i == 0])
		k, _ := json.Marshal(n)
		b.Write(k)
		b.WriteByte(':')
		b.Write(m[n])
	}
	b.WriteByte('}')
	if bytes.Equal(b.Bytes(), item) {
		t.Fatal("reordering changed nothing")
	}
	return b.Bytes()
}

// checkHead checks that the log proof places head in the log.
func (s *suite) checkHead(t *testing.T, head *mmm.CatalogHead, proof *mmm.LogProof) {
	t.Helper()
	if head == nil || proof == nil {
		t.Fatalf("head %+v, proof %+v", head, proof)
	}
	leaf, err := translog.HeadLeafData(head)
	if err != nil {
		t.Fatal(err)
	}
	if err := translog.VerifyInclusion(proof, leaf, s.verifiers); err != nil {
		t.Fatalf("inclusion proof of catalog head %+v: %v", head, err)
	}
}

// appendItems appends items and checks the answer: the position, the
// head chained over them and its log proof.
func (s *suite) appendItems(t *testing.T, v *vault2, items ...[]byte) *mmm.AppendRecordsResponse {
	t.Helper()
	var resp mmm.AppendRecordsResponse
	s.must(t, &mmm.AppendRecordsRequest{Catalog: v.id(), Records: raw(items...)}, &resp)
	if resp.Position != int64(len(v.items)) {
		t.Fatalf("appended at %d, want %d", resp.Position, len(v.items))
	}
	for _, it := range items {
		h, err := vault.ChainHead(v.head, it)
		if err != nil {
			t.Fatal(err)
		}
		v.head = h
		v.items = append(v.items, it)
	}
	if resp.Head == nil || resp.Head.Size != int64(len(v.items)) || resp.Head.Head != v.head {
		t.Fatalf("head %+v, want size %d head %s", resp.Head, len(v.items), v.head)
	}
	s.checkHead(t, resp.Head, resp.Log)
	return &resp
}

// readAll reads the whole catalog from after on, page by page, and checks
// it against what v knows; it returns how many answers it took.
func (s *suite) readAll(t *testing.T, v *vault2, after int64) int {
	t.Helper()
	var got [][]byte
	pages := 0
	for next := after; ; {
		var resp mmm.GetRecordsResponse
		s.must(t, &mmm.GetRecordsRequest{Catalog: v.id(), After: next}, &resp)
		pages++
		if resp.Head == nil || resp.Head.Size != int64(len(v.items)) || resp.Head.Head != v.head {
			t.Fatalf("GetRecords after %d: head %+v, want %d items, head %s", next, resp.Head, len(v.items), v.head)
		}
		if len(v.items) > 0 {
			s.checkHead(t, resp.Head, resp.Log)
		} else if resp.Log != nil || resp.Head.Head != vault.EmptyHead {
			t.Fatalf("empty catalog: %+v %+v", resp.Head, resp.Log)
		}
		for _, r := range resp.Records {
			got = append(got, r)
		}
		if resp.Next == 0 {
			break
		}
		if resp.Next != next+int64(len(resp.Records)) || len(resp.Records) == 0 {
			t.Fatalf("GetRecords after %d: %d records, Next %d", next, len(resp.Records), resp.Next)
		}
		next = resp.Next
	}
	if after > int64(len(v.items)) {
		after = int64(len(v.items))
	}
	want := v.items[after:]
	if len(got) != len(want) {
		t.Fatalf("GetRecords after %d: %d records, want %d", after, len(got), len(want))
	}
	// The items chain to the head from the items before them.
	h := vault.EmptyHead
	for i, it := range v.items {
		if int64(i) >= after && !bytes.Equal(got[int64(i)-after], it) {
			t.Fatalf("record %d differs", i)
		}
		h, _ = vault.ChainHead(h, it)
	}
	if h != v.head {
		t.Fatal("the chain over the records is not the head")
	}
	return pages
}

// wantText posts req and fails unless the answer has status code and a
// description containing text.
func (s *suite) wantText(t *testing.T, code int, text string, req mmm.Request) {
	t.Helper()
	resp := mmm.NewResponse(req.MessageType())
	got := s.call(t, req, resp)
	if desc := resp.Outcome().StatusDescription; got != code || !strings.Contains(desc, text) {
		t.Fatalf("%s: got %d (%s), want %d (…%s…)", req.MessageType(), got, desc, code, text)
	}
}

func (s *suite) records(t *testing.T) {
	t.Run("Format1", s.recordsFormat1)
	t.Run("AppendGet", s.recordsAppendGet)
	t.Run("Refusals", s.recordsRefusals)
	t.Run("Epochs", s.recordsEpochs)
	t.Run("Parents", s.recordsParents)
	t.Run("Snapshots", s.recordsSnapshots)
	if s.MaxAnswer > 0 {
		t.Run("Paged", s.recordsPaged)
	}
}

// recordsFormat1: a format-1 vault has an empty catalog and takes no
// records until it is published as format 2, and never goes back.
func (s *suite) recordsFormat1(t *testing.T) {
	a := s.newAccount(t, 1)
	p := a.person
	id := p.PasswordProfile.Identifier
	// Listed, not yet published: no vault.
	s.want(t, mmm.StatusNotFound, &mmm.GetRecordsRequest{Catalog: id})
	s.must(t, &mmm.PublishRequest{Entry: mmm.Entry{SignedApplicationProfile: p.SignedPasswords}}, &mmm.PublishResponse{})
	v := &vault2{account: a, keys: map[int][]byte{1: newKey(t)}, head: vault.EmptyHead}
	s.readAll(t, v, 0)
	s.wantText(t, mmm.StatusConflict, "is format 1: publish its PasswordProfile as format 2 first",
		&mmm.AppendRecordsRequest{Catalog: id, Records: raw(v.record(t, 0, 1))})
	// A first format-2 version starts every epoch at 0.
	if err := Format2(p, []profile.KeyEpoch{{Epoch: 1, Writers: epochWriters(p)}, {Epoch: 2, Start: 3, Writers: epochWriters(p)}}, true); err != nil {
		t.Fatal(err)
	}
	s.wantText(t, mmm.StatusConflict, "position 0", &mmm.PublishRequest{Entry: mmm.Entry{SignedApplicationProfile: p.SignedPasswords}})
	// Migrated to format 2.
	if err := Format2(p, nil, false); err != nil {
		t.Fatal(err)
	}
	s.must(t, &mmm.PublishRequest{Entry: mmm.Entry{SignedApplicationProfile: p.SignedPasswords}, Previous: 1}, &mmm.PublishResponse{})
	s.appendItems(t, v, v.record(t, 0, 1))
	// Back to format 1: refused.
	p.PasswordProfile.Format, p.PasswordProfile.Epochs = 0, nil
	p.PasswordProfile.Versioned = p.PasswordProfile.Next()
	if err := p.Seal(); err != nil {
		t.Fatal(err)
	}
	s.wantText(t, mmm.StatusConflict, "this vault was upgraded to format 2; update meshpass", &mmm.PublishRequest{Entry: mmm.Entry{SignedApplicationProfile: p.SignedPasswords}})
	s.readAll(t, v, 0)
}

func (s *suite) recordsAppendGet(t *testing.T) {
	v := s.newVault2(t, 2)
	s.readAll(t, v, 0) // empty: the empty head, no proof
	s.appendItems(t, v, v.record(t, 0, 1))
	s.appendItems(t, v, v.batch(t, 1, 1, 5), v.record(t, 1, 1))
	s.appendItems(t, v, v.batch(t, 0, 1, 1))
	s.readAll(t, v, 0)
	s.readAll(t, v, 2)
	s.readAll(t, v, int64(len(v.items))) // up to date: the head alone
	// A client holding more than the portal answers sees the head alone
	// (and detects the rollback).
	var resp mmm.GetRecordsResponse
	s.must(t, &mmm.GetRecordsRequest{Catalog: v.id(), After: 100}, &resp)
	if len(resp.Records) != 0 || resp.Next != 0 || resp.Head.Size != int64(len(v.items)) {
		t.Fatalf("after 100: %d records, Next %d, head %+v", len(resp.Records), resp.Next, resp.Head)
	}
	s.checkHead(t, resp.Head, resp.Log)
	// Another vault's catalog is its own.
	w := s.newVault2(t, 1)
	s.appendItems(t, w, w.record(t, 0, 1))
	s.readAll(t, w, 0)
	s.readAll(t, v, 0)
}

func (s *suite) recordsRefusals(t *testing.T) {
	// Device 3 is in the vault's SignID but not a writer of its epoch.
	v := s.newVault2With(t, 3, 2)
	p := v.person
	first := v.record(t, 0, 1)
	s.appendItems(t, v, first)
	add := func(items ...[]byte) *mmm.AppendRecordsRequest {
		return &mmm.AppendRecordsRequest{Catalog: v.id(), Records: raw(items...)}
	}

	// Unknown catalogs.
	other, err := profiletest.NewPerson(1)
	if err != nil {
		t.Fatal(err)
	}
	s.wantText(t, mmm.StatusNotFound, "no vault", &mmm.AppendRecordsRequest{Catalog: other.PasswordProfile.Identifier, Records: raw(first)})
	s.wantText(t, mmm.StatusNotFound, "no vault", &mmm.GetRecordsRequest{Catalog: other.PasswordProfile.Identifier})
	s.wantText(t, mmm.StatusNotFound, "no vault", &mmm.GetRecordsRequest{Catalog: p.PersonalProfile.Identifier})
	s.wantText(t, mmm.StatusNotFound, "no vault", &mmm.AppendRecordsRequest{Catalog: p.PersonalProfile.Identifier, Records: raw(first)})
	// Malformed requests.
	s.want(t, mmm.StatusBadRequest, &mmm.AppendRecordsRequest{Catalog: v.id()})
	s.want(t, mmm.StatusBadRequest, &mmm.AppendRecordsRequest{Catalog: "nonsense", Records: raw(first)})
	s.want(t, mmm.StatusBadRequest, &mmm.GetRecordsRequest{Catalog: v.id(), After: -1})
	many := make([][]byte, mmm.MaxRecordsPerAppend+1)
	for i := range many {
		many[i] = []byte(fmt.Sprintf("%d", i))
	}
	s.want(t, mmm.StatusBadRequest, add(many...))

	// Replays: an item in the catalog, an item twice in one request.
	s.wantText(t, mmm.StatusConflict, "in the catalog already", add(first))
	s.wantText(t, mmm.StatusConflict, "in the catalog already", add(v.record(t, 0, 1), first))
	r := v.record(t, 1, 1)
	s.wantText(t, mmm.StatusConflict, "same item", add(r, v.record(t, 0, 1), r))

	// Items the portal refuses on their own.
	// (JSON encoding compacts white space away: reorder the members.)
	spaced := reordered(t, r)
	s.wantText(t, mmm.StatusBadRequest, "canonical", add(spaced))
	s.want(t, mmm.StatusBadRequest, add([]byte(`{"protected":"e30","payload":"e30","signature":"AA"}`)))
	s.want(t, mmm.StatusBadRequest, add([]byte(`"just a string"`)))
	var sd jws.SignedData
	if err := json.Unmarshal(r, &sd); err != nil {
		t.Fatal(err)
	}
	bad, _ := vault.Item(tamper(&sd))
	s.wantText(t, mmm.StatusBadRequest, "signature", add(bad))
	// A record of another vault.
	o := &vault2{account: &account{person: other}, keys: v.keys}
	other.Devices = p.Devices[:1]
	s.wantText(t, mmm.StatusBadRequest, "another vault", add(o.record(t, 0, 1)))
	// Writers: a device that is not a writer of the epoch, a device of
	// another person, a device that signs with another of its keys.
	s.wantText(t, mmm.StatusForbidden, "not a writer of the vault's current key epoch", add(v.record(t, 2, 1)))
	stranger, _ := profiletest.NewPerson(1)
	sv := &vault2{account: &account{person: &profiletest.Person{Devices: stranger.Devices, PasswordProfile: p.PasswordProfile}}, keys: v.keys}
	s.want(t, mmm.StatusForbidden, add(sv.record(t, 0, 1)))
	d := p.Devices[0]
	wrongKey, _, err := vault.Seal(vault.Header{Vault: v.id(), Entry: "x", Writer: d.Profile.Identifier, Epoch: 1, Time: time.Now()}, vault.Entry{Name: "x"}, v.keys[1], d.Auth)
	if err != nil {
		t.Fatal(err)
	}
	wk, _ := vault.Item(wrongKey)
	s.want(t, mmm.StatusForbidden, add(wk))
	// A record under an epoch that is not the vault's current one.
	s.wantText(t, mmm.StatusConflict, "the vault's current epoch is 1", add(v.record(t, 0, 2)))
	// Larger than the portal's entry size.
	big, _ := json.Marshal(strings.Repeat("a", 600<<10))
	s.want(t, mmm.StatusTooLarge, add(big))
	// One refused item refuses the whole request: nothing was written.
	s.want(t, mmm.StatusBadRequest, add(v.record(t, 0, 1), spaced))
	s.readAll(t, v, 0)
	s.appendItems(t, v, r)
	s.readAll(t, v, 0)
}

// recordsEpochs: a new key epoch starts where the catalog ends, and
// records are then written under it alone.
func (s *suite) recordsEpochs(t *testing.T) {
	v := s.newVault2(t, 2)
	p := v.person
	s.appendItems(t, v, v.record(t, 0, 1), v.record(t, 1, 1))
	epochs := func(more ...profile.KeyEpoch) []profile.KeyEpoch {
		return append([]profile.KeyEpoch{{Epoch: 1, Writers: epochWriters(p)}}, more...)
	}
	publish := func(es []profile.KeyEpoch) *mmm.PublishRequest {
		t.Helper()
		if err := Format2(p, es, true); err != nil {
			t.Fatal(err)
		}
		return &mmm.PublishRequest{Entry: mmm.Entry{SignedApplicationProfile: p.SignedPasswords}}
	}
	// A new epoch not at the catalog's end.
	s.wantText(t, mmm.StatusConflict, "the catalog moved to 2 items; sync and publish again", publish(epochs(profile.KeyEpoch{Epoch: 2, Start: 1, Writers: epochWriters(p)})))
	s.wantText(t, mmm.StatusConflict, "the catalog moved to 2 items", publish(epochs(profile.KeyEpoch{Epoch: 2, Start: 3, Writers: epochWriters(p)})))
	// Two new epochs at once.
	s.wantText(t, mmm.StatusConflict, "at most one", publish(epochs(
		profile.KeyEpoch{Epoch: 2, Start: 2, Writers: epochWriters(p)}, profile.KeyEpoch{Epoch: 3, Start: 2, Writers: epochWriters(p)})))
	// The same epochs, the latest with a writer more: no new epoch, no
	// guard. A writer is removed only by a new epoch.
	s.wantText(t, mmm.StatusConflict, "a writer is removed by a new epoch", publish([]profile.KeyEpoch{{Epoch: 1, Writers: epochWriters(p)[:1]}}))
	s.must(t, publish(epochs()), &mmm.PublishResponse{})
	// The new epoch at the end of the catalog.
	v.keys[2] = newKey(t)
	s.must(t, publish(epochs(profile.KeyEpoch{Epoch: 2, Start: 2, Writers: epochWriters(p)})), &mmm.PublishResponse{})
	s.wantText(t, mmm.StatusConflict, "written under key epoch 1; the vault's current epoch is 2: sync and write again", &mmm.AppendRecordsRequest{Catalog: v.id(), Records: raw(v.record(t, 0, 1))})
	s.appendItems(t, v, v.record(t, 0, 2), v.batch(t, 1, 2, 3))
	// Earlier epochs never change; epochs are never removed.
	s.wantText(t, mmm.StatusConflict, "earlier key epochs do not change", publish(epochs(
		profile.KeyEpoch{Epoch: 2, Start: 3, Writers: epochWriters(p)}, profile.KeyEpoch{Epoch: 3, Start: 4, Writers: epochWriters(p)})))
	s.wantText(t, mmm.StatusConflict, "never removed", publish(epochs()))
	// The writers of an earlier epoch do not change (records under it were
	// checked against them), not even by a version that adds an epoch.
	s.wantText(t, mmm.StatusConflict, "a writer is removed by a new epoch", publish([]profile.KeyEpoch{
		{Epoch: 1, Writers: epochWriters(p)[:1]}, {Epoch: 2, Start: 2, Writers: epochWriters(p)}}))
	s.wantText(t, mmm.StatusConflict, "the writers of an earlier epoch do not change", publish([]profile.KeyEpoch{
		{Epoch: 1, Writers: append(epochWriters(p), epochWriters(p)[0])}, {Epoch: 2, Start: 2, Writers: epochWriters(p)}}))
	// A third epoch, written by one device only.
	s.must(t, publish(epochs(profile.KeyEpoch{Epoch: 2, Start: 2, Writers: epochWriters(p)}, profile.KeyEpoch{Epoch: 3, Start: 4, Writers: epochWriters(p)[:1]})), &mmm.PublishResponse{})
	v.keys[3] = newKey(t)
	s.wantText(t, mmm.StatusForbidden, "not a writer", &mmm.AppendRecordsRequest{Catalog: v.id(), Records: raw(v.record(t, 1, 3))})
	s.appendItems(t, v, v.record(t, 0, 3))
	s.readAll(t, v, 0)
	// Not back to format 1.
	p.PasswordProfile.Format, p.PasswordProfile.Epochs = 0, nil
	p.PasswordProfile.Versioned = p.PasswordProfile.Next()
	if err := p.Seal(); err != nil {
		t.Fatal(err)
	}
	s.wantText(t, mmm.StatusConflict, "update meshpass", &mmm.PublishRequest{Entry: mmm.Entry{SignedApplicationProfile: p.SignedPasswords}})
}

// recordsPaged: answers stop at the portal's MaxAnswer bytes, with Next.
func (s *suite) recordsPaged(t *testing.T) {
	v := s.newVault2(t, 1)
	for size := 0; size < 3*s.MaxAnswer; {
		var items [][]byte
		for range mmm.MaxRecordsPerAppend {
			it := v.record(t, 0, 1)
			items = append(items, it)
			size += len(it)
		}
		s.appendItems(t, v, items...)
	}
	if pages := s.readAll(t, v, 0); pages < 3 {
		t.Fatalf("%d items in %d answers of at most %d bytes", len(v.items), pages, s.MaxAnswer)
	}
	s.readAll(t, v, int64(len(v.items)-1))
}
