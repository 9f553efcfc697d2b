package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshpass/meshpass/shared/client/clienttest"
	"github.com/meshpass/meshpass/shared/match"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/vault"
)

// indexPages are pages the site index is asked about: exact hosts,
// subdomains of a saved site, a site with no login, an IP address, and
// what is no page at all.
var indexPages = []string{
	"https://bank.example/login", "https://www.bank.example/", "https://login.bank.example/", "https://site7.example/",
	"https://shop.example/", "https://nothing.example/", "http://bank.example/", "https://192.0.2.7/", "not a url",
}

// indexVault makes alice on A with entries of many sites, some of the
// same site, and returns A, its storage and a session to resume it from.
func indexVault(t *testing.T, p *clienttest.Portal) (*Client, *MemoryStorage, *MemoryStorage) {
	t.Helper()
	s := NewMemoryStorage()
	a := newClient(t, p, s)
	must(t, a.Create(context.Background(), p.URL, "alice", "passphrase A", "laptop"))
	var bulk []vault.Entry
	for i := range 120 {
		bulk = append(bulk, entry(fmt.Sprintf("site%d.example", i%40), fmt.Sprintf("user%d", i), fmt.Sprintf("pw-%d-secret", i)))
	}
	bulk = append(bulk, entry("bank.example", "b1", "bank-secret-1"), entry("login.bank.example", "b2", "bank-secret-2"),
		entry("192.0.2.7", "ip", "ip-secret"), vault.Entry{Sites: []string{"shop.example", "bank.example"}, Username: "two", Password: "two-sites"})
	_, err := a.AddBatch(context.Background(), bulk)
	must(t, err)
	must(t, a.Edit(context.Background(), findUser(t, a, "b1"), func(e *vault.Entry) { e.Password = "bank-secret-1b" })) // a history
	sess := NewMemoryStorage()
	must(t, a.SaveSession(sess))
	return a, s, sess
}

// resumed opens the device in s again, unlocked from sess: a restarted
// extension.
func resumed(t *testing.T, p *clienttest.Portal, s Storage, sess Storage) *Client {
	t.Helper()
	c := newClient(t, p, s)
	must(t, c.ResumeSession(sess))
	return c
}

// sameMatching checks that got answers every page as want does.
func sameMatching(t *testing.T, got, want *Client) {
	t.Helper()
	for _, page := range indexPages {
		for _, opts := range []match.Options{{}, {AllowHTTP: true}} {
			ge, gr, err := got.Matching(page, opts)
			must(t, err)
			we, wr, err := want.Matching(page, opts)
			must(t, err)
			if len(ge) != len(we) || !reflect.DeepEqual(gr, wr) {
				t.Fatalf("%s %+v: %d entries %+v, want %d %+v", page, opts, len(ge), gr, len(we), wr)
			}
			for i := range ge {
				g, w := ge[i], we[i]
				if !g.Updated.Equal(w.Updated) || !g.Created.Equal(w.Created) {
					t.Fatalf("%s: entry %s dated %v/%v, want %v/%v", page, g.ID, g.Created, g.Updated, w.Created, w.Updated)
				}
				g.Updated, g.Created, w.Updated, w.Created = time.Time{}, time.Time{}, time.Time{}, time.Time{}
				for j := range g.History {
					if !g.History[j].Time.Equal(w.History[j].Time) {
						t.Fatalf("%s: history times differ", page)
					}
					g.History[j].Time, w.History[j].Time = time.Time{}, time.Time{}
				}
				if !reflect.DeepEqual(g, w) {
					t.Fatalf("%s: entry %+v, want %+v", page, g, w)
				}
			}
		}
	}
}

