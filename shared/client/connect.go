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

// witnessLabel names the witness code's construction; a code from another
// construction never equals one of this.
const witnessLabel = "meshpass witness 2"

// ConnectExpiry is how long after it was made a connection request may be
// approved (the portal's default expiry; a portal that keeps requests
// longer cannot make this device approve them).
const ConnectExpiry = 24 * time.Hour

// WitnessCode returns the short code that both the connecting device and
// the administration device show, so the person can check that they see
// the same profile, devices and exchange: ten Base32 characters (50 bits)
// of the SHA-2 UDF of the profile fingerprint, the contributing
// administration device's and the requesting device's Identifiers, the
// administrator's nonce and the requesting device's revealed nonce (see
// profile.ConnectionContribution), written "XXXXX-XXXXX". The characters
// that carry the UDF's version byte are skipped, so all 50 bits come from
// the digest.
func WitnessCode(profileID, adminID, deviceID, adminNonce, deviceNonce string) string {
	canon := func(s string) string {
		if p, err := udf.Parse(s); err == nil {
			return p
		}
		return s
	}
	data := strings.Join([]string{witnessLabel, canon(profileID), canon(adminID), canon(deviceID), adminNonce, deviceNonce}, "\n")
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
	// Profile is the fingerprint of the profile this device asks to join:
	// the person confirms it (ConfirmProfile) before the request goes on.
	Profile string
	// Device is this device's Identifier.
	Device string
	// Confirmed reports that the person confirmed Profile.
	Confirmed bool
	// Administrator is the administration device whose contribution the
	// witness code binds; "" until one has answered.
	Administrator string
	// Witness is the witness code the administration device must show
	// too; "" until an administration device has contributed its nonce
	// and this device has revealed its own (PollConnect does both).
	Witness string
	// Expires is when the portal drops the request.
	Expires time.Time
}

// StartConnect asks to connect this (new) device to account at the portal:
// it pins the portal's log key and the account's profile (verified, with
// its log proofs, the freshest version: see checkNewest), makes the
// device's keys, sealed under passphrase, and posts a signed
// ConnectionRequest carrying the commitment to a secret nonce. Show the
// returned profile fingerprint and have the person confirm it
// (ConfirmProfile), then call PollConnect until an administrator answers;
// the witness code appears in PendingConnect once an administration device
// has listed the request. The new passphrase must pass
// policy.CheckPassphrase. With WithConnectCode, the request carries the
// connect code an administration device issued.
func (c *Client) StartConnect(ctx context.Context, portalURL, account, passphrase, deviceName string, opts ...SetupOption) (*Pending, error) {
	set := setupOf(opts)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.fresh(passphrase); err != nil {
		return nil, err
	}
	logKey, cp, wp, err := hello(ctx, c.opts.Transport, portalURL)
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
	wp.pin(st)
	c.st = st
	fail := func(err error) (*Pending, error) {
		c.st = nil
		return nil, err
	}
	f, err := c.fetch(ctx, "", false, false)
	if err != nil {
		return fail(err)
	}
	if err := c.checkNewest(ctx, portalURL, account, f); err != nil {
		return fail(err)
	}
	id, err := randomString(16)
	if err != nil {
		return fail(err)
	}
	secret, err := profile.NewConnectNonce()
	if err != nil {
		return fail(err)
	}
	req := &profile.ConnectionRequest{ParentUDF: account, Device: sdp, Nonce: id, Time: c.now().Truncate(time.Second), Commitment: profile.Commit(secret)}
	sreq, err := req.Sign(k.sign)
	if err != nil {
		return fail(err)
	}
	var resp mmm.ConnectStartResponse
	if err := c.do(ctx, &mmm.ConnectStartRequest{SignedRequest: sreq, AccountID: account, Code: set.code}, &resp); err != nil {
		return fail(err)
	}
	st.Profile = f.personal.Profile.Identifier
	st.Connect = &connectState{Nonce: id, Time: req.Time, Secret: secret, Expires: resp.Expires}
	st.Trusted = []string{st.Device}
	for _, d := range f.personal.Devices {
		st.Trusted = appendID(st.Trusted, d.Identifier)
	}
	if err := c.commit(f); err != nil {
		return fail(err)
	}
	c.keys = k
	return c.pending(), nil
}

