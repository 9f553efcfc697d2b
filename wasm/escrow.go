//go:build js && wasm

package main

import (
	"context"

	"github.com/meshpass/meshpass/shared/client"
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
// and never stored.
type EscrowResult struct {
	Shares []string `json:"shares"`
}

// escrow puts the administration keys in escrow (client.Escrow) and
// returns the shares; the shares of every earlier escrow are void. The
// session is saved again, since the keys changed.
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
	if err != nil {
		// The keys may have been replaced before the error.
		a.c.SaveSession(a.session)
		return nil, err
	}
	if err := a.unlockedNow(); err != nil {
		return nil, err
	}
	return EscrowResult{Shares: shares}, nil
}

// RecoverArgs is the argument of recover.
type RecoverArgs struct {
	Setup
	// Shares are the shares' text as typed, at least the threshold.
	Shares []string `json:"shares"`
	// RemoveOthers removes every other (lost) device from the profile.
	RemoveOthers bool `json:"removeOthers"`
}

// recoverProfile makes this device, which holds none yet, an administration
// device of the account's profile from escrow shares (client.Recover),
// and returns its Identity.
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
	if err := a.c.Recover(ctx, arg.Portal, arg.Account, arg.Passphrase, arg.DeviceName, arg.Shares, arg.RemoveOthers); err != nil {
		return nil, err
	}
	if err := a.unlockedNow(); err != nil {
		return nil, err
	}
	return a.identity(), nil
}
