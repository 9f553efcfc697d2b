package client

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/meshpass/meshpass/shared/jwe"
	"github.com/meshpass/meshpass/shared/keys"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/seal"
	"github.com/meshpass/meshpass/shared/shamir"
	"github.com/meshpass/meshpass/shared/udf"
)

// Default escrow parameters: any 2 of 3 shares recover the keys.
const (
	DefaultEscrowThreshold = 2
	DefaultEscrowShares    = 3
)

// Errors of Escrow and Recover, each wrapped with detail; test with
// errors.Is. Their messages are meant for the person typing the shares.
var (
	// ErrBadShare means a share does not parse: mistyped (its checksum is
	// wrong), too short or long, holding a character a share cannot
	// hold, or given twice. The message names the share ("share 2:
	// checksum wrong: ..."); the shamir error is wrapped too.
	ErrBadShare = errors.New("client: share refused")
	// ErrTooFewShares means fewer shares were given than the escrow's
	// threshold.
	ErrTooFewShares = errors.New("client: too few shares")
	// ErrDifferentSplits means the shares come from different escrows
	// (different calls to Escrow).
	ErrDifferentSplits = errors.New("client: the shares are not all of one escrow")
	// ErrVoided means the shares open an escrow entry whose keys a later
	// Escrow replaced: they are void.
	ErrVoided = errors.New("client: the shares are of an escrow that a later one voided")
	// ErrWrongKey means the shares rebuild a key for which the portal holds
	// no escrow entry: shares of another portal's escrow, or a share
	// altered in a way its checksum cannot catch.
	ErrWrongKey = errors.New("client: the shares open no escrow entry at this portal")
)

// escrowedKeys is the plaintext of an OfflineEscrowEntry: the private keys
// that administer a profile.
type escrowedKeys struct {
	// Profile is the profile fingerprint (the master profile Identifier).
	Profile string `json:"Profile"`
	// Master is the master signing key's seed, Online the online signing
	// key's, Escrow the escrow decryption key's bytes.
	Master []byte `json:"Master"`
	Online []byte `json:"Online"`
	Escrow []byte `json:"Escrow"`
}

// Escrow puts the profile's administration keys in escrow and returns the
// text of the shares that recover them, to be shown once and written
// down; neither the shares nor the key they share are stored anywhere,
// and the portal sees neither.
//
// First it replaces the online signing key and the escrow key with new
// ones, so that every earlier escrow is void: a new master profile lists
// only the new keys, the passwords are re-encrypted to the new escrow key,
// and the portal refuses anything signed with the old online key. (The
// master key cannot change: it names the profile.) The new keys are
// sealed under passphrase, which must be this device's. Then it encrypts
// the master, escrow and online keys (A256GCM) under a fresh random
// 256-bit key, publishes them as an OfflineEscrowEntry named by the UDF of
// that key (content type profile.ContentTypeEscrow), and splits the key
// into shares of which any threshold recover it (package shamir).
//
// The earlier escrow entries stay on the portal (entries are written once,
// in an append-only log), but Recover refuses them with ErrVoided. They
// still hold the master key: a portal that colluded with the holder of old
// shares could serve that person a forged profile, so old shares should
// still be destroyed. Another administration device holding the old
// online key stops being able to administer.
//
// Only the administration device that holds the master key can escrow.
// On an error the earlier escrow may already be void; call Escrow again.
func (c *Client) Escrow(ctx context.Context, passphrase string, threshold, shares int) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.admin(); err != nil {
		return nil, err
	}
	if c.keys.master == nil || c.keys.escrow == nil {
		return nil, fmt.Errorf("%w: this device does not hold the master and escrow keys", ErrNotAdministrator)
	}
	if !udf.Equal(c.keys.master.ID(), c.st.Profile) {
		return nil, fmt.Errorf("%w: this device's master key is not the profile's", ErrInvalidProfile)
	}
	if threshold < 2 || shares < threshold || shares > 255 {
		return nil, fmt.Errorf("client: escrow needs 2 <= threshold <= shares <= 255, got %d of %d", threshold, shares)
	}
	// The passphrase seals the new keys: it must be this device's.
	if _, err := openKeys(c.st.Sealed, passphrase); err != nil {
		return nil, err
	}
	if err := c.syncOrRepair(ctx); err != nil {
		return nil, err
	}
	if err := c.rotate(ctx, passphrase); err != nil {
		return nil, err
	}

	k := c.keys
	key := make([]byte, 32)
	defer clear(key)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	split, err := shamir.Split(key, threshold, shares)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	plain, err := json.Marshal(&escrowedKeys{Profile: c.st.Profile, Master: k.master.Seed(), Online: k.online.Seed(), Escrow: k.escrow.Bytes()})
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	ed, err := jwe.EncryptDirect(plain, key)
	if err != nil {
		return nil, err
	}
	id, err := escrowID(key)
	if err != nil {
		return nil, err
	}
	e := &mmm.Entry{OfflineEscrowEntry: &profile.OfflineEscrowEntry{Identifier: id, EncryptedData: ed}}
	if err := c.publish(ctx, e, 0); err != nil {
		return nil, err
	}
	if err := c.save(); err != nil {
		return nil, err
	}
	out := make([]string, len(split))
	for i, s := range split {
		out[i] = s.String()
	}
	return out, nil
}

