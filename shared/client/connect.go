package client

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/udf"
)

// ContentTypeWitness is the content type of the fingerprint a witness code
// is cut from.
const ContentTypeWitness = "application/mmm-witness"

// WitnessCode returns the short code that both the connecting device and
// the administration device show, so the person can check that they see
// the same profile, device and request: ten Base32 characters (50 bits) of
// the SHA-2 UDF of profileID, deviceID and nonce, one per line, written
// "XXXXX-XXXXX". The characters that carry the UDF's version byte are
// skipped, so all 50 bits come from the digest.
func WitnessCode(profileID, deviceID, nonce string) string {
	canon := func(s string) string {
		if p, err := udf.Parse(s); err == nil {
			return p
		}
		return s
	}
	data := canon(profileID) + "\n" + canon(deviceID) + "\n" + nonce
	fp, err := udf.Fingerprint(ContentTypeWitness, []byte(data), 125)
	if err != nil {
		panic(err) // 125 bits is always allowed
	}
	s := strings.ReplaceAll(fp, "-", "")[2:12]
	return s[:5] + "-" + s[5:]
}

// Pending describes this device's connection request, for showing while
// it waits for an administrator.
type Pending struct {
	// Profile is the fingerprint of the profile this device asks to join.
	Profile string
	// Device is this device's Identifier.
	Device string
	// Witness is the witness code the administration device must show too.
	Witness string
	// Expires is when the portal drops the request.
	Expires time.Time
}

// StartConnect asks to connect this (new) device to account at the portal:
// it pins the portal's log key and the account's profile (verified, with
// its log proofs), makes the device's keys, sealed under passphrase, and
// posts a signed ConnectionRequest. Show the returned fingerprint and
// witness code, then call PollConnect until an administrator answers. The
// new passphrase must pass policy.CheckPassphrase.
func (c *Client) StartConnect(ctx context.Context, portalURL, account, passphrase, deviceName string) (*Pending, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.fresh(passphrase); err != nil {
		return nil, err
	}
	logKey, cp, err := hello(ctx, c.opts.Transport, portalURL)
	if err != nil {
		return nil, err
	}
	k, sdp, err := newDevice(deviceName)
	if err != nil {
		return nil, err
	}
	sealed, err := sealKeys(k, passphrase, c.opts.Params)
	if err != nil {
		return nil, err
	}
	st := &state{Portal: portalURL, Account: account, Device: sdp.Identifier, LogKey: logKey, Checkpoint: cp, Sealed: sealed}
	c.st = st
	f, err := c.fetch(ctx, "", false, false)
	if err != nil {
		c.st = nil
		return nil, err
	}
	nonce, err := randomString(16)
	if err != nil {
		c.st = nil
		return nil, err
	}
	req := &profile.ConnectionRequest{ParentUDF: account, Device: sdp, Nonce: nonce, Time: c.now().Truncate(time.Second)}
	sreq, err := req.Sign(k.sign)
	if err != nil {
		c.st = nil
		return nil, err
	}
	var resp mmm.ConnectStartResponse
	if err := c.do(ctx, &mmm.ConnectStartRequest{SignedRequest: sreq, AccountID: account}, &resp); err != nil {
		c.st = nil
		return nil, err
	}
	st.Profile = f.personal.Profile.Identifier
	st.Connect = &connectState{Nonce: nonce, Time: req.Time}
	if err := c.commit(f); err != nil {
		c.st = nil
		return nil, err
	}
	c.keys = k
	return &Pending{Profile: st.Profile, Device: st.Device, Witness: WitnessCode(st.Profile, st.Device, nonce), Expires: resp.Expires}, nil
}

// PendingConnect returns this device's pending connection request, or nil
// if there is none.
func (c *Client) PendingConnect() *Pending {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st == nil || c.st.Connect == nil {
		return nil
	}
	return &Pending{Profile: c.st.Profile, Device: c.st.Device, Witness: WitnessCode(c.st.Profile, c.st.Device, c.st.Connect.Nonce)}
}