// pending describes the pending request; c.st.Connect must be set.
func (c *Client) pending() *Pending {
	cs := c.st.Connect
	p := &Pending{Profile: c.st.Profile, Device: c.st.Device, Confirmed: cs.Confirmed, Administrator: cs.Administrator, Expires: cs.Expires}
	if cs.Revealed {
		p.Witness = WitnessCode(c.st.Profile, cs.Administrator, c.st.Device, cs.AdminNonce, cs.Secret)
	}
	return p
}

// PendingConnect returns this device's pending connection request, or nil
// if there is none.
func (c *Client) PendingConnect() *Pending {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st == nil || c.st.Connect == nil {
		return nil
	}
	return c.pending()
}

// ConfirmProfile records that the person confirmed that fingerprint, shown
// by StartConnect (Pending.Profile), is the fingerprint of their profile
// (as their other devices show it). PollConnect refuses to go on until
// then. A fingerprint other than the pinned one is ErrWrongProfile.
func (c *Client) ConfirmProfile(fingerprint string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st == nil {
		return ErrNoDevice
	}
	if c.st.Connect == nil {
		return fmt.Errorf("%w: no connection request is pending", ErrState)
	}
	if !udf.Equal(fingerprint, c.st.Profile) {
		return fmt.Errorf("%w: confirmed %s, but this device asked to join %s", ErrWrongProfile, fingerprint, c.st.Profile)
	}
	c.st.Connect.Confirmed = true
	return c.save()
}

// PollConnect asks the portal for the answer to this device's connection
// request. Once an administration device has contributed its nonce, it
// checks the contribution (signed by an administration device of the
// pinned profile, for this request) and reveals this device's nonce, once:
// the witness code is then in PendingConnect. It returns false while there
// is no answer; true once the request is accepted, the answer verified and
// the passwords synced; an error matching ErrUnconfirmedProfile until the
// person confirmed the profile (ConfirmProfile); ErrRejected if it was
// rejected; and ErrConnectResult if the answer or contribution does not
// verify.
func (c *Client) PollConnect(ctx context.Context) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st == nil {
		return false, ErrNoDevice
	}
	cs := c.st.Connect
	if cs == nil {
		return false, fmt.Errorf("%w: no connection request is pending", ErrState)
	}
	if c.keys == nil {
		return false, ErrLocked
	}
	if !cs.Confirmed {
		return false, fmt.Errorf("%w: confirm that %s is your profile's fingerprint first", ErrUnconfirmedProfile, c.st.Profile)
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
		if resp.Contribution != nil && !cs.Revealed {
			if err := c.reveal(ctx, resp.Contribution); err != nil {
				return false, err
			}
		}
		return false, nil
	}
	r, d, err := profile.VerifyConnectionResult(resp.Result, c.personal)
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrConnectResult, err)
	}
	if !udf.Equal(d.Identifier, c.st.Device) || r.Nonce != cs.Nonce {
		return false, fmt.Errorf("%w: the result answers another request (device %s)", ErrConnectResult, d.Identifier)
	}
	if r.Result == profile.ResultRejected {
		return false, ErrRejected
	}
	f, err := c.fetch(ctx, c.st.Profile, true, false)
	if err != nil {
		return false, err
	}
	c.st.Connect = nil
	if err := c.commit(f); err != nil {
		c.st.Connect = cs
		return false, err
	}
	if c.vault != nil && c.vault.ring != nil {
		if err := c.syncRecords(ctx); err != nil {
			return true, fmt.Errorf("client: connected, but reading the vault failed (sync again): %w", err)
		}
	}
	return true, nil
}

// reveal checks an administration device's contribution to this device's
// request and posts the reveal of this device's nonce. It reveals once:
// a later, different contribution is ignored (the witness code stays the
// one of the first).
func (c *Client) reveal(ctx context.Context, s *profile.SignedConnectionContribution) error {
	cs := c.st.Connect
	contrib, _, err := profile.VerifyConnectionContribution(s, c.personal)
	if err != nil {
		return fmt.Errorf("%w: the contribution to this device's request: %w", ErrConnectResult, err)
	}
	if !udf.Equal(contrib.Device, c.st.Device) || contrib.Commitment != profile.Commit(cs.Secret) {
		return fmt.Errorf("%w: the contribution answers another request (device %s)", ErrConnectResult, contrib.Device)
	}
	if cs.AdminNonce != "" && (cs.AdminNonce != contrib.Nonce || !udf.Equal(cs.Administrator, contrib.Administrator)) {
		return nil // revealing again would show a second code
	}
	cs.Administrator, cs.AdminNonce = contrib.Administrator, contrib.Nonce
	if err := c.save(); err != nil {
		return err
	}
	sr, err := (&profile.ConnectionReveal{Device: c.st.Device, Nonce: cs.Secret, Contribution: contrib.Nonce}).Sign(c.keys.sign)
	if err != nil {
		return err
	}
	req := &mmm.ConnectRevealRequest{AccountID: c.st.Account, DeviceID: c.st.Device, Reveal: sr}
	if err := mmm.Authenticate(req, c.st.Device, c.keys.auth, c.now()); err != nil {
		return err
	}
	// 409: the portal holds a reveal already (an answer that got lost).
	if err := c.do(ctx, req, &mmm.ConnectRevealResponse{}); err != nil && mmm.StatusOf(err) != mmm.StatusConflict {
		return err
	}
	cs.Revealed = true
	return c.save()
}

