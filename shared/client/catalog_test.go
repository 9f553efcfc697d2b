package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshpass/meshpass/shared/client/clienttest"
	"github.com/meshpass/meshpass/shared/jwe"
	"github.com/meshpass/meshpass/shared/jws"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/vault"
)

// findUser returns the ID of c's entry with that username.
func findUser(t *testing.T, c *Client, user string) string {
	t.Helper()
	list, err := c.List()
	must(t, err)
	for _, e := range list {
		if e.Username == user {
			return e.ID
		}
	}
	t.Fatalf("no entry for %s", user)
	return ""
}

// lastBody returns the size of the last exchange of that type: request
// and answer.
func lastBody(p *clienttest.Portal, typ string) (int, int) {
	x := p.Last(typ)
	return len(x.Request), len(x.Response)
}

// TestCatalogIncremental: one edit uploads one small record; another
// device's sync downloads only it, whatever the vault's size.
func TestCatalogIncremental(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	var bulk []vault.Entry
	for i := range 500 {
		bulk = append(bulk, entry(fmt.Sprintf("site%d.example", i), fmt.Sprintf("user%d", i), "correct horse battery staple"))
	}
	_, err := a.AddBatch(ctx, bulk)
	must(t, err)
	b := connect(t, p, a)
	if n := len(must1(t, b.List)); n != 501 {
		t.Fatalf("B lists %d entries", n)
	}
	_, err = a.Add(ctx, entry("new.example", "fresh", "a new password!"))
	must(t, err)
	up, _ := lastBody(p, "AppendRecordsRequest")
	must(t, b.Sync(ctx))
	_, down := lastBody(p, "GetRecordsRequest")
	t.Logf("one add: %d bytes up, the other device's sync %d bytes down", up, down)
	if up > 4096 || down > 4096 {
		t.Fatalf("one add: %d bytes up, %d down (want ≤ 4 KB each)", up, down)
	}
	wantN(t, b, 502)
}

func must1[T any](t testing.TB, f func() (T, error)) T {
	t.Helper()
	v, err := f()
	must(t, err)
	return v
}

func wantN(t *testing.T, c *Client, n int) {
	t.Helper()
	if got := len(must1(t, c.List)); got != n {
		t.Fatalf("%d entries, want %d", got, n)
	}
}

// TestConcurrentFieldEdits: A changes the username, B (not synced) the
// notes; after sync both devices hold both changes. Two changes of one
// field: one wins everywhere, the other is in history.
func TestConcurrentFieldEdits(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	b := connect(t, p, a)
	id := findUser(t, a, "a1")
	must(t, a.Edit(ctx, id, func(e *vault.Entry) { e.Username = "alice2" }))
	must(t, b.Edit(ctx, id, func(e *vault.Entry) { e.Notes = "from B" }))
	must(t, a.Edit(ctx, id, func(e *vault.Entry) { e.Password = "from A" }))
	must(t, b.Edit(ctx, id, func(e *vault.Entry) { e.Password = "from B" }))
	must(t, a.Sync(ctx))
	must(t, b.Sync(ctx))
	ea, err := a.Entry(id)
	must(t, err)
	eb, err := b.Entry(id)
	must(t, err)
	if ea.Username != "alice2" || ea.Notes != "from B" {
		t.Fatalf("a change lost: %+v", ea)
	}
	if ea.Password != eb.Password || ea.Username != eb.Username || ea.Notes != eb.Notes {
		t.Fatalf("devices differ: %+v vs %+v", ea, eb)
	}
	loser := "from A"
	if ea.Password == "from A" {
		loser = "from B"
	}
	var hist []string
	for _, c := range ea.PasswordHistory(10) {
		hist = append(hist, c.Value)
	}
	if !slices.Contains(hist, loser) || !slices.Contains(hist, "secret1") {
		t.Fatalf("password history %q lacks %q or the first password", hist, loser)
	}
}

