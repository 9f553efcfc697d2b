package bridge

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/meshpass/meshpass/shared/client"
	"github.com/meshpass/meshpass/shared/jwe"
	"github.com/meshpass/meshpass/shared/jws"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/passgen"
	"github.com/meshpass/meshpass/shared/policy"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/seal"
	"github.com/meshpass/meshpass/wasm/api"
)

func TestCode(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("context: %w", err) }
	for _, tc := range []struct {
		err   error
		code  string
		check string
	}{
		{nil, api.CodeInternal, ""},
		{errors.New("something"), api.CodeInternal, ""},
		{BadRequest("no %s", "json"), api.CodeBadRequest, ""},
		{wrap(seal.ErrWrongPassphrase), api.CodeWrongPassphrase, ""},
		{seal.ErrEmptyPassphrase, api.CodeBadRequest, ""},
		{seal.ErrParams, api.CodeBadRequest, ""},
		{wrap(client.ErrLocked), api.CodeLocked, ""},
		{client.ErrNoDevice, api.CodeNoDevice, ""},
		{wrap(client.ErrState), api.CodeState, ""},
		{wrap(client.ErrNoEntry), api.CodeNotFound, ""},
		{client.ErrNoRequest, api.CodeNotFound, ""},
		{wrap(client.ErrNotAuthorized), api.CodeNotAuthorized, ""},
		{client.ErrNotAdministrator, api.CodeNotAdministrator, ""},
		{client.ErrRejected, api.CodeRejected, ""},
		{wrap(client.ErrConflict), api.CodeConflict, ""},
		{client.ErrInvalidAccount, api.CodeInvalidAccount, ""},
		{fmt.Errorf("%w: share 2: checksum wrong", client.ErrBadShare), api.CodeBadShare, ""},
		{wrap(client.ErrTooFewShares), api.CodeTooFewShares, ""},
		{wrap(client.ErrDifferentSplits), api.CodeDifferentSplits, ""},
		{wrap(client.ErrWrongKey), api.CodeWrongKey, ""},
		{wrap(client.ErrVoided), api.CodeVoided, ""},
		{wrap(client.ErrOtherProfile), api.CodeOtherProfile, ""},
		{wrap(client.ErrBadEscrow), api.CodeVerificationFailed, "escrow"},
		{ErrNotAllowed, api.CodeNotAllowed, ""},
		{wrap(client.ErrWrongProfile), api.CodeVerificationFailed, "wrong_profile"},
		{client.ErrRollback, api.CodeVerificationFailed, "rollback"},
		{client.ErrLog, api.CodeVerificationFailed, "log"},
		{client.ErrTampered, api.CodeVerificationFailed, "tampered"},
		{client.ErrConnectResult, api.CodeVerificationFailed, "connect_result"},
		// A stored profile that does not verify wraps both.
		{fmt.Errorf("%w: stored: %w", client.ErrInvalidProfile, profile.ErrSignature), api.CodeVerificationFailed, "invalid_profile"},
		{fmt.Errorf("%w: %w", client.ErrConnectResult, jws.ErrSignature), api.CodeVerificationFailed, "connect_result"},
		{jws.ErrSignature, api.CodeVerificationFailed, "signature"},
		{jwe.ErrDecrypt, api.CodeVerificationFailed, "signature"},
		{fmt.Errorf("%w: fetch failed", client.ErrTransport), api.CodeTransport, ""},
		{context.DeadlineExceeded, api.CodeTransport, ""},
		// A write kept on the device says why the portal did not take it.
		{fmt.Errorf("%w: %w", client.ErrPending, fmt.Errorf("%w: fetch failed", client.ErrTransport)), api.CodePending, ""},
		{fmt.Errorf("%w: %w", client.ErrPending, &mmm.Error{Code: mmm.StatusInternalError}), api.CodePending, ""},
		// A vault of a newer format is never a verification failure.
		{fmt.Errorf("%w: %w", client.ErrUpgrade, fmt.Errorf("%w (format 3)", profile.ErrFormat)), api.CodeUpgradeRequired, ""},
		{fmt.Errorf("%w: %w", client.ErrInvalidProfile, profile.ErrFormat), api.CodeUpgradeRequired, ""},
		{func() error { _, err := policy.CheckTOTP("https://x"); return err }(), api.CodeBadRequest, ""},
		{context.Canceled, api.CodeTransport, ""},
		{wrap(&mmm.Error{Code: mmm.StatusUnauthorized, Description: "bad auth"}), api.CodeNotAuthorized, ""},
		{&mmm.Error{Code: mmm.StatusNotFound}, api.CodeNotFound, ""},
		{&mmm.Error{Code: mmm.StatusConflict}, api.CodeConflict, ""},
		{&mmm.Error{Code: mmm.StatusBadRequest}, api.CodeBadRequest, ""},
		{&mmm.Error{Code: mmm.StatusTooManyRequests}, api.CodePortal, ""},
		{&mmm.Error{Code: mmm.StatusInternalError}, api.CodePortal, ""},
		{&PanicError{Value: "boom"}, api.CodeInternal, ""},
		{policy.CheckPassphrase("short"), api.CodeBadRequest, ""},
		{policy.CheckShares(1, 3), api.CodeBadRequest, ""},
		{func() error { _, err := policy.CheckSite("*.com"); return err }(), api.CodeBadRequest, ""},
		{func() error { _, err := policy.CheckAccount("a b"); return err }(), api.CodeInvalidAccount, ""},
		{func() error { _, err := passgen.Generate(passgen.Options{Length: 1, Lower: true}); return err }(), api.CodeBadRequest, ""},
	} {
		if got := Code(tc.err); got != tc.code {
			t.Errorf("Code(%v) = %q, want %q", tc.err, got, tc.code)
		}
		if got := Check(tc.err); got != tc.check {
			t.Errorf("Check(%v) = %q, want %q", tc.err, got, tc.check)
		}
	}
}

