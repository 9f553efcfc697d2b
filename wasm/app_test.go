package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshpass/meshpass/shared/client"
	"github.com/meshpass/meshpass/shared/policy/vectors"
	"github.com/meshpass/meshpass/shared/seal"
	"github.com/meshpass/meshpass/shared/vault"
	"github.com/meshpass/meshpass/wasm/api"
	"github.com/meshpass/meshpass/wasm/bridge"
)

// These tests run natively (go test ./wasm) and in the browser.

// testParams are the cheapest Argon2id parameters seal allows.
var testParams = seal.Params{Time: 1, MemoryKiB: 8192, Threads: 1}

// newTestApp is a device with nothing set up (a portal would be needed to
// create one).
func newTestApp(t *testing.T) *app {
	t.Helper()
	a, err := newApp(client.Options{Storage: client.NewMemoryStorage(), Params: testParams}, client.NewMemoryStorage())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestHandlersMatchContract fails if a function of the contract has no
// handler, a handler is not in the contract, or a handler's argument or
// result type is not the contract's.
func TestHandlersMatchContract(t *testing.T) {
	funcs, err := bind((&app{}).handlers())
	if err != nil {
		t.Fatal(err)
	}
	if len(funcs) != len(api.Functions) {
		t.Errorf("%d functions bound, the contract has %d", len(funcs), len(api.Functions))
	}

	// bind itself refuses each kind of drift.
	noop := func(context.Context, api.Empty) (api.Empty, error) { return api.Empty{}, nil }
	for _, tc := range []struct {
		name   string
		change func(map[string]bridge.Handler)
		want   string
	}{
		{"missing", func(h map[string]bridge.Handler) { delete(h, "secret") }, "secret: no handler"},
		{"extra", func(h map[string]bridge.Handler) { h["unheardOf"] = bridge.Typed(noop) }, "unheardOf: not in the contract"},
		{"argument", func(h map[string]bridge.Handler) { h["secret"] = bridge.Typed(noop) },
			"secret: the handler takes api.Empty, the contract api.ID"},
		{"result", func(h map[string]bridge.Handler) {
			h["list"] = bridge.Typed(func(context.Context, api.Empty) (api.Entry, error) { return api.Entry{}, nil })
		}, "list: the handler returns api.Entry, the contract []api.Entry"},
	} {
		h := (&app{}).handlers()
		tc.change(h)
		if _, err := bind(h); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: bind error %v, want %q", tc.name, err, tc.want)
		}
	}
}

// call runs the contract's function name on a with the JSON in, as
// JavaScript does, and returns its JSON result or its error's code.
func call(t *testing.T, a *app, name, in string) (string, string) {
	t.Helper()
	funcs, err := bind(a.handlers())
	if err != nil {
		t.Fatal(err)
	}
	out, err := bridge.Call(context.Background(), funcs[name], []byte(in))
	if err != nil {
		return "", bridge.Code(err)
	}
	return string(out), ""
}