// TestOfflineWrites: writes while the portal is unreachable are kept,
// listed as pending, and published by the next sync.
func TestOfflineWrites(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, s := createAlice(t, p)
	b := connect(t, p, a)
	p.SetRewrite(func(typ string, _, _ []byte) []byte {
		b, _ := mmm.Encode(&mmm.ErrorResponse{Status: mmm.Status{Status: mmm.StatusServiceUnavailable, StatusDescription: "down"}})
		return b
	})
	e, err := a.Add(ctx, entry("offline.example", "typed-offline", "pw"))
	if !errors.Is(err, ErrPending) {
		t.Fatalf("add while offline: %v", err)
	}
	id := findUser(t, a, "a1")
	if err := a.Edit(ctx, id, func(e *vault.Entry) { e.Notes = "edited offline" }); !errors.Is(err, ErrPending) {
		t.Fatalf("edit while offline: %v", err)
	}
	wantUsers(t, a, "a1", "typed-offline")
	pend, err := a.Pending()
	must(t, err)
	want := []string{e.ID, id}
	slices.Sort(want)
	if !slices.Equal(pend, want) {
		t.Fatalf("pending %v, want %v", pend, want)
	}
	// The pending writes survive a restart of the device.
	a2 := newClient(t, p, s)
	must(t, a2.Unlock("passphrase A"))
	wantUsers(t, a2, "a1", "typed-offline")
	p.SetRewrite(nil)
	must(t, a2.Sync(ctx))
	if pend, _ := a2.Pending(); len(pend) != 0 {
		t.Fatalf("still pending after sync: %v", pend)
	}
	must(t, b.Sync(ctx))
	wantUsers(t, b, "a1", "typed-offline")
	if got, _ := b.Entry(id); got.Notes != "edited offline" {
		t.Fatalf("B: %+v", got)
	}
}

// TestRemovedDeviceEpoch: removing a device starts a key epoch it has no
// key for; it keeps what it read before and cannot read or write after.
func TestRemovedDeviceEpoch(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	b := connect(t, p, a)
	must(t, a.RemoveDevice(ctx, b.DeviceID()))
	pp, err := profile.VerifyApplicationProfile(a.st.Password, a.personal)
	must(t, err)
	if len(pp.Epochs) != 2 || pp.Epochs[1].Start != a.catalog().Size {
		t.Fatalf("epochs after removal: %+v", pp.Epochs)
	}
	_, err = a.Add(ctx, entry("after.example", "after", "new secret"))
	must(t, err)
	if err := b.Sync(ctx); !errors.Is(err, ErrNotAuthorized) {
		t.Fatalf("removed device syncs: %v", err)
	}
	wantUsers(t, b, "a1") // what it read before
	if _, err := b.Add(ctx, entry("x.example", "x", "y")); err == nil || errors.Is(err, ErrPending) {
		t.Fatalf("removed device writes: %v", err)
	}
	c := connect(t, p, a)
	wantUsers(t, c, "a1", "after")
}

// publishLegacy publishes a format-1 vault of entries from a, as a
// meshpass before format 2 did.
func publishLegacy(t *testing.T, a *Client, entries []profile.PasswordEntry) {
	t.Helper()
	ctx := context.Background()
	app := passwordApp(a.personal)
	plain, err := json.Marshal(profile.PasswordData{Entries: entries})
	must(t, err)
	ed, err := jwe.Encrypt(plain, a.personal.Recipients(app))
	must(t, err)
	version := profile.Versioned{Version: a.st.PasswordVersion}.Next()
	if a.st.PasswordVersion == 0 {
		version = profile.FirstVersion()
	}
	pp := &profile.PasswordProfile{Identifier: app.Identifier, EncryptedData: ed, Versioned: version}
	sp, err := pp.Sign(a.keys.sign)
	must(t, err)
	must(t, a.publish(ctx, &mmm.Entry{SignedApplicationProfile: sp}, a.st.PasswordVersion))
	a.st.Password, a.st.PasswordVersion = sp, version.Version
	a.vault = nil
	must(t, a.save())
}