func TestStatus(t *testing.T) {
	if got := Status(fmt.Errorf("x: %w", &mmm.Error{Code: 429})); got != 429 {
		t.Errorf("Status = %d, want 429", got)
	}
	if got := Status(client.ErrTransport); got != 0 {
		t.Errorf("Status = %d, want 0", got)
	}
}

func TestDecode(t *testing.T) {
	type arg struct {
		A string `json:"a"`
	}
	for _, in := range []string{"", "  ", "null"} {
		v, err := Decode[arg]([]byte(in))
		if err != nil || v.A != "" {
			t.Errorf("Decode(%q) = %+v, %v", in, v, err)
		}
	}
	v, err := Decode[arg]([]byte(`{"a":"x"}`))
	if err != nil || v.A != "x" {
		t.Errorf("Decode = %+v, %v", v, err)
	}
	for _, in := range []string{`{"b":1}`, `{"a":1}`, `{"a":"x"} {}`, `{`, `[]`} {
		if _, err := Decode[arg]([]byte(in)); Code(err) != api.CodeBadRequest {
			t.Errorf("Decode(%q) error %v, code %q; want bad_request", in, err, Code(err))
		}
	}
}

func TestCall(t *testing.T) {
	out, err := Call(context.Background(), func(ctx context.Context, in []byte) (any, error) {
		return map[string]string{"echo": string(in)}, nil
	}, []byte("hi"))
	if err != nil || string(out) != `{"echo":"hi"}` {
		t.Errorf("Call = %s, %v", out, err)
	}
	_, err = Call(context.Background(), func(ctx context.Context, in []byte) (any, error) {
		panic("boom")
	}, nil)
	if Code(err) != api.CodeInternal || !strings.Contains(err.Error(), "boom") {
		t.Errorf("Call with a panic: %v (code %q)", err, Code(err))
	}
	_, err = Call(context.Background(), func(ctx context.Context, in []byte) (any, error) {
		return nil, fmt.Errorf("open: %w", seal.ErrWrongPassphrase)
	}, nil)
	if Code(err) != api.CodeWrongPassphrase {
		t.Errorf("Call error code %q", Code(err))
	}
}

// checked is an argument with a Validate method.
type checked struct {
	N int `json:"n"`
}

func (c checked) Validate() error {
	if c.N <= 0 {
		return errors.New("n must be positive")
	}
	return nil
}

func TestTyped(t *testing.T) {
	h := Typed(func(ctx context.Context, a checked) ([]int, error) {
		if a.N > 9 {
			return nil, client.ErrLocked
		}
		return make([]int, a.N), nil
	})
	if h.Arg.Name() != "checked" || h.Result.String() != "[]int" {
		t.Errorf("types %v, %v", h.Arg, h.Result)
	}
	for _, tc := range []struct{ in, out, code, msg string }{
		{`{"n":2}`, `[0,0]`, "", ""},
		{`{"n":0}`, ``, api.CodeBadRequest, "bad request: n must be positive"},
		{``, ``, api.CodeBadRequest, "bad request: n must be positive"},
		{`{"n":"x"}`, ``, api.CodeBadRequest, ""},
		{`{"n":10}`, ``, api.CodeLocked, ""},
	} {
		out, err := Call(context.Background(), h.Func, []byte(tc.in))
		if string(out) != tc.out || tc.code != "" && Code(err) != tc.code || tc.code == "" && err != nil ||
			tc.msg != "" && err.Error() != tc.msg {
			t.Errorf("%s: %s, %v (code %q)", tc.in, out, err, Code(err))
		}
	}
}
