package bridge

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/meshpass/meshpass/shared/client"
	"github.com/meshpass/meshpass/shared/exporter"
	"github.com/meshpass/meshpass/shared/importer"
	"github.com/meshpass/meshpass/shared/jwe"
	"github.com/meshpass/meshpass/shared/jws"
	"github.com/meshpass/meshpass/shared/keys"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/passgen"
	"github.com/meshpass/meshpass/shared/policy"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/seal"
	"github.com/meshpass/meshpass/wasm/api"
)

// The codes themselves (api.CodeBadRequest, ...) and the check names
// (api.CheckRollback, ...) are part of the contract, in package api.

// ErrBadRequest is the error for an argument that is not what the
// function takes; wrap it (BadRequest) so that Code says api.CodeBadRequest.
var ErrBadRequest = errors.New("bad request")

// ErrNotAllowed is the error for an entry that may not fill a page.
var ErrNotAllowed = errors.New("the entry may not fill this page")

// ErrNoImport is the error for an import token that is unknown, expired
// or replaced by a newer preview.
var ErrNoImport = errors.New("the import preview expired or was replaced: choose the file again")

// BadRequest returns an error matching ErrBadRequest.
func BadRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadRequest, fmt.Sprintf(format, args...))
}

// codes maps sentinel errors to codes, first match wins: the order puts
// the more specific causes first (a stored profile that does not verify
// wraps both client.ErrInvalidProfile and a profile error; a vault of a
// newer format wraps client.ErrUpgrade and the profile error that says
// so, and must never read as a verification failure; a write kept on the
// device wraps client.ErrPending and why the portal could not take it).
var codes = []struct {
	err  error
	code string
}{
	{client.ErrUpgrade, api.CodeUpgradeRequired},
	{client.ErrPending, api.CodePending},
	{profile.ErrFormat, api.CodeUpgradeRequired},
	{ErrBadRequest, api.CodeBadRequest},
	{ErrNoImport, api.CodeNotFound},
	{importer.ErrPasswordNeeded, api.CodePasswordNeeded},
	{importer.ErrPassword, api.CodeWrongPassword},
	{importer.ErrUnknownFormat, api.CodeBadRequest},
	{importer.ErrFormat, api.CodeBadRequest},
	{importer.ErrTooLarge, api.CodeBadRequest},
	{importer.ErrUnsupported, api.CodeBadRequest},
	{exporter.ErrFormat, api.CodeBadRequest},
	{ErrNotAllowed, api.CodeNotAllowed},
	{seal.ErrWrongPassphrase, api.CodeWrongPassphrase},
	{seal.ErrEmptyPassphrase, api.CodeBadRequest},
	{seal.ErrParams, api.CodeBadRequest},
	{policy.ErrPassphrase, api.CodeBadRequest},
	{policy.ErrShares, api.CodeBadRequest},
	{policy.ErrSite, api.CodeBadRequest},
	{policy.ErrTOTP, api.CodeBadRequest},
	{policy.ErrAccount, api.CodeInvalidAccount},
	{passgen.ErrLength, api.CodeBadRequest},
	{passgen.ErrNoClass, api.CodeBadRequest},
	{client.ErrInsecurePortal, api.CodeInsecurePortal},
	{client.ErrUnconfirmedProfile, api.CodeUnconfirmedProfile},
	{client.ErrWitnessPending, api.CodeWitnessPending},
	{client.ErrRemovedDevice, api.CodeRemovedDevice},
	{client.ErrExpiredRequest, api.CodeExpiredRequest},
	{client.ErrUnapprovedDevice, api.CodeUnapprovedDevice},
	{client.ErrWitness, api.CodeVerificationFailed},
	{client.ErrLocked, api.CodeLocked},
	{client.ErrNoDevice, api.CodeNoDevice},
	{client.ErrState, api.CodeState},
	{client.ErrNoEntry, api.CodeNotFound},
	{client.ErrNoRequest, api.CodeNotFound},
	{client.ErrNotAuthorized, api.CodeNotAuthorized},
	{client.ErrNotAdministrator, api.CodeNotAdministrator},
	{client.ErrRejected, api.CodeRejected},
	{client.ErrConflict, api.CodeConflict},
	{client.ErrInvalidAccount, api.CodeInvalidAccount},
	{client.ErrBadShare, api.CodeBadShare},
	{client.ErrTooFewShares, api.CodeTooFewShares},
	{client.ErrDifferentSplits, api.CodeDifferentSplits},
	{client.ErrWrongKey, api.CodeWrongKey},
	{client.ErrVoided, api.CodeVoided},
	{client.ErrOtherProfile, api.CodeOtherProfile},
	{client.ErrBadEscrow, api.CodeVerificationFailed},
	{client.ErrWrongProfile, api.CodeVerificationFailed},
	{client.ErrRollback, api.CodeVerificationFailed},
	{client.ErrLog, api.CodeVerificationFailed},
	{client.ErrTampered, api.CodeVerificationFailed},
	{client.ErrConnectResult, api.CodeVerificationFailed},
	{client.ErrInvalidProfile, api.CodeVerificationFailed},
	{client.ErrTransport, api.CodeTransport},
	{context.Canceled, api.CodeTransport},
	{context.DeadlineExceeded, api.CodeTransport},
	{jws.ErrSignature, api.CodeVerificationFailed},
	{jws.ErrWrongKey, api.CodeVerificationFailed},
	{jws.ErrMalformed, api.CodeVerificationFailed},
	{jwe.ErrDecrypt, api.CodeVerificationFailed},
	{jwe.ErrNotRecipient, api.CodeVerificationFailed},
	{jwe.ErrMalformed, api.CodeVerificationFailed},
	{profile.ErrSignature, api.CodeVerificationFailed},
	{profile.ErrSigner, api.CodeVerificationFailed},
	{profile.ErrIdentifier, api.CodeVerificationFailed},
	{profile.ErrKey, api.CodeVerificationFailed},
	{profile.ErrRecipients, api.CodeVerificationFailed},
	{profile.ErrVersion, api.CodeVerificationFailed},
	{keys.ErrFingerprint, api.CodeVerificationFailed},
	{keys.ErrMalformed, api.CodeVerificationFailed},
}