// legacyAlice makes alice as a meshpass before format 2 would have: her
// vault one format-1 blob of n entries.
func legacyAlice(t *testing.T, p *clienttest.Portal, n int) (*Client, []profile.PasswordEntry) {
	t.Helper()
	ctx := context.Background()
	a := newClient(t, p, nil)
	// Create publishes a format-2 vault, and the portal refuses to go
	// back: alice is created without one.
	a.noVault = true
	must(t, a.Create(ctx, p.URL, "alice", "passphrase A", "laptop"))
	a.noVault = false
	var entries []profile.PasswordEntry
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range n {
		entries = append(entries, profile.PasswordEntry{Id: fmt.Sprintf("legacy%04d", i), Sites: []string{fmt.Sprintf("s%d.example", i)},
			Username: fmt.Sprintf("u%d", i), Password: fmt.Sprintf("p%d", i), Notes: strings.Repeat("n", i%7), Updated: t0.Add(time.Duration(i) * time.Second)})
	}
	entries = append(entries, profile.PasswordEntry{Id: "gone", Sites: []string{}, Deleted: true, Updated: t0})
	publishLegacy(t, a, entries)
	return a, entries
}

// TestMigration: a format-1 vault of 1,500 entries becomes format 2 on
// the first sync of an updated device; no entry is lost, and another
// device reads them all as records.
func TestMigration(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, entries := legacyAlice(t, p, 1500)
	wantN(t, a, 1500) // read from the format-1 vault
	must(t, a.Sync(ctx))
	pp, err := profile.VerifyApplicationProfile(a.st.Password, a.personal)
	must(t, err)
	if pp.Format != profile.FormatCatalog {
		t.Fatalf("format %d after the first sync", pp.Format)
	}
	b := connect(t, p, a)
	for _, c := range []*Client{a, b} {
		wantN(t, c, 1500)
		for _, le := range []profile.PasswordEntry{entries[0], entries[777], entries[1499]} {
			e, err := c.Entry(le.Id)
			must(t, err)
			if e.Username != le.Username || e.Password != le.Password || e.Notes != le.Notes || !slices.Equal(e.Sites, le.Sites) {
				t.Fatalf("entry %s: %+v, was %+v", le.Id, e, le)
			}
		}
	}
	// What a device that knows only format 1 reads: the notice.
	plain, err := pp.EncryptedData.Decrypt(a.keys.enc)
	must(t, err)
	var old profile.PasswordData
	must(t, json.Unmarshal(plain, &old))
	if len(old.Entries) != 1 || !strings.Contains(old.Entries[0].Notes, "update meshpass") {
		t.Fatalf("a format-1 device would read %+v", old.Entries)
	}
}

// TestUnknownFormat: a vault upgraded past what this meshpass knows says
// so, rather than that verification failed.
func TestUnknownFormat(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	b := connect(t, p, a)
	app := passwordApp(a.personal)
	pp, err := profile.VerifyApplicationProfile(a.st.Password, a.personal)
	must(t, err)
	pp.Format = 3
	pp.Versioned = profile.Versioned{Version: a.st.PasswordVersion}.Next()
	sp, err := pp.Sign(a.keys.sign)
	must(t, err)
	_ = app
	p.SetRewrite(rewriteGet(t, func(gr *mmm.GetResponse) {
		for i := range gr.Entries {
			if gr.Entries[i].SignedApplicationProfile != nil {
				gr.Entries[i].SignedApplicationProfile = sp
			}
		}
	}))
	err = b.Sync(ctx)
	if !errors.Is(err, ErrUpgrade) || errors.Is(err, ErrInvalidProfile) {
		t.Fatalf("format 3: %v", err)
	}
	t.Logf("format 3: %v", err)
}

