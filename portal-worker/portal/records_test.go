//go:build !js

package portal_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meshpass/meshpass/portal-worker/conformance"
	"github.com/meshpass/meshpass/portal-worker/portal"
	"github.com/meshpass/meshpass/portal-worker/sqlitestore"
	"github.com/meshpass/meshpass/shared/jws"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile/profiletest"
	"github.com/meshpass/meshpass/shared/vault"
)

// vault2 creates account name on h with a format-2 vault, returning the
// person and the content key of its epoch 1.
func vault2(t testing.TB, h http.Handler, name string) (*profiletest.Person, []byte) {
	t.Helper()
	p, code, desc := create(t, h, name, "")
	if code != mmm.StatusOK {
		t.Fatalf("create: %d %s", code, desc)
	}
	if err := conformance.Format2(p, nil, false); err != nil {
		t.Fatal(err)
	}
	if code, desc := status(t, h, &mmm.PublishRequest{Entry: mmm.Entry{SignedApplicationProfile: p.SignedPasswords}}); code != mmm.StatusOK {
		t.Fatalf("publish: %d %s", code, desc)
	}
	key := make([]byte, vault.KeySize)
	rand.Read(key)
	return p, key
}

// batchItem is a batch of n new records by p's first device.
func batchItem(t testing.TB, p *profiletest.Person, key []byte, n int) json.RawMessage {
	t.Helper()
	var recs []vault.BatchRecord
	for range n {
		b := make([]byte, 9)
		rand.Read(b)
		recs = append(recs, vault.BatchRecord{Entry: vault.Entry{ID: base64.RawURLEncoding.EncodeToString(b), Name: "x"}, Time: time.Now()})
	}
	d := p.Devices[0]
	s, _, err := vault.SealBatch(p.PasswordProfile.Identifier, d.Profile.Identifier, 1, recs, key, d.Sign)
	if err != nil {
		t.Fatal(err)
	}
	item, err := vault.Item(s)
	if err != nil {
		t.Fatal(err)
	}
	return item
}

