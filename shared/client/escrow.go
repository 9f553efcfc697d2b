package client

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/meshpass/meshpass/shared/jwe"
	"github.com/meshpass/meshpass/shared/keys"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/policy"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/shamir"
	"github.com/meshpass/meshpass/shared/udf"
	"github.com/meshpass/meshpass/shared/vault"
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
	// ErrOtherProfile means the shares open the escrow of another profile
	// than the account's (another account's shares, or a portal serving
	// another profile for the account).
	ErrOtherProfile = errors.New("client: these shares are of another profile")
	// ErrBadEscrow means the escrow entry the shares name cannot be read:
	// it does not decrypt under the key they rebuild (which names it), or
	// its content is malformed; the portal altered it.
	ErrBadEscrow = errors.New("client: the escrow entry does not decrypt or is malformed")
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
// It replaces the online signing key and the escrow key with new ones, so
// that every earlier escrow is void (in three steps, see addKeys): in the
// end the master profile lists only the new keys, the passwords are
// encrypted to the new escrow key, and the portal refuses anything signed
// with the old online key. (The master key cannot change: it names the
// profile.) The new keys are sealed under passphrase, which must be this
// device's. The master, escrow and online keys are encrypted (A256GCM)
// under a fresh random 256-bit key and published as an OfflineEscrowEntry
// named by the UDF of that key (content type profile.ContentTypeEscrow);
// the key is split into shares of which any threshold recover it (package
// shamir).
//
// The earlier escrow entries stay on the portal (entries are written once,
// in an append-only log), but Recover refuses them with ErrVoided. They
// still hold the master key: a portal that colluded with the holder of old
// shares could serve that person a forged profile, so old shares should
// still be destroyed. Another administration device holding the old
// online key stops being able to administer.
//
// threshold and shares must pass policy.CheckShares (2 <= threshold <=
// shares <= 16); otherwise the error wraps policy.ErrShares.
//
// Only the administration device that holds the master key can escrow.
// If shares are returned with an error, the shares returned are valid
// even with this error (the new escrow entry is published; only dropping
// the old keys failed, so the earlier shares may still work too until
// Escrow is called again). With an error and no shares, the earlier
// shares still work; call Escrow again.
func (c *Client) Escrow(ctx context.Context, passphrase string, threshold, shares int) ([]string, error) {
	if err := policy.CheckShares(threshold, shares); err != nil {
		return nil, err
	}
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
	// The passphrase seals the new keys: it must be this device's.
	if _, err := openKeys(c.st.Sealed, passphrase); err != nil {
		return nil, err
	}
	if err := c.syncOrRepair(ctx); err != nil {
		return nil, err
	}
	if err := c.admin(); err != nil { // the keys may be replaced since
		return nil, err
	}
	if err := c.addKeys(ctx, passphrase, nil); err != nil {
		return nil, err
	}
	return c.escrowAndDropOld(ctx, threshold, shares)
}