// TestConvergence: three devices make random adds, edits and deletes, each
// syncing now and then; at the end every device holds the same vault, and
// every value ever written is current or in its entry's history.
func TestConvergence(t *testing.T) {
	ops := 1000 // per device
	switch {
	case testing.Short():
		ops = 60
	case runtime.GOOS == "js": // the browser run (make browser): the full run is native
		ops = 100
	}
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	devs := []*Client{a, connect(t, p, a), connect(t, p, a)}
	rng := rand.New(rand.NewPCG(17, 4))
	written := map[string][]string{} // entry -> passwords written
	for i := range ops * len(devs) {
		d := devs[i%len(devs)]
		list, err := d.List()
		must(t, err)
		switch op := rng.IntN(10); {
		case op < 3 || len(list) == 0:
			pw := fmt.Sprintf("pw-%d", i)
			e, err := d.Add(ctx, entry(fmt.Sprintf("s%d.example", i), fmt.Sprintf("u%d", i), pw))
			must(t, err)
			written[e.ID] = append(written[e.ID], pw)
		case op < 9:
			e := list[rng.IntN(len(list))]
			pw := fmt.Sprintf("pw-%d", i)
			must(t, d.Edit(ctx, e.ID, func(x *vault.Entry) {
				x.Password = pw
				if rng.IntN(2) == 0 {
					x.Notes = fmt.Sprintf("note %d", i)
				}
			}))
			written[e.ID] = append(written[e.ID], pw)
		default:
			must(t, d.Delete(ctx, list[rng.IntN(len(list))].ID))
		}
		if rng.IntN(4) == 0 {
			must(t, devs[rng.IntN(len(devs))].Sync(ctx))
		}
	}
	for _, d := range devs {
		must(t, d.Sync(ctx))
	}
	want := must1(t, devs[0].List)
	for _, d := range devs[1:] {
		got := must1(t, d.List)
		if len(got) != len(want) {
			t.Fatalf("%d entries vs %d", len(got), len(want))
		}
		for i := range got {
			if got[i].ID != want[i].ID || got[i].Password != want[i].Password || got[i].Notes != want[i].Notes || got[i].Username != want[i].Username {
				t.Fatalf("devices differ on %s: %+v vs %+v", got[i].ID, got[i], want[i])
			}
		}
	}
	for id, pws := range written {
		e, ok := devs[0].vault.cat.Entry(id)
		if !ok {
			t.Fatalf("entry %s lost", id)
		}
		have := []string{e.Password}
		for _, c := range e.History {
			if c.Field == "Password" {
				have = append(have, c.Value)
			}
		}
		for _, pw := range pws {
			if !slices.Contains(have, pw) {
				t.Fatalf("entry %s: password %q neither current nor in history (%q)", id, pw, have)
			}
		}
	}
	t.Logf("%d operations on 3 devices: %d entries, %d records", ops*len(devs), len(want), devs[0].vault.cat.Len())
}

// rewriteRecords returns a Rewrite that changes GetRecords answers with f.
func rewriteRecords(t *testing.T, f func(*mmm.GetRecordsResponse)) clienttest.Rewrite {
	return rewriteAnswer(t, "GetRecordsRequest", f)
}

// TestHostileRecords: a portal that omits, reorders, replays, duplicates,
// swaps or cuts records, or serves another vault's, is refused with a
// named error, and the device keeps what it had.
func TestHostileRecords(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	b := connect(t, p, a)
	for i := range 3 {
		_, err := a.Add(ctx, entry(fmt.Sprintf("h%d.example", i), fmt.Sprintf("h%d", i), fmt.Sprintf("pw%d", i)))
		must(t, err)
	}
	// Carol's vault, for records of another profile.
	carol := newClient(t, p, nil)
	must(t, carol.Create(ctx, p.URL, "carol", "passphrase C", "laptop"))
	_, err := carol.Add(ctx, entry("carol.example", "c1", "cpw"))
	must(t, err)
	carolItem := json.RawMessage(carol.lastItem(t))
	before := b.catalog().Size
	cases := []struct {
		name string
		f    func(*mmm.GetRecordsResponse)
		want error
	}{
		{"omitted", func(r *mmm.GetRecordsResponse) { r.Records = slices.Delete(r.Records, 1, 2) }, ErrLog},
		{"reordered", func(r *mmm.GetRecordsResponse) { r.Records[0], r.Records[1] = r.Records[1], r.Records[0] }, ErrLog},
		{"replayed", func(r *mmm.GetRecordsResponse) { r.Records[2] = r.Records[0] }, ErrLog},
		{"duplicated", func(r *mmm.GetRecordsResponse) { r.Records = append(r.Records, r.Records[0]) }, ErrLog},
		{"other profile", func(r *mmm.GetRecordsResponse) { r.Records[1] = carolItem }, ErrLog},
		{"tail cut", func(r *mmm.GetRecordsResponse) { r.Records = r.Records[:1] }, ErrLog},
		{"tail cut with a matching head", func(r *mmm.GetRecordsResponse) { r.Records, r.Head, r.Log = nil, nil, nil }, ErrLog},
		{"head of another catalog", func(r *mmm.GetRecordsResponse) { r.Head.Catalog = carol.vault.ring.Vault() }, ErrLog},
		{"rolled back", func(r *mmm.GetRecordsResponse) { r.Records = nil; r.Head.Size = 0 }, ErrRollback},
		{"fields swapped", func(r *mmm.GetRecordsResponse) {
			r.Records[0], r.Records[1] = swapSealed(t, r.Records[0], r.Records[1])
		}, ErrLog},
	}
	for _, c := range cases {
		p.SetRewrite(rewriteRecords(t, c.f))
		err := b.Sync(ctx)
		if !errors.Is(err, c.want) {
			t.Fatalf("%s: %v, want %v", c.name, err, c.want)
		}
		t.Logf("%s: %v", c.name, err)
		if b.catalog().Size != before {
			t.Fatalf("%s: the catalog moved to %d items", c.name, b.catalog().Size)
		}
		wantUsers(t, b, "a1")
	}
	p.SetRewrite(nil)
	must(t, b.Sync(ctx))
	wantUsers(t, b, "a1", "h0", "h1", "h2")
}

