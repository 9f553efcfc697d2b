//go:build js && wasm

package main

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"syscall/js"
	"testing"
	"time"

	"github.com/meshpass/meshpass/shared/client"
	"github.com/meshpass/meshpass/shared/jwe"
	"github.com/meshpass/meshpass/shared/jws"
	"github.com/meshpass/meshpass/shared/keys"
	"github.com/meshpass/meshpass/shared/match"
	"github.com/meshpass/meshpass/shared/seal"
	"github.com/meshpass/meshpass/shared/vault"
	"github.com/meshpass/meshpass/wasm/api"
	"github.com/meshpass/meshpass/wasm/bridge"
)

// The core the client is built on, in the browser: none of it needs a
// portal. (The client's end-to-end tests need the portal, which runs
// natively only: see README.md.)

func TestSealInBrowser(t *testing.T) {
	secret := []byte(`{"sign":"seed"}`)
	sealed, err := seal.Seal([]byte("correct horse"), secret, testParams)
	if err != nil {
		t.Fatal(err)
	}
	got, err := seal.Open([]byte("correct horse"), sealed)
	if err != nil || string(got) != string(secret) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	_, err = seal.Open([]byte("wrong horse"), sealed)
	if !errors.Is(err, seal.ErrWrongPassphrase) || bridge.Code(err) != api.CodeWrongPassphrase {
		t.Errorf("wrong passphrase: %v (code %q)", err, bridge.Code(err))
	}
}