// checks name, for an api.CodeVerificationFailed error, which check failed.
var checks = []struct {
	err   error
	check string
}{
	{client.ErrWrongProfile, api.CheckWrongProfile},
	{client.ErrRollback, api.CheckRollback},
	{client.ErrFork, api.CheckFork},
	{client.ErrLogShrank, api.CheckLogShrank},
	{client.ErrLog, api.CheckLog},
	{client.ErrTampered, api.CheckTampered},
	{client.ErrConnectResult, api.CheckConnectResult},
	{client.ErrWitness, api.CheckWitness},
	{client.ErrInvalidProfile, api.CheckInvalidProfile},
	{client.ErrBadEscrow, api.CheckEscrow},
}

// Code returns the stable code for err (api.CodeInternal for nil or an error
// matching no known sentinel). A refusal by the portal (*mmm.Error) that
// matches no sentinel is mapped by its status: 400 bad_request, 401 and
// 403 not_authorized, 404 not_found, 409 conflict, otherwise portal.
func Code(err error) string {
	if err == nil {
		return api.CodeInternal
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
			return api.CodeBadRequest
		case mmm.StatusUnauthorized, http.StatusForbidden:
			return api.CodeNotAuthorized
		case mmm.StatusNotFound:
			return api.CodeNotFound
		case mmm.StatusConflict:
			return api.CodeConflict
		}
		return api.CodePortal
	}
	return api.CodeInternal
}

// Check returns, for an error whose Code is api.CodeVerificationFailed,
// which check failed (one of api.Checks): api.CheckSignature for a bare
// signature or decryption failure. It returns "" for other errors.
func Check(err error) string {
	if Code(err) != api.CodeVerificationFailed {
		return ""
	}
	for _, c := range checks {
		if errors.Is(err, c.err) {
			return c.check
		}
	}
	return api.CheckSignature
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
