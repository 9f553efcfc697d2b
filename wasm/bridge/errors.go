package bridge

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/meshpass/meshpass/shared/client"
	"github.com/meshpass/meshpass/shared/jwe"
	"github.com/meshpass/meshpass/shared/jws"
	"github.com/meshpass/meshpass/shared/keys"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/seal"
)

// The codes a rejected Promise's Error carries in its code property. They
// are stable: JavaScript may switch on them.
const (
	// CodeBadRequest: the argument is not the JSON the function takes,
	// or a value in it is refused (an empty passphrase, say).
	CodeBadRequest = "bad_request"
	// CodeWrongPassphrase: the passphrase does not open the sealed keys.
	CodeWrongPassphrase = "wrong_passphrase"
	// CodeLocked: the keys are sealed; unlock first.
	CodeLocked = "locked"
	// CodeNoDevice: no device is set up here; create or connect first.
	CodeNoDevice = "no_device"
	// CodeState: not possible in this device's state (a device already
	// set up, no connection request pending).
	CodeState = "state"
	// CodeNotFound: no such entry or pending request (or the portal knows
	// no such account).
	CodeNotFound = "not_found"
	// CodeNotAuthorized: this device is not (or no longer) authorized, or
	// the portal refused its authentication.
	CodeNotAuthorized = "not_authorized"
	// CodeNotAdministrator: the operation needs an administration device.
	CodeNotAdministrator = "not_administrator"
	// CodeNotAllowed: the entry may not fill that page (package match).
	CodeNotAllowed = "not_allowed"
	// CodeVerificationFailed: something from the portal does not verify;
	// the Error's check property says what (see Check).
	CodeVerificationFailed = "verification_failed"
	// CodeRejected: an administrator rejected the connection request.
	CodeRejected = "rejected"
	// CodeConflict: concurrent updates kept winning over this one.
	CodeConflict = "conflict"
	// CodeInvalidAccount: the portal refuses the account name.
	CodeInvalidAccount = "invalid_account"
	// CodeTransport: the portal could not be reached, its answer could not
	// be read, or the call timed out or was cancelled.
	CodeTransport = "transport"
	// CodePortal: the portal refused the request for another reason; the
	// Error's status property is the portal's status code.
	CodePortal = "portal"
	// CodeBadShare: an escrow share does not parse (mistyped: its
	// checksum is wrong; wrong length; a character a share cannot hold;
	// given twice). The message names the share: "share 2: ...".
	CodeBadShare = "bad_share"
	// CodeTooFewShares: fewer escrow shares than the threshold.
	CodeTooFewShares = "too_few_shares"
	// CodeDifferentSplits: the shares are not all of one escrow.
	CodeDifferentSplits = "different_splits"
	// CodeWrongKey: the shares rebuild a key that opens no escrow entry
	// at the portal.
	CodeWrongKey = "wrong_key"
	// CodeVoided: the shares are of an escrow a later one replaced.
	CodeVoided = "voided"
	// CodeOtherProfile: the shares open the escrow of another profile
	// than the account's.
	CodeOtherProfile = "other_profile"
	// CodeInternal: anything else, including a recovered panic.
	CodeInternal = "internal"
)

// ErrBadRequest is the error for an argument that is not what the
// function takes; wrap it (BadRequest) so that Code says CodeBadRequest.
var ErrBadRequest = errors.New("bad request")

// ErrNotAllowed is the error for an entry that may not fill a page.
var ErrNotAllowed = errors.New("the entry may not fill this page")

// BadRequest returns an error matching ErrBadRequest.
func BadRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadRequest, fmt.Sprintf(format, args...))
}

