//go:build !js

package portal_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshpass/meshpass/portal-worker/conformance"
	"github.com/meshpass/meshpass/portal-worker/portal"
	"github.com/meshpass/meshpass/portal-worker/sqlitestore"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile/profiletest"
)

func encode(t testing.TB, req mmm.Request) []byte {
	t.Helper()
	b, err := mmm.Encode(req)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// status posts req and returns the answer's status and description.
func status(t testing.TB, h http.Handler, req mmm.Request) (int, string) {
	t.Helper()
	w := post(h, "192.0.2.9:1", encode(t, req))
	var env map[string]mmm.Status
	if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil || len(env) != 1 {
		t.Fatalf("not a JSON answer: %d %s", w.Code, w.Body)
	}
	for _, st := range env {
		if st.Status != w.Code {
			t.Fatalf("HTTP %d, Status %d", w.Code, st.Status)
		}
		return st.Status, st.StatusDescription
	}
	panic("unreachable")
}

func create(t testing.TB, h http.Handler, name, invitation string) (*profiletest.Person, int, string) {
	t.Helper()
	p, err := profiletest.NewPerson(1)
	if err != nil {
		t.Fatal(err)
	}
	code, desc := status(t, h, &mmm.CreateRequest{Account: name, Profile: mmm.Entry{SignedPersonalProfile: p.SignedPersonal}, Invitation: invitation})
	return p, code, desc
}

func TestSignUps(t *testing.T) {
	opts, _ := conformance.Options(t)
	opts.SignUp = mmm.SignUpClosed
	if _, code, desc := create(t, portal.New(newStore(t), opts), "alice", ""); code != mmm.StatusForbidden || !strings.Contains(desc, "closed") {
		t.Fatalf("closed: %d %s", code, desc)
	}
	store, err := sqlitestore.Open(filepath.Join(t.TempDir(), "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	opts.SignUp = mmm.SignUpInvitation
	h := portal.New(store, opts)
	var hello mmm.HelloResponse
	if err := mmm.DecodeResponse(post(h, "192.0.2.1:1", []byte(`{"HelloRequest":{}}`)).Body, &hello); err != nil || hello.SignUp != mmm.SignUpInvitation {
		t.Fatalf("Hello: %+v %v", hello, err)
	}
	if _, code, desc := create(t, h, "alice", ""); code != mmm.StatusForbidden || !strings.Contains(desc, "invitation") {
		t.Fatalf("no invitation: %d %s", code, desc)
	}
	if _, code, _ := create(t, h, "alice", "made-up"); code != mmm.StatusForbidden {
		t.Fatalf("unknown invitation: %d", code)
	}
	if err := store.AddInvitation(t.Context(), portal.InvitationHash("good-code"), opts.Now()); err != nil {
		t.Fatal(err)
	}
	if _, code, desc := create(t, h, "alice", "good-code"); code != mmm.StatusOK {
		t.Fatalf("valid invitation: %d %s", code, desc)
	}
	if _, code, _ := create(t, h, "bob", "good-code"); code != mmm.StatusForbidden {
		t.Fatalf("used invitation: %d", code)
	}
}

func TestQuotas(t *testing.T) {
	opts, _ := conformance.Options(t)
	opts.Quota = portal.Quota{AccountBytes: 40 << 10, TotalBytes: 80 << 10}
	store, err := sqlitestore.Open(filepath.Join(t.TempDir(), "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	h := portal.New(store, opts)
	p, code, desc := create(t, h, "alice", "")
	if code != mmm.StatusOK {
		t.Fatalf("create: %d %s", code, desc)
	}
	// Publish versions of the password profile until the account's quota
	// stops them; what was refused wrote nothing.
	var prev uint64
	refused := false
	for i := 0; i < 100 && !refused; i++ {
		if i > 0 {
			p.PasswordProfile.Versioned = p.PasswordProfile.Next()
			if err := p.Seal(); err != nil {
				t.Fatal(err)
			}
		}
		code, desc := status(t, h, &mmm.PublishRequest{Entry: mmm.Entry{SignedApplicationProfile: p.SignedPasswords}, Previous: prev})
		switch code {
		case mmm.StatusOK:
			prev = p.PasswordProfile.Version
		case mmm.StatusInsufficientStorage:
			if !strings.Contains(desc, "account's storage quota") {
				t.Fatalf("quota error: %s", desc)
			}
			refused = true
		default:
			t.Fatalf("publish %d: %d %s", i, code, desc)
		}
	}
	if !refused {
		t.Fatal("the account quota never refused")
	}
	used, _, err := store.Usage(t.Context(), "alice")
	if err != nil || used > opts.Quota.AccountBytes {
		t.Fatalf("alice used %d of %d: %v", used, opts.Quota.AccountBytes, err)
	}
	// Other accounts until the portal is full.
	full := false
	for i := 0; i < 100 && !full; i++ {
		q, code, desc := create(t, h, "user"+string(rune('a'+i)), "")
		if code == mmm.StatusInsufficientStorage {
			if !strings.Contains(desc, "portal's storage is full") {
				t.Fatalf("full error: %s", desc)
			}
			full = true
			break
		}
		if code != mmm.StatusOK {
			t.Fatalf("create %d: %d %s", i, code, desc)
		}
		for v := 0; v < 8; v++ {
			if v > 0 {
				q.PasswordProfile.Versioned = q.PasswordProfile.Next()
				q.Seal()
			}
			code, _ := status(t, h, &mmm.PublishRequest{Entry: mmm.Entry{SignedApplicationProfile: q.SignedPasswords}, Previous: q.PasswordProfile.Version - 1})
			if code == mmm.StatusInsufficientStorage {
				full = true
				break
			}
		}
	}
	if !full {
		t.Fatal("the portal never filled")
	}
	total, _, _, err := store.Totals(t.Context())
	if err != nil || total > opts.Quota.TotalBytes {
		t.Fatalf("total %d of %d: %v", total, opts.Quota.TotalBytes, err)
	}
}

func TestAnswersPaged(t *testing.T) {
	opts, _ := conformance.Options(t)
	opts.MaxAnswer = 1000 // less than one profile: one entry or leaf per answer
	h := portal.New(newStore(t), opts)
	p, code, _ := create(t, h, "alice", "")
	if code != mmm.StatusOK {
		t.Fatal(code)
	}
	if code, desc := status(t, h, &mmm.PublishRequest{Entry: mmm.Entry{SignedApplicationProfile: p.SignedPasswords}}); code != mmm.StatusOK {
		t.Fatalf("%d %s", code, desc)
	}
	var g mmm.GetResponse
	if err := mmm.DecodeResponse(post(h, "192.0.2.1:1", encode(t, &mmm.GetRequest{Account: "alice", Multiple: true})).Body, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Entries) != 1 || g.Next != 1 {
		t.Fatalf("first page: %d entries, Next %d", len(g.Entries), g.Next)
	}
	g = mmm.GetResponse{}
	if err := mmm.DecodeResponse(post(h, "192.0.2.1:1", encode(t, &mmm.GetRequest{Account: "alice", Multiple: true, Offset: 1})).Body, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Entries) != 1 || g.Next != 0 || g.Entries[0].SignedApplicationProfile == nil {
		t.Fatalf("second page: %d entries, Next %d", len(g.Entries), g.Next)
	}
	if code, _ := status(t, h, &mmm.GetRequest{Account: "alice", Multiple: true, Offset: 2}); code != mmm.StatusBadRequest {
		t.Fatalf("Offset past the end: %d", code)
	}
	var au mmm.AuditResponse
	if err := mmm.DecodeResponse(post(h, "192.0.2.1:1", encode(t, &mmm.AuditRequest{Start: 0, End: 2})).Body, &au); err != nil {
		t.Fatal(err)
	}
	if len(au.Leaves) != 1 || au.Next != 1 {
		t.Fatalf("audit page: %d leaves, Next %d", len(au.Leaves), au.Next)
	}
}

// TestAnnouncedTooLarge: a Content-Length over the cap is refused unread.
func TestAnnouncedTooLarge(t *testing.T) {
	opts, _ := conformance.Options(t)
	h := portal.New(newStore(t), opts)
	r, _ := http.NewRequest(http.MethodPost, mmm.Path, bytes.NewReader(nil))
	r.ContentLength = 100 << 20
	r.RemoteAddr = "192.0.2.1:1"
	w := &recorder{header: http.Header{}}
	h.ServeHTTP(w, r)
	if w.code != http.StatusRequestEntityTooLarge {
		t.Fatalf("%d", w.code)
	}
}

type recorder struct {
	header http.Header
	code   int
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *recorder) WriteHeader(code int)        { r.code = code }