func TestCallsWithoutDevice(t *testing.T) {
	a := newTestApp(t)
	for _, tc := range []struct{ name, arg, code string }{
		{"list", ``, api.CodeNoDevice},
		{"secret", `{"id":"1"}`, api.CodeNoDevice},
		{"typedLogin", `{"url":"https://example.com/","username":"u","password":"p"}`, api.CodeNoDevice},
		{"match", `{"url":"https://example.com/"}`, api.CodeNoDevice},
		{"secret", `{}`, api.CodeBadRequest},
		{"list", `{"passwords":true}`, api.CodeBadRequest},
		{"typedLogin", `{"url":"https://example.com/","username":"u"}`, api.CodeBadRequest},
		{"match", `{"url":""}`, api.CodeBadRequest},
		{"edit", `{"id":"1","sites":[]}`, api.CodeBadRequest},
		{"add", `{"sites":["*.com"],"username":"u","password":"p"}`, api.CodeBadRequest},
		{"add", `{"sites":["example.com"],"totp":"JBSWY3DPEHPK3PXP"}`, api.CodeBadRequest},
		{"add", `{"sites":["example.com"],"fields":[{"name":"","value":"x"}]}`, api.CodeBadRequest},
		{"edit", `{"id":"1","totp":"https://example.com/"}`, api.CodeBadRequest},
		{"edit", `{"id":"1","name":"Bank","tags":["a"]}`, api.CodeNoDevice},
		{"create", `{"portal":"https://p.example","account":"a","passphrase":"short"}`, api.CodeBadRequest},
		{"startConnect", `{"portal":"https://p.example","account":"a","passphrase":"short"}`, api.CodeBadRequest},
		{"recover", `{"portal":"https://p.example","account":"a","passphrase":"short","shares":[]}`, api.CodeBadRequest},
		{"escrow", `{"passphrase":"correct horse","threshold":1,"shares":3}`, api.CodeBadRequest},
		{"generatePassword", `{"length":12}`, api.CodeBadRequest},
		{"page", `{"url":1}`, api.CodeBadRequest},
	} {
		if out, code := call(t, a, tc.name, tc.arg); code != tc.code {
			t.Errorf("%s(%s) = %s, code %q; want %q", tc.name, tc.arg, out, code, tc.code)
		}
	}
	out, code := call(t, a, "rules", ``)
	if code != "" || out != `{"passphraseMin":8,"sharesMin":2,"sharesMax":16,"thresholdMin":2,"generatorMin":8,"generatorMax":128,"generatorDefault":20}` {
		t.Errorf("rules = %s (%s)", out, code)
	}
}

func TestFill(t *testing.T) {
	e := vault.Entry{ID: "1", Sites: []string{"*.example.com"}, Username: "u", Password: "p"}
	c, err := fillFor(e, api.FillArg{ID: "1", URL: "https://login.example.com/"})
	if err != nil || c.Username != "u" || c.Password != "p" || c.Match.Kind != "wildcard" {
		t.Errorf("fill = %+v, %v", c, err)
	}
	for _, arg := range []api.FillArg{
		{URL: "https://example.com.evil.io/"},
		{URL: "http://login.example.com/"},
		{URL: "not a url"},
	} {
		if c, err := fillFor(e, arg); bridge.Code(err) != api.CodeNotAllowed {
			t.Errorf("fill(%s) = %+v, %v; want not_allowed", arg.URL, c, err)
		}
	}
	c, err = fillFor(e, api.FillArg{URL: "http://login.example.com/", AllowHTTP: true})
	if err != nil || !c.Match.Insecure || c.Match.Scheme != "http" {
		t.Errorf("fill on http with AllowHTTP = %+v, %v", c, err)
	}
}

func TestPage(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want api.Page
	}{
		{"https://Login.Example.com/signin?x=1", api.Page{Fillable: true, Origin: "https://login.example.com", Host: "login.example.com", Scheme: "https"}},
		{"http://example.com/", api.Page{Fillable: true, Origin: "http://example.com", Host: "example.com", Scheme: "http", Insecure: true}},
		{"http://example.com:8080/", api.Page{Fillable: true, Origin: "http://example.com:8080", Host: "example.com:8080", Scheme: "http", Insecure: true}},
		{"https://example.com:443/", api.Page{Fillable: true, Origin: "https://example.com", Host: "example.com", Scheme: "https"}},
		{"http://localhost:3000/", api.Page{Fillable: true, Origin: "http://localhost:3000", Host: "localhost:3000", Scheme: "http"}},
		{"http://app.localhost/", api.Page{Fillable: true, Origin: "http://app.localhost", Host: "app.localhost", Scheme: "http"}},
		{"http://127.0.0.2:80/", api.Page{Fillable: true, Origin: "http://127.0.0.2", Host: "127.0.0.2", Scheme: "http"}},
		{"http://[::1]:8080/", api.Page{Fillable: true, Origin: "http://[::1]:8080", Host: "[::1]:8080", Scheme: "http"}},
		{"https://[2001:db8::1]/", api.Page{Fillable: true, Origin: "https://[2001:db8::1]", Host: "[2001:db8::1]", Scheme: "https"}},
		{"http://192.0.2.1/", api.Page{Fillable: true, Origin: "http://192.0.2.1", Host: "192.0.2.1", Scheme: "http", Insecure: true}},
		{"https://bücher.de/", api.Page{Fillable: true, Origin: "https://xn--bcher-kva.de", Host: "xn--bcher-kva.de", Scheme: "https"}},
		{"ftp://example.com/", api.Page{}},
		{"javascript:alert(1)", api.Page{}},
		{"about:blank", api.Page{}},
		{"not a url", api.Page{}},
	} {
		got, err := page(context.Background(), api.URL{URL: tc.url})
		if err != nil || got != tc.want {
			t.Errorf("page(%s) = %+v, %v; want %+v", tc.url, got, err, tc.want)
		}
	}
}