// Request is a pending connection request as an administration device
// shows it.
type Request struct {
	// Device is the Identifier of the device asking to connect.
	Device string
	// Description and Names are as the device gave them.
	Description string
	Names       []string
	// Witness is the witness code the device shows too; "" while the
	// exchange is not complete (Waiting).
	Witness string
	// Administrator is the administration device whose contribution the
	// witness code binds (this device, or another administration device).
	Administrator string
	// Waiting reports an exchange not complete yet: the device has not
	// revealed its nonce. List the requests again in a few seconds.
	Waiting bool
	// Time is when the device made the request.
	Time time.Time
	// Err is why the request does not verify or may not be approved; such
	// a request cannot be approved.
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
	exchanges := map[string]*mmm.ConnectExchange{}
	for _, x := range resp.Exchanges {
		if x == nil {
			continue
		}
		if id, err := udf.Parse(x.Device); err == nil {
			exchanges[id] = x
		}
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
		q := Request{Device: d.Identifier, Description: d.Description, Names: d.Names, Time: r.Time, signed: r.Device, nonce: r.Nonce}
		if q.Err = c.approvable(r, d); q.Err == nil {
			id, _ := udf.Parse(d.Identifier)
			q.Err = c.exchange(ctx, &q, r, d, exchanges[id])
		}
		out = append(out, q)
	}
	return out, nil
}

// approvable says why a verified request may not be approved, or nil:
// another account's, made by a meshpass without the witness exchange,
// expired (whatever the portal says), or of a removed device.
func (c *Client) approvable(r *profile.ConnectionRequest, d *profile.DeviceProfile) error {
	now := c.now()
	switch {
	case !strings.EqualFold(r.ParentUDF, c.st.Account) && !udf.Equal(r.ParentUDF, c.st.Profile):
		return fmt.Errorf("%w: the request is for %q, not this account", ErrInvalidProfile, r.ParentUDF)
	case r.Commitment == "":
		return fmt.Errorf("%w: the request carries no commitment (made by an older meshpass: update it there and connect again)", ErrWitness)
	case now.Sub(r.Time) > ConnectExpiry:
		return fmt.Errorf("%w: made %s, more than %s ago", ErrExpiredRequest, r.Time.Format(time.RFC3339), ConnectExpiry)
	case r.Time.Sub(now) > mmm.MaxClockSkew:
		return fmt.Errorf("%w: made in the future (%s)", ErrExpiredRequest, r.Time.Format(time.RFC3339))
	case c.removed(d.Identifier):
		return fmt.Errorf("%w: device %s was removed from the profile; a removed device connects again only with new keys", ErrRemovedDevice, d.Identifier)
	}
	return nil
}

// removed reports a device removed from the profile, as this device saw
// it or as the profile lists it.
func (c *Client) removed(device string) bool {
	return containsID(c.st.Removed, device) || (c.personal != nil && containsID(c.personal.Profile.Removed, device))
}

