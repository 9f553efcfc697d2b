package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/meshpass/meshpass/shared/jwe"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/translog"
	"github.com/meshpass/meshpass/shared/udf"
)

// verifiers returns the pinned log key's verifiers.
func (c *Client) verifiers() (note.Verifiers, error) {
	v, err := translog.NewVerifiers(c.st.LogKey)
	if err != nil {
		return nil, fmt.Errorf("%w: pinned log key: %v", ErrLog, err)
	}
	return v, nil
}

// advance checks that checkpoint next extends checkpoint prev (both signed
// by the pinned log key), asking the portal for a consistency proof, and
// that next carries the pinned witnesses' cosignatures (witness.go). A
// next that does not extend prev is a fork (ErrFork).
func (c *Client) advance(ctx context.Context, prev, next string) error {
	verifiers, err := c.verifiers()
	if err != nil {
		return err
	}
	nt, err := translog.OpenCheckpoint(next, verifiers)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrLog, err)
	}
	if err := c.extends(ctx, prev, next, nt, verifiers); err != nil {
		return err
	}
	if nt.N == 0 {
		return nil // the empty log is not cosigned
	}
	return c.checkCosigned(next, verifiers)
}

// extends checks that next, of tree nt, extends prev.
func (c *Client) extends(ctx context.Context, prev, next string, nt tlog.Tree, verifiers note.Verifiers) error {
	if prev == "" || prev == next {
		return nil
	}
	pt, err := translog.OpenCheckpoint(prev, verifiers)
	if err != nil {
		return fmt.Errorf("%w: last verified checkpoint: %v", ErrLog, err)
	}
	switch {
	case nt.N < pt.N:
		return fmt.Errorf("%w: %w: the portal's log has %d leaves, fewer than the %d this device verified: the portal was restored from a backup, or it is rolling this device back; this device keeps what it verified — tell the portal's operator, and once they confirm a restore, re-anchor this device", ErrLog, ErrLogShrank, nt.N, pt.N)
	case nt.N == pt.N:
		if nt.Hash != pt.Hash {
			return c.newFork(prev, next, pt, nt, "two different trees of the same size")
		}
		return nil
	case pt.N == 0:
		return nil
	}
	var ar mmm.AuditResponse
	if err := c.do(ctx, &mmm.AuditRequest{OldSize: pt.N, NewSize: nt.N}, &ar); err != nil {
		return fmt.Errorf("%w: asking for a consistency proof: %w", ErrLog, err)
	}
	if err := translog.CheckConsistency(pt, nt, ar.Consistency); err != nil {
		return c.newFork(prev, next, pt, nt, fmt.Sprintf("the tree shown now does not extend the tree verified here: %v", err))
	}
	return nil
}

// newest returns the checkpoint of the largest tree among cps.
func (c *Client) newest(cps []string) (string, error) {
	verifiers, err := c.verifiers()
	if err != nil {
		return "", err
	}
	best, bestN := "", int64(-1)
	for _, cp := range cps {
		t, err := translog.OpenCheckpoint(cp, verifiers)
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrLog, err)
		}
		if t.N > bestN {
			best, bestN = cp, t.N
		}
	}
	return best, nil
}

// checkProofs checks that each entry is in the log as its proof says, and
// that every checkpoint extends the last verified one. It returns the
// newest checkpoint.
func (c *Client) checkProofs(ctx context.Context, entries []mmm.Entry, proofs []*mmm.LogProof) (string, error) {
	if len(proofs) != len(entries) {
		return "", fmt.Errorf("%w: %d entries with %d proofs", ErrLog, len(entries), len(proofs))
	}
	verifiers, err := c.verifiers()
	if err != nil {
		return "", err
	}
	var cps []string
	for i := range entries {
		if proofs[i] == nil {
			return "", fmt.Errorf("%w: entry %s has no proof", ErrLog, entries[i].Identifier())
		}
		leaf, err := translog.LeafData(&entries[i])
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrLog, err)
		}
		if err := translog.VerifyInclusion(proofs[i], leaf, verifiers); err != nil {
			return "", fmt.Errorf("%w: entry %s: %v", ErrLog, entries[i].Identifier(), err)
		}
		cps = append(cps, proofs[i].Checkpoint)
	}
	next, err := c.newest(cps)
	if err != nil {
		return "", err
	}
	if err := c.advance(ctx, c.st.Checkpoint, next); err != nil {
		return "", err
	}
	for _, cp := range cps {
		if err := c.advance(ctx, cp, next); err != nil {
			return "", err
		}
	}
	return next, nil
}

