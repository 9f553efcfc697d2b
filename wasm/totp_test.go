package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

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