// exchange checks the request's witness exchange x (nil if none) and
// fills q's Witness; with no contribution yet, it contributes this
// device's nonce. It returns why the exchange does not verify, or nil.
func (c *Client) exchange(ctx context.Context, q *Request, r *profile.ConnectionRequest, d *profile.DeviceProfile, x *mmm.ConnectExchange) error {
	q.Waiting = true
	if x == nil || x.Contribution == nil {
		nonce, err := profile.NewConnectNonce()
		if err != nil {
			return err
		}
		contrib := &profile.ConnectionContribution{Device: d.Identifier, Commitment: r.Commitment, Administrator: c.st.Device, Nonce: nonce, Time: c.now().Truncate(time.Second)}
		sc, err := contrib.Sign(c.keys.sign)
		if err != nil {
			return err
		}
		req := &mmm.ConnectContributeRequest{AccountID: c.st.Account, Contribution: sc}
		if err := mmm.Authenticate(req, c.st.Device, c.keys.auth, c.now()); err != nil {
			return err
		}
		// 409: another administration device contributed first; the
		// next listing shows its contribution.
		if err := c.do(ctx, req, &mmm.ConnectContributeResponse{}); err != nil && mmm.StatusOf(err) != mmm.StatusConflict {
			return fmt.Errorf("client: contributing to the witness exchange: %w", err)
		}
		q.Administrator = c.st.Device
		return nil
	}
	contrib, _, err := profile.VerifyConnectionContribution(x.Contribution, c.personal)
	if err != nil {
		return fmt.Errorf("%w: the contribution: %w", ErrWitness, err)
	}
	if !udf.Equal(contrib.Device, d.Identifier) || contrib.Commitment != r.Commitment {
		return fmt.Errorf("%w: the contribution answers another request", ErrWitness)
	}
	q.Administrator = contrib.Administrator
	if x.Reveal == nil {
		return nil
	}
	rv, err := profile.VerifyConnectionReveal(x.Reveal, d)
	if err != nil {
		return fmt.Errorf("%w: the reveal: %w", ErrWitness, err)
	}
	if rv.Contribution != contrib.Nonce {
		return fmt.Errorf("%w: the device answered another contribution", ErrWitness)
	}
	if profile.Commit(rv.Nonce) != r.Commitment {
		return fmt.Errorf("%w: the nonce the device revealed is not the one its request committed to", ErrWitness)
	}
	q.Waiting = false
	q.Witness = WitnessCode(c.st.Profile, contrib.Administrator, d.Identifier, contrib.Nonce, rv.Nonce)
	return nil
}

// findRequest returns the pending request of device; with approve, only
// one that may be approved: verified, its witness exchange complete.
func (c *Client) findRequest(ctx context.Context, device string, approve bool) (*Request, error) {
	list, err := c.pendingRequests(ctx)
	if err != nil {
		return nil, err
	}
	for i := range list {
		q := &list[i]
		if !udf.Equal(q.Device, device) {
			continue
		}
		switch {
		case q.signed == nil || (approve && q.Err != nil):
			return nil, q.Err
		case approve && q.Waiting:
			return nil, fmt.Errorf("%w: device %s has not revealed its nonce yet; list the requests again in a few seconds", ErrWitnessPending, q.Device)
		}
		return q, nil
	}
	return nil, fmt.Errorf("%w: device %s", ErrNoRequest, device)
}

// Approve connects the device whose request is pending, once its witness
// exchange is complete and verifies (ErrWitnessPending before; the person
// must have compared the witness codes): it adds the device to the
// personal profile and to the password application (to read and write),
// publishes the profile, re-encrypts the passwords to include the device
// and publishes them, then posts a signed Accepted result. It refuses a
// request that is expired (ErrExpiredRequest, whatever the portal says) or
// of a device removed from the profile before (ErrRemovedDevice).
func (c *Client) Approve(ctx context.Context, device string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	q, err := c.findRequest(ctx, device, true)
	if err != nil {
		return err
	}
	if err := c.syncOrRepair(ctx); err != nil {
		return err
	}
	if err := c.admin(); err != nil { // the keys may be replaced since
		return err
	}
	if c.removed(q.Device) { // as the profile synced now says
		return fmt.Errorf("%w: device %s was removed from the profile", ErrRemovedDevice, q.Device)
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
	c.st.Trusted = appendID(c.st.Trusted, q.Device)
	if err := c.rekeyTrusted(ctx); err != nil {
		return err
	}
	return c.answer(ctx, q, profile.ResultAccepted)
}

// Reject posts a signed Rejected result for the device's pending request
// (also one that may not be approved).
func (c *Client) Reject(ctx context.Context, device string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	q, err := c.findRequest(ctx, device, false)
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
		p.Removed = appendID(p.Removed, device)
		return nil
	})
	if err != nil {
		return err
	}
	c.st.Removed = appendID(c.st.Removed, device)
	c.st.Trusted = drop(c.st.Trusted)
	if err := c.save(); err != nil {
		return err
	}
	return c.rekeyTrusted(ctx)
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
			c.track(v)
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
