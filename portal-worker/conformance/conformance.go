// Package conformance is the portal conformance suite: every mmm
// transaction and every refusal, run over HTTP against a portal at a base
// URL, with every log proof checked with shared/translog. The same suite
// runs against the native server in-process and can run against any other
// build of the portal.
package conformance

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/meshpass/meshpass/shared/jwe"
	"github.com/meshpass/meshpass/shared/jws"
	"github.com/meshpass/meshpass/shared/keys"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/profile/profiletest"
	"github.com/meshpass/meshpass/shared/translog"
	"github.com/meshpass/meshpass/shared/udf"
)

// Config says where the portal is and what the suite may assume of it.
type Config struct {
	// URL is the portal's base URL (scheme and host); the suite posts to
	// URL + mmm.Path.
	URL string
	// Client is the HTTP client (http.DefaultClient).
	Client *http.Client
	// MaxPending is the portal's cap on pending connection requests per
	// account (16).
	MaxPending int
	// Now is the portal's clock, used to sign requests (time.Now).
	Now func() time.Time
	// Advance moves the portal's clock forward, for the expiry test; nil
	// skips it.
	Advance func(time.Duration)
	// PendingExpiry is the portal's expiry of connection requests (24 h).
	PendingExpiry time.Duration
	// MaxAnswer is the portal's MaxAnswer (portal.Options) when it was set
	// small for the suite (a few KiB to 64 KiB), so that a catalog's
	// records are read in several answers; 0 skips that test.
	MaxAnswer int
}

type suite struct {
	Config
	t         *testing.T
	verifiers note.Verifiers
}

