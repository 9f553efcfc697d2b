//go:build js && wasm

package main

import (
	"context"
	"errors"

	"github.com/meshpass/meshpass/shared/client"
	"github.com/meshpass/meshpass/shared/shamir"
	"github.com/meshpass/meshpass/wasm/bridge"
)

// EscrowArgs is the argument of escrow; zero Threshold and Shares take
// the defaults (2 of 3).
type EscrowArgs struct {
	// Passphrase is this device's: escrow replaces the online and escrow
	// keys and seals the new ones under it.
	Passphrase string `json:"passphrase"`
	// Threshold is how many shares recover the keys.
	Threshold int `json:"threshold"`
	// Shares is how many shares to make.
	Shares int `json:"shares"`
}

// EscrowResult is what escrow returns: the shares' text, to be shown once
// and never stored, and their threshold.
type EscrowResult struct {
	Shares    []string `json:"shares"`
	Threshold int      `json:"threshold"`
	// Error and ErrorCode are set when a step after the new escrow failed:
	// the shares are valid and must be shown all the same, but the earlier
	// shares may still work too until escrow is called again. They are
	// the message and code a rejected call's Error would have.
	Error     string `json:"error,omitempty"`
	ErrorCode string `json:"errorCode,omitempty"`
}

// newEscrowResult returns the EscrowResult for shares and the error that
// came with them, if any.
func newEscrowResult(shares []string, err error) EscrowResult {
	r := EscrowResult{Shares: shares}
	if s, perr := shamir.ParseShare(shares[0]); perr == nil {
		r.Threshold = s.Threshold()
	}
	if err != nil {
		r.Error, r.ErrorCode = err.Error(), bridge.Code(err)
	}
	return r
}

// escrow puts the administration keys in escrow (client.Escrow) and
// returns the shares; the shares of every earlier escrow are void. The
// session is saved again, since the keys changed. If shares come with an
// error, the call resolves with both (EscrowResult.Error).
func (a *app) escrow(ctx context.Context, in []byte) (any, error) {
	arg, err := bridge.Decode[EscrowArgs](in)
	if err != nil {
		return nil, err
	}
	if arg.Threshold == 0 {
		arg.Threshold = client.DefaultEscrowThreshold
	}
	if arg.Shares == 0 {
		arg.Shares = client.DefaultEscrowShares
	}
	if arg.Threshold < 2 || arg.Shares < arg.Threshold || arg.Shares > 255 {
		return nil, bridge.BadRequest("need 2 <= threshold <= shares <= 255, got %d of %d", arg.Threshold, arg.Shares)
	}
	if arg.Passphrase == "" {
		return nil, bridge.BadRequest("the passphrase is empty")
	}
	shares, err := a.c.Escrow(ctx, arg.Passphrase, arg.Threshold, arg.Shares)
	if len(shares) == 0 {
		// The keys may have been replaced before the error.
		a.c.SaveSession(a.session)
		return nil, err
	}
	return newEscrowResult(shares, errors.Join(err, a.unlockedNow())), nil
}

// RecoverArgs is the argument of recover.
type RecoverArgs struct {
	Setup
	// Shares are the shares' text as typed, at least the threshold.
	Shares []string `json:"shares"`
	// RemoveOthers removes every other (lost) device from the profile.
	RemoveOthers bool `json:"removeOthers"`
}

// RecoverResult is what recover returns: the device's Identity and the
// new escrow (the shares given are void), whose shares are to be shown
// once and never stored; Error is set as in EscrowResult.
type RecoverResult struct {
	Identity
	EscrowResult
}

// recoverProfile makes this device, which holds none yet, an administration
// device of the account's profile from escrow shares (client.Recover),
// and returns its Identity and the new shares. If shares come with an
// error, the call resolves with both (RecoverResult.Error).
func (a *app) recoverProfile(ctx context.Context, in []byte) (any, error) {
	arg, err := bridge.Decode[RecoverArgs](in)
	if err != nil {
		return nil, err
	}
	if arg.Portal == "" || arg.Account == "" {
		return nil, bridge.BadRequest("portal and account are required")
	}
	if arg.Passphrase == "" {
		return nil, bridge.BadRequest("the passphrase is empty")
	}
	shares, err := a.c.Recover(ctx, arg.Portal, arg.Account, arg.Passphrase, arg.DeviceName, arg.Shares, arg.RemoveOthers)
	if a.c.DeviceID() == "" {
		return nil, err
	}
	// The device is set up (and unlocked), even with an error.
	err = errors.Join(err, a.unlockedNow())
	if len(shares) == 0 {
		return nil, err
	}
	return RecoverResult{a.identity(), newEscrowResult(shares, err)}, nil
}