// addKeys is step 1 of replacing the online signing key and the escrow
// key, which takes three steps, each leaving a usable profile and at
// least one set of working shares:
//
//  1. addKeys: new keys are made; a master profile listing the old and
//     the new keys is published, signed (as the portal requires) with the
//     old online key; the passwords are re-encrypted to it; the new keys
//     are sealed under passphrase and stored. The old shares still work.
//  2. publishEscrow: a new escrow entry holds the new keys. Now the new
//     shares work too.
//  3. dropOldKeys: a master profile listing only the new keys, signed
//     with the new online key, and the passwords re-encrypted to it. Now
//     the old shares are void.
//
// The master profiles list exactly the keys this device holds, never
// other keys the profile listed: whoever else held a listed key (a lost
// device, a forged profile) loses it.
//
// change, if not nil, changes the personal profile published in step 1.
// The caller must hold the master, online and escrow keys, the online key
// listed by c.personal.
func (c *Client) addKeys(ctx context.Context, passphrase string, change func(*profile.PersonalProfile)) error {
	old := c.keys
	next := *old
	var err error
	if next.online, err = keys.GenerateSigningKey(); err != nil {
		return err
	}
	if next.escrow, err = keys.GenerateDecryptionKey(); err != nil {
		return err
	}
	err = c.publishPersonal(ctx, func(p *profile.PersonalProfile) error {
		if change != nil {
			change(p)
		}
		return c.setMaster(p,
			[]*keys.PublicKey{old.online.Public(), next.online.Public()},
			[]*keys.PublicKey{old.escrow.Public(), next.escrow.Public()})
	})
	if err != nil {
		return err
	}
	if err := c.rekey(ctx); err != nil {
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
	return nil
}

// dropOldKeys is step 3: only this device's (new) keys stay listed.
func (c *Client) dropOldKeys(ctx context.Context) error {
	k := c.keys
	err := c.updatePersonal(ctx, func(p *profile.PersonalProfile) error {
		return c.setMaster(p, []*keys.PublicKey{k.online.Public()}, []*keys.PublicKey{k.escrow.Public()})
	})
	if err != nil {
		return err
	}
	return c.rekey(ctx)
}

// escrowAndDropOld is steps 2 and 3. Once the escrow entry is published,
// the shares are returned even with an error.
func (c *Client) escrowAndDropOld(ctx context.Context, threshold, n int) ([]string, error) {
	shares, err := c.publishEscrow(ctx, threshold, n)
	if err != nil {
		return nil, fmt.Errorf("client: the new keys are in place but could not be escrowed; the shares of the earlier escrow still work (escrow again): %w", err)
	}
	if err := c.dropOldKeys(ctx); err != nil {
		return shares, fmt.Errorf("client: the new shares are valid, but removing the old keys from the profile failed, so the earlier shares may still work too (escrow again to void them): %w", err)
	}
	return shares, nil
}

// setMaster sets p's master profile to the next version listing exactly
// the given online and escrow keys, signed with the master key.
func (c *Client) setMaster(p *profile.PersonalProfile, online, escrow []*keys.PublicKey) error {
	cur, err := profile.VerifyMasterProfile(p.SignedMasterProfile)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidProfile, err)
	}
	mp := profile.NewMasterProfile(c.keys.master.Public(), online, escrow)
	mp.Versioned = cur.Versioned.Next()
	p.SignedMasterProfile, err = mp.Sign(c.keys.master)
	return err
}

// publishEscrow is step 2: it encrypts this device's master, online and
// escrow keys under a fresh key, publishes them as an escrow entry, and
// returns the text of n shares of the key, any threshold of which
// rebuild it.
func (c *Client) publishEscrow(ctx context.Context, threshold, n int) ([]string, error) {
	k := c.keys
	key := make([]byte, 32)
	defer clear(key)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	split, err := shamir.Split(key, threshold, n)
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
	escrow := &profile.OfflineEscrowEntry{Identifier: id, EncryptedData: ed}
	// The portal stores an escrow entry only with a personal profile
	// update signed by an online key: the next version, unchanged.
	if err := c.publishPersonalWith(ctx, func(*profile.PersonalProfile) error { return nil }, escrow); err != nil {
		return nil, err
	}
	out := make([]string, len(split))
	for i, s := range split {
		out[i] = s.String()
	}
	return out, nil
}

// publishWithEscrow publishes personal profile e made from version
// previous together with escrow, and checks both log proofs.
func (c *Client) publishWithEscrow(ctx context.Context, e *mmm.Entry, previous uint64, escrow *profile.OfflineEscrowEntry) error {
	var pr mmm.PublishResponse
	if err := c.do(ctx, &mmm.PublishRequest{Entry: *e, Previous: previous, Escrow: escrow, CheckIn: c.signCheckIn()}, &pr); err != nil {
		return err
	}
	cp, err := c.checkProofs(ctx, []mmm.Entry{*e, {OfflineEscrowEntry: escrow}}, []*mmm.LogProof{pr.Log, pr.EscrowLog})
	if err != nil {
		return err
	}
	c.st.Checkpoint = cp
	return nil
}

// escrowID is the Identifier of the escrow entry under key.
func escrowID(key []byte) (string, error) {
	return udf.Fingerprint(profile.ContentTypeEscrow, key, 0)
}