// Run runs the suite against the portal cfg describes. It makes fresh
// accounts, so it can run against a portal that holds other data.
func Run(t *testing.T, cfg Config) {
	if cfg.Client == nil {
		cfg.Client = http.DefaultClient
	}
	if cfg.MaxPending == 0 {
		cfg.MaxPending = 16
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.PendingExpiry == 0 {
		cfg.PendingExpiry = 24 * time.Hour
	}
	s := &suite{Config: cfg, t: t}
	t.Run("Hello", s.hello)
	if s.verifiers == nil {
		t.Fatal("no log verifier key")
	}
	t.Run("Transport", s.transport)
	t.Run("CORS", s.cors)
	t.Run("Validate", s.validate)
	t.Run("CreateGetPublish", s.createGetPublish)
	t.Run("Escrow", s.escrow)
	t.Run("Connect", s.connect)
	t.Run("PendingCap", s.pendingCap)
	if cfg.Advance != nil {
		t.Run("PendingExpiry", s.pendingExpiry)
	}
	t.Run("Records", s.records)
	t.Run("CheckIns", s.checkIns)
	t.Run("StatusAudit", s.statusAudit)
}

// post sends body and returns the HTTP status and the response's envelope
// member name and content, checking that the body's Status is the HTTP
// status.
func (s *suite) post(t *testing.T, method, path string, body []byte) (int, string, json.RawMessage) {
	t.Helper()
	req, err := http.NewRequest(method, strings.TrimSuffix(s.URL, "/")+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(raw, &env); err != nil || len(env) != 1 {
		t.Fatalf("%s %s: HTTP %d, body not a JSON envelope: %q", method, path, resp.StatusCode, raw)
	}
	for name, inner := range env {
		var st mmm.Status
		if err := json.Unmarshal(inner, &st); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if st.Status != resp.StatusCode {
			t.Fatalf("HTTP %d but Status %d (%s)", resp.StatusCode, st.Status, st.StatusDescription)
		}
		if resp.StatusCode >= 500 {
			t.Fatalf("HTTP %d: %s", resp.StatusCode, st.StatusDescription)
		}
		return resp.StatusCode, name, inner
	}
	panic("unreachable")
}

// call posts req and decodes the answer into resp, returning the status.
func (s *suite) call(t *testing.T, req mmm.Request, resp mmm.Response) int {
	t.Helper()
	body, err := mmm.Encode(req)
	if err != nil {
		t.Fatal(err)
	}
	return s.callRaw(t, body, resp)
}

func (s *suite) callRaw(t *testing.T, body []byte, resp mmm.Response) int {
	t.Helper()
	code, name, inner := s.post(t, http.MethodPost, mmm.Path, body)
	if name == "ErrorResponse" && code != mmm.StatusOK {
		return code
	}
	if name != resp.MessageType() {
		t.Fatalf("answer is a %s, want %s", name, resp.MessageType())
	}
	if err := json.Unmarshal(inner, resp); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return code
}

// must posts req and fails unless it succeeds.
func (s *suite) must(t *testing.T, req mmm.Request, resp mmm.Response) {
	t.Helper()
	if code := s.call(t, req, resp); code != mmm.StatusOK {
		t.Fatalf("%s: %d %s", req.MessageType(), code, resp.Outcome().StatusDescription)
	}
}

// want posts req and fails unless the answer has status code.
func (s *suite) want(t *testing.T, code int, req mmm.Request) {
	t.Helper()
	resp := mmm.NewResponse(req.MessageType())
	if got := s.call(t, req, resp); got != code {
		t.Fatalf("%s: got %d (%s), want %d", req.MessageType(), got, resp.Outcome().StatusDescription, code)
	}
}

// checkProof checks that proof places entry in the log.
func (s *suite) checkProof(t *testing.T, e *mmm.Entry, proof *mmm.LogProof) {
	t.Helper()
	leaf, err := translog.LeafData(e)
	if err != nil {
		t.Fatal(err)
	}
	if err := translog.VerifyInclusion(proof, leaf, s.verifiers); err != nil {
		t.Fatalf("inclusion proof of %s: %v", e.Identifier(), err)
	}
}

func (s *suite) hello(t *testing.T) {
	var resp mmm.HelloResponse
	s.must(t, &mmm.HelloRequest{}, &resp)
	if resp.Version != mmm.ProtocolVersion || resp.MaxBody != mmm.MaxBodySize || resp.LogKey == "" || resp.MaxEntry == 0 || resp.MaxEscrow == 0 || resp.SignUp == "" {
		t.Fatalf("Hello: %+v", resp)
	}
	v, err := translog.NewVerifiers(resp.LogKey)
	if err != nil {
		t.Fatal(err)
	}
	s.verifiers = v
}

func (s *suite) transport(t *testing.T) {
	check := func(name string, method, path string, body []byte, code int) {
		t.Helper()
		got, env, _ := s.post(t, method, path, body)
		if got != code {
			t.Errorf("%s: got %d (%s), want %d", name, got, env, code)
		}
	}
	check("GET", http.MethodGet, mmm.Path, nil, http.StatusMethodNotAllowed)
	check("other path", http.MethodPost, "/elsewhere", []byte(`{"HelloRequest":{}}`), http.StatusNotFound)
	check("malformed JSON", http.MethodPost, mmm.Path, []byte(`{"HelloRequest":`), http.StatusBadRequest)
	check("unknown message", http.MethodPost, mmm.Path, []byte(`{"FrobRequest":{}}`), http.StatusBadRequest)
	check("two messages", http.MethodPost, mmm.Path, []byte(`{"HelloRequest":{},"StatusRequest":{}}`), http.StatusBadRequest)
	check("unknown member", http.MethodPost, mmm.Path, []byte(`{"GetRequest":{"Account":"x","Frob":1}}`), http.StatusBadRequest)
	check("empty body", http.MethodPost, mmm.Path, nil, http.StatusBadRequest)
	big := []byte(`{"ValidateRequest":{"Account":"` + strings.Repeat("a", mmm.MaxBodySize) + `"}}`)
	check("oversized body", http.MethodPost, mmm.Path, big, http.StatusRequestEntityTooLarge)
	t.Run("streamed oversized body", s.streamedBody)
	t.Run("announced oversized body", s.announcedBody)
}

// streamedBody: a body sent without Content-Length (chunked) is cut at
// the cap.
func (s *suite) streamedBody(t *testing.T) {
	body := io.MultiReader(strings.NewReader(`{"ValidateRequest":{"Account":"`), strings.NewReader(strings.Repeat("a", 3*mmm.MaxBodySize)), strings.NewReader(`"}}`))
	req, err := http.NewRequest(http.MethodPost, strings.TrimSuffix(s.URL, "/")+mmm.Path, io.NopCloser(body))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = -1
	resp, err := s.Client.Do(req)
	if err != nil {
		// The portal may close the connection once it has refused.
		t.Logf("streamed body: %v", err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		raw, _ := io.ReadAll(resp.Body)
		t.Fatalf("streamed body: HTTP %d %s", resp.StatusCode, raw)
	}
}

// announcedBody: a Content-Length over the cap is refused without the
// portal holding the body. The body is streamed while the answer is
// awaited: the native portal answers at once; a proxy in front (wrangler
// dev's) may drain the body first.
func (s *suite) announcedBody(t *testing.T) {
	u, err := url.Parse(s.URL)
	if err != nil || u.Scheme != "http" {
		t.Skip("needs a plain-http portal URL")
	}
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(60 * time.Second))
	const announced = 100 << 20
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", mmm.Path, u.Host, announced)
	done := make(chan struct{})
	defer close(done)
	go func() {
		chunk := make([]byte, 64<<10)
		for sent := 0; sent < announced; sent += len(chunk) {
			select {
			case <-done:
				return
			default:
			}
			if _, err := conn.Write(chunk); err != nil {
				return
			}
		}
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to an announced 100 MiB body: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("announced 100 MiB body: HTTP %d", resp.StatusCode)
	}
}

// cors checks that a web page on any origin may call the portal: the
// preflight (OPTIONS) is a 204 allowing POST with Content-Type from any
// origin, and answers, refusals included, carry
// Access-Control-Allow-Origin: *.
func (s *suite) cors(t *testing.T) {
	do := func(method string, body []byte, header ...string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, strings.TrimSuffix(s.URL, "/")+mmm.Path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Origin", "https://page.example")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := s.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	resp := do(http.MethodOptions, nil, "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type")
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("preflight: HTTP %d, want 204", resp.StatusCode)
	}
	h := resp.Header
	if h.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), "content-type") ||
		h.Get("Access-Control-Max-Age") == "" {
		t.Errorf("preflight headers: %v", h)
	}
	for _, tc := range []struct {
		name string
		body string
		code int
	}{
		{"Hello", `{"HelloRequest":{}}`, mmm.StatusOK},
		{"malformed", `{"HelloRequest":`, http.StatusBadRequest},
	} {
		resp := do(http.MethodPost, []byte(tc.body), "Content-Type", "application/json")
		if resp.StatusCode != tc.code || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s: HTTP %d, Access-Control-Allow-Origin %q; want %d, *", tc.name, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"), tc.code)
		}
	}
}

// unique returns a fresh account name.
func unique(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return fmt.Sprintf("%s-%x", prefix, b)
}

func (s *suite) validate(t *testing.T) {
	var resp mmm.ValidateResponse
	s.must(t, &mmm.ValidateRequest{Account: unique("free")}, &resp)
	if !resp.Valid || resp.Minimum != 1 || resp.InvalidCharacters == "" {
		t.Fatalf("fresh name: %+v", resp)
	}
	for _, bad := range []string{"a b", "a@b", "a.b", "a#b", "tab\tname", strings.Repeat("x", 65)} {
		resp = mmm.ValidateResponse{}
		s.must(t, &mmm.ValidateRequest{Account: bad}, &resp)
		if resp.Valid || resp.Reason == "" {
			t.Errorf("%q: %+v", bad, resp)
		}
	}
	s.want(t, mmm.StatusBadRequest, &mmm.ValidateRequest{})
}