// checkWrite checks the log proof of an entry this device wrote and, if
// it verifies, takes its checkpoint as the last verified one.
func (c *Client) checkWrite(ctx context.Context, e *mmm.Entry, proof *mmm.LogProof) error {
	if proof == nil {
		return fmt.Errorf("%w: the portal returned no log proof for %s", ErrLog, e.Identifier())
	}
	cp, err := c.checkProofs(ctx, []mmm.Entry{*e}, []*mmm.LogProof{proof})
	if err != nil {
		return err
	}
	c.st.Checkpoint = cp
	return nil
}

// fetched is a verified Get of the account.
type fetched struct {
	signed     *profile.SignedPersonalProfile
	personal   *profile.Personal
	password   *profile.SignedApplicationProfile
	version    uint64
	checkpoint string
	// proof is the personal profile's log proof.
	proof *mmm.LogProof
	// pp is the verified password profile (nil if none); with read, data
	// is a format-1 vault's decrypted entries, or ring and keys a
	// format-2 vault's keys.
	pp   *profile.PasswordProfile
	data *profile.PasswordData
	ring *keyring
	keys *vaultKeys
}

// sameEntry reports whether two entries encode to the same leaf.
func sameEntry(a, b mmm.Entry) bool {
	la, err1 := translog.LeafData(&a)
	lb, err2 := translog.LeafData(&b)
	return err1 == nil && err2 == nil && bytes.Equal(la, lb)
}

// maxGetPages bounds how many pages of one Get a client follows.
const maxGetPages = 64

// getAll sends req and, while the answer says it stops short (Next, for an
// answer capped in bytes), asks for the rest, returning every entry and
// proof in one answer. A Next that does not move forward is the portal's
// error, not a loop.
func (c *Client) getAll(ctx context.Context, req *mmm.GetRequest) (*mmm.GetResponse, error) {
	var all mmm.GetResponse
	for page := 0; ; page++ {
		var gr mmm.GetResponse
		if err := c.do(ctx, req, &gr); err != nil {
			return nil, err
		}
		if len(gr.Proofs) > 0 && len(gr.Proofs) != len(gr.Entries) {
			return nil, fmt.Errorf("%w: %d entries with %d proofs", ErrLog, len(gr.Entries), len(gr.Proofs))
		}
		all.Entries = append(all.Entries, gr.Entries...)
		all.Proofs = append(all.Proofs, gr.Proofs...)
		if gr.Next == 0 {
			return &all, nil
		}
		if gr.Next != req.Offset+len(gr.Entries) || len(gr.Entries) == 0 || page+1 >= maxGetPages {
			return nil, fmt.Errorf("%w: the portal's answer says the rest starts at entry %d after %d entries from %d", ErrInvalidProfile, gr.Next, len(gr.Entries), req.Offset)
		}
		next := *req
		next.Offset = gr.Next
		req = &next
	}
}