// PollConnect asks the portal for the answer to this device's connection
// request. It returns false while there is none; true once the request is
// accepted, the answer verified and the passwords synced; and an error
// matching ErrRejected if it was rejected, or ErrConnectResult if the
// answer does not verify.
func (c *Client) PollConnect(ctx context.Context) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st == nil {
		return false, ErrNoDevice
	}
	if c.st.Connect == nil {
		return false, fmt.Errorf("%w: no connection request is pending", ErrState)
	}
	if c.keys == nil {
		return false, ErrLocked
	}
	req := &mmm.ConnectStatusRequest{AccountID: c.st.Account, DeviceID: c.st.Device}
	if err := mmm.Authenticate(req, c.st.Device, c.keys.auth, c.now()); err != nil {
		return false, err
	}
	var resp mmm.ConnectStatusResponse
	if err := c.do(ctx, req, &resp); err != nil {
		return false, err
	}
	if resp.Result == nil {
		return false, nil
	}
	r, d, err := profile.VerifyConnectionResult(resp.Result, c.personal)
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrConnectResult, err)
	}
	if !udf.Equal(d.Identifier, c.st.Device) || r.Nonce != c.st.Connect.Nonce {
		return false, fmt.Errorf("%w: the result answers another request (device %s)", ErrConnectResult, d.Identifier)
	}
	if r.Result == profile.ResultRejected {
		return false, ErrRejected
	}
	f, err := c.fetch(ctx, c.st.Profile, true, false)
	if err != nil {
		return false, err
	}
	pending := c.st.Connect
	c.st.Connect = nil
	if err := c.commit(f); err != nil {
		c.st.Connect = pending
		return false, err
	}
	if c.vault != nil && c.vault.ring != nil {
		if err := c.syncRecords(ctx); err != nil {
			return true, fmt.Errorf("client: connected, but reading the vault failed (sync again): %w", err)
		}
	}
	return true, nil
}

// Request is a pending connection request as an administration device
// shows it.
type Request struct {
	// Device is the Identifier of the device asking to connect.
	Device string
	// Description and Names are as the device gave them.
	Description string
	Names       []string
	// Witness is the witness code the device shows too.
	Witness string
	// Time is when the device made the request.
	Time time.Time
	// Err is why the request does not verify; such a request cannot be
	// approved.
	Err error

	signed *profile.SignedDeviceProfile
	nonce  string
}

// PendingRequests lists the pending connection requests of the account,
// each verified (a request that does not verify has Err set).
func (c *Client) PendingRequests(ctx context.Context) ([]Request, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pendingRequests(ctx)
}

// admin checks that this device administers the profile: it holds the
// online signing key, the last verified profile lists that key and names
// this device an administrator.
func (c *Client) admin() error {
	if err := c.ready(); err != nil {
		return err
	}
	if c.keys.online == nil || !c.personal.IsAdministrator(c.st.Device) {
		return ErrNotAdministrator
	}
	if c.personal.Master.OnlineKey(c.keys.online.ID()) == nil {
		return fmt.Errorf("%w: this device's administration keys were replaced by an escrow or recovery on another device", ErrNotAdministrator)
	}
	return nil
}

func (c *Client) pendingRequests(ctx context.Context) ([]Request, error) {
	if err := c.admin(); err != nil {
		return nil, err
	}
	req := &mmm.ConnectPendingRequest{AccountID: c.st.Account}
	if err := mmm.Authenticate(req, c.st.Device, c.keys.auth, c.now()); err != nil {
		return nil, err
	}
	var resp mmm.ConnectPendingResponse
	if err := c.do(ctx, req, &resp); err != nil {
		return nil, err
	}
	var out []Request
	for _, s := range resp.Pending {
		r, d, err := profile.VerifyConnectionRequest(s)
		if err != nil {
			id := ""
			if s != nil {
				id = s.Identifier
			}
			out = append(out, Request{Device: id, Err: fmt.Errorf("%w: %w", ErrInvalidProfile, err)})
			continue
		}
		q := Request{Device: d.Identifier, Description: d.Description, Names: d.Names, Time: r.Time, signed: r.Device, nonce: r.Nonce,
			Witness: WitnessCode(c.st.Profile, d.Identifier, r.Nonce)}
		if !strings.EqualFold(r.ParentUDF, c.st.Account) && !udf.Equal(r.ParentUDF, c.st.Profile) {
			q.Err = fmt.Errorf("%w: the request is for %q, not this account", ErrInvalidProfile, r.ParentUDF)
		}
		out = append(out, q)
	}
	return out, nil
}

// findRequest returns the verified pending request of device.
func (c *Client) findRequest(ctx context.Context, device string) (*Request, error) {
	list, err := c.pendingRequests(ctx)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if udf.Equal(list[i].Device, device) {
			if list[i].Err != nil {
				return nil, list[i].Err
			}
			return &list[i], nil
		}
	}
	return nil, fmt.Errorf("%w: device %s", ErrNoRequest, device)
}

