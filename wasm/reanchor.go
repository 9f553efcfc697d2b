package main

import (
	"context"

	"github.com/meshpass/meshpass/wasm/api"
)

// planReanchor compares the log this device verified with the portal's
// current one (shared/client/reanchor.go).
func (a *app) planReanchor(ctx context.Context, _ api.Empty) (api.Anchor, error) {
	p, err := a.c.PlanReanchor(ctx)
	if err != nil {
		return api.Anchor{}, err
	}
	return api.Anchor{OldSize: p.OldSize, OldCode: p.OldCode, NewSize: p.NewSize, NewCode: p.NewCode, Extends: p.Extends}, nil
}

// reanchor re-anchors on the planned log whose code the person confirmed.
func (a *app) reanchor(ctx context.Context, arg api.AnchorCode) (api.Republished, error) {
	r, err := a.c.Reanchor(ctx, arg.Code)
	if err != nil {
		return api.Republished{}, err
	}
	a.mu.Lock()
	a.fork = nil
	a.mu.Unlock()
	l := a.c.Log()
	return api.Republished{Personal: r.Personal, Password: r.Password, Records: r.Records, Refused: r.Refused, LogSize: l.Size, LogCode: l.Code}, nil
}