// rotate replaces the online signing key and the escrow key with new
// ones, sealed under passphrase. Each step leaves a usable profile: first
// a master profile listing the old and the new keys (signed, as the
// portal requires, with the old online key), the passwords encrypted to
// both escrow keys, and the new keys sealed; then a master profile listing
// only the new keys (signed with the new online key), and the passwords
// encrypted to the new escrow key only.
func (c *Client) rotate(ctx context.Context, passphrase string) error {
	old := c.keys
	next := *old
	var err error
	if next.online, err = keys.GenerateSigningKey(); err != nil {
		return err
	}
	if next.escrow, err = keys.GenerateDecryptionKey(); err != nil {
		return err
	}
	setMaster := func(online, escrow []*keys.PublicKey) func(*profile.PersonalProfile) error {
		return func(p *profile.PersonalProfile) error {
			cur, err := profile.VerifyMasterProfile(p.SignedMasterProfile)
			if err != nil {
				return fmt.Errorf("%w: %w", ErrInvalidProfile, err)
			}
			mp := profile.NewMasterProfile(cur.MasterSignatureKey, online, escrow)
			mp.Versioned = cur.Versioned.Next()
			if p.SignedMasterProfile, err = mp.Sign(old.master); err != nil {
				return err
			}
			return nil
		}
	}
	reencrypt := func(*profile.PasswordData) error { return nil }

	// Old and new keys.
	cur := c.personal.Master
	both := setMaster(
		append(slices.Clone(cur.OnlineSignatureKeys), next.online.Public()),
		append(slices.Clone(cur.MasterEscrowKeys), next.escrow.Public()))
	if err := c.updatePersonal(ctx, both); err != nil {
		return err
	}
	if err := c.write(ctx, reencrypt); err != nil {
		return err
	}
	sealed, err := sealKeys(&next, passphrase, c.opts.Params)
	if err != nil {
		return err
	}
	oldSealed := c.st.Sealed
	c.st.Sealed, c.keys = sealed, &next
	if err := c.save(); err != nil {
		c.st.Sealed, c.keys = oldSealed, old
		return err
	}

	// Only the new keys.
	only := setMaster([]*keys.PublicKey{next.online.Public()}, []*keys.PublicKey{next.escrow.Public()})
	if err := c.updatePersonal(ctx, only); err != nil {
		return err
	}
	return c.write(ctx, reencrypt)
}

// escrowID is the Identifier of the escrow entry under key.
func escrowID(key []byte) (string, error) {
	return udf.Fingerprint(profile.ContentTypeEscrow, key, 0)
}

// combineShares parses the text of escrow shares and rebuilds the key
// they share. A share that does not parse is named by its position
// (ErrBadShare: "share 2: checksum wrong: ..."); too few shares give
// ErrTooFewShares, shares of different escrows ErrDifferentSplits.
// Empty strings are skipped (but count for the positions).
func combineShares(texts []string) ([]byte, error) {
	var list []shamir.Share
	for i, t := range texts {
		if t == "" {
			continue
		}
		s, err := shamir.ParseShare(t)
		if err != nil {
			return nil, fmt.Errorf("%w: share %d: %w", ErrBadShare, i+1, err)
		}
		list = append(list, s)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("%w: no share given", ErrTooFewShares)
	}
	key, err := shamir.Combine(list)
	switch {
	case err == nil:
	case errors.Is(err, shamir.ErrTooFewShares):
		return nil, fmt.Errorf("%w: need %d, got %d", ErrTooFewShares, list[0].Threshold(), len(list))
	case errors.Is(err, shamir.ErrDifferentSplits), errors.Is(err, shamir.ErrMismatch):
		return nil, fmt.Errorf("%w: %w", ErrDifferentSplits, err)
	default:
		return nil, fmt.Errorf("%w: %w", ErrBadShare, err)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("%w: the shares hold a %d-byte secret, not a 256-bit escrow key", ErrWrongKey, len(key))
	}
	return key, nil
}