// fetch gets the account's profiles and verifies them against the pinned
// fingerprint (unless pin is ""), the versions last seen and the log. With
// read, it also requires this device to be authorized and decrypts the
// passwords. With anyRecipients it accepts a password profile that is not
// encrypted to exactly the authorized keys (for Repair only). It changes
// nothing.
func (c *Client) fetch(ctx context.Context, pin string, read, anyRecipients bool) (*fetched, error) {
	gr, err := c.getAll(ctx, &mmm.GetRequest{Account: c.st.Account, Multiple: true})
	if err != nil {
		return nil, err
	}
	if len(gr.Entries) == 0 || gr.Entries[0].SignedPersonalProfile == nil {
		return nil, fmt.Errorf("%w: the portal's answer holds no personal profile", ErrInvalidProfile)
	}
	f := &fetched{signed: gr.Entries[0].SignedPersonalProfile}
	v, err := profile.VerifyPersonalProfile(f.signed)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidProfile, err)
	}
	f.personal = v
	if pin != "" && !udf.Equal(v.Profile.Identifier, pin) {
		return nil, fmt.Errorf("%w: the portal served profile %s for %q; this device is pinned to %s", ErrWrongProfile, v.Profile.Identifier, c.st.Account, pin)
	}
	if err := c.checkMaster(v); err != nil {
		return nil, err
	}
	if c.st.Personal != nil {
		switch {
		case v.Profile.Version < c.st.PersonalVersion:
			return nil, fmt.Errorf("%w: personal profile version %d, but this device has seen version %d", ErrRollback, v.Profile.Version, c.st.PersonalVersion)
		case v.Profile.Version == c.st.PersonalVersion && !sameEntry(gr.Entries[0], mmm.Entry{SignedPersonalProfile: c.st.Personal}):
			return nil, fmt.Errorf("%w: a different personal profile with the version %d this device has seen", ErrRollback, v.Profile.Version)
		}
	}
	app := passwordApp(v)
	if app == nil {
		return nil, fmt.Errorf("%w: the profile has no password application", ErrInvalidProfile)
	}
	var pp *profile.PasswordProfile
	for i := 1; i < len(gr.Entries); i++ {
		e := gr.Entries[i]
		if e.SignedApplicationProfile == nil || !udf.Equal(e.SignedApplicationProfile.Identifier, app.Identifier) {
			continue
		}
		if pp != nil {
			return nil, fmt.Errorf("%w: the password profile appears twice", ErrInvalidProfile)
		}
		if pp, err = profile.VerifyApplicationProfile(e.SignedApplicationProfile, v); errors.Is(err, profile.ErrFormat) {
			return nil, fmt.Errorf("%w: %w", ErrUpgrade, err)
		} else if err != nil {
			return nil, fmt.Errorf("%w: password profile: %w", ErrInvalidProfile, err)
		}
		if err := profile.VerifyRecipients(pp, v); err != nil && !anyRecipients {
			return nil, fmt.Errorf("%w: password profile: %w", ErrInvalidProfile, err)
		}
		f.password, f.version = e.SignedApplicationProfile, pp.Version
		switch {
		case pp.Version < c.st.PasswordVersion:
			return nil, fmt.Errorf("%w: password profile version %d, but this device has seen version %d", ErrRollback, pp.Version, c.st.PasswordVersion)
		case pp.Version == c.st.PasswordVersion && c.st.Password != nil && !sameEntry(e, mmm.Entry{SignedApplicationProfile: c.st.Password}):
			return nil, fmt.Errorf("%w: a different password profile with the version %d this device has seen", ErrRollback, pp.Version)
		case pp.Version > c.st.PasswordVersion && c.st.Password != nil:
			// A later version may not change the writers of earlier key
			// epochs (records under them were checked against them); it
			// adds at most one epoch a version.
			if prev, err := profile.UnverifiedPassword(c.st.Password); err != nil {
				return nil, fmt.Errorf("%w: the stored password profile: %w", ErrTampered, err)
			} else if err := profile.CheckEpochs(prev, pp, int(max(1, pp.Version-prev.Version))); err != nil {
				return nil, fmt.Errorf("%w: password profile version %d against version %d: %w", ErrInvalidProfile, pp.Version, prev.Version, err)
			}
		}
	}
	if pp == nil && c.st.PasswordVersion > 0 {
		return nil, fmt.Errorf("%w: the portal no longer serves the password profile (this device has seen version %d)", ErrRollback, c.st.PasswordVersion)
	}
	if f.checkpoint, err = c.checkProofs(ctx, gr.Entries, gr.Proofs); err != nil {
		return nil, err
	}
	f.proof = gr.Proofs[0]
	if !read {
		return f, nil
	}
	if v.Device(c.st.Device) == nil {
		return nil, fmt.Errorf("%w: device %s is not a device of profile %s", ErrNotAuthorized, c.st.Device, v.Profile.Identifier)
	}
	if !containsID(app.DecryptID, c.st.Device) {
		return nil, fmt.Errorf("%w: device %s may not read the passwords", ErrNotAuthorized, c.st.Device)
	}
	f.pp = pp
	switch {
	case pp == nil:
	case pp.Format == profile.FormatCatalog:
		if f.keys, f.ring, err = openVaultKeys(pp, c.keys.enc); err != nil {
			return nil, err
		}
	default:
		if f.data, err = c.decrypt(pp.EncryptedData); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// decrypt opens a password profile's data with this device's key.
func (c *Client) decrypt(ed *jwe.EncryptedData) (*profile.PasswordData, error) {
	return decryptData(c.keys, ed)
}

// decryptData decrypts a format-1 password profile's data with k.
func decryptData(k *deviceKeys, ed *jwe.EncryptedData) (*profile.PasswordData, error) {
	if k == nil {
		return nil, ErrLocked
	}
	plain, err := ed.Decrypt(k.enc)
	if errors.Is(err, jwe.ErrNotRecipient) {
		return nil, fmt.Errorf("%w: the passwords are not encrypted to this device: %w", ErrNotAuthorized, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTampered, err)
	}
	var d profile.PasswordData
	if err := json.Unmarshal(plain, &d); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTampered, err)
	}
	if d.Entries == nil {
		d.Entries = []profile.PasswordEntry{}
	}
	return &d, nil
}

