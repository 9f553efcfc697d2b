package main

import (
	"context"
	"errors"

	"github.com/meshpass/meshpass/shared/client"
	"github.com/meshpass/meshpass/wasm/api"
)

// validate asks the portal whether a new profile may take the account
// name; a refused name resolves with valid false and the portal's reason.
func (a *app) validate(ctx context.Context, arg api.Account) (api.Validity, error) {
	err := a.c.Validate(ctx, arg.Portal, arg.Account)
	if errors.Is(err, client.ErrInvalidAccount) {
		return api.Validity{Reason: err.Error()}, nil
	}
	if err != nil {
		return api.Validity{}, err
	}
	return api.Validity{Valid: true}, nil
}