// Recover rebuilds the administration keys of account's profile at the
// portal from escrow shares (at least the threshold of one Escrow call)
// and makes this device, which must hold no device yet, an
// administration device of the profile:
//
//   - the shares rebuild the key; the escrow entry named by its UDF is
//     fetched (with its log proof) and decrypted;
//   - the account's profile is fetched and verified; the escrowed master
//     key must be the one it is named by, and the escrowed online and
//     escrow keys must be listed by its master profile;
//   - a new personal profile is published that adds this device (as an
//     administrator that may read and write the passwords) and, if
//     removeOthers, removes every other device;
//   - the passwords, decrypted with the escrow key, are re-encrypted to
//     the new set of devices and published.
//
// This device's keys, the recovered ones included, are sealed under
// passphrase and left unlocked. The device is stored only once all of it
// succeeded; on any error nothing is stored and Recover may be called
// again (if the error came after the new profile was published, that
// profile lists a device whose keys are gone: call Recover again with
// removeOthers, or remove it afterwards).
func (c *Client) Recover(ctx context.Context, portalURL, account, passphrase, deviceName string, shares []string, removeOthers bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st != nil {
		return fmt.Errorf("%w: this storage already holds a device", ErrState)
	}
	if passphrase == "" {
		return seal.ErrEmptyPassphrase
	}
	key, err := combineShares(shares)
	if err != nil {
		return err
	}
	defer clear(key)
	logKey, cp, err := hello(ctx, c.opts.Transport, portalURL)
	if err != nil {
		return err
	}
	k, err := generateDeviceKeys()
	if err != nil {
		return err
	}
	sdp, err := profile.NewDeviceProfile(k.sign.Public(), k.auth.Public(), k.enc.Public(), deviceName, deviceName).Sign(k.sign)
	if err != nil {
		return err
	}
	c.st = &state{Portal: portalURL, Account: account, Device: sdp.Identifier, LogKey: logKey, Checkpoint: cp}
	done := false
	defer func() {
		if !done {
			c.st, c.personal, c.keys, c.data = nil, nil, nil, nil
		}
	}()

	esc, err := c.fetchEscrow(ctx, key)
	if err != nil {
		return err
	}
	if k.master, err = keys.NewSigningKey(esc.Master); err != nil {
		return fmt.Errorf("%w: escrowed master key: %v", ErrTampered, err)
	}
	if k.online, err = keys.NewSigningKey(esc.Online); err != nil {
		return fmt.Errorf("%w: escrowed online key: %v", ErrTampered, err)
	}
	if k.escrow, err = keys.NewDecryptionKey(esc.Escrow); err != nil {
		return fmt.Errorf("%w: escrowed escrow key: %v", ErrTampered, err)
	}

	// The profile, verified (signatures, log proofs); its recipients are
	// not checked since the passwords are re-encrypted below anyway.
	f, err := c.fetch(ctx, "", false, true)
	if err != nil {
		return err
	}
	v := f.personal
	if !udf.Equal(v.Profile.Identifier, k.master.ID()) || !udf.Equal(esc.Profile, k.master.ID()) {
		return fmt.Errorf("%w: the portal serves profile %s for %q, but the escrowed keys are of profile %s", ErrWrongProfile, v.Profile.Identifier, account, k.master.ID())
	}
	if v.Master.OnlineKey(k.online.ID()) == nil || !slices.ContainsFunc(v.Master.MasterEscrowKeys, func(p *keys.PublicKey) bool { return udf.Equal(p.UDF, k.escrow.ID()) }) {
		return fmt.Errorf("%w: the escrowed online and escrow keys are no longer the profile's: use the shares of the latest escrow", ErrVoided)
	}
	data := &profile.PasswordData{Entries: []profile.PasswordEntry{}}
	if f.password != nil {
		pp, err := profile.VerifyApplicationProfile(f.password, v)
		if err != nil {
			return fmt.Errorf("%w: password profile: %w", ErrInvalidProfile, err)
		}
		plain, err := pp.EncryptedData.Decrypt(k.escrow)
		if err != nil {
			return fmt.Errorf("%w: with the escrow key: %w", ErrTampered, err)
		}
		if err := json.Unmarshal(plain, data); err != nil {
			return fmt.Errorf("%w: %v", ErrTampered, err)
		}
		if data.Entries == nil {
			data.Entries = []profile.PasswordEntry{}
		}
	}

	// The new personal profile, signed with the recovered online key.
	p, previous := v.Profile, v.Profile.Version
	dev := sdp.Identifier
	if removeOthers {
		p.Devices, p.Administrators = nil, nil
		for i := range p.Applications {
			p.Applications[i].SignID, p.Applications[i].DecryptID = nil, nil
		}
	}
	p.Devices = append(p.Devices, sdp)
	p.Administrators = append(p.Administrators, dev)
	for i := range p.Applications {
		if a := &p.Applications[i]; a.Type == profile.ApplicationTypePassword {
			a.SignID, a.DecryptID = append(a.SignID, dev), append(a.DecryptID, dev)
		}
	}
	p.Versioned = p.Versioned.Next()
	sp, err := p.Sign(k.online)
	if err != nil {
		return err
	}
	nv, err := profile.VerifyPersonalProfile(sp)
	if err != nil {
		return fmt.Errorf("%w: the new profile: %w", ErrInvalidProfile, err)
	}
	sealed, err := sealKeys(k, passphrase, c.opts.Params)
	if err != nil {
		return err
	}
	c.st.Profile, c.st.Sealed, c.st.Checkpoint = v.Profile.Identifier, sealed, f.checkpoint
	c.st.Password, c.st.PasswordVersion = f.password, f.version
	if err := c.publish(ctx, &mmm.Entry{SignedPersonalProfile: sp}, previous); err != nil {
		return err
	}
	c.st.Personal, c.st.PersonalVersion = sp, p.Version
	c.personal, c.keys, c.data = nv, k, data
	// Re-encrypting the passwords saves the state.
	if err := c.write(ctx, func(*profile.PasswordData) error { return nil }); err != nil {
		return fmt.Errorf("client: the profile lists this device now, but re-encrypting the passwords failed (recover again): %w", err)
	}
	done = true
	return nil
}