// account is a person with an account on the portal.
type account struct {
	name   string
	person *profiletest.Person
	create *mmm.LogProof
}

func (s *suite) newAccount(t *testing.T, devices int) *account {
	t.Helper()
	p, err := profiletest.NewPerson(devices)
	if err != nil {
		t.Fatal(err)
	}
	a := &account{name: unique("Acct"), person: p}
	var resp mmm.CreateResponse
	e := mmm.Entry{SignedPersonalProfile: p.SignedPersonal}
	s.must(t, &mmm.CreateRequest{Account: a.name, Profile: e}, &resp)
	s.checkProof(t, &e, resp.Log)
	a.create = resp.Log
	return a
}

// tamper returns a copy of sd whose signature no longer verifies.
func tamper(sd *jws.SignedData) *jws.SignedData {
	c := *sd
	sig, _ := base64.RawURLEncoding.DecodeString(c.Signature)
	sig[0] ^= 1
	c.Signature = base64.RawURLEncoding.EncodeToString(sig)
	return &c
}

func (s *suite) createGetPublish(t *testing.T) {
	a := s.newAccount(t, 2)
	p := a.person

	// Names are case-folded and unique; so are profiles.
	var v mmm.ValidateResponse
	s.must(t, &mmm.ValidateRequest{Account: strings.ToUpper(a.name)}, &v)
	if v.Valid {
		t.Error("a taken name (other case) is valid")
	}
	s.want(t, mmm.StatusConflict, &mmm.CreateRequest{Account: strings.ToLower(a.name), Profile: mmm.Entry{SignedPersonalProfile: p.SignedPersonal}})
	s.want(t, mmm.StatusConflict, &mmm.CreateRequest{Account: unique("other"), Profile: mmm.Entry{SignedPersonalProfile: p.SignedPersonal}})
	s.want(t, mmm.StatusBadRequest, &mmm.CreateRequest{Account: "bad name", Profile: mmm.Entry{SignedPersonalProfile: p.SignedPersonal}})

	// Create refuses a bad signature and a profile signed by a key that
	// is not an online key.
	q, err := profiletest.NewPerson(1)
	if err != nil {
		t.Fatal(err)
	}
	bad := &profile.SignedPersonalProfile{Signed: profile.Signed{Identifier: q.SignedPersonal.Identifier, SignedData: tamper(q.SignedPersonal.SignedData)}}
	s.want(t, mmm.StatusBadRequest, &mmm.CreateRequest{Account: unique("bad"), Profile: mmm.Entry{SignedPersonalProfile: bad}})
	wrong, err := q.PersonalProfile.Sign(q.Devices[0].Sign)
	if err != nil {
		t.Fatal(err)
	}
	s.want(t, mmm.StatusBadRequest, &mmm.CreateRequest{Account: unique("bad"), Profile: mmm.Entry{SignedPersonalProfile: wrong}})

	// Get by account and by identifier.
	for _, req := range []*mmm.GetRequest{{Account: a.name}, {Account: strings.ToUpper(a.name)}, {Identifier: p.PersonalProfile.Identifier}} {
		var g mmm.GetResponse
		s.must(t, req, &g)
		if len(g.Entries) != 1 || len(g.Proofs) != 1 || g.Entries[0].SignedPersonalProfile == nil {
			t.Fatalf("Get %+v: %d entries", req, len(g.Entries))
		}
		s.checkProof(t, &g.Entries[0], g.Proofs[0])
	}
	s.want(t, mmm.StatusNotFound, &mmm.GetRequest{Account: unique("nobody")})
	s.want(t, mmm.StatusNotFound, &mmm.GetRequest{Identifier: q.PersonalProfile.Identifier})
	s.want(t, mmm.StatusBadRequest, &mmm.GetRequest{})

	// Publish the password profile (new), then newer versions.
	app := mmm.Entry{SignedApplicationProfile: p.SignedPasswords}
	var pub mmm.PublishResponse
	s.must(t, &mmm.PublishRequest{Entry: app}, &pub)
	s.checkProof(t, &app, pub.Log)
	s.want(t, mmm.StatusConflict, &mmm.PublishRequest{Entry: app}) // same version: rollback
	p.PasswordProfile.Versioned = p.PasswordProfile.Next()
	if err := p.Seal(); err != nil {
		t.Fatal(err)
	}
	app2 := mmm.Entry{SignedApplicationProfile: p.SignedPasswords}
	pub = mmm.PublishResponse{}
	s.must(t, &mmm.PublishRequest{Entry: app2, Previous: 1}, &pub)
	s.checkProof(t, &app2, pub.Log)
	s.want(t, mmm.StatusConflict, &mmm.PublishRequest{Entry: app}) // rollback to 1
	p.PasswordProfile.Versioned = p.PasswordProfile.Next()
	if err := p.Seal(); err != nil {
		t.Fatal(err)
	}
	app3 := mmm.Entry{SignedApplicationProfile: p.SignedPasswords}
	s.want(t, mmm.StatusConflict, &mmm.PublishRequest{Entry: app3, Previous: 1}) // stale CAS
	// Signed by a key the personal profile does not allow, or badly.
	other, err := p.PasswordProfile.Sign(q.Online)
	if err != nil {
		t.Fatal(err)
	}
	s.want(t, mmm.StatusBadRequest, &mmm.PublishRequest{Entry: mmm.Entry{SignedApplicationProfile: other}})
	tampered := &profile.SignedApplicationProfile{Signed: profile.Signed{Identifier: p.SignedPasswords.Identifier, SignedData: tamper(p.SignedPasswords.SignedData)}}
	s.want(t, mmm.StatusBadRequest, &mmm.PublishRequest{Entry: mmm.Entry{SignedApplicationProfile: tampered}})
	// An application profile that no personal profile lists.
	s.want(t, mmm.StatusNotFound, &mmm.PublishRequest{Entry: mmm.Entry{SignedApplicationProfile: q.SignedPasswords}})
	pub = mmm.PublishResponse{}
	s.must(t, &mmm.PublishRequest{Entry: app3, Previous: 2}, &pub)
	s.checkProof(t, &app3, pub.Log)

	// Get Multiple: the personal profile and its application profile.
	var g mmm.GetResponse
	s.must(t, &mmm.GetRequest{Account: a.name, Multiple: true}, &g)
	if len(g.Entries) != 2 || g.Entries[1].SignedApplicationProfile == nil {
		t.Fatalf("Get Multiple: %d entries", len(g.Entries))
	}
	for i := range g.Entries {
		s.checkProof(t, &g.Entries[i], g.Proofs[i])
	}
	if _, err := profile.VerifyApplicationProfile(g.Entries[1].SignedApplicationProfile, mustVerify(t, g.Entries[0].SignedPersonalProfile)); err != nil {
		t.Fatal(err)
	}

	// Publish a new personal profile version.
	p.PersonalProfile.Versioned = p.PersonalProfile.Next()
	if p.SignedPersonal, err = p.PersonalProfile.Sign(p.Online); err != nil {
		t.Fatal(err)
	}
	pp := mmm.Entry{SignedPersonalProfile: p.SignedPersonal}
	pub = mmm.PublishResponse{}
	s.must(t, &mmm.PublishRequest{Entry: pp, Previous: 1}, &pub)
	s.checkProof(t, &pp, pub.Log)
	s.want(t, mmm.StatusConflict, &mmm.PublishRequest{Entry: pp}) // rollback (same version)
	p.PersonalProfile.Versioned = p.PersonalProfile.Next()
	stale, _ := p.PersonalProfile.Sign(p.Online)
	s.want(t, mmm.StatusConflict, &mmm.PublishRequest{Entry: mmm.Entry{SignedPersonalProfile: stale}, Previous: 1})

	// Takeover: someone else's keys sign a profile carrying this
	// person's Identifier and master profile.
	takeover := *p.PersonalProfile
	takeover.Versioned = takeover.Next()
	takeover.Versioned.Version = 100
	forged, _ := takeover.Sign(q.Online)
	s.want(t, mmm.StatusBadRequest, &mmm.PublishRequest{Entry: mmm.Entry{SignedPersonalProfile: forged}})
	// Even a profile that verifies on its own (a new master profile
	// naming a new online key) must be signed by an online key of the
	// stored master profile.
	newOnline, _ := keys.GenerateSigningKey()
	mp := *p.MasterProfile
	mp.OnlineSignatureKeys = []*keys.PublicKey{newOnline.Public()}
	mp.Versioned = mp.Next()
	smp, err := mp.Sign(p.Master)
	if err != nil {
		t.Fatal(err)
	}
	rotated := takeover
	rotated.SignedMasterProfile = smp
	srot, _ := rotated.Sign(newOnline)
	if _, err := profile.VerifyPersonalProfile(srot); err != nil {
		t.Fatal(err)
	}
	s.want(t, mmm.StatusBadRequest, &mmm.PublishRequest{Entry: mmm.Entry{SignedPersonalProfile: srot}})
	// A profile that is not stored cannot be published into.
	s.want(t, mmm.StatusNotFound, &mmm.PublishRequest{Entry: mmm.Entry{SignedPersonalProfile: q.SignedPersonal}})

	// Another account listing this person's application profile does
	// not get it, nor the right to publish it.
	q.PersonalProfile.Applications = append(q.PersonalProfile.Applications, profile.ApplicationProfileEntry{
		Identifier: p.PasswordProfile.Identifier, Type: profile.ApplicationTypePassword,
	})
	if q.SignedPersonal, err = q.PersonalProfile.Sign(q.Online); err != nil {
		t.Fatal(err)
	}
	qname := unique("squatter")
	s.must(t, &mmm.CreateRequest{Account: qname, Profile: mmm.Entry{SignedPersonalProfile: q.SignedPersonal}}, &mmm.CreateResponse{})
	g = mmm.GetResponse{}
	s.must(t, &mmm.GetRequest{Account: qname, Multiple: true}, &g)
	if len(g.Entries) != 1 {
		t.Fatalf("Get Multiple of the other account: %d entries", len(g.Entries))
	}
	squat := *p.PasswordProfile
	squat.Versioned = squat.Next()
	ssquat, _ := squat.Sign(q.Online)
	s.want(t, mmm.StatusBadRequest, &mmm.PublishRequest{Entry: mmm.Entry{SignedApplicationProfile: ssquat}, Previous: 3})
}