// codes maps sentinel errors to codes, first match wins: the order puts
// the more specific causes first (a stored profile that does not verify
// wraps both client.ErrInvalidProfile and a profile error).
var codes = []struct {
	err  error
	code string
}{
	{ErrBadRequest, CodeBadRequest},
	{ErrNotAllowed, CodeNotAllowed},
	{seal.ErrWrongPassphrase, CodeWrongPassphrase},
	{seal.ErrEmptyPassphrase, CodeBadRequest},
	{seal.ErrParams, CodeBadRequest},
	{client.ErrLocked, CodeLocked},
	{client.ErrNoDevice, CodeNoDevice},
	{client.ErrState, CodeState},
	{client.ErrNoEntry, CodeNotFound},
	{client.ErrNoRequest, CodeNotFound},
	{client.ErrNotAuthorized, CodeNotAuthorized},
	{client.ErrNotAdministrator, CodeNotAdministrator},
	{client.ErrRejected, CodeRejected},
	{client.ErrConflict, CodeConflict},
	{client.ErrInvalidAccount, CodeInvalidAccount},
	{client.ErrBadShare, CodeBadShare},
	{client.ErrTooFewShares, CodeTooFewShares},
	{client.ErrDifferentSplits, CodeDifferentSplits},
	{client.ErrWrongKey, CodeWrongKey},
	{client.ErrVoided, CodeVoided},
	{client.ErrOtherProfile, CodeOtherProfile},
	{client.ErrBadEscrow, CodeVerificationFailed},
	{client.ErrWrongProfile, CodeVerificationFailed},
	{client.ErrRollback, CodeVerificationFailed},
	{client.ErrLog, CodeVerificationFailed},
	{client.ErrTampered, CodeVerificationFailed},
	{client.ErrConnectResult, CodeVerificationFailed},
	{client.ErrInvalidProfile, CodeVerificationFailed},
	{client.ErrTransport, CodeTransport},
	{context.Canceled, CodeTransport},
	{context.DeadlineExceeded, CodeTransport},
	{jws.ErrSignature, CodeVerificationFailed},
	{jws.ErrWrongKey, CodeVerificationFailed},
	{jws.ErrMalformed, CodeVerificationFailed},
	{jwe.ErrDecrypt, CodeVerificationFailed},
	{jwe.ErrNotRecipient, CodeVerificationFailed},
	{jwe.ErrMalformed, CodeVerificationFailed},
	{profile.ErrSignature, CodeVerificationFailed},
	{profile.ErrSigner, CodeVerificationFailed},
	{profile.ErrIdentifier, CodeVerificationFailed},
	{profile.ErrKey, CodeVerificationFailed},
	{profile.ErrRecipients, CodeVerificationFailed},
	{profile.ErrVersion, CodeVerificationFailed},
	{keys.ErrFingerprint, CodeVerificationFailed},
	{keys.ErrMalformed, CodeVerificationFailed},
}

// checks name, for a CodeVerificationFailed error, which check failed.
var checks = []struct {
	err   error
	check string
}{
	{client.ErrWrongProfile, "wrong_profile"},
	{client.ErrRollback, "rollback"},
	{client.ErrLog, "log"},
	{client.ErrTampered, "tampered"},
	{client.ErrConnectResult, "connect_result"},
	{client.ErrInvalidProfile, "invalid_profile"},
	{client.ErrBadEscrow, "escrow"},
}

// Code returns the stable code for err (CodeInternal for nil or an error
// matching no known sentinel). A refusal by the portal (*mmm.Error) that
// matches no sentinel is mapped by its status: 400 bad_request, 401 and
// 403 not_authorized, 404 not_found, 409 conflict, otherwise portal.
func Code(err error) string {
	if err == nil {
		return CodeInternal
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	var me *mmm.Error
	if errors.As(err, &me) {
		switch me.Code {
		case mmm.StatusBadRequest:
			return CodeBadRequest
		case mmm.StatusUnauthorized, http.StatusForbidden:
			return CodeNotAuthorized
		case mmm.StatusNotFound:
			return CodeNotFound
		case mmm.StatusConflict:
			return CodeConflict
		}
		return CodePortal
	}
	return CodeInternal
}

// Check returns, for an error whose Code is CodeVerificationFailed, which
// check failed: "wrong_profile", "rollback", "log", "tampered",
// "connect_result", "invalid_profile", "escrow" (an escrow entry that
// does not decrypt or is malformed), or "signature" for a bare
// signature or decryption failure. It returns "" for other errors.
func Check(err error) string {
	if Code(err) != CodeVerificationFailed {
		return ""
	}
	for _, c := range checks {
		if errors.Is(err, c.err) {
			return c.check
		}
	}
	return "signature"
}

// Status returns the portal's status code if err carries a refusal by the
// portal, else 0.
func Status(err error) int {
	var me *mmm.Error
	if errors.As(err, &me) {
		return me.Code
	}
	return 0
}