// fetchEscrow gets the escrow entry named by the UDF of key, checks its log
// proof and decrypts it.
func (c *Client) fetchEscrow(ctx context.Context, key []byte) (*escrowedKeys, error) {
	id, err := escrowID(key)
	if err != nil {
		return nil, err
	}
	var gr mmm.GetResponse
	err = c.do(ctx, &mmm.GetRequest{Identifier: id}, &gr)
	if mmm.StatusOf(err) == mmm.StatusNotFound {
		return nil, fmt.Errorf("%w (%s): the shares may be of an escrow at another portal, or one was altered", ErrWrongKey, id)
	}
	if err != nil {
		return nil, err
	}
	if len(gr.Entries) != 1 || gr.Entries[0].OfflineEscrowEntry == nil || !udf.Equal(gr.Entries[0].Identifier(), id) {
		return nil, fmt.Errorf("%w: the portal answered with another entry than escrow entry %s", ErrTampered, id)
	}
	e := gr.Entries[0].OfflineEscrowEntry
	if err := profile.CheckEscrowEntry(e); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTampered, err)
	}
	cp, err := c.checkProofs(ctx, gr.Entries, gr.Proofs)
	if err != nil {
		return nil, err
	}
	c.st.Checkpoint = cp
	// The entry is named by the key's fingerprint, so a failure here is
	// not a wrong key but altered data.
	plain, err := e.EncryptedData.DecryptDirect(key)
	if err != nil {
		return nil, fmt.Errorf("%w: escrow entry %s: %w", ErrTampered, id, err)
	}
	defer clear(plain)
	var esc escrowedKeys
	if err := json.Unmarshal(plain, &esc); err != nil {
		return nil, fmt.Errorf("%w: escrow entry %s: %v", ErrTampered, id, err)
	}
	return &esc, nil
}