// The records of a vault count against the account's records quota, a
// batch for each of its records; a refused append writes nothing.
func TestRecordsQuota(t *testing.T) {
	opts, _ := conformance.Options(t)
	opts.Quota = portal.Quota{AccountRecords: 10}
	store, err := sqlitestore.Open(filepath.Join(t.TempDir(), "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	h := portal.New(store, opts)
	p, key := vault2(t, h, "alice") // 2 entries: the profiles
	id := p.PasswordProfile.Identifier
	if code, desc := status(t, h, &mmm.AppendRecordsRequest{Catalog: id, Records: []json.RawMessage{batchItem(t, p, key, 5)}}); code != mmm.StatusOK {
		t.Fatalf("5 records: %d %s", code, desc)
	}
	code, desc := status(t, h, &mmm.AppendRecordsRequest{Catalog: id, Records: []json.RawMessage{batchItem(t, p, key, 2), batchItem(t, p, key, 2)}})
	if code != mmm.StatusInsufficientStorage || !strings.Contains(desc, "account's storage quota") {
		t.Fatalf("past the quota: %d %s", code, desc)
	}
	if _, records, err := store.Usage(t.Context(), "alice"); err != nil || records != 7 {
		t.Fatalf("records charged: %d %v", records, err)
	}
	if c, err := store.Catalog(t.Context(), id); err != nil || c.Size != 1 {
		t.Fatalf("catalog after the refusal: %+v %v", c, err)
	}
	if code, desc := status(t, h, &mmm.AppendRecordsRequest{Catalog: id, Records: []json.RawMessage{batchItem(t, p, key, 3)}}); code != mmm.StatusOK {
		t.Fatalf("up to the quota: %d %s", code, desc)
	}
}

// Appends whose signatures do not verify spend nothing of the vault
// owner's budget (issue 13): only the address's.
func TestRecordsBudget(t *testing.T) {
	opts, _ := conformance.Options(t)
	opts.RatePerAccount, opts.BurstPerAccount = 0.001, 3
	h := portal.New(newStore(t), opts)
	p, key := vault2(t, h, "alice")
	id := p.PasswordProfile.Identifier
	item := batchItem(t, p, key, 1)
	var sd jws.SignedData
	if err := json.Unmarshal(item, &sd); err != nil {
		t.Fatal(err)
	}
	sig, _ := base64.RawURLEncoding.DecodeString(sd.Signature)
	sig[0] ^= 1
	sd.Signature = base64.RawURLEncoding.EncodeToString(sig)
	forged, _ := vault.Item(&sd)
	for i := range 10 {
		if code, desc := status(t, h, &mmm.AppendRecordsRequest{Catalog: id, Records: []json.RawMessage{forged}}); code != mmm.StatusBadRequest {
			t.Fatalf("forged %d: %d %s", i, code, desc)
		}
	}
	// Publish spent one token of three: two appends, then 429.
	if code, desc := status(t, h, &mmm.AppendRecordsRequest{Catalog: id, Records: []json.RawMessage{item}}); code != mmm.StatusOK {
		t.Fatalf("the owner's append: %d %s", code, desc)
	}
	if code, desc := status(t, h, &mmm.AppendRecordsRequest{Catalog: id, Records: []json.RawMessage{batchItem(t, p, key, 1)}}); code != mmm.StatusOK {
		t.Fatalf("the owner's second append: %d %s", code, desc)
	}
	if code, _ := status(t, h, &mmm.AppendRecordsRequest{Catalog: id, Records: []json.RawMessage{batchItem(t, p, key, 1)}}); code != mmm.StatusTooManyRequests {
		t.Fatalf("past the owner's budget: %d", code)
	}
	// Reading spends no account budget.
	for range 5 {
		if code, desc := status(t, h, &mmm.GetRecordsRequest{Catalog: id}); code != mmm.StatusOK {
			t.Fatalf("get: %d %s", code, desc)
		}
	}
}

// Garbage in AppendRecords and GetRecords is a 4xx with a JSON status,
// never a 5xx.
func TestRecordsGarbage(t *testing.T) {
	opts, _ := conformance.Options(t)
	h := portal.New(newStore(t), opts)
	p, key := vault2(t, h, "alice")
	id := p.PasswordProfile.Identifier
	good := string(batchItem(t, p, key, 1))
	for _, body := range []string{
		`{"AppendRecordsRequest":{}}`,
		`{"AppendRecordsRequest":{"Catalog":"` + id + `"}}`,
		`{"AppendRecordsRequest":{"Catalog":"` + id + `","Records":null}}`,
		`{"AppendRecordsRequest":{"Catalog":"` + id + `","Records":[null]}}`,
		`{"AppendRecordsRequest":{"Catalog":"` + id + `","Records":[1,2]}}`,
		`{"AppendRecordsRequest":{"Catalog":"` + id + `","Records":[{}]}}`,
		`{"AppendRecordsRequest":{"Catalog":"` + id + `","Records":[{"protected":"","payload":"","signature":""}]}}`,
		`{"AppendRecordsRequest":{"Catalog":"` + id + `","Records":[{"payload":"e30","protected":"e30","signature":"AA"}]}}`,
		`{"AppendRecordsRequest":{"Catalog":"` + id + `","Records":[{"payload":"eyJSZWNvcmRzIjpbXX0","protected":"e30","signature":"AA"}]}}`,
		`{"AppendRecordsRequest":{"Catalog":"` + id + `","Records":["` + strings.Repeat("x", 100) + `"]}}`,
		`{"AppendRecordsRequest":{"Catalog":"` + p.PersonalProfile.Identifier + `","Records":[` + good + `]}}`,
		`{"AppendRecordsRequest":{"Catalog":"` + id + `","Records":[` + good + `,` + good + `]}}`,
		`{"GetRecordsRequest":{}}`,
		`{"GetRecordsRequest":{"Catalog":"` + id + `","After":-5}}`,
		`{"GetRecordsRequest":{"Catalog":"` + id + `","After":9223372036854775807}}`,
		`{"GetRecordsRequest":{"Catalog":"` + id + `","After":1e400}}`,
		`{"GetRecordsRequest":{"Catalog":"` + p.PersonalProfile.Identifier + `"}}`,
	} {
		w := post(h, "192.0.2.1:1", []byte(body))
		if w.Code >= 500 || !strings.Contains(w.Body.String(), `"Status":`) {
			t.Errorf("%.120s: %d %s", body, w.Code, w.Body)
		}
	}
}