func mustVerify(t *testing.T, s *profile.SignedPersonalProfile) *profile.Personal {
	t.Helper()
	v, err := profile.VerifyPersonalProfile(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// nextPersonal signs the next version of a's personal profile with its
// online key.
func nextPersonal(t *testing.T, a *account) *profile.SignedPersonalProfile {
	t.Helper()
	a.person.PersonalProfile.Versioned = a.person.PersonalProfile.Next()
	sp, err := a.person.PersonalProfile.Sign(a.person.Online)
	if err != nil {
		t.Fatal(err)
	}
	a.person.SignedPersonal = sp
	return sp
}

func newEscrow(t *testing.T, plain []byte) (*profile.OfflineEscrowEntry, []byte) {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	enc, err := jwe.EncryptDirect(plain, key)
	if err != nil {
		t.Fatal(err)
	}
	id, err := udfOf(key)
	if err != nil {
		t.Fatal(err)
	}
	return &profile.OfflineEscrowEntry{Identifier: id, EncryptedData: enc}, key
}

func (s *suite) escrow(t *testing.T) {
	a := s.newAccount(t, 1)
	esc, _ := newEscrow(t, []byte("escrowed keys"))
	e := mmm.Entry{OfflineEscrowEntry: esc}
	// Alone, an escrow entry is refused: anyone could send one.
	s.want(t, mmm.StatusBadRequest, &mmm.PublishRequest{Entry: e})
	// With an application profile rather than a personal profile.
	s.want(t, mmm.StatusBadRequest, &mmm.PublishRequest{Entry: mmm.Entry{SignedApplicationProfile: a.person.SignedPasswords}, Escrow: esc})
	// With a personal profile update signed by a key that is not an online
	// key: refused, and nothing is stored.
	a.person.PersonalProfile.Versioned = a.person.PersonalProfile.Next()
	notOnline, err := a.person.PersonalProfile.Sign(a.person.Devices[0].Sign)
	if err != nil {
		t.Fatal(err)
	}
	s.want(t, mmm.StatusBadRequest, &mmm.PublishRequest{Entry: mmm.Entry{SignedPersonalProfile: notOnline}, Previous: 1, Escrow: esc})
	s.want(t, mmm.StatusNotFound, &mmm.GetRequest{Identifier: esc.Identifier})
	update := mmm.Entry{SignedPersonalProfile: nextPersonal(t, a)}
	// Too large (a few KiB at most): refused.
	big, _ := newEscrow(t, bytes.Repeat([]byte("k"), 64<<10))
	s.want(t, mmm.StatusTooLarge, &mmm.PublishRequest{Entry: update, Previous: 1, Escrow: big})
	// Malformed: no ciphertext.
	s.want(t, mmm.StatusBadRequest, &mmm.PublishRequest{Entry: update, Previous: 1,
		Escrow: &profile.OfflineEscrowEntry{Identifier: esc.Identifier}})
	// Nor may it take the Identifier of a listed, unpublished application
	// profile.
	appID := a.person.PasswordProfile.Identifier
	s.want(t, mmm.StatusConflict, &mmm.PublishRequest{Entry: update, Previous: 1,
		Escrow: &profile.OfflineEscrowEntry{Identifier: appID, EncryptedData: esc.EncryptedData}})
	// With an update signed by the online key: both are stored, each with
	// its log proof.
	var pub mmm.PublishResponse
	s.must(t, &mmm.PublishRequest{Entry: update, Previous: 1, Escrow: esc}, &pub)
	s.checkProof(t, &update, pub.Log)
	if pub.EscrowLog == nil {
		t.Fatal("no EscrowLog")
	}
	s.checkProof(t, &e, pub.EscrowLog)
	if pub.EscrowLog.Index != pub.Log.Index+1 || pub.EscrowLog.TreeSize != pub.Log.TreeSize {
		t.Fatalf("escrow leaf %d of %d, profile leaf %d of %d", pub.EscrowLog.Index, pub.EscrowLog.TreeSize, pub.Log.Index, pub.Log.TreeSize)
	}
	var g mmm.GetResponse
	s.must(t, &mmm.GetRequest{Identifier: esc.Identifier}, &g)
	if len(g.Entries) != 1 || g.Entries[0].OfflineEscrowEntry == nil {
		t.Fatal("Get escrow entry")
	}
	s.checkProof(t, &g.Entries[0], g.Proofs[0])
	// Written once: the same Identifier again is refused, and with it the
	// profile update.
	again := mmm.Entry{SignedPersonalProfile: nextPersonal(t, a)}
	stored := mustVerify(t, update.SignedPersonalProfile).Profile.Version
	s.want(t, mmm.StatusConflict, &mmm.PublishRequest{Entry: again, Previous: stored, Escrow: esc})
	s.must(t, &mmm.PublishRequest{Entry: again, Previous: stored}, &mmm.PublishResponse{})
}

func (s *suite) connectRequest(t *testing.T, parent string) (*profiletest.Device, *profile.SignedConnectionRequest) {
	t.Helper()
	d, err := profiletest.NewDevice("new device")
	if err != nil {
		t.Fatal(err)
	}
	r := &profile.ConnectionRequest{ParentUDF: parent, Device: d.Signed, Nonce: unique("n"), Time: s.Now().UTC()}
	sr, err := r.Sign(d.Sign)
	if err != nil {
		t.Fatal(err)
	}
	return d, sr
}

// committedRequest is connectRequest with a commitment to a fresh secret
// nonce, which it returns.
func (s *suite) committedRequest(t *testing.T, parent string) (*profiletest.Device, *profile.SignedConnectionRequest, string) {
	t.Helper()
	d, err := profiletest.NewDevice("new device")
	if err != nil {
		t.Fatal(err)
	}
	secret, err := profile.NewConnectNonce()
	if err != nil {
		t.Fatal(err)
	}
	r := &profile.ConnectionRequest{ParentUDF: parent, Device: d.Signed, Nonce: unique("n"), Time: s.Now().UTC(), Commitment: profile.Commit(secret)}
	sr, err := r.Sign(d.Sign)
	if err != nil {
		t.Fatal(err)
	}
	return d, sr, secret
}

// auth signs req as device d.
func (s *suite) auth(t *testing.T, req mmm.AuthenticatedRequest, d *profiletest.Device) mmm.AuthenticatedRequest {
	t.Helper()
	if err := mmm.Authenticate(req, d.Profile.Identifier, d.Auth, s.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}

func (s *suite) connect(t *testing.T) {
	a := s.newAccount(t, 2)
	p := a.person
	adminDev, other := p.Devices[0], p.Devices[1]

	d, sr, secret := s.committedRequest(t, a.name)
	var start mmm.ConnectStartResponse
	s.must(t, &mmm.ConnectStartRequest{SignedRequest: sr, AccountID: a.name}, &start)
	if start.Expires.IsZero() {
		t.Error("no Expires")
	}
	// Refusals of ConnectStart.
	s.want(t, mmm.StatusNotFound, &mmm.ConnectStartRequest{SignedRequest: sr, AccountID: unique("nobody")})
	_, wrongParent := s.connectRequest(t, unique("elsewhere"))
	s.want(t, mmm.StatusBadRequest, &mmm.ConnectStartRequest{SignedRequest: wrongParent, AccountID: a.name})
	badSig := &profile.SignedConnectionRequest{Signed: profile.Signed{Identifier: sr.Identifier, SignedData: tamper(sr.SignedData)}}
	s.want(t, mmm.StatusBadRequest, &mmm.ConnectStartRequest{SignedRequest: badSig, AccountID: a.name})

	// ConnectPending: only an administration device, once per signature.
	s.want(t, mmm.StatusUnauthorized, &mmm.ConnectPendingRequest{AccountID: a.name})
	s.want(t, mmm.StatusUnauthorized, s.auth(t, &mmm.ConnectPendingRequest{AccountID: a.name}, other))
	s.want(t, mmm.StatusUnauthorized, s.auth(t, &mmm.ConnectPendingRequest{AccountID: a.name}, d))
	req := s.auth(t, &mmm.ConnectPendingRequest{AccountID: a.name}, adminDev)
	var pend mmm.ConnectPendingResponse
	s.must(t, req, &pend)
	if len(pend.Pending) != 1 || pend.Pending[0].Identifier != sr.Identifier {
		t.Fatalf("pending: %+v", pend.Pending)
	}
	if _, _, err := profile.VerifyConnectionRequest(pend.Pending[0]); err != nil {
		t.Fatal(err)
	}
	s.want(t, mmm.StatusUnauthorized, req) // replay
	// Signed for another account, or another body.
	wrongAcct := s.auth(t, &mmm.ConnectPendingRequest{AccountID: a.name}, adminDev).(*mmm.ConnectPendingRequest)
	wrongAcct.AccountID = strings.ToUpper(a.name)
	s.want(t, mmm.StatusUnauthorized, wrongAcct)

	// ConnectStatus: only the device that asked.
	var st mmm.ConnectStatusResponse
	s.must(t, s.auth(t, &mmm.ConnectStatusRequest{AccountID: a.name, DeviceID: d.Profile.Identifier}, d), &st)
	if st.Result != nil || st.RetryAfter == 0 {
		t.Fatalf("status before answer: %+v", st)
	}
	s.want(t, mmm.StatusUnauthorized, &mmm.ConnectStatusRequest{AccountID: a.name, DeviceID: d.Profile.Identifier})
	s.want(t, mmm.StatusUnauthorized, s.auth(t, &mmm.ConnectStatusRequest{AccountID: a.name, DeviceID: d.Profile.Identifier}, adminDev))

	s.witnessExchange(t, a, d, sr, secret)

	// ConnectComplete.
	result := &profile.ConnectionResult{Device: d.Signed, Result: profile.ResultAccepted, Nonce: "n"}
	sres, err := result.Sign(p.Online)
	if err != nil {
		t.Fatal(err)
	}
	s.want(t, mmm.StatusUnauthorized, &mmm.ConnectCompleteRequest{Result: sres, AccountID: a.name})
	s.want(t, mmm.StatusUnauthorized, s.auth(t, &mmm.ConnectCompleteRequest{Result: sres, AccountID: a.name}, other))
	wrongKey, _ := result.Sign(adminDev.Sign)
	s.want(t, mmm.StatusBadRequest, s.auth(t, &mmm.ConnectCompleteRequest{Result: wrongKey, AccountID: a.name}, adminDev))
	s.must(t, s.auth(t, &mmm.ConnectCompleteRequest{Result: sres, AccountID: a.name}, adminDev), &mmm.ConnectCompleteResponse{})
	// Answered: no longer pending, not answerable twice.
	pend = mmm.ConnectPendingResponse{}
	s.must(t, s.auth(t, &mmm.ConnectPendingRequest{AccountID: a.name}, adminDev), &pend)
	if len(pend.Pending) != 0 {
		t.Fatalf("still pending: %d", len(pend.Pending))
	}
	s.want(t, mmm.StatusNotFound, s.auth(t, &mmm.ConnectCompleteRequest{Result: sres, AccountID: a.name}, adminDev))

	st = mmm.ConnectStatusResponse{}
	s.must(t, s.auth(t, &mmm.ConnectStatusRequest{AccountID: a.name, DeviceID: d.Profile.Identifier}, d), &st)
	if st.Result == nil {
		t.Fatal("no result")
	}
	r, _, err := profile.VerifyConnectionResult(st.Result, mustVerify(t, p.SignedPersonal))
	if err != nil || r.Result != profile.ResultAccepted {
		t.Fatalf("result %+v: %v", r, err)
	}
}

// witnessExchange: an administration device contributes to d's pending
// request once, d reads it and reveals once, and administration devices
// read both; the portal refuses contributions and reveals that are not
// the request's.
func (s *suite) witnessExchange(t *testing.T, a *account, d *profiletest.Device, sr *profile.SignedConnectionRequest, secret string) {
	p := a.person
	adminDev, other := p.Devices[0], p.Devices[1]
	dev := d.Profile.Identifier
	nonce, err := profile.NewConnectNonce()
	if err != nil {
		t.Fatal(err)
	}
	req, _, err := profile.VerifyConnectionRequest(sr)
	if err != nil {
		t.Fatal(err)
	}
	contribution := func(signer *profiletest.Device, commitment string) *profile.SignedConnectionContribution {
		t.Helper()
		c := &profile.ConnectionContribution{Device: dev, Commitment: commitment, Administrator: signer.Profile.Identifier, Nonce: nonce, Time: s.Now().UTC()}
		sc, err := c.Sign(signer.Sign)
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	reveal := func(n, contributed string) *profile.SignedConnectionReveal {
		t.Helper()
		r, err := (&profile.ConnectionReveal{Device: dev, Nonce: n, Contribution: contributed}).Sign(d.Sign)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	revealReq := func(r *profile.SignedConnectionReveal) mmm.AuthenticatedRequest {
		return s.auth(t, &mmm.ConnectRevealRequest{AccountID: a.name, DeviceID: dev, Reveal: r}, d)
	}
	// No reveal before a contribution.
	s.want(t, mmm.StatusNotFound, revealReq(reveal(secret, nonce)))
	good := contribution(adminDev, req.Commitment)
	s.want(t, mmm.StatusUnauthorized, &mmm.ConnectContributeRequest{AccountID: a.name, Contribution: good})
	s.want(t, mmm.StatusUnauthorized, s.auth(t, &mmm.ConnectContributeRequest{AccountID: a.name, Contribution: good}, d))
	// Signed by a device that does not administer, or for another commitment.
	s.want(t, mmm.StatusBadRequest, s.auth(t, &mmm.ConnectContributeRequest{AccountID: a.name, Contribution: contribution(other, req.Commitment)}, adminDev))
	s.want(t, mmm.StatusBadRequest, s.auth(t, &mmm.ConnectContributeRequest{AccountID: a.name, Contribution: contribution(adminDev, profile.Commit("other"))}, adminDev))
	s.must(t, s.auth(t, &mmm.ConnectContributeRequest{AccountID: a.name, Contribution: good}, adminDev), &mmm.ConnectContributeResponse{})
	s.want(t, mmm.StatusConflict, s.auth(t, &mmm.ConnectContributeRequest{AccountID: a.name, Contribution: good}, adminDev))

	var st mmm.ConnectStatusResponse
	s.must(t, s.auth(t, &mmm.ConnectStatusRequest{AccountID: a.name, DeviceID: dev}, d), &st)
	if st.Contribution == nil || st.Contribution.Identifier != good.Identifier {
		t.Fatalf("status without the contribution: %+v", st)
	}
	// Only the device; only a nonce that opens the commitment, for the
	// stored contribution.
	s.want(t, mmm.StatusUnauthorized, s.auth(t, &mmm.ConnectRevealRequest{AccountID: a.name, DeviceID: dev, Reveal: reveal(secret, nonce)}, adminDev))
	wrong, _ := profile.NewConnectNonce()
	s.want(t, mmm.StatusBadRequest, revealReq(reveal(wrong, nonce)))
	s.want(t, mmm.StatusBadRequest, revealReq(reveal(secret, wrong)))
	s.must(t, revealReq(reveal(secret, nonce)), &mmm.ConnectRevealResponse{})
	s.want(t, mmm.StatusConflict, revealReq(reveal(secret, nonce)))

	var pend mmm.ConnectPendingResponse
	s.must(t, s.auth(t, &mmm.ConnectPendingRequest{AccountID: a.name}, adminDev), &pend)
	if len(pend.Exchanges) != 1 || pend.Exchanges[0].Contribution == nil || pend.Exchanges[0].Reveal == nil {
		t.Fatalf("exchanges: %+v", pend.Exchanges)
	}
	rv, err := profile.VerifyConnectionReveal(pend.Exchanges[0].Reveal, d.Profile)
	if err != nil || rv.Nonce != secret {
		t.Fatalf("reveal %+v: %v", rv, err)
	}
}

// pendingCap: a flood of connection requests pushes out the oldest
// unanswered ones, never a request with a connect code, and never refuses
// the newest.
func (s *suite) pendingCap(t *testing.T) {
	a := s.newAccount(t, 1)
	adminDev := a.person.Devices[0]
	// The administrator issues a connect code for the device it connects.
	code := unique("connect-code-0123456789")
	s.must(t, s.auth(t, &mmm.ConnectPendingRequest{AccountID: a.name, IssueCode: code}, adminDev), &mmm.ConnectPendingResponse{})
	s.want(t, mmm.StatusBadRequest, s.auth(t, &mmm.ConnectPendingRequest{AccountID: a.name, IssueCode: "short"}, adminDev))
	owner, ownerReq := s.connectRequest(t, a.name)
	// A wrong code is refused.
	s.want(t, mmm.StatusForbidden, &mmm.ConnectStartRequest{SignedRequest: ownerReq, AccountID: a.name, Code: code + "x"})
	s.must(t, &mmm.ConnectStartRequest{SignedRequest: ownerReq, AccountID: a.name, Code: code}, &mmm.ConnectStartResponse{})
	// A code lets one request through.
	_, second := s.connectRequest(t, a.name)
	s.want(t, mmm.StatusForbidden, &mmm.ConnectStartRequest{SignedRequest: second, AccountID: a.name, Code: code})
	// One without a code, then a flood.
	early, earlyReq := s.connectRequest(t, a.name)
	s.must(t, &mmm.ConnectStartRequest{SignedRequest: earlyReq, AccountID: a.name}, &mmm.ConnectStartResponse{})
	var last *profiletest.Device
	for i := 0; i < s.MaxPending+3; i++ {
		d, sr := s.connectRequest(t, a.person.PersonalProfile.Identifier)
		s.must(t, &mmm.ConnectStartRequest{SignedRequest: sr, AccountID: a.name}, &mmm.ConnectStartResponse{})
		last = d
	}
	var pend mmm.ConnectPendingResponse
	s.must(t, s.auth(t, &mmm.ConnectPendingRequest{AccountID: a.name}, adminDev), &pend)
	ids := map[string]bool{}
	for _, q := range pend.Pending {
		_, d, err := profile.VerifyConnectionRequest(q)
		if err != nil {
			t.Fatal(err)
		}
		id, _ := udf.Parse(d.Identifier)
		ids[id] = true
	}
	id := func(d *profiletest.Device) string { x, _ := udf.Parse(d.Profile.Identifier); return x }
	if len(pend.Pending) != s.MaxPending+1 {
		t.Errorf("%d pending, want %d (the cap and the one with a code)", len(pend.Pending), s.MaxPending+1)
	}
	if !ids[id(owner)] {
		t.Error("the request with a connect code was pushed out")
	}
	if ids[id(early)] {
		t.Error("the oldest request without a code was kept")
	}
	if !ids[id(last)] {
		t.Error("the newest request is not pending")
	}
}

func (s *suite) pendingExpiry(t *testing.T) {
	a := s.newAccount(t, 1)
	d, sr := s.connectRequest(t, a.name)
	s.must(t, &mmm.ConnectStartRequest{SignedRequest: sr, AccountID: a.name}, &mmm.ConnectStartResponse{})
	s.Advance(s.PendingExpiry + time.Second)
	var pend mmm.ConnectPendingResponse
	s.must(t, s.auth(t, &mmm.ConnectPendingRequest{AccountID: a.name}, a.person.Devices[0]), &pend)
	if len(pend.Pending) != 0 {
		t.Fatalf("expired request still pending")
	}
	result := &profile.ConnectionResult{Device: d.Signed, Result: profile.ResultAccepted}
	sres, _ := result.Sign(a.person.Online)
	s.want(t, mmm.StatusNotFound, s.auth(t, &mmm.ConnectCompleteRequest{Result: sres, AccountID: a.name}, a.person.Devices[0]))
	s.want(t, mmm.StatusUnauthorized, s.auth(t, &mmm.ConnectStatusRequest{AccountID: a.name, DeviceID: d.Profile.Identifier}, d))
}

func (s *suite) statusAudit(t *testing.T) {
	a := s.newAccount(t, 1)
	var st mmm.StatusResponse
	s.must(t, &mmm.StatusRequest{}, &st)
	tree, err := translog.OpenCheckpoint(st.Checkpoint, s.verifiers)
	if err != nil {
		t.Fatal(err)
	}
	if tree.N < a.create.TreeSize {
		t.Fatalf("log shrank: %d < %d", tree.N, a.create.TreeSize)
	}
	// Leaves: the account's creation is where its proof says.
	var au mmm.AuditResponse
	s.must(t, &mmm.AuditRequest{Start: a.create.Index, End: a.create.Index + 1, OldSize: a.create.TreeSize, NewSize: tree.N}, &au)
	if len(au.Leaves) != 1 {
		t.Fatalf("%d leaves", len(au.Leaves))
	}
	leaf, err := base64.RawURLEncoding.DecodeString(au.Leaves[0])
	if err != nil {
		t.Fatal(err)
	}
	want, _ := translog.LeafData(&mmm.Entry{SignedPersonalProfile: a.person.SignedPersonal})
	if !bytes.Equal(leaf, want) {
		t.Fatal("audit leaf is not the created profile")
	}
	if err := translog.VerifyInclusion(a.create, leaf, s.verifiers); err != nil {
		t.Fatal(err)
	}
	if err := translog.VerifyConsistency(a.create.Checkpoint, st.Checkpoint, au.Consistency, s.verifiers); err != nil {
		t.Fatalf("consistency %d -> %d: %v", a.create.TreeSize, tree.N, err)
	}
	// Every consistency proof from 1 to the latest tree.
	for old := int64(1); old <= tree.N; old += max(1, tree.N/20) {
		au = mmm.AuditResponse{}
		s.must(t, &mmm.AuditRequest{OldSize: old, NewSize: tree.N}, &au)
		if old == a.create.TreeSize {
			if err := translog.VerifyConsistency(a.create.Checkpoint, st.Checkpoint, au.Consistency, s.verifiers); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Refusals.
	s.want(t, mmm.StatusBadRequest, &mmm.AuditRequest{Start: 0, End: tree.N + 1})
	s.want(t, mmm.StatusBadRequest, &mmm.AuditRequest{OldSize: 1, NewSize: tree.N + 1})
	s.want(t, mmm.StatusBadRequest, &mmm.AuditRequest{Start: 5, End: 2})
	// Pages: a range past MaxAuditLeaves or the byte cap is answered in
	// part, with Next.
	au = mmm.AuditResponse{}
	s.must(t, &mmm.AuditRequest{Start: 0, End: tree.N}, &au)
	switch {
	case au.Next == 0 && int64(len(au.Leaves)) != tree.N:
		t.Fatalf("Audit [0, %d): %d leaves, no Next", tree.N, len(au.Leaves))
	case au.Next != 0 && au.Next != int64(len(au.Leaves)):
		t.Fatalf("Audit [0, %d): %d leaves, Next %d", tree.N, len(au.Leaves), au.Next)
	}
	// A tampered proof is refused by the verifier.
	if len(au.Consistency) > 0 && a.create.TreeSize < tree.N {
		au = mmm.AuditResponse{}
		s.must(t, &mmm.AuditRequest{OldSize: a.create.TreeSize, NewSize: tree.N}, &au)
		au.Consistency[0] = base64.RawURLEncoding.EncodeToString(make([]byte, 32))
		if err := translog.VerifyConsistency(a.create.Checkpoint, st.Checkpoint, au.Consistency, s.verifiers); err == nil {
			t.Fatal("tampered consistency proof accepted")
		}
	}
}

// udfOf is the Identifier of an escrow entry under key.
func udfOf(key []byte) (string, error) { return udf.Fingerprint(profile.ContentTypeEscrow, key, 0) }
