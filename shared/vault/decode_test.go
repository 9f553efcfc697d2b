package vault

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// sameDecode checks that decodeRecord and decodeBatch read raw exactly as
// encoding/json does: the same value, or both an error.
func sameDecode(t *testing.T, raw []byte) {
	t.Helper()
	var got, want Record
	gerr, werr := decodeRecord(raw, &got), json.Unmarshal(raw, &want)
	if (gerr == nil) != (werr == nil) || werr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("record %q: %+v %v, encoding/json %+v %v", raw, got, gerr, want, werr)
	}
	b, recs, gerr := decodeBatch(raw)
	var wb Batch
	werr = json.Unmarshal(raw, &wb)
	var wrecs []Record
	if werr == nil {
		wrecs = make([]Record, len(wb.Records))
		for i, r := range wb.Records {
			if err := json.Unmarshal(r, &wrecs[i]); err != nil {
				werr = err
				break
			}
		}
	}
	if (gerr == nil) != (werr == nil) {
		t.Fatalf("batch %q: %v, encoding/json %v", raw, gerr, werr)
	}
	if werr == nil && (!reflect.DeepEqual(*b, wb) || !reflect.DeepEqual(recs, wrecs) && len(recs)+len(wrecs) > 0) {
		t.Fatalf("batch %q: %+v %+v, encoding/json %+v %+v", raw, *b, recs, wb, wrecs)
	}
}

// sameHeader checks that encodeHeader writes h as json.Marshal does.
func sameHeader(t *testing.T, h Header) {
	t.Helper()
	got, gerr := encodeHeader(h)
	want, werr := json.Marshal(h)
	if (gerr == nil) != (werr == nil) || string(got) != string(want) {
		t.Fatalf("header %+v: %s %v, json.Marshal %s %v", h, got, gerr, want, werr)
	}
}

// TestCanonicalDecode: records and batches this package writes, and
// variations of them no writer of it makes (escapes, other field order,
// other forms of times and numbers, empty and null lists), read exactly as
// encoding/json reads them; headers are written as json.Marshal writes
// them.
func TestCanonicalDecode(t *testing.T) {
	r := newRing(t, "A")
	s, v1 := write(t, r, "A", "e1", nil, t0, Entry{Username: "alice", Password: "pw"})
	s2, _ := write(t, r, "A", "e1", []string{v1, "zz", "aa"}, t0.Add(time.Nanosecond*1500), Entry{Password: "pw2"})
	b, _, err := SealBatch(r.vault, "A", 1, []BatchRecord{{Entry: Entry{ID: "e2", Password: "x"}, Time: t0}, {Entry: Entry{ID: "e3"}, Parents: []string{v1}, Time: t0}}, r.epochs[1], r.devices["A"])
	if err != nil {
		t.Fatal(err)
	}
	var payloads []string
	for _, x := range []*Signed{s, s2, b} {
		p, err := x.UnverifiedPayload()
		if err != nil {
			t.Fatal(err)
		}
		payloads = append(payloads, string(p))
	}
	rec := payloads[0]
	variants := []string{
		strings.Replace(rec, `"Vault":"vault-1"`, `"Vault":"vault\u002d1"`, 1),
		strings.Replace(rec, `"Entry":"e1"`, `"Entry":"é1"`, 1),
		strings.Replace(rec, `"Entry":"e1"`, `"Entry":"e1","Parents":[]`, 1),
		strings.Replace(rec, `"Entry":"e1"`, `"Entry":"e1","Parents":null`, 1),
		strings.Replace(rec, `"Entry":"e1"`, `"Entry":"e1","Parents":["x",]`, 1),
		strings.Replace(rec, `"Epoch":1`, `"Epoch":01`, 1),
		strings.Replace(rec, `"Epoch":1`, `"Epoch":-0`, 1),
		strings.Replace(rec, `"Epoch":1`, `"Epoch":1.0`, 1),
		strings.Replace(rec, `Z"`, `+00:00"`, 1),
		strings.Replace(rec, `Z"`, `.000Z"`, 1),
		strings.Replace(rec, `"Nonce":"`, `"Nonce":"=`, 1),
		strings.Replace(rec, `{"Vault"`, `{"vault"`, 1),
		strings.Replace(rec, `{"Vault"`, ` {"Vault"`, 1),
		rec + " ",
		rec + "x",
		`{"Vault":"v","Writer":"w","Key":"k","Records":[]}`,
		`{"Vault":"v","Writer":"w","Key":"k","Records":null}`,
		`{"Vault":"v","Writer":"w","Key":"k","Records":[` + rec + `,` + rec + `]}`,
		`{"Vault":"v","Writer":"w","Key":"k","Records":[` + rec + `,{"Entry":7}]}`,
		`{"Vault":"v","Writer":"w","Key":"k","Records":[` + rec + `,]}`,
		`{"Vault":"v","Writer":"w","Key":"k","Records":[1]}`,
		`null`, `{}`, ``, `"`,
	}
	for _, raw := range append(payloads, variants...) {
		sameDecode(t, []byte(raw))
	}
	for _, h := range []Header{
		{Vault: "v", Entry: "e", Writer: "w", Key: "k", Epoch: 3, Time: t0},
		{Vault: "v<>&", Entry: "é", Parents: []string{"a", "b\"c"}, Writer: "w", Key: "k", Epoch: -2, Time: t0.Add(time.Nanosecond)},
		{Vault: "v", Parents: []string{}, Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{},
	} {
		sameHeader(t, h)
	}
}

// FuzzCanonicalDecode: whatever the bytes, the direct reading of records
// and batches agrees with encoding/json, and so does the writing of
// headers.
func FuzzCanonicalDecode(f *testing.F) {
	r := newRing(f, "A")
	s, v := write(f, r, "A", "e1", nil, t0, Entry{Username: "alice", Password: "pw"})
	b, _, err := SealBatch(r.vault, "A", 1, []BatchRecord{{Entry: Entry{ID: "e2", Password: "x"}, Parents: []string{v}, Time: t0}}, r.epochs[1], r.devices["A"])
	if err != nil {
		f.Fatal(err)
	}
	for _, x := range []*Signed{s, b} {
		p, _ := x.UnverifiedPayload()
		f.Add(p, "e", "p")
	}
	f.Fuzz(func(t *testing.T, raw []byte, entry, parent string) {
		sameDecode(t, raw)
		sameHeader(t, Header{Vault: "v", Entry: entry, Parents: []string{parent}, Writer: "w", Key: "k", Epoch: len(raw), Time: t0})
	})
}
