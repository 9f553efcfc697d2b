package portal

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/udf"
)

// RetryAfter is the seconds a device is told to wait before asking again
// for the answer to its connection request.
const RetryAfter = 5

// MaxConnectCodes is the most connect codes an account has waiting.
const MaxConnectCodes = 8

func (p *portal) connectStart(ctx context.Context, r *mmm.ConnectStartRequest, now time.Time) (mmm.Response, error) {
	req, dev, err := profile.VerifyConnectionRequest(r.SignedRequest)
	if err != nil {
		return nil, refused(err)
	}
	account := fold(r.AccountID)
	v, _, err := p.accountProfile(ctx, account)
	if err != nil {
		return nil, err
	}
	if fold(req.ParentUDF) != account && !udf.Equal(req.ParentUDF, v.Profile.Identifier) {
		return nil, mmm.Errorf(mmm.StatusBadRequest, "refused: the request is for %q, not account %q", req.ParentUDF, r.AccountID)
	}
	data, err := json.Marshal(r.SignedRequest)
	if err != nil {
		return nil, refused(err)
	}
	devID, _ := udf.Parse(dev.Identifier)
	pending := &Pending{Account: account, Device: devID, Request: data, Expires: now.Add(p.opts.PendingExpiry).UTC()}
	if r.Code != "" {
		pending.Code = InvitationHash(r.Code)
	}
	if err := p.store.StartConnection(ctx, pending, p.opts.MaxPending, now); err != nil {
		if errors.Is(err, ErrInvitation) {
			return nil, mmm.Errorf(mmm.StatusForbidden, "the connect code is not valid for account %q, or was used already", r.AccountID)
		}
		return nil, storeErr(err, "connection request")
	}
	return &mmm.ConnectStartResponse{Expires: pending.Expires}, nil
}

// authenticate checks req's Authentication against lookup and refuses a
// nonce the device used before.
func (p *portal) authenticate(ctx context.Context, req mmm.AuthenticatedRequest, now time.Time, lookup func(string) *profile.DeviceProfile) error {
	claims, err := mmm.VerifyAuthentication(req, now, func(device string) (*profile.DeviceProfile, error) {
		return lookup(device), nil
	})
	if err != nil {
		return err
	}
	device, _ := udf.Parse(claims.Device)
	if err := p.store.UseNonce(ctx, device, claims.Nonce, now.Add(2*mmm.MaxClockSkew), now); err != nil {
		if errors.Is(err, ErrConflict) {
			return mmm.Errorf(mmm.StatusUnauthorized, "Authentication was used before (replay refused)")
		}
		return storeErr(err, "nonce")
	}
	return nil
}

// admin returns a lookup that finds only v's administration devices.
func admin(v *profile.Personal) func(string) *profile.DeviceProfile {
	return func(device string) *profile.DeviceProfile {
		if !v.IsAdministrator(device) {
			return nil
		}
		return v.Device(device)
	}
}

func (p *portal) connectPending(ctx context.Context, r *mmm.ConnectPendingRequest, now time.Time) (mmm.Response, error) {
	account := fold(r.AccountID)
	v, _, err := p.accountProfile(ctx, account)
	if err != nil {
		return nil, err
	}
	if err := p.authenticate(ctx, r, now, admin(v)); err != nil {
		return nil, err
	}
	if err := p.spend(account); err != nil {
		return nil, err
	}
	if r.IssueCode != "" {
		err := p.store.AddConnectCode(ctx, account, InvitationHash(r.IssueCode), now.Add(p.opts.PendingExpiry).UTC(), MaxConnectCodes, now)
		if errors.Is(err, ErrLimit) {
			return nil, mmm.Errorf(mmm.StatusTooManyRequests, "account %q has %d connect codes waiting; use them or let them expire", r.AccountID, MaxConnectCodes)
		}
		if err != nil {
			return nil, storeErr(err, "connect code")
		}
	}
	list, err := p.store.PendingConnections(ctx, account, now)
	if err != nil {
		return nil, storeErr(err, "connection requests")
	}
	resp := &mmm.ConnectPendingResponse{Pending: []*profile.SignedConnectionRequest{}}
	for _, q := range list {
		var s profile.SignedConnectionRequest
		if err := json.Unmarshal(q.Request, &s); err != nil {
			return nil, mmm.Errorf(mmm.StatusInternalError, "stored request unreadable")
		}
		resp.Pending = append(resp.Pending, &s)
	}
	return resp, nil
}

func (p *portal) connectComplete(ctx context.Context, r *mmm.ConnectCompleteRequest, now time.Time) (mmm.Response, error) {
	account := fold(r.AccountID)
	v, _, err := p.accountProfile(ctx, account)
	if err != nil {
		return nil, err
	}
	if err := p.authenticate(ctx, r, now, admin(v)); err != nil {
		return nil, err
	}
	if err := p.spend(account); err != nil {
		return nil, err
	}
	_, dev, err := profile.VerifyConnectionResult(r.Result, v)
	if err != nil {
		return nil, refused(err)
	}
	data, err := json.Marshal(r.Result)
	if err != nil {
		return nil, refused(err)
	}
	devID, _ := udf.Parse(dev.Identifier)
	if err := p.store.CompleteConnection(ctx, account, devID, data, now); err != nil {
		return nil, storeErr(err, "pending connection request of device "+devID)
	}
	return &mmm.ConnectCompleteResponse{}, nil
}

func (p *portal) connectStatus(ctx context.Context, r *mmm.ConnectStatusRequest, now time.Time) (mmm.Response, error) {
	account := fold(r.AccountID)
	if _, err := p.store.Account(ctx, account); err != nil {
		return nil, storeErr(err, "account")
	}
	devID, _ := udf.Parse(r.DeviceID)
	pending, result, err := p.store.Connection(ctx, account, devID, now)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, storeErr(err, "connection request")
	}
	lookup := func(device string) *profile.DeviceProfile {
		if pending == nil || !udf.Equal(device, devID) {
			return nil
		}
		var s profile.SignedConnectionRequest
		if json.Unmarshal(pending.Request, &s) != nil {
			return nil
		}
		_, d, err := profile.VerifyConnectionRequest(&s)
		if err != nil {
			return nil
		}
		return d
	}
	if err := p.authenticate(ctx, r, now, lookup); err != nil {
		return nil, err
	}
	resp := &mmm.ConnectStatusResponse{}
	if result == nil {
		resp.RetryAfter = RetryAfter
		return resp, nil
	}
	var s profile.SignedConnectionResult
	if err := json.Unmarshal(result, &s); err != nil {
		return nil, mmm.Errorf(mmm.StatusInternalError, "stored result unreadable")
	}
	resp.Result = &s
	return resp, nil
}