// Approve connects the device whose request is pending: it adds the
// device to the personal profile and to the password application (to read
// and write), publishes the profile, re-encrypts the passwords to include
// the device and publishes them, then posts a signed Accepted result.
func (c *Client) Approve(ctx context.Context, device string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	q, err := c.findRequest(ctx, device)
	if err != nil {
		return err
	}
	if err := c.syncOrRepair(ctx); err != nil {
		return err
	}
	if err := c.admin(); err != nil { // the keys may be replaced since
		return err
	}
	if c.personal.Device(q.Device) == nil {
		err := c.updatePersonal(ctx, func(p *profile.PersonalProfile) error {
			if slices.ContainsFunc(p.Devices, func(s *profile.SignedDeviceProfile) bool { return udf.Equal(s.Identifier, q.Device) }) {
				return nil
			}
			p.Devices = append(p.Devices, q.signed)
			for i := range p.Applications {
				a := &p.Applications[i]
				if a.Type == profile.ApplicationTypePassword {
					a.SignID = append(a.SignID, q.Device)
					a.DecryptID = append(a.DecryptID, q.Device)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if err := c.rekey(ctx); err != nil {
		return err
	}
	return c.answer(ctx, q, profile.ResultAccepted)
}

// Reject posts a signed Rejected result for the device's pending request.
func (c *Client) Reject(ctx context.Context, device string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	q, err := c.findRequest(ctx, device)
	if err != nil {
		return err
	}
	return c.answer(ctx, q, profile.ResultRejected)
}

func (c *Client) answer(ctx context.Context, q *Request, result string) error {
	res := &profile.ConnectionResult{Device: q.signed, Result: result, Nonce: q.nonce}
	sres, err := res.Sign(c.keys.online)
	if err != nil {
		return err
	}
	req := &mmm.ConnectCompleteRequest{Result: sres, AccountID: c.st.Account}
	if err := mmm.Authenticate(req, c.st.Device, c.keys.auth, c.now()); err != nil {
		return err
	}
	return c.do(ctx, req, &mmm.ConnectCompleteResponse{})
}

// RemoveDevice removes a device from the profile (its devices,
// administrators and the password application) and re-encrypts the
// passwords, under a fresh content key, to the devices that remain and the
// escrow keys. This device cannot remove itself.
func (c *Client) RemoveDevice(ctx context.Context, device string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.admin(); err != nil {
		return err
	}
	if udf.Equal(device, c.st.Device) {
		return fmt.Errorf("%w: a device cannot remove itself", ErrState)
	}
	if err := c.syncOrRepair(ctx); err != nil {
		return err
	}
	if c.personal.Device(device) == nil {
		return fmt.Errorf("client: device %s is not a device of the profile", device)
	}
	drop := func(list []string) []string {
		return slices.DeleteFunc(list, func(s string) bool { return udf.Equal(s, device) })
	}
	err := c.updatePersonal(ctx, func(p *profile.PersonalProfile) error {
		p.Devices = slices.DeleteFunc(p.Devices, func(s *profile.SignedDeviceProfile) bool { return udf.Equal(s.Identifier, device) })
		p.Administrators = drop(p.Administrators)
		for i := range p.Applications {
			p.Applications[i].SignID = drop(p.Applications[i].SignID)
			p.Applications[i].DecryptID = drop(p.Applications[i].DecryptID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return c.rekey(ctx)
}

// updatePersonal checks that this device administers the profile and
// publishes the personal profile changed by change (publishPersonal).
func (c *Client) updatePersonal(ctx context.Context, change func(*profile.PersonalProfile) error) error {
	if err := c.admin(); err != nil {
		return err
	}
	return c.publishPersonal(ctx, change)
}

// publishPersonal applies change to a copy of the personal profile, signs
// the next version with the online key and publishes it; on a concurrent
// update (409) it syncs and tries again.
func (c *Client) publishPersonal(ctx context.Context, change func(*profile.PersonalProfile) error) error {
	return c.publishPersonalWith(ctx, change, nil)
}

// publishPersonalWith is publishPersonal, publishing escrow (if not nil)
// together with the profile (portals store an escrow entry only with a
// profile update signed by an online key).
func (c *Client) publishPersonalWith(ctx context.Context, change func(*profile.PersonalProfile) error, escrow *profile.OfflineEscrowEntry) error {
	for attempt := 1; ; attempt++ {
		cur, err := profile.VerifyPersonalProfile(c.st.Personal) // a fresh copy to change
		if err != nil {
			return fmt.Errorf("%w: stored profile: %w", ErrInvalidProfile, err)
		}
		p := cur.Profile
		if err := change(p); err != nil {
			return err
		}
		p.Versioned = p.Versioned.Next()
		sp, err := p.Sign(c.keys.online)
		if err != nil {
			return err
		}
		v, err := profile.VerifyPersonalProfile(sp)
		if err != nil {
			return fmt.Errorf("%w: the updated profile: %w", ErrInvalidProfile, err)
		}
		e := &mmm.Entry{SignedPersonalProfile: sp}
		if escrow != nil {
			err = c.publishWithEscrow(ctx, e, c.st.PersonalVersion, escrow)
		} else {
			err = c.publish(ctx, e, c.st.PersonalVersion)
		}
		if err == nil {
			c.st.Personal, c.st.PersonalVersion, c.personal = sp, p.Version, v
			return c.save()
		}
		if mmm.StatusOf(err) != mmm.StatusConflict {
			return err
		}
		if attempt >= c.opts.MaxAttempts {
			return fmt.Errorf("%w: gave up after %d attempts: %w", ErrConflict, attempt, err)
		}
		if err := c.sync(ctx); err != nil {
			return fmt.Errorf("client: syncing after a concurrent update: %w", err)
		}
	}
}