// combineShares parses the text of escrow shares and rebuilds the key
// they share; it returns the key and the threshold of the escrow. Shares
// are named by their position in texts, blank strings counted but
// skipped: a share that does not parse, or is given twice, gives
// ErrBadShare ("share 2: checksum wrong: ..."); too few shares give
// ErrTooFewShares, shares of different escrows ErrDifferentSplits.
func combineShares(texts []string) ([]byte, int, error) {
	var list []shamir.Share
	var pos []int // pos[i] is the position in texts of list[i], from 1
	for i, t := range texts {
		if strings.TrimSpace(t) == "" {
			continue
		}
		s, err := shamir.ParseShare(t)
		if err != nil {
			return nil, 0, fmt.Errorf("%w: share %d: %w", ErrBadShare, i+1, err)
		}
		for j, o := range list {
			switch {
			case o.SplitID() != s.SplitID() || o.Threshold() != s.Threshold():
				return nil, 0, fmt.Errorf("%w: %w: share %d is of another escrow than share %d", ErrDifferentSplits, shamir.ErrDifferentSplits, i+1, pos[j])
			case o.Index() == s.Index():
				return nil, 0, fmt.Errorf("%w: share %d: %w: the same share as share %d", ErrBadShare, i+1, shamir.ErrDuplicateIndex, pos[j])
			}
		}
		list, pos = append(list, s), append(pos, i+1)
	}
	if len(list) == 0 {
		return nil, 0, fmt.Errorf("%w: no share given", ErrTooFewShares)
	}
	threshold := list[0].Threshold()
	key, err := shamir.Combine(list)
	switch {
	case err == nil:
	case errors.Is(err, shamir.ErrTooFewShares):
		return nil, 0, fmt.Errorf("%w: need %d, got %d", ErrTooFewShares, threshold, len(list))
	default: // shares of one split that do not fit together: altered
		return nil, 0, fmt.Errorf("%w: %w", ErrBadShare, err)
	}
	if len(key) != 32 {
		return nil, 0, fmt.Errorf("%w: the shares hold a %d-byte secret, not a 256-bit escrow key", ErrWrongKey, len(key))
	}
	return key, threshold, nil
}

