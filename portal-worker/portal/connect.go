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
	req, dev, err := p.verifier.VerifyConnectionRequest(r.SignedRequest)
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
		if q.Contribution == nil {
			continue
		}
		x := &mmm.ConnectExchange{Device: s.Identifier}
		if err := unmarshalStored(q.Contribution, &x.Contribution); err != nil {
			return nil, err
		}
		if q.Reveal != nil {
			if err := unmarshalStored(q.Reveal, &x.Reveal); err != nil {
				return nil, err
			}
		}
		resp.Exchanges = append(resp.Exchanges, x)
	}
	return resp, nil
}

func unmarshalStored(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return mmm.Errorf(mmm.StatusInternalError, "stored witness exchange unreadable")
	}
	return nil
}

// pendingRequest returns the device's unanswered, unexpired request and
// its verified content.
func (p *portal) pendingRequest(ctx context.Context, account, device string, now time.Time) (*Pending, *profile.ConnectionRequest, *profile.DeviceProfile, error) {
	pending, result, err := p.store.Connection(ctx, account, device, now)
	if err != nil {
		return nil, nil, nil, storeErr(err, "pending connection request of device "+device)
	}
	if result != nil {
		return nil, nil, nil, mmm.Errorf(mmm.StatusConflict, "the connection request of device %s is answered already", device)
	}
	var s profile.SignedConnectionRequest
	if err := json.Unmarshal(pending.Request, &s); err != nil {
		return nil, nil, nil, mmm.Errorf(mmm.StatusInternalError, "stored request unreadable")
	}
	r, d, err := p.verifier.VerifyConnectionRequest(&s)
	if err != nil {
		return nil, nil, nil, mmm.Errorf(mmm.StatusInternalError, "stored request does not verify")
	}
	return pending, r, d, nil
}

// connectContribute stores an administration device's contribution to a
// request's witness exchange: signed by an administration device of the
// account, for the request's device and commitment, once.
func (p *portal) connectContribute(ctx context.Context, r *mmm.ConnectContributeRequest, now time.Time) (mmm.Response, error) {
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
	c, _, err := profile.VerifyConnectionContribution(r.Contribution, v)
	if err != nil {
		return nil, refused(err)
	}
	devID, err := udf.Parse(c.Device)
	if err != nil {
		return nil, mmm.Errorf(mmm.StatusBadRequest, "refused: contribution Device: %v", err)
	}
	_, req, _, err := p.pendingRequest(ctx, account, devID, now)
	if err != nil {
		return nil, err
	}
	if req.Commitment == "" || req.Commitment != c.Commitment {
		return nil, mmm.Errorf(mmm.StatusBadRequest, "refused: the contribution is not for the request's commitment")
	}
	if err := storeOnce(ctx, p.store.SetContribution, account, devID, r.Contribution, now, "a contribution"); err != nil {
		return nil, err
	}
	return &mmm.ConnectContributeResponse{}, nil
}

// connectReveal stores the requesting device's reveal: signed by the
// device, naming the stored contribution's nonce, opening the request's
// commitment, once.
func (p *portal) connectReveal(ctx context.Context, r *mmm.ConnectRevealRequest, now time.Time) (mmm.Response, error) {
	account := fold(r.AccountID)
	if _, err := p.store.Account(ctx, account); err != nil {
		return nil, storeErr(err, "account")
	}
	devID, _ := udf.Parse(r.DeviceID)
	pending, req, dev, err := p.pendingRequest(ctx, account, devID, now)
	if err != nil {
		return nil, err
	}
	lookup := func(device string) *profile.DeviceProfile {
		if !udf.Equal(device, devID) {
			return nil
		}
		return dev
	}
	if err := p.authenticate(ctx, r, now, lookup); err != nil {
		return nil, err
	}
	if err := p.spend(account); err != nil {
		return nil, err
	}
	rv, err := profile.VerifyConnectionReveal(r.Reveal, dev)
	if err != nil {
		return nil, refused(err)
	}
	if pending.Contribution == nil {
		return nil, mmm.Errorf(mmm.StatusNotFound, "the request of device %s has no contribution yet", devID)
	}
	var sc profile.SignedConnectionContribution
	if err := unmarshalStored(pending.Contribution, &sc); err != nil {
		return nil, err
	}
	var c profile.ConnectionContribution
	if payload, err := sc.SignedData.UnverifiedPayload(); err != nil || profile.UnmarshalTagged(payload, profile.TagConnectionContribution, &c) != nil {
		return nil, mmm.Errorf(mmm.StatusInternalError, "stored contribution unreadable")
	}
	if rv.Contribution != c.Nonce {
		return nil, mmm.Errorf(mmm.StatusBadRequest, "refused: the reveal answers another contribution")
	}
	if req.Commitment == "" || profile.Commit(rv.Nonce) != req.Commitment {
		return nil, mmm.Errorf(mmm.StatusBadRequest, "refused: the revealed nonce does not open the request's commitment")
	}
	if err := storeOnce(ctx, p.store.SetReveal, account, devID, r.Reveal, now, "a reveal"); err != nil {
		return nil, err
	}
	return &mmm.ConnectRevealResponse{}, nil
}

// storeOnce stores v, a step of device devID's witness exchange (what
// names it: "a contribution"), with set: once, a second is a 409.
func storeOnce(ctx context.Context, set func(ctx context.Context, account, device string, data []byte, now time.Time) error,
	account, devID string, v any, now time.Time, what string) error {
	data, err := json.Marshal(v)
	if err != nil {
		return refused(err)
	}
	if err := set(ctx, account, devID, data, now); err != nil {
		if errors.Is(err, ErrConflict) {
			return mmm.Errorf(mmm.StatusConflict, "the request of device %s has %s already", devID, what)
		}
		return storeErr(err, "pending connection request of device "+devID)
	}
	return nil
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
	_, dev, err := p.verifier.VerifyConnectionResult(r.Result, v)
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
		_, d, err := p.verifier.VerifyConnectionRequest(&s)
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
		if pending != nil && pending.Contribution != nil {
			if err := unmarshalStored(pending.Contribution, &resp.Contribution); err != nil {
				return nil, err
			}
		}
		return resp, nil
	}
	var s profile.SignedConnectionResult
	if err := json.Unmarshal(result, &s); err != nil {
		return nil, mmm.Errorf(mmm.StatusInternalError, "stored result unreadable")
	}
	resp.Result = &s
	return resp, nil
}