// commit takes a verified fetch as the device's state and saves it. The
// vault's catalog is then read by syncRecords.
func (c *Client) commit(f *fetched) error {
	c.track(f.personal)
	c.st.Personal, c.st.PersonalVersion = f.signed, f.personal.Profile.Version
	if f.password != nil {
		c.st.Password, c.st.PasswordVersion = f.password, f.version
	}
	c.st.Checkpoint = f.checkpoint
	c.personal = f.personal
	if err := c.save(); err != nil {
		return err
	}
	switch {
	case f.data != nil:
		c.vault = &vaultView{legacy: f.data.Entries}
	case f.ring != nil:
		var legacy []profile.PasswordEntry
		if f.keys.Migrating {
			legacy = f.keys.Entries
		} else if c.st.Legacy != nil {
			var err error
			if legacy, err = c.legacyEntries(c.st.Legacy); err != nil {
				return err
			}
		}
		if c.vault == nil || c.vault.verified == nil {
			c.vault = nil // read from storage, under the new keys
			if _, err := c.view(); err != nil {
				return err
			}
			c.vault.legacy = legacy
			return nil
		}
		c.vault = c.rebased(c.vault, f.ring, legacy)
	}
	return nil
}

// Sync fetches the profile and the passwords from the portal, verifies
// them (signatures up to the pinned fingerprint, versions, log proofs and
// checkpoint consistency, this device's authorization) and decrypts the
// passwords. On any failure the last good state is kept.
func (c *Client) Sync(ctx context.Context) error {
	c.awaitLoad()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sync(ctx)
}

func (c *Client) sync(ctx context.Context) error {
	if err := c.ready(); err != nil {
		return err
	}
	if c.st.Connect != nil {
		return fmt.Errorf("%w: the connection request is still pending; poll it first", ErrState)
	}
	from := c.st.Checkpoint
	if err := c.refresh(ctx); err != nil {
		return err
	}
	if err := c.syncCatalog(ctx); err != nil {
		return err
	}
	c.autoSnapshot(ctx)
	return c.crossCheck(ctx, from)
}

// refresh fetches and verifies the profiles, then the catalog's new
// records.
func (c *Client) refresh(ctx context.Context) error {
	for attempt := 1; ; attempt++ {
		f, err := c.fetch(ctx, c.st.Profile, true, false)
		if err != nil {
			return err
		}
		if err := c.commit(f); err != nil {
			return err
		}
		if c.vault == nil || c.vault.ring == nil {
			return nil
		}
		err = c.syncRecords(ctx)
		if !errors.Is(err, errStaleProfile) || attempt >= c.opts.MaxAttempts {
			return err
		}
	}
}

