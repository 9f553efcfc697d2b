package client

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/meshpass/meshpass/shared/keys"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/policy"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/seal"
	"github.com/meshpass/meshpass/shared/translog"
	"github.com/meshpass/meshpass/shared/udf"
)

// Options configure a Client.
type Options struct {
	// Storage keeps the device's state. Required.
	Storage Storage
	// Transport talks to the portal; nil means one over http.DefaultClient.
	Transport *Transport
	// Params are the Argon2id parameters keys are sealed with; the zero
	// value means seal.DefaultParams.
	Params seal.Params
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxAttempts bounds the tries of an update that meets concurrent
	// updates (409); 0 means 5.
	MaxAttempts int
	// Freshness is how old the witnesses' newest cosignatures of the log
	// may get before Freshness reports it stale; 0 means DefaultFreshness.
	Freshness time.Duration
	// QuietWindow is how long this device may hear nothing new from the
	// profile's other devices before Quiet reports it (checkin.go); 0
	// means DefaultQuietWindow.
	QuietWindow time.Duration
	// SnapshotEvery is how many items the vault's catalog grows by, past
	// the newest snapshot this device knows of, before a Sync of a device
	// that writes the vault publishes a snapshot (docs/vault.md); 0 means
	// DefaultSnapshotEvery, a negative value never.
	SnapshotEvery int64
	// Pause, if set, is called between the items of Warm's read of the
	// stored vault, every 20 ms or so: a runtime with one thread (js/wasm, where a goroutine
	// runs until it blocks) lets other calls in there, so that a call that
	// needs no vault answers while a large one is read.
	Pause func()
}

// DefaultSnapshotEvery is Options.SnapshotEvery's default.
const DefaultSnapshotEvery = 1000

// Client is one device. Its methods are safe for concurrent use.
type Client struct {
	mu   sync.Mutex
	opts Options
	st   *state
	// personal is st.Personal, verified.
	personal *profile.Personal
	// vault is the vault as verified (st.Password decrypted, the stored
	// catalog opened); nil until first read after Unlock.
	vault *vaultView
	// load is the read of the stored vault Warm runs without c.mu, until
	// a view takes it (adopt).
	load *vaultLoad
	// sites is the site index's manifest last read or written
	// (siteindex.go); indexMu orders writers of the index.
	sites   *siteManifest
	indexMu sync.Mutex
	// keys are the unlocked private keys; nil while locked.
	keys *deviceKeys
	// noVault makes Create publish no vault (tests of format-1 vaults).
	noVault bool
	// anchor is the re-anchor PlanReanchor planned last (reanchor.go).
	anchor *Anchor
}

// Open returns the Client whose state opts.Storage holds, or a Client
// with no device yet (ready for Create or StartConnect) if it holds none.
// The keys stay locked until Unlock.
func Open(opts Options) (*Client, error) {
	if opts.Storage == nil {
		return nil, errors.New("client: Options.Storage is required")
	}
	if opts.Transport == nil {
		opts.Transport = &Transport{}
	}
	if opts.Params == (seal.Params{}) {
		opts.Params = seal.DefaultParams
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 5
	}
	if opts.SnapshotEvery == 0 {
		opts.SnapshotEvery = DefaultSnapshotEvery
	}
	c := &Client{opts: opts}
	b, err := opts.Storage.Get(StateKey)
	if errors.Is(err, ErrNotFound) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("client: reading the device state: %w", err)
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("client: device state unreadable: %v", err)
	}
	if st.V != stateVersion {
		return nil, fmt.Errorf("client: device state of version %d, want %d", st.V, stateVersion)
	}
	if st.Personal != nil {
		v, err := profile.VerifyPersonalProfile(st.Personal)
		if err != nil {
			return nil, fmt.Errorf("%w: stored profile: %w", ErrInvalidProfile, err)
		}
		c.personal = v
	}
	c.st = &st
	return c, nil
}

// Unlock opens the device's private keys with passphrase. A wrong
// passphrase returns an error matching seal.ErrWrongPassphrase.
func (c *Client) Unlock(passphrase string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st == nil {
		return ErrNoDevice
	}
	k, err := openKeys(c.st.Sealed, passphrase)
	if err != nil {
		return err
	}
	c.keys = k
	return nil
}

// CheckPassphrase reports whether passphrase opens this device's sealed
// keys (nil) or not (an error wrapping seal.ErrWrongPassphrase), without
// unlocking or changing anything: asked again before an export.
func (c *Client) CheckPassphrase(passphrase string) error {
	c.mu.Lock()
	if c.st == nil {
		c.mu.Unlock()
		return ErrNoDevice
	}
	sealed := c.st.Sealed
	c.mu.Unlock()
	_, err := openKeys(sealed, passphrase)
	return err
}

// Lock forgets the unlocked keys and decrypted passwords.
func (c *Client) Lock() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keys, c.vault, c.load = nil, nil, nil
}

// Fingerprint returns the pinned profile fingerprint (the master profile's
// Identifier), or "" if there is no device.
func (c *Client) Fingerprint() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st == nil {
		return ""
	}
	return c.st.Profile
}