// TestRuleVectors runs shared/policy's vectors through the core's
// functions, as the popup calls them (JSON in and out).
func TestRuleVectors(t *testing.T) {
	set, err := vectors.Load()
	if err != nil {
		t.Fatal(err)
	}
	a := &app{}
	j := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	var v struct {
		OK       bool   `json:"ok"`
		Reason   string `json:"reason"`
		Site     string `json:"site"`
		Account  string `json:"account"`
		Password string `json:"password"`
	}
	run := func(name string, arg any) {
		t.Helper()
		out, code := call(t, a, name, j(arg))
		if code != "" {
			t.Fatalf("%s(%s): code %s", name, j(arg), code)
		}
		v.OK, v.Reason, v.Site, v.Account = false, "", "", ""
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatal(err)
		}
		if v.OK == (v.Reason != "") {
			t.Errorf("%s(%s) = %s: ok and a reason, or neither", name, j(arg), out)
		}
	}
	for _, c := range set.Passphrases {
		if run("checkPassphrase", api.PassphraseCheck{Passphrase: c.Input()}); v.OK != c.OK {
			t.Errorf("checkPassphrase(%q) ok %v, want %v (%s)", c.Input(), v.OK, c.OK, c.Note)
		}
	}
	for _, c := range set.Shares {
		if run("checkShares", api.SharesCheck{Threshold: c.Threshold, Shares: c.Shares}); v.OK != c.OK {
			t.Errorf("checkShares(%d of %d) ok %v, want %v (%s)", c.Threshold, c.Shares, v.OK, c.OK, c.Note)
		}
	}
	for _, c := range set.Accounts {
		run("checkAccount", api.AccountCheck{Account: c.Input()})
		if v.OK != c.OK || c.OK && c.Want != "" && v.Account != c.Want {
			t.Errorf("checkAccount(%q) = %v %q, want %v %q (%s)", c.Input(), v.OK, v.Account, c.OK, c.Want, c.Note)
		}
	}
	for _, c := range set.Sites {
		run("checkSite", api.SiteCheck{Site: c.Input()})
		if v.OK != c.OK || c.OK && c.Want != "" && v.Site != c.Want {
			t.Errorf("checkSite(%q) = %v %q, want %v %q (%s)", c.Input(), v.OK, v.Site, c.OK, c.Want, c.Note)
		}
	}
	for _, c := range set.Generator {
		o := c.Options
		arg := api.GenerateArg{Length: o.Length, Lower: o.Lower, Upper: o.Upper, Digits: o.Digits, Symbols: o.Symbols, AvoidAmbiguous: o.AvoidAmbiguous}
		out, code := call(t, a, "generatePassword", j(arg))
		if (code == "") != c.OK {
			t.Errorf("generatePassword(%s) = %s, code %q; want ok %v (%s)", j(arg), out, code, c.OK, c.Note)
			continue
		}
		if code != "" && code != api.CodeBadRequest {
			t.Errorf("generatePassword(%s): code %q, want bad_request", j(arg), code)
		}
		var g api.Generated
		if c.OK && (json.Unmarshal([]byte(out), &g) != nil || len(g.Password) != o.Length) {
			t.Errorf("generatePassword(%s) = %s", j(arg), out)
		}
	}
}