// syncCatalog moves format-1 entries into the catalog (a vault this
// device upgrades, or an upgrade another device left half done) and
// publishes this device's pending records.
func (c *Client) syncCatalog(ctx context.Context) error {
	v, err := c.view()
	if err != nil {
		return err
	}
	if (v.ring == nil && c.st.Password != nil) || v.legacy != nil {
		app := passwordApp(c.personal)
		if app == nil || !containsID(app.SignID, c.st.Device) {
			return nil // a device that may only read leaves it to others
		}
		if err := c.upgrade(ctx); err != nil {
			return fmt.Errorf("client: upgrading the vault to format 2: %w", err)
		}
	}
	if len(c.catalog().Pending) > 0 {
		return c.publishPending(ctx)
	}
	return nil
}

// Repair republishes the passwords encrypted, under a fresh content key,
// to exactly the keys the profile authorizes: for when Sync fails with
// profile.ErrRecipients, as it does for other devices in the moment
// between an administrator's publishing a changed device list and
// re-encrypting the passwords, and for good if that second step failed.
// Everything else is verified as by Sync; the passwords read are those of
// a password profile signed by an authorized device.
//
// It never adds a reader this device has not approved or seen trusted
// (see state.Trusted): then it fails with an *UnapprovedError
// (ErrUnapprovedDevice) naming the devices, changing nothing. Show them to
// the person; the devices given in confirm are the ones the person
// confirmed, trusted from then on.
func (c *Client) Repair(ctx context.Context, confirm ...string) error {
	c.awaitLoad()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st != nil {
		for _, id := range confirm {
			c.st.Trusted = appendID(c.initTrust(), id)
		}
	}
	return c.repair(ctx)
}

func (c *Client) repair(ctx context.Context) error {
	if err := c.ready(); err != nil {
		return err
	}
	if c.st.Connect != nil {
		return fmt.Errorf("%w: the connection request is still pending; poll it first", ErrState)
	}
	if err := c.syncAnyRecipients(ctx); err != nil {
		return err
	}
	return c.rekey(ctx)
}

// syncAnyRecipients is sync accepting a password profile with the wrong
// recipients; the caller must republish the passwords. It fails with an
// *UnapprovedError if that would add readers this device does not trust
// (having taken the verified profile as the last seen).
func (c *Client) syncAnyRecipients(ctx context.Context) error {
	f, err := c.fetch(ctx, c.st.Profile, true, true)
	if err != nil {
		return err
	}
	if err := c.commit(f); err != nil {
		return err
	}
	if err := c.checkReaders(); err != nil {
		return err
	}
	if c.vault != nil && c.vault.ring != nil {
		return c.syncRecords(ctx)
	}
	return nil
}

// syncOrRepair syncs, repairing a password profile with the wrong
// recipients (an administration step left half done).
func (c *Client) syncOrRepair(ctx context.Context) error {
	err := c.sync(ctx)
	if errors.Is(err, profile.ErrRecipients) {
		return c.repair(ctx)
	}
	return err
}

// CheckLog fetches the portal's latest checkpoint, checks that it is
// signed by the pinned log key and extends the last verified checkpoint
// (with a consistency proof from Audit), and takes it as the last
// verified one. It returns the log's size.
func (c *Client) CheckLog(ctx context.Context) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st == nil {
		return 0, ErrNoDevice
	}
	var sr mmm.StatusResponse
	if err := c.do(ctx, &mmm.StatusRequest{}, &sr); err != nil {
		return 0, err
	}
	from := c.st.Checkpoint
	if err := c.advance(ctx, from, sr.Checkpoint); err != nil {
		return 0, err
	}
	verifiers, err := c.verifiers()
	if err != nil {
		return 0, err
	}
	tree, err := translog.OpenCheckpoint(sr.Checkpoint, verifiers)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrLog, err)
	}
	c.st.Checkpoint = sr.Checkpoint
	if err := c.save(); err != nil {
		return 0, err
	}
	if err := c.crossCheck(ctx, from); err != nil {
		return 0, err
	}
	return tree.N, nil
}
