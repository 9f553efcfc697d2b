package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/meshpass/meshpass/shared/policy"
	"github.com/meshpass/meshpass/shared/vault"
	"github.com/meshpass/meshpass/wasm/api"
	"github.com/meshpass/meshpass/wasm/bridge"
)

// RFC 6238's SHA1 key "12345678901234567890", base32.
const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

func TestTOTP(t *testing.T) {
	e := vault.Entry{ID: "1", TOTP: "otpauth://totp/Bank:alice?secret=" + rfcSecret + "&digits=8&issuer=Bank"}
	// RFC 6238 Appendix B: T = 59 s gives 94287082 (SHA1, 8 digits).
	got, err := totpOf(e, time.Unix(59, 0))
	if err != nil || got != (api.TOTPCode{Code: "94287082", Period: 30, Remaining: 1}) {
		t.Errorf("totp at 59 s = %+v, %v", got, err)
	}
	got, err = totpOf(e, time.Unix(1111111109, 0))
	if err != nil || got.Code != "07081804" || got.Remaining != 1 {
		t.Errorf("totp at 1111111109 s = %+v, %v", got, err)
	}
	// The result never holds the URI or its secret.
	b, _ := json.Marshal(got)
	if strings.Contains(string(b), rfcSecret) || strings.Contains(string(b), "otpauth") {
		t.Errorf("totp result %s holds the secret", b)
	}
	hotp := vault.Entry{ID: "2", TOTP: "otpauth://hotp/x?secret=" + rfcSecret + "&counter=1"}
	if got, err := totpOf(hotp, time.Now()); err != nil || got != (api.TOTPCode{Code: "287082"}) {
		t.Errorf("hotp = %+v, %v", got, err)
	}
	if _, err := totpOf(vault.Entry{ID: "3"}, time.Now()); bridge.Code(err) != api.CodeNotFound {
		t.Errorf("no TOTP: %v (code %s); want not_found", err, bridge.Code(err))
	}
	// Without a device, the function is refused like the other vault calls.
	a := newTestApp(t)
	if out, code := call(t, a, "totp", `{"id":"1"}`); code != api.CodeNoDevice {
		t.Errorf("totp without a device = %s, %s", out, code)
	}
	if out, code := call(t, a, "totp", `{}`); code != api.CodeBadRequest {
		t.Errorf("totp without an id = %s, %s", out, code)
	}
}

// TestTOTPCheck: a URI read from a QR image is checked as add would check
// it and gives its code, issuer and account, without a device; a URI the
// vault would refuse is a bad request saying why.
func TestTOTPCheck(t *testing.T) {
	defer func(f func() time.Time) { now = f }(now)
	now = func() time.Time { return time.Unix(59, 0) }
	a := newTestApp(t)
	uri := "otpauth://totp/Bank:alice@example.com?secret=" + rfcSecret + "&digits=8&issuer=Bank"
	out, code := call(t, a, "totpCheck", `{"uri":"`+uri+`"}`)
	if code != "" {
		t.Fatalf("totpCheck = %s, %s", out, code)
	}
	var got api.TOTPCheck
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	want := api.TOTPCheck{URI: uri, Issuer: "Bank", Account: "alice@example.com", TOTPCode: api.TOTPCode{Code: "94287082", Period: 30, Remaining: 1}}
	if got != want {
		t.Errorf("totpCheck = %+v, want %+v", got, want)
	}
	for _, bad := range []string{`{}`, `{"uri":"https://example.com/"}`, `{"uri":"otpauth://totp/x?secret=not-base32!"}`,
		`{"uri":"otpauth://totp/x?secret=` + rfcSecret + `&digits=12"}`, `{"uri":"` + strings.Repeat("a", 3000) + `"}`} {
		if out, code := call(t, a, "totpCheck", bad); code != api.CodeBadRequest {
			t.Errorf("totpCheck %.60s = %s, %s; want bad_request", bad, out, code)
		}
	}
	if api.MaxTOTPURI != policy.MaxTOTP {
		t.Errorf("api.MaxTOTPURI %d, policy.MaxTOTP %d", api.MaxTOTPURI, policy.MaxTOTP)
	}
	if _, err := a.totpCheck(context.Background(), api.TOTPURI{URI: "https://example.com/"}); err == nil || !strings.Contains(err.Error(), "not an otpauth:// URI") {
		t.Errorf("the refusal does not say why: %v", err)
	}
}