func TestJWSAndJWEInBrowser(t *testing.T) {
	sk, err := keys.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	sd, err := jws.Sign(sk, []byte("payload"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(sd)
	var back jws.SignedData
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if p, err := back.Verify(sk.Public()); err != nil || string(p) != "payload" {
		t.Errorf("Verify = %q, %v", p, err)
	}
	other, _ := keys.GenerateSigningKey()
	if _, err := back.Verify(other.Public()); bridge.Code(err) != api.CodeVerificationFailed {
		t.Errorf("Verify with another key: %v (code %q)", err, bridge.Code(err))
	}

	dk1, _ := keys.GenerateDecryptionKey()
	dk2, _ := keys.GenerateDecryptionKey()
	ed, err := jwe.Encrypt([]byte("passwords"), []*keys.PublicKey{dk1.Public(), dk2.Public()})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []*keys.DecryptionKey{dk1, dk2} {
		if p, err := ed.Decrypt(k); err != nil || string(p) != "passwords" {
			t.Errorf("Decrypt = %q, %v", p, err)
		}
	}
	dk3, _ := keys.GenerateDecryptionKey()
	if _, err := ed.Decrypt(dk3); bridge.Code(err) != api.CodeVerificationFailed {
		t.Errorf("Decrypt by a non-recipient: %v (code %q)", err, bridge.Code(err))
	}
}

func TestWitnessInBrowser(t *testing.T) {
	w := client.WitnessCode("MA-profile", "MC-admin", "MB-device", "nonceA", "nonceB")
	if !regexp.MustCompile(`^[A-Z2-7]{5}-[A-Z2-7]{5}$`).MatchString(w) {
		t.Errorf("WitnessCode = %q", w)
	}
	if w != client.WitnessCode("MA-profile", "MC-admin", "MB-device", "nonceA", "nonceB") || w == client.WitnessCode("MA-profile", "MC-admin", "MB-device", "nonceA", "nonceB2") {
		t.Error("WitnessCode is not a function of its inputs")
	}
}

func TestRankInBrowser(t *testing.T) {
	entries := []vault.Entry{
		{ID: "reg", Sites: []string{"example.com"}, Username: "r"},
		{ID: "exact", Sites: []string{"login.example.com"}, Username: "e"},
		{ID: "wild", Sites: []string{"*.example.com"}, Username: "w"},
		{ID: "other", Sites: []string{"example.org"}, Username: "o"},
		{ID: "gone", Sites: []string{"login.example.com"}, Deleted: true},
	}
	var ids []string
	for _, r := range match.Rank(entries, "https://login.example.com/signin", match.Options{}) {
		ids = append(ids, entries[r.Index].ID)
	}
	if want := []string{"exact", "wild", "reg"}; !slices.Equal(ids, want) {
		t.Errorf("Rank = %v, want %v", ids, want)
	}
	if r := match.Rank(entries, "https://example.com.evil.io/", match.Options{}); len(r) != 0 {
		t.Errorf("example.com.evil.io got %v", r)
	}
	if r := match.Rank(entries, "http://login.example.com/", match.Options{}); len(r) != 0 {
		t.Errorf("http page got %v", r)
	}
}

// The JavaScript API, on a device with nothing set up (a portal would be
// needed to create one).

// jsCall calls meshpass[name](arg) through JavaScript and awaits it.
func jsCall(t *testing.T, obj js.Value, name, arg string) (string, string) {
	t.Helper()
	v, err := bridge.Await(obj.Call(name, arg))
	if err != nil {
		var je *bridge.JSError
		if !errors.As(err, &je) {
			t.Fatalf("%s: %v", name, err)
		}
		return "", je.Value.Get("code").String()
	}
	return v.String(), ""
}

func TestAPI(t *testing.T) {
	obj := register(newTestApp(t))
	if js.Global().Get("meshpass").IsUndefined() {
		t.Fatal("globalThis.meshpass is not set")
	}
	for _, f := range api.Functions {
		if obj.Get(f.Name).Type() != js.TypeFunction {
			t.Errorf("meshpass.%s is not a function", f.Name)
		}
	}

	out, code := jsCall(t, obj, "status", "")
	if code != "" || out != `{"device":false,"unlocked":false,"administrator":false}` {
		t.Errorf("status = %s (%s)", out, code)
	}
	for _, tc := range []struct{ name, arg, code string }{
		{"unlock", `{"passphrase":"x"}`, api.CodeNoDevice},
		{"list", `{}`, api.CodeNoDevice},
		{"match", `{"url":"https://example.com/"}`, api.CodeNoDevice},
		{"fill", `{"id":"1","url":"https://example.com/"}`, api.CodeNoDevice},
		{"devices", ``, api.CodeNoDevice},
		{"fingerprint", ``, api.CodeNoDevice},
		{"sync", ``, api.CodeNoDevice},
		{"pollConnect", ``, api.CodeNoDevice},
		{"add", `{"sites":["example.com"],"username":"u","password":"p"}`, api.CodeNoDevice},
		{"create", `{"portal":"https://p.example","account":"a"}`, api.CodeBadRequest},
		{"create", `{"portal":"https://p.example","account":"a","passphrase":"x","extra":1}`, api.CodeBadRequest},
		{"add", `{"username":"u"}`, api.CodeBadRequest},
		{"fill", `{"url":"https://example.com/"}`, api.CodeBadRequest},
		{"approve", `{}`, api.CodeBadRequest},
		{"status", `not json`, api.CodeBadRequest},
		{"secret", `{"id":"1"}`, api.CodeNoDevice},
		{"typedLogin", `{"url":"https://example.com/","username":"u","password":"p"}`, api.CodeNoDevice},
		{"page", `{}`, api.CodeBadRequest},
		{"generatePassword", `{"length":4,"lower":true}`, api.CodeBadRequest},
	} {
		if _, code := jsCall(t, obj, tc.name, tc.arg); code != tc.code {
			t.Errorf("%s(%s): code %q, want %q", tc.name, tc.arg, code, tc.code)
		}
	}
	// No keys needed.
	if out, code := jsCall(t, obj, "page", `{"url":"http://example.com/login"}`); code != "" ||
		out != `{"fillable":true,"origin":"http://example.com","host":"example.com","scheme":"http","insecure":true}` {
		t.Errorf("page = %s (%s)", out, code)
	}
	if out, code := jsCall(t, obj, "checkShares", `{"threshold":1,"shares":3}`); code != "" || !strings.HasPrefix(out, `{"ok":false,"reason":`) {
		t.Errorf("checkShares = %s (%s)", out, code)
	}
	if _, code := jsCall(t, obj, "lock", ""); code != "" {
		t.Errorf("lock: %s", code)
	}
}

func TestCreateUnreachablePortal(t *testing.T) {
	// net/http goes through the browser's fetch; nothing listens there.
	a := newTestApp(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := a.create(ctx, api.Setup{Portal: "http://127.0.0.1:9/", Account: "alice", Passphrase: "correct horse", DeviceName: "test"})
	if bridge.Code(err) != api.CodeTransport {
		t.Errorf("create: %v (code %q), want transport", err, bridge.Code(err))
	}
	if a.c.DeviceID() != "" {
		t.Error("a failed create left a device")
	}
}

// TestMarkInBrowser checks that the core's marks (meshpass:go-started,
// opened, resumed, warmed) reach the page's performance timeline, where
// make bench reads them.
func TestMarkInBrowser(t *testing.T) {
	markJS("meshpass:test-mark")
	got := js.Global().Get("performance").Call("getEntriesByName", "meshpass:test-mark")
	if n := got.Length(); n != 1 {
		t.Fatalf("%d performance marks meshpass:test-mark, want 1", n)
	}
}