// TestTypedErrors: a Validate refusal and a policy refusal are bad
// requests with the reason in the message.
func TestTypedErrors(t *testing.T) {
	funcs, err := bind(newTestApp(t).handlers())
	if err != nil {
		t.Fatal(err)
	}
	_, err = bridge.Call(context.Background(), funcs["create"], []byte(`{"portal":"https://p.example","account":"a","passphrase":"short"}`))
	if bridge.Code(err) != api.CodeBadRequest || !strings.Contains(err.Error(), "shorter than 8") {
		t.Errorf("create with a short passphrase: %v (code %q)", err, bridge.Code(err))
	}
	_, err = bridge.Call(context.Background(), funcs["fill"], []byte(`{"id":"1"}`))
	if !errors.Is(err, bridge.ErrBadRequest) || !strings.Contains(err.Error(), "id and url are required") {
		t.Errorf("fill without url: %v", err)
	}
}

func TestEntryWithoutSecrets(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e := vault.Entry{ID: "1", Name: "Bank", Sites: []string{"bank.example"}, Username: "alice", Password: "now",
		Notes: "n", TOTP: "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP", Folder: "Money", Tags: []string{"a"},
		Fields:  []vault.Field{{Name: "PIN", Value: "1234", Hidden: true}, {Name: "Branch", Value: "Main St"}},
		Created: t0, Updated: t0.Add(time.Hour)}
	for i := range 12 {
		e.History = append(e.History, vault.Change{Field: "Password", Value: fmt.Sprintf("old%d", i), Time: t0.Add(-time.Duration(i) * time.Hour)})
	}
	e.History = append(e.History, vault.Change{Field: "Username", Value: "al"})
	got := entryOf(e, true)
	b, _ := json.Marshal(got)
	for _, secret := range []string{`"now"`, "old0", "old9", "1234", "JBSWY3DPEHPK3PXP"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("entryOf shows the secret %q: %s", secret, b)
		}
	}
	if !got.Pending || !got.TOTP || got.PasswordChanges != api.HistoryMax || got.Name != "Bank" || got.Folder != "Money" ||
		len(got.Fields) != 2 || !got.Fields[0].Hidden || got.Fields[1].Value != "Main St" || !got.Created.Equal(t0) {
		t.Errorf("entryOf = %s", b)
	}
	s := secretOf(e)
	if s.Password != "now" || s.TOTP != e.TOTP || len(s.Fields) != 2 || s.Fields[0].Value != "1234" ||
		len(s.PasswordHistory) != api.HistoryMax || s.PasswordHistory[0].Password != "old0" || !s.PasswordHistory[1].Time.Equal(t0.Add(-time.Hour)) {
		t.Errorf("secretOf = %+v", s)
	}
}

func TestApplyEntryInput(t *testing.T) {
	name, folder, notes := " Bank ", " Money ", "n"
	tags := []string{" a ", "b", "a"}
	fields := []api.Field{{Name: " PIN ", Value: "1234", Hidden: true}}
	e := vault.Entry{Username: "keep", Password: "keep", TOTP: "keep"}
	apply(api.EntryInput{Name: &name, Folder: &folder, Notes: &notes, Tags: &tags, Fields: &fields}, nil, "", &e)
	if e.Name != "Bank" || e.Folder != "Money" || e.Notes != "n" || !slices.Equal(e.Tags, []string{"a", "b"}) ||
		len(e.Fields) != 1 || e.Fields[0] != (vault.Field{Name: "PIN", Value: "1234", Hidden: true}) ||
		e.Username != "keep" || e.Password != "keep" || e.TOTP != "keep" {
		t.Errorf("apply = %+v", e)
	}
	empty := ""
	apply(api.EntryInput{TOTP: &empty, Fields: &[]api.Field{}}, nil, "", &e)
	if e.TOTP != "" || e.Fields != nil {
		t.Errorf("apply clearing = %+v", e)
	}
	for _, in := range []api.EntryInput{
		{Fields: &[]api.Field{{Name: " ", Value: "x"}}},
		{Tags: &[]string{"a", ""}},
		{Sites: &[]string{}},
	} {
		if in.Validate() == nil {
			t.Errorf("Validate(%+v) = nil", in)
		}
	}
}
