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
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/seal"
)

func TestCode(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("context: %w", err) }
	for _, tc := range []struct {
		err   error
		code  string
		check string
	}{
		{nil, CodeInternal, ""},
		{errors.New("something"), CodeInternal, ""},
		{BadRequest("no %s", "json"), CodeBadRequest, ""},
		{wrap(seal.ErrWrongPassphrase), CodeWrongPassphrase, ""},
		{seal.ErrEmptyPassphrase, CodeBadRequest, ""},
		{seal.ErrParams, CodeBadRequest, ""},
		{wrap(client.ErrLocked), CodeLocked, ""},
		{client.ErrNoDevice, CodeNoDevice, ""},
		{wrap(client.ErrState), CodeState, ""},
		{wrap(client.ErrNoEntry), CodeNotFound, ""},
		{client.ErrNoRequest, CodeNotFound, ""},
		{wrap(client.ErrNotAuthorized), CodeNotAuthorized, ""},
		{client.ErrNotAdministrator, CodeNotAdministrator, ""},
		{client.ErrRejected, CodeRejected, ""},
		{wrap(client.ErrConflict), CodeConflict, ""},
		{client.ErrInvalidAccount, CodeInvalidAccount, ""},
		{fmt.Errorf("%w: share 2: checksum wrong", client.ErrBadShare), CodeBadShare, ""},
		{wrap(client.ErrTooFewShares), CodeTooFewShares, ""},
		{wrap(client.ErrDifferentSplits), CodeDifferentSplits, ""},
		{wrap(client.ErrWrongKey), CodeWrongKey, ""},
		{wrap(client.ErrVoided), CodeVoided, ""},
		{wrap(client.ErrOtherProfile), CodeOtherProfile, ""},
		{wrap(client.ErrBadEscrow), CodeVerificationFailed, "escrow"},
		{ErrNotAllowed, CodeNotAllowed, ""},
		{wrap(client.ErrWrongProfile), CodeVerificationFailed, "wrong_profile"},
		{client.ErrRollback, CodeVerificationFailed, "rollback"},
		{client.ErrLog, CodeVerificationFailed, "log"},
		{client.ErrTampered, CodeVerificationFailed, "tampered"},
		{client.ErrConnectResult, CodeVerificationFailed, "connect_result"},
		// A stored profile that does not verify wraps both.
		{fmt.Errorf("%w: stored: %w", client.ErrInvalidProfile, profile.ErrSignature), CodeVerificationFailed, "invalid_profile"},
		{fmt.Errorf("%w: %w", client.ErrConnectResult, jws.ErrSignature), CodeVerificationFailed, "connect_result"},
		{jws.ErrSignature, CodeVerificationFailed, "signature"},
		{jwe.ErrDecrypt, CodeVerificationFailed, "signature"},
		{fmt.Errorf("%w: fetch failed", client.ErrTransport), CodeTransport, ""},
		{context.DeadlineExceeded, CodeTransport, ""},
		{context.Canceled, CodeTransport, ""},
		{wrap(&mmm.Error{Code: mmm.StatusUnauthorized, Description: "bad auth"}), CodeNotAuthorized, ""},
		{&mmm.Error{Code: mmm.StatusNotFound}, CodeNotFound, ""},
		{&mmm.Error{Code: mmm.StatusConflict}, CodeConflict, ""},
		{&mmm.Error{Code: mmm.StatusBadRequest}, CodeBadRequest, ""},
		{&mmm.Error{Code: mmm.StatusTooManyRequests}, CodePortal, ""},
		{&mmm.Error{Code: mmm.StatusInternalError}, CodePortal, ""},
		{&PanicError{Value: "boom"}, CodeInternal, ""},
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
		if _, err := Decode[arg]([]byte(in)); Code(err) != CodeBadRequest {
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
	if Code(err) != CodeInternal || !strings.Contains(err.Error(), "boom") {
		t.Errorf("Call with a panic: %v (code %q)", err, Code(err))
	}
	_, err = Call(context.Background(), func(ctx context.Context, in []byte) (any, error) {
		return nil, fmt.Errorf("open: %w", seal.ErrWrongPassphrase)
	}, nil)
	if Code(err) != CodeWrongPassphrase {
		t.Errorf("Call error code %q", Code(err))
	}
}
