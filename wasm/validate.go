//go:build js && wasm

package main

import (
	"context"
	"errors"

	"github.com/meshpass/meshpass/shared/client"
	"github.com/meshpass/meshpass/wasm/bridge"
)

// Validity is what validate returns.
type Validity struct {
	Valid bool `json:"valid"`
	// Reason says why the portal refuses the name.
	Reason string `json:"reason,omitempty"`
}

// validate asks the portal whether a new profile may take the account
// name; a refused name resolves with valid false and the portal's reason.
func (a *app) validate(ctx context.Context, in []byte) (any, error) {
	arg, err := bridge.Decode[struct {
		Portal  string `json:"portal"`
		Account string `json:"account"`
	}](in)
	if err != nil {
		return nil, err
	}
	if arg.Portal == "" || arg.Account == "" {
		return nil, bridge.BadRequest("portal and account are required")
	}
	err = a.c.Validate(ctx, arg.Portal, arg.Account)
	if errors.Is(err, client.ErrInvalidAccount) {
		return Validity{Reason: err.Error()}, nil
	}
	if err != nil {
		return nil, err
	}
	return Validity{Valid: true}, nil
}
