//go:build !js

package portal_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/meshpass/meshpass/portal-worker/conformance"
	"github.com/meshpass/meshpass/portal-worker/portal"
	"github.com/meshpass/meshpass/portal-worker/sqlitestore"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/profile/profiletest"
	"github.com/meshpass/meshpass/shared/translog"
)

// newStore opens a real SQLite store in a temporary directory.
func newStore(t testing.TB) portal.Store {
	t.Helper()
	s, err := sqlitestore.Open(filepath.Join(t.TempDir(), "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	opts, c := conformance.Options(t)
	opts.MaxAnswer = 32 << 10
	srv := httptest.NewServer(portal.New(newStore(t), opts))
	defer srv.Close()
	conformance.Run(t, conformance.Config{URL: srv.URL, Client: srv.Client(), Now: c.Now, Advance: c.Advance, MaxAnswer: opts.MaxAnswer})
}

func post(h http.Handler, addr string, body []byte) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, mmm.Path, bytes.NewReader(body))
	r.RemoteAddr = addr
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestRateLimits(t *testing.T) {
	opts, c := conformance.Options(t)
	opts.RatePerIP, opts.BurstPerIP = 1, 3
	opts.RatePerAccount, opts.BurstPerAccount = 1, 2
	h := portal.New(newStore(t), opts)
	hello := []byte(`{"HelloRequest":{}}`)
	for i := range 3 {
		if w := post(h, "192.0.2.1:1", hello); w.Code != mmm.StatusOK {
			t.Fatalf("request %d: %d", i, w.Code)
		}
	}
	w := post(h, "192.0.2.1:1", hello)
	if w.Code != http.StatusTooManyRequests || !bytes.Contains(w.Body.Bytes(), []byte(`"Status":429`)) {
		t.Fatalf("4th request: %d %s", w.Code, w.Body)
	}
	if w := post(h, "192.0.2.2:1", hello); w.Code != mmm.StatusOK {
		t.Fatalf("other address: %d", w.Code)
	}
	c.Advance(time.Second)
	if w := post(h, "192.0.2.1:1", hello); w.Code != mmm.StatusOK {
		t.Fatalf("after refill: %d", w.Code)
	}
	// A request that merely names an account spends nothing of its
	// budget (only its address's).
	for i := range 10 {
		w := post(h, "198.51.100."+string(rune('0'+i))+":1", []byte(`{"ValidateRequest":{"Account":"bob"}}`))
		if w.Code != mmm.StatusOK || !bytes.HasPrefix(w.Body.Bytes(), []byte(`{"ValidateResponse"`)) {
			t.Fatalf("Validate %d: %d %s", i, w.Code, w.Body)
		}
	}
}

// panicStore panics on every call, to show that a panic is a 500 JSON.
type panicStore struct{ portal.Store }

func TestPanicRecovered(t *testing.T) {
	opts, _ := conformance.Options(t)
	h := portal.New(panicStore{}, opts)
	w := post(h, "192.0.2.1:1", []byte(`{"StatusRequest":{}}`))
	if w.Code != http.StatusInternalServerError || !bytes.Contains(w.Body.Bytes(), []byte(`"Status":500`)) {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

func FuzzHandler(f *testing.F) {
	opts, _ := conformance.Options(f)
	h := portal.New(newStore(f), opts)
	for _, s := range []string{
		`{"HelloRequest":{}}`, `{"ValidateRequest":{"Account":"a"}}`, `{"GetRequest":{"Account":"a","Multiple":true}}`,
		`{"CreateRequest":{"Account":"a","Profile":{"SignedPersonalProfile":{"Identifier":"MB2G-K4DV-OFIH-XUTL-ZOYD-4ZPT-XVOM","SignedData":{"protected":"e30","payload":"e30","signature":""}}}}}`,
		`{"PublishRequest":{"Entry":{"OfflineEscrowEntry":{"Identifier":"MB2G-K4DV-OFIH-XUTL-ZOYD-4ZPT-XVOM","EncryptedData":{}}}}}`,
		`{"ConnectStartRequest":{"AccountID":"a","SignedRequest":{"Identifier":"x","SignedData":{"protected":"","payload":"","signature":""}}}}`,
		`{"ConnectPendingRequest":{"AccountID":"a","Authentication":{"protected":"e30","payload":"e30","signature":"AA"}}}`,
		`{"ConnectStatusRequest":{"AccountID":"a","DeviceID":"MB2G-K4DV-OFIH-XUTL-ZOYD-4ZPT-XVOM","Authentication":{"protected":"e30","payload":"e30","signature":"AA"}}}`,
		`{"StatusRequest":{}}`, `{"AuditRequest":{"Start":0,"End":1,"OldSize":1,"NewSize":2}}`, `{"FrobRequest":{}}`, `[`, ``,
		`{"AppendRecordsRequest":{"Catalog":"MB2G-K4DV-OFIH-XUTL-ZOYD-4ZPT-XVOM","Records":[{"protected":"e30","payload":"e30","signature":"AA"}]}}`,
		`{"GetRecordsRequest":{"Catalog":"MB2G-K4DV-OFIH-XUTL-ZOYD-4ZPT-XVOM","After":1}}`,
	} {
		f.Add([]byte(s))
	}
	// Real signed requests, so mutations reach the verification code.
	person, err := profiletest.NewPerson(2)
	if err != nil {
		f.Fatal(err)
	}
	dev, _ := profiletest.NewDevice("new")
	cr, _ := (&profile.ConnectionRequest{ParentUDF: "alice", Device: dev.Signed, Nonce: "n", Time: time.Now()}).Sign(dev.Sign)
	pending := &mmm.ConnectPendingRequest{AccountID: "alice"}
	mmm.Authenticate(pending, person.Devices[0].Profile.Identifier, person.Devices[0].Auth, time.Now())
	// A format-2 vault with a record, and a request appending one more,
	// so mutations reach the catalog's checks.
	owner, key := vault2(f, h, "vaultowner")
	id := owner.PasswordProfile.Identifier
	if code, desc := status(f, h, &mmm.AppendRecordsRequest{Catalog: id, Records: []json.RawMessage{batchItem(f, owner, key, 1)}}); code != mmm.StatusOK {
		f.Fatalf("append: %d %s", code, desc)
	}
	for _, m := range []mmm.Request{
		&mmm.AppendRecordsRequest{Catalog: id, Records: []json.RawMessage{batchItem(f, owner, key, 2)}},
		&mmm.GetRecordsRequest{Catalog: id},
		&mmm.CreateRequest{Account: "alice", Profile: mmm.Entry{SignedPersonalProfile: person.SignedPersonal}},
		&mmm.PublishRequest{Entry: mmm.Entry{SignedApplicationProfile: person.SignedPasswords}},
		&mmm.ConnectStartRequest{AccountID: "alice", SignedRequest: cr},
		pending,
	} {
		b, err := mmm.Encode(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		w := post(h, "192.0.2.1:1", body)
		if w.Code >= 500 {
			t.Fatalf("%d for %q: %s", w.Code, body, w.Body)
		}
		if !bytes.Contains(w.Body.Bytes(), []byte(`"Status":`)) {
			t.Fatalf("not a JSON status: %s", w.Body)
		}
	})
}

func TestEmptyLogStatus(t *testing.T) {
	opts, _ := conformance.Options(t)
	h := portal.New(newStore(t), opts)
	w := post(h, "192.0.2.1:1", []byte(`{"StatusRequest":{}}`))
	var resp mmm.StatusResponse
	if err := mmm.DecodeResponse(w.Body, &resp); err != nil {
		t.Fatal(err)
	}
	v, _ := translog.NewVerifiers(opts.VerifierKey)
	tree, err := translog.OpenCheckpoint(resp.Checkpoint, v)
	if err != nil || tree.N != 0 {
		t.Fatalf("empty log checkpoint: %+v %v", tree, err)
	}
}

func TestEntrySizeLimit(t *testing.T) {
	opts, _ := conformance.Options(t)
	opts.MaxEntrySize = 1000
	h := portal.New(newStore(t), opts)
	person, err := profiletest.NewPerson(1)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := mmm.Encode(&mmm.CreateRequest{Account: "big", Profile: mmm.Entry{SignedPersonalProfile: person.SignedPersonal}})
	w := post(h, "192.0.2.1:1", body)
	if w.Code != http.StatusRequestEntityTooLarge || !bytes.HasPrefix(w.Body.Bytes(), []byte(`{"CreateResponse":{"Status":413`)) {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}