// TestSiteIndex: after a restart, Matching, Pending and the fill's lookup
// answer from the sealed site index without reading the vault, exactly as
// the full read does; an index of another state (the head moved), a
// tampered or moved shard, or another device's index is not trusted; no
// password is stored in clear; Forget removes it.
func TestSiteIndex(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, s, sess := indexVault(t, p)
	must(t, a.Warm())
	must(t, a.SaveSiteIndex())

	b := resumed(t, p, s, sess)
	sameMatching(t, b, a)
	if ids, err := b.Pending(); err != nil || len(ids) != 0 {
		t.Fatalf("pending %v %v", ids, err)
	}
	if b.vault != nil {
		t.Fatal("the index's answers read the whole vault")
	}
	for key, v := range s.m {
		for _, secret := range []string{"bank-secret", "pw-1", "two-sites", "ip-secret"} {
			if bytes.Contains(v, []byte(secret)) {
				t.Fatalf("storage %s holds %q in clear", key, secret)
			}
		}
		if strings.HasPrefix(key, siteIndexKey) && bytes.Contains(v, []byte("bank.example")) {
			t.Fatalf("the site index %s names a site in clear", key)
		}
	}

	// The head moved: the index is not of this state.
	_, err := a.Add(ctx, entry("bank.example", "b3", "bank-secret-3"))
	must(t, err)
	c := resumed(t, p, s, sess)
	sameMatching(t, c, a)
	if c.vault == nil {
		t.Fatal("a stale index was trusted")
	}
	must(t, a.SaveSiteIndex())
	c = resumed(t, p, s, sess)
	sameMatching(t, c, a)
	if c.vault != nil {
		t.Fatal("the index written again was not used")
	}

	// A pending write (portal unreachable) is in the index, marked.
	p.SetRewrite(func(string, []byte, []byte) []byte {
		b, _ := mmm.Encode(&mmm.ErrorResponse{Status: mmm.Status{Status: mmm.StatusServiceUnavailable, StatusDescription: "down"}})
		return b
	})
	if _, err := a.Add(ctx, entry("bank.example", "b4", "bank-secret-4")); !errors.Is(err, ErrPending) {
		t.Fatalf("an add with the portal down: %v", err)
	}
	p.SetRewrite(nil)
	must(t, a.SaveSiteIndex())
	c = resumed(t, p, s, sess)
	sameMatching(t, c, a)
	want, err := a.Pending()
	must(t, err)
	if got, err := c.Pending(); err != nil || !reflect.DeepEqual(got, want) || len(got) != 1 {
		t.Fatalf("pending from the index %v %v, want %v", got, err, want)
	}
	if c.vault != nil {
		t.Fatal("the index was not used with a pending write")
	}

	// Tampered, moved and foreign shards fall back to the full read.
	key, _ := match.PageKey("https://bank.example/", match.Options{})
	k, err := c.siteIndexKeys()
	must(t, err)
	shard := siteShardKey(k.shardOf(key))
	good, err := s.Get(shard)
	must(t, err)
	other := ""
	for n := range siteShards {
		if v, err := s.Get(siteShardKey(n)); err == nil && siteShardKey(n) != shard && len(v) > 0 {
			other = siteShardKey(n)
			break
		}
	}
	bad := bytes.Clone(good)
	bad[len(bad)-1] ^= 1
	moved, err := s.Get(other)
	must(t, err)
	for name, v := range map[string][]byte{"tampered": bad, "moved": moved, "cut": good[:10]} {
		must(t, s.Put(shard, v))
		c = resumed(t, p, s, sess)
		sameMatching(t, c, a)
		if c.vault == nil {
			t.Fatalf("a %s shard was trusted", name)
		}
	}
	must(t, s.Put(shard, good))

	// Another device opens nothing of it: its keys derive from A's.
	bdev := connect(t, p, a)
	bdev.mu.Lock()
	kb, err := bdev.siteIndexKeys()
	bdev.mu.Unlock()
	must(t, err)
	if sealed, _ := s.Get(siteIndexKey); sealed == nil {
		t.Fatal("no manifest stored")
	} else if _, err := kb.openValue(siteIndexKey, sealed); err == nil {
		t.Fatal("another device's keys open the index")
	}

	must(t, a.Forget())
	for key := range s.m {
		if strings.HasPrefix(key, siteIndexKey) {
			t.Fatalf("Forget left %s", key)
		}
	}
}

// gatedStorage holds reads of the stored catalog until open is closed,
// and counts them.
type gatedStorage struct {
	*MemoryStorage
	open    chan struct{}
	entered chan struct{}
	once    sync.Once
	chunks  atomic.Int32
}

func (g *gatedStorage) Get(key string) ([]byte, error) {
	if strings.HasPrefix(key, StateKey+"-catalog-") {
		g.chunks.Add(1)
		g.once.Do(func() { close(g.entered) })
		<-g.open
	}
	return g.MemoryStorage.Get(key)
}

// TestWarmWithoutLock: while Warm reads the stored vault, what needs no
// vault (the extension's status: account, log, administrator) and
// Matching from a current site index answer at once; List waits for
// Warm's read and takes it rather than reading again.
func TestWarmWithoutLock(t *testing.T) {
	p := clienttest.New(t)
	a, s, sess := indexVault(t, p)
	must(t, a.Warm())
	must(t, a.SaveSiteIndex())

	g := &gatedStorage{MemoryStorage: s, open: make(chan struct{}), entered: make(chan struct{})}
	b := resumed(t, p, g, sess)
	warmed := make(chan error, 1)
	go func() { warmed <- b.Warm() }()
	<-g.entered

	wantBank, _, err := a.Matching("https://bank.example/", match.Options{})
	must(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.Account()
		b.Log()
		b.IsAdministrator()
		b.Fingerprint()
		b.PendingConnect()
		if entries, _, err := b.Matching("https://bank.example/", match.Options{}); err != nil || len(entries) != len(wantBank) {
			t.Errorf("matching during the read: %d entries, %v", len(entries), err)
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("status and matching waited for the vault read")
	}

	listed := make(chan int, 1)
	go func() {
		list, err := b.List()
		if err != nil {
			t.Error(err)
		}
		listed <- len(list)
	}()
	select {
	case n := <-listed:
		t.Fatalf("List answered (%d) before the read it needs", n)
	case <-time.After(50 * time.Millisecond):
	}
	close(g.open)
	want, err := a.List()
	must(t, err)
	if n := <-listed; n != len(want) {
		t.Fatalf("List: %d entries, want %d", n, len(want))
	}
	must(t, <-warmed)
	chunks := int32((a.catalog().Size + chunkItems - 1) / chunkItems)
	if got := g.chunks.Load(); got != chunks {
		t.Fatalf("%d reads of the catalog's %d chunks: the vault was read twice", got, chunks)
	}
	sameMatching(t, b, a)
}
