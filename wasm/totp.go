package main

import (
	"context"
	"fmt"
	"time"

	"github.com/meshpass/meshpass/shared/client"
	"github.com/meshpass/meshpass/shared/policy"
	"github.com/meshpass/meshpass/shared/totp"
	"github.com/meshpass/meshpass/shared/vault"
	"github.com/meshpass/meshpass/wasm/api"
	"github.com/meshpass/meshpass/wasm/bridge"
)

// now is the clock of totp (tests set it).
var now = time.Now

// noTOTP is the error of totp for an entry without a one-time code URI:
// not_found, as for no entry.
type noTOTP struct{ id string }

func (e noTOTP) Error() string        { return fmt.Sprintf("entry %q has no one-time code", e.id) }
func (e noTOTP) Is(target error) bool { return target == client.ErrNoEntry }

// totp returns the current one-time code of one entry; the otpauth:// URI
// (which holds the secret) never leaves the core.
func (a *app) totp(ctx context.Context, arg api.ID) (api.TOTPCode, error) {
	e, err := a.c.Entry(arg.ID)
	if err != nil {
		return api.TOTPCode{}, err
	}
	return totpOf(e, now())
}

// totpOf is e's one-time code at t.
func totpOf(e vault.Entry, t time.Time) (api.TOTPCode, error) {
	if e.TOTP == "" {
		return api.TOTPCode{}, noTOTP{e.ID}
	}
	k, err := totp.Parse(e.TOTP)
	if err != nil {
		return api.TOTPCode{}, fmt.Errorf("entry %q: %w", e.ID, err)
	}
	code, remaining := k.At(t)
	out := api.TOTPCode{Code: code, Remaining: remaining}
	if k.Type != "hotp" {
		out.Period = k.Period
	}
	return out, nil
}

// totpCheck checks a URI read from a QR image as add and edit check a
// TOTP URI (policy.CheckTOTP), and computes its current code: the popup
// shows the code before the URI is saved.
func (a *app) totpCheck(ctx context.Context, arg api.TOTPURI) (api.TOTPCheck, error) {
	uri, err := policy.CheckTOTP(arg.URI)
	if err != nil {
		return api.TOTPCheck{}, err
	}
	e := vault.Entry{ID: "scanned", TOTP: uri}
	code, err := totpOf(e, now())
	if err != nil {
		return api.TOTPCheck{}, bridge.BadRequest("%v", err)
	}
	k, _ := totp.Parse(uri)
	issuer, account := k.Names()
	return api.TOTPCheck{URI: uri, Issuer: issuer, Account: account, TOTPCode: code}, nil
}