// DeviceID returns this device's Identifier, or "" if there is no device.
func (c *Client) DeviceID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st == nil {
		return ""
	}
	return c.st.Device
}

// Account returns the account and the portal URL, or "" if there is no
// device.
func (c *Client) Account() (account, portalURL string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st == nil {
		return "", ""
	}
	return c.st.Account, c.st.Portal
}

// Device describes a device of the profile.
type Device struct {
	// ID is the device's Identifier (the UDF of its signature key).
	ID string
	// Description and Names are as the device gave them.
	Description string
	Names       []string
	// EncryptionKey is the UDF of the device's encryption key.
	EncryptionKey string
	// Administrator reports an administration device.
	Administrator bool
	// Passwords reports a device that may read the passwords.
	Passwords bool
	// This reports this device.
	This bool
}

// Devices lists the devices of the last verified profile.
func (c *Client) Devices() ([]Device, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st == nil || c.personal == nil {
		return nil, ErrNoDevice
	}
	app := passwordApp(c.personal)
	var out []Device
	for _, d := range c.personal.Devices {
		out = append(out, Device{
			ID:            d.Identifier,
			Description:   d.Description,
			Names:         d.Names,
			EncryptionKey: d.DeviceEncryptionKey.UDF,
			Administrator: c.personal.IsAdministrator(d.Identifier),
			Passwords:     app != nil && containsID(app.DecryptID, d.Identifier),
			This:          udf.Equal(d.Identifier, c.st.Device),
		})
	}
	return out, nil
}

// IsAdministrator reports whether this device may approve and remove
// devices: it holds the online signing key, and the last verified profile
// lists that key and names this device an administrator. It needs the
// keys unlocked. A device whose keys were replaced by an escrow or
// recovery on another device stops being one once it syncs.
func (c *Client) IsAdministrator() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.admin() == nil
}

func containsID(list []string, id string) bool {
	return slices.ContainsFunc(list, func(s string) bool { return udf.Equal(s, id) })
}

// passwordApp returns the profile's password application entry, or nil.
func passwordApp(v *profile.Personal) *profile.ApplicationProfileEntry {
	for i := range v.Profile.Applications {
		if v.Profile.Applications[i].Type == profile.ApplicationTypePassword {
			return &v.Profile.Applications[i]
		}
	}
	return nil
}

func (c *Client) now() time.Time { return c.opts.Now().UTC() }

// do posts a request to the device's portal.
func (c *Client) do(ctx context.Context, req mmm.Request, resp mmm.Response) error {
	return c.opts.Transport.Do(ctx, c.st.Portal, req, resp)
}

// save writes c.st to storage.
func (c *Client) save() error {
	c.st.V = stateVersion
	b, err := json.Marshal(c.st)
	if err != nil {
		return err
	}
	if err := c.opts.Storage.Put(StateKey, b); err != nil {
		return fmt.Errorf("client: saving the device state: %w", err)
	}
	return nil
}

// ready checks that there is a set-up device with unlocked keys.
func (c *Client) ready() error {
	if c.st == nil || c.personal == nil {
		return ErrNoDevice
	}
	if c.keys == nil {
		return ErrLocked
	}
	return nil
}

// randomString returns n random bytes, base64url.
func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// hello asks the portal for its log key, its witnesses and latest
// checkpoint, which a new device pins.
func hello(ctx context.Context, t *Transport, portalURL string) (logKey, checkpoint string, w witnessPin, err error) {
	var h mmm.HelloResponse
	if err := t.Do(ctx, portalURL, &mmm.HelloRequest{}, &h); err != nil {
		return "", "", w, err
	}
	if h.LogKey == "" {
		return "", "", w, fmt.Errorf("%w: the portal keeps no transparency log", ErrLog)
	}
	verifiers, err := translog.NewVerifiers(h.LogKey)
	if err != nil {
		return "", "", w, fmt.Errorf("%w: the portal's log key: %v", ErrLog, err)
	}
	var s mmm.StatusResponse
	if err := t.Do(ctx, portalURL, &mmm.StatusRequest{}, &s); err != nil {
		return "", "", w, err
	}
	if _, err := translog.OpenCheckpoint(s.Checkpoint, verifiers); err != nil {
		return "", "", w, fmt.Errorf("%w: the portal's checkpoint: %v", ErrLog, err)
	}
	if w, err = helloWitnesses(&h, verifiers, s.Checkpoint); err != nil {
		return "", "", w, err
	}
	return h.LogKey, s.Checkpoint, w, nil
}

// Validate asks the portal whether account is a name a new profile may
// take there. A name the portal refuses is an error wrapping
// ErrInvalidAccount that gives the portal's reason; a name
// policy.CheckAccount refuses is refused before asking the portal, with an
// error wrapping both ErrInvalidAccount and policy.ErrAccount.
func (c *Client) Validate(ctx context.Context, portalURL, account string) error {
	return validate(ctx, c.opts.Transport, portalURL, account)
}

// checkAccount checks account with policy.CheckAccount.
func checkAccount(account string) error {
	if _, err := policy.CheckAccount(account); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidAccount, err)
	}
	return nil
}