// Recover rebuilds the administration keys of account's profile at the
// portal from escrow shares (at least the threshold of one Escrow call),
// makes this device, which must hold no device yet, an administration
// device of the profile, and puts the keys in a new escrow, returning the
// text of its shares: the shares given are void afterwards, and the new
// ones must be written down (shown once, as Escrow's). The new escrow has
// the threshold of the shares given, and max(DefaultEscrowShares,
// threshold+1) shares, within policy.MaxShares (the threshold of an escrow
// made before that limit is lowered to it). The new passphrase must pass
// policy.CheckPassphrase.
//
//   - the shares rebuild the key; the escrow entry named by its UDF is
//     fetched (with its log proof) and decrypted;
//   - the account's profile is fetched and verified; the escrowed master
//     key must be the one it is named by, and the escrowed online and
//     escrow keys must be listed by its master profile;
//   - the online and escrow keys are replaced, as by Escrow: a personal
//     profile is published that adds this device (as an administrator
//     that may read and write the passwords), if removeOthers removes
//     every other device, and lists the escrowed and new keys; the
//     passwords, decrypted with the escrowed escrow key, are re-encrypted
//     to it; the new keys are escrowed; and a last profile lists only the
//     new keys. Whoever else holds the escrowed keys (a stolen device, the
//     holder of the shares used) can no longer read new passwords or
//     change the profile. The master profile lists exactly the keys this
//     device holds: other keys the fetched profile listed are dropped.
//
// This device's keys are sealed under passphrase and left unlocked.
//
// On an error with no shares returned before this device is set up (the
// profile lists it and the passwords are encrypted to it), nothing is
// stored and Recover may be called again with the same shares (if the
// profile was already published, it lists a device whose keys are gone:
// recover again with removeOthers, or remove it afterwards). After that
// the device is stored even with an error: with no shares returned, the
// new escrow failed and the shares given still work (call Escrow); with
// shares returned, the shares returned are valid even with this error
// (only dropping the escrowed keys failed: call Escrow to do so, which
// voids them).
func (c *Client) Recover(ctx context.Context, portalURL, account, passphrase, deviceName string, shares []string, removeOthers bool) (newShares []string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.fresh(passphrase); err != nil {
		return nil, err
	}
	key, threshold, err := combineShares(shares)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	logKey, cp, wp, err := hello(ctx, c.opts.Transport, portalURL)
	if err != nil {
		return nil, err
	}
	k, sdp, err := newDevice(deviceName)
	if err != nil {
		return nil, err
	}
	c.st = &state{Portal: portalURL, Account: account, Device: sdp.Identifier, LogKey: logKey, Checkpoint: cp}
	wp.pin(c.st)
	done := false
	defer func() {
		if done {
			return
		}
		// The steps before may have saved the state.
		if derr := c.opts.Storage.Delete(StateKey); derr != nil {
			err = errors.Join(err, derr)
		}
		c.st, c.personal, c.keys, c.vault = nil, nil, nil, nil
	}()

	esc, err := c.fetchEscrow(ctx, key)
	if err != nil {
		return nil, err
	}
	if k.master, err = keys.NewSigningKey(esc.Master); err != nil {
		return nil, fmt.Errorf("%w: escrowed master key: %v", ErrBadEscrow, err)
	}
	if k.online, err = keys.NewSigningKey(esc.Online); err != nil {
		return nil, fmt.Errorf("%w: escrowed online key: %v", ErrBadEscrow, err)
	}
	if k.escrow, err = keys.NewDecryptionKey(esc.Escrow); err != nil {
		return nil, fmt.Errorf("%w: escrowed escrow key: %v", ErrBadEscrow, err)
	}
	if !udf.Equal(esc.Profile, k.master.ID()) {
		return nil, fmt.Errorf("%w: it names profile %s, but holds the master key of %s", ErrBadEscrow, esc.Profile, k.master.ID())
	}

	// The profile, verified (signatures, log proofs); its recipients are
	// not checked since the passwords are re-encrypted below anyway.
	f, err := c.fetch(ctx, "", false, true)
	if err != nil {
		return nil, err
	}
	v := f.personal
	if !udf.Equal(v.Profile.Identifier, k.master.ID()) {
		return nil, fmt.Errorf("%w: the portal serves profile %s for %q, but the shares open the keys of profile %s", ErrOtherProfile, v.Profile.Identifier, account, k.master.ID())
	}
	if v.Master.OnlineKey(k.online.ID()) == nil || !slices.ContainsFunc(v.Master.MasterEscrowKeys, func(p *keys.PublicKey) bool { return udf.Equal(p.UDF, k.escrow.ID()) }) {
		return nil, fmt.Errorf("%w: the escrowed online and escrow keys are no longer the profile's: use the shares of the latest escrow", ErrVoided)
	}
	view := &vaultView{}
	if f.password != nil {
		pp, err := profile.VerifyApplicationProfile(f.password, v)
		if errors.Is(err, profile.ErrFormat) {
			return nil, fmt.Errorf("%w: %w", ErrUpgrade, err)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: password profile: %w", ErrInvalidProfile, err)
		}
		if pp.Format == profile.FormatCatalog {
			vk, ring, err := openVaultKeys(pp, k.escrow)
			if err != nil {
				return nil, fmt.Errorf("with the escrow key: %w", err)
			}
			view.ring, view.verified = ring, vault.NewCatalog(ring)
			view.cat = view.verified
			if vk.Migrating {
				view.legacy = vk.Entries
			}
		} else {
			plain, err := pp.EncryptedData.Decrypt(k.escrow)
			if err != nil {
				return nil, fmt.Errorf("%w: with the escrow key: %w", ErrTampered, err)
			}
			var data profile.PasswordData
			if err := json.Unmarshal(plain, &data); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrTampered, err)
			}
			view.legacy = data.Entries
		}
	}

	// This device, holding the escrowed keys, as of the fetched profile.
	sealed, err := sealKeys(k, passphrase, c.opts.Params)
	if err != nil {
		return nil, err
	}
	c.st.Profile, c.st.Sealed, c.st.Checkpoint = v.Profile.Identifier, sealed, f.checkpoint
	c.st.Personal, c.st.PersonalVersion = f.signed, v.Profile.Version
	c.st.Password, c.st.PasswordVersion = f.password, f.version
	c.personal, c.keys, c.vault = v, k, view

	// Step 1 of replacing the keys adds this device, signed with the
	// escrowed online key.
	dev := sdp.Identifier
	addDevice := func(p *profile.PersonalProfile) {
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
	}
	if err := c.addKeys(ctx, passphrase, addDevice); err != nil {
		return nil, fmt.Errorf("client: recovery failed (recover again): %w", err)
	}
	done = true
	threshold = min(threshold, policy.MaxShares) // an escrow from before the limit
	n := min(max(DefaultEscrowShares, threshold+1), policy.MaxShares)
	return c.escrowAndDropOld(ctx, threshold, n)
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
		return nil, fmt.Errorf("%w: the portal answered with another entry than escrow entry %s", ErrBadEscrow, id)
	}
	e := gr.Entries[0].OfflineEscrowEntry
	if err := profile.CheckEscrowEntry(e); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadEscrow, err)
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
		return nil, fmt.Errorf("%w: escrow entry %s: %w", ErrBadEscrow, id, err)
	}
	defer clear(plain)
	var esc escrowedKeys
	if err := json.Unmarshal(plain, &esc); err != nil {
		return nil, fmt.Errorf("%w: escrow entry %s: %v", ErrBadEscrow, id, err)
	}
	return &esc, nil
}
