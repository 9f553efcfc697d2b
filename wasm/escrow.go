package main

import (
	"context"
	"errors"

	"github.com/meshpass/meshpass/shared/client"
	"github.com/meshpass/meshpass/shared/policy"
	"github.com/meshpass/meshpass/shared/shamir"
	"github.com/meshpass/meshpass/wasm/api"
	"github.com/meshpass/meshpass/wasm/bridge"
)

// newEscrowResult returns the EscrowResult for shares and the error that
// came with them, if any.
func newEscrowResult(shares []string, err error) api.EscrowResult {
	r := api.EscrowResult{Shares: shares}
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
func (a *app) escrow(ctx context.Context, arg api.EscrowArgs) (api.EscrowResult, error) {
	if arg.Threshold == 0 {
		arg.Threshold = client.DefaultEscrowThreshold
	}
	if arg.Shares == 0 {
		arg.Shares = client.DefaultEscrowShares
	}
	if err := policy.CheckShares(arg.Threshold, arg.Shares); err != nil {
		return api.EscrowResult{}, err
	}
	shares, err := a.c.Escrow(ctx, arg.Passphrase, arg.Threshold, arg.Shares)
	if len(shares) == 0 {
		// The keys may have been replaced before the error.
		a.c.SaveSession(a.session)
		return api.EscrowResult{}, err
	}
	return newEscrowResult(shares, errors.Join(err, a.unlockedNow())), nil
}

// recoverProfile makes this device, which holds none yet, an administration
// device of the account's profile from escrow shares (client.Recover),
// and returns its Identity and the new shares. If shares come with an
// error, the call resolves with both (RecoverResult.Error).
func (a *app) recoverProfile(ctx context.Context, arg api.RecoverArgs) (api.RecoverResult, error) {
	if err := policy.CheckPassphrase(arg.Passphrase); err != nil {
		return api.RecoverResult{}, err
	}
	shares, err := a.c.Recover(ctx, arg.Portal, arg.Account, arg.Passphrase, arg.DeviceName, arg.Shares, arg.RemoveOthers)
	if a.c.DeviceID() == "" {
		return api.RecoverResult{}, err
	}
	// The device is set up (and unlocked), even with an error.
	err = errors.Join(err, a.unlockedNow())
	if len(shares) == 0 {
		return api.RecoverResult{}, err
	}
	return api.RecoverResult{Identity: a.identity(), EscrowResult: newEscrowResult(shares, err)}, nil
}