func validate(ctx context.Context, t *Transport, portalURL, account string) error {
	if err := checkAccount(account); err != nil {
		return err
	}
	var vr mmm.ValidateResponse
	if err := t.Do(ctx, portalURL, &mmm.ValidateRequest{Account: account}, &vr); err != nil {
		return err
	}
	if !vr.Valid {
		return fmt.Errorf("%w: %q: %s", ErrInvalidAccount, account, vr.Reason)
	}
	return nil
}

// fresh checks what setting up a device here needs: no device in this
// storage yet, and a passphrase to seal its keys that policy.CheckPassphrase
// accepts (an error wrapping policy.ErrPassphrase; an empty one wraps
// seal.ErrEmptyPassphrase too).
func (c *Client) fresh(passphrase string) error {
	if c.st != nil {
		return fmt.Errorf("%w: this storage already holds a device", ErrState)
	}
	if err := policy.CheckPassphrase(passphrase); err != nil {
		if passphrase == "" {
			return fmt.Errorf("%w (%w)", err, seal.ErrEmptyPassphrase)
		}
		return err
	}
	return nil
}

// Create makes a new profile for account at the portal, with this device
// as its first (administration) device, and an empty password vault. The
// device keeps the master, online and escrow keys, sealed under
// passphrase with the others; the keys are left unlocked. The passphrase
// and the account name are checked (policy.CheckPassphrase, Validate)
// before anything is made. A portal whose sign-ups are by invitation needs
// the operator's code: WithInvitation.
func (c *Client) Create(ctx context.Context, portalURL, account, passphrase, deviceName string, opts ...SetupOption) error {
	set := setupOf(opts)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.fresh(passphrase); err != nil {
		return err
	}
	if err := checkAccount(account); err != nil {
		return err
	}
	t := c.opts.Transport
	logKey, cp, wp, err := hello(ctx, t, portalURL)
	if err != nil {
		return err
	}
	if err := validate(ctx, t, portalURL, account); err != nil {
		return err
	}

	k, sdp, err := newDevice(deviceName)
	if err != nil {
		return err
	}
	if k.master, err = keys.GenerateSigningKey(); err != nil {
		return err
	}
	if k.online, err = keys.GenerateSigningKey(); err != nil {
		return err
	}
	if k.escrow, err = keys.GenerateDecryptionKey(); err != nil {
		return err
	}
	mp := profile.NewMasterProfile(k.master.Public(), []*keys.PublicKey{k.online.Public()}, []*keys.PublicKey{k.escrow.Public()})
	smp, err := mp.Sign(k.master)
	if err != nil {
		return err
	}
	appID, err := profile.NewApplicationID()
	if err != nil {
		return err
	}
	dev := sdp.Identifier
	pp := &profile.PersonalProfile{
		Identifier:          mp.Identifier,
		SignedMasterProfile: smp,
		Devices:             []*profile.SignedDeviceProfile{sdp},
		Applications: []profile.ApplicationProfileEntry{{
			Identifier: appID, Type: profile.ApplicationTypePassword, Friendly: "Passwords",
			SignID: []string{dev}, DecryptID: []string{dev},
		}},
		Administrators: []string{dev},
		Versioned:      profile.FirstVersion(),
	}
	spp, err := pp.Sign(k.online)
	if err != nil {
		return err
	}
	v, err := profile.VerifyPersonalProfile(spp)
	if err != nil {
		return fmt.Errorf("%w: the new profile: %w", ErrInvalidProfile, err)
	}
	sealed, err := sealKeys(k, passphrase, c.opts.Params)
	if err != nil {
		return err
	}

	st := &state{
		Portal: portalURL, Account: account, Profile: mp.Identifier, Device: dev,
		LogKey: logKey, Checkpoint: cp, Sealed: sealed,
	}
	wp.pin(st)
	c.st = st
	entry := mmm.Entry{SignedPersonalProfile: spp}
	var cr mmm.CreateResponse
	if err := t.Do(ctx, portalURL, &mmm.CreateRequest{Account: account, Profile: entry, Invitation: set.invitation}, &cr); err != nil {
		c.st = nil
		return err
	}
	if err := c.checkWrite(ctx, &entry, cr.Log); err != nil {
		c.st = nil
		return err
	}
	st.Personal, st.PersonalVersion = spp, pp.Version
	c.personal, c.keys = v, k
	c.vault = &vaultView{}
	if err := c.save(); err != nil {
		return err
	}
	// The empty vault; if this fails, the next write publishes it.
	if c.noVault {
		return nil
	}
	return c.upgrade(ctx)
}

// Forget deletes this device's state from storage (its sealed keys
// included) and leaves the Client with no device, as after a rejected
// connection request. The profile on the portal is not changed; remove the
// device from another device first if it was connected.
func (c *Client) Forget() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.deleteChunks(); err != nil {
		return err
	}
	if err := c.deleteSiteIndex(); err != nil {
		return err
	}
	if err := c.opts.Storage.Delete(StateKey); err != nil {
		return err
	}
	c.st, c.personal, c.vault, c.keys = nil, nil, nil, nil
	return nil
}