// swapSealed swaps the ciphertexts of two single records, keeping their
// signatures, as a portal without the keys could.
func swapSealed(t *testing.T, x, y json.RawMessage) (json.RawMessage, json.RawMessage) {
	t.Helper()
	var sx, sy jws.SignedData
	must(t, json.Unmarshal(x, &sx))
	must(t, json.Unmarshal(y, &sy))
	var rx, ry vault.Record
	px, err := base64.RawURLEncoding.DecodeString(sx.Payload)
	must(t, err)
	py, err := base64.RawURLEncoding.DecodeString(sy.Payload)
	must(t, err)
	must(t, json.Unmarshal(px, &rx))
	must(t, json.Unmarshal(py, &ry))
	rx.Nonce, ry.Nonce, rx.Sealed, ry.Sealed = ry.Nonce, rx.Nonce, ry.Sealed, rx.Sealed
	enc := func(s jws.SignedData, r vault.Record) json.RawMessage {
		b, err := json.Marshal(r)
		must(t, err)
		s.Payload = base64.RawURLEncoding.EncodeToString(b)
		out, err := json.Marshal(s)
		must(t, err)
		return out
	}
	return enc(sx, rx), enc(sy, ry)
}

// lastItem returns the newest item c holds.
func (c *Client) lastItem(t *testing.T) []byte {
	t.Helper()
	cs := c.catalog()
	items, err := c.readChunk((cs.Size - 1 - cs.Base) / chunkItems)
	must(t, err)
	return items[(cs.Size-1-cs.Base)%chunkItems]
}

// TestMigrationTooLarge: when the format-1 entries and the keys do not fit
// one profile, the device migrates from its own copy, kept until the end,
// even across a restart half way.
func TestMigrationTooLarge(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := legacyAlice(t, p, 300)
	s := a.opts.Storage
	tooLarge, _ := mmm.Encode(&mmm.ErrorResponse{Status: mmm.Status{Status: mmm.StatusTooLarge, StatusDescription: "entry too large"}})
	down, _ := mmm.Encode(&mmm.ErrorResponse{Status: mmm.Status{Status: mmm.StatusServiceUnavailable, StatusDescription: "down"}})
	p.SetRewrite(func(typ string, req, _ []byte) []byte {
		switch {
		case typ == "PublishRequest" && len(req) > 20000:
			return tooLarge // the profile with the entries
		case typ == "AppendRecordsRequest":
			return down // the device stops half way
		}
		return nil
	})
	if err := a.Sync(ctx); err == nil {
		t.Fatal("sync with the records refused succeeded")
	}
	if a.st.Legacy == nil {
		t.Fatal("the format-1 vault was not kept")
	}
	p.SetRewrite(nil)
	a2 := newClient(t, p, s)
	must(t, a2.Unlock("passphrase A"))
	wantN(t, a2, 300)
	must(t, a2.Sync(ctx))
	if a2.st.Legacy != nil {
		t.Fatal("the format-1 vault is still kept after the migration")
	}
	b := connect(t, p, a2)
	wantN(t, b, 300)
}
