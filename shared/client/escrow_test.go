//go:build !js

package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/meshpass/meshpass/shared/client/clienttest"
	"github.com/meshpass/meshpass/shared/jwe"
	"github.com/meshpass/meshpass/shared/jws"
	"github.com/meshpass/meshpass/shared/keys"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/seal"
	"github.com/meshpass/meshpass/shared/shamir"
	"github.com/meshpass/meshpass/shared/udf"
)

// mistype changes the character at position i of a share's text to
// another character a share may hold.
func mistype(s string, i int) string {
	b := []byte(s)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// wantRecoverErr checks that Recover on a fresh device fails with target
// and leaves nothing stored.
func wantRecoverErr(t *testing.T, p *clienttest.Portal, shares []string, target error, msg string) {
	t.Helper()
	s := NewMemoryStorage()
	r := newClient(t, p, s)
	got, err := r.Recover(context.Background(), p.URL, "alice", "passphrase R", "new laptop", shares, true)
	if got != nil {
		t.Fatalf("a failed Recover returned shares")
	}
	if !errors.Is(err, target) {
		t.Fatalf("Recover: %v, want %v", err, target)
	}
	if !strings.Contains(err.Error(), msg) {
		t.Fatalf("Recover: %q does not say %q", err, msg)
	}
	if r.DeviceID() != "" {
		t.Fatalf("a failed Recover left a device")
	}
	if _, err := s.Get(StateKey); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a failed Recover stored state: %v", err)
	}
	t.Logf("refused: %v", err)
}

// TestEscrowRecover: a profile with two devices and 20 passwords is
// escrowed 2-of-3; both devices are lost; a fresh device recovers with
// shares 1 and 3 and reads every password. Mistyped shares, too few
// shares, shares of different escrows, of no escrow and of another
// account's escrow are refused, each with its own error.
func TestEscrowRecover(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	b := connect(t, p, a)
	want := map[string]string{"a1": "secret1"}
	for i := 2; i <= 20; i++ {
		c := a
		if i%2 == 0 {
			c = b
		}
		user, pass := fmt.Sprintf("user%02d", i), fmt.Sprintf("pass-%02d-%x", i, i*7919)
		_, err := c.Add(ctx, entry(fmt.Sprintf("site%02d.example", i), user, pass))
		if err != nil {
			// a and b write alternately; the other's last write is news.
			must(t, c.Sync(ctx))
			_, err = c.Add(ctx, entry(fmt.Sprintf("site%02d.example", i), user, pass))
		}
		must(t, err)
		want[user] = pass
	}
	must(t, a.Sync(ctx))
	if list, err := a.List(); err != nil || len(list) != 20 {
		t.Fatalf("A has %d entries (%v), want 20", len(list), err)
	}

	// Only the device holding the master key can escrow.
	if _, err := b.Escrow(ctx, "passphrase B", 2, 3); !errors.Is(err, ErrNotAdministrator) {
		t.Fatalf("B escrows: %v", err)
	}
	if _, err := a.Escrow(ctx, "passphrase A", 1, 3); err == nil {
		t.Fatal("escrow with threshold 1 accepted")
	}
	if _, err := a.Escrow(ctx, "not A's", 2, 3); !errors.Is(err, seal.ErrWrongPassphrase) {
		t.Fatalf("escrow with a wrong passphrase: %v", err)
	}
	older, err := a.Escrow(ctx, "passphrase A", 2, 3)
	must(t, err)
	shares, err := a.Escrow(ctx, "passphrase A", DefaultEscrowThreshold, DefaultEscrowShares)
	must(t, err)
	if len(shares) != 3 {
		t.Fatalf("%d shares", len(shares))
	}
	t.Logf("share 1: %s", shares[0])

	// The escrows replaced the online and escrow keys: the profile lists
	// only the latest, the passwords are encrypted to it and no longer to
	// the earlier one, and B still reads them.
	if m := a.personal.Master; len(m.OnlineSignatureKeys) != 1 || len(m.MasterEscrowKeys) != 1 ||
		m.OnlineSignatureKeys[0].UDF != a.keys.online.ID() || m.MasterEscrowKeys[0].UDF != a.keys.escrow.ID() {
		t.Fatalf("master profile after escrow: online %v, escrow %v", m.OnlineSignatureKeys, m.MasterEscrowKeys)
	}
	pp, err := profile.VerifyApplicationProfile(a.st.Password, a.personal)
	must(t, err)
	if _, err := pp.EncryptedData.Decrypt(a.keys.escrow); err != nil {
		t.Fatalf("the latest escrow key cannot read the passwords: %v", err)
	}
	probe := newClient(t, p, nil) // fetches the earlier entry, as Recover does
	probe.st = &state{Portal: p.URL, Account: "alice", LogKey: a.st.LogKey, Checkpoint: a.st.Checkpoint}
	oldKeys, err := probe.fetchEscrow(ctx, mustKey(t, older))
	must(t, err)
	oldEscrow, err := keys.NewDecryptionKey(oldKeys.Escrow)
	must(t, err)
	if _, err := pp.EncryptedData.Decrypt(oldEscrow); !errors.Is(err, jwe.ErrNotRecipient) {
		t.Fatalf("the voided escrow key reads the passwords: %v", err)
	}
	must(t, b.Sync(ctx))
	if list, err := b.List(); err != nil || len(list) != 20 {
		t.Fatalf("B has %d entries (%v) after escrow, want 20", len(list), err)
	}

	// Another account's escrow, on the same portal.
	bob := newClient(t, p, nil)
	must(t, bob.Create(ctx, p.URL, "bob", "passphrase Bob", "bob's laptop"))
	bobShares, err := bob.Escrow(ctx, "passphrase Bob", 2, 2)
	must(t, err)

	// Both of alice's devices are lost.
	must(t, a.Forget())
	must(t, b.Forget())

	t.Run("refused", func(t *testing.T) {
		wantRecoverErr(t, p, []string{shares[0], mistype(shares[1], 7)}, ErrBadShare, "share 2: checksum wrong")
		wantRecoverErr(t, p, []string{mistype(shares[0], 30), shares[2]}, shamir.ErrChecksum, "share 1: checksum wrong")
		wantRecoverErr(t, p, []string{shares[0], shares[1][:len(shares[1])-2]}, ErrBadShare, "share 2: wrong length")
		wantRecoverErr(t, p, []string{shares[0], shares[0]}, ErrBadShare, "duplicate share")
		wantRecoverErr(t, p, []string{shares[2]}, ErrTooFewShares, "too few shares: need 2, got 1")
		wantRecoverErr(t, p, nil, ErrTooFewShares, "no share")
		wantRecoverErr(t, p, []string{shares[0], older[1]}, ErrDifferentSplits, "different splits")
		// Positions are the caller's, blank strings counted.
		wantRecoverErr(t, p, []string{"", mistype(shares[1], 7)}, ErrBadShare, "share 2: checksum wrong")
		wantRecoverErr(t, p, []string{" ", shares[0], "", shares[0]}, ErrBadShare, "share 4: duplicate share: the same share as share 2")
		wantRecoverErr(t, p, []string{"", shares[0], "", older[1]}, ErrDifferentSplits, "share 4 is of another escrow than share 2")
		// The shares of the earlier escrow are void.
		wantRecoverErr(t, p, older[1:], ErrVoided, "no longer the profile's")
		// Shares of a key that names no escrow entry.
		key := make([]byte, 32)
		rand.Read(key)
		split, err := shamir.Split(key, 2, 3)
		must(t, err)
		wantRecoverErr(t, p, []string{split[0].String(), split[1].String()}, ErrWrongKey, "no escrow entry")
		// Bob's shares open bob's keys, which are not alice's.
		wantRecoverErr(t, p, bobShares, ErrOtherProfile, "shares open the keys of profile "+bob.Fingerprint())
	})

	// A fresh device recovers with shares 1 and 3 (in lower case, as
	// someone might type them) and removes the lost devices.
	s := NewMemoryStorage()
	r := newClient(t, p, s)
	newShares, err := r.Recover(ctx, p.URL, "alice", "passphrase R", "new laptop", []string{strings.ToLower(shares[0]), shares[2]}, true)
	must(t, err)
	if len(newShares) != DefaultEscrowShares {
		t.Fatalf("%d new shares, want %d", len(newShares), DefaultEscrowShares)
	}
	checkRecovered := func(c *Client) {
		t.Helper()
		list, err := c.List()
		must(t, err)
		if len(list) != len(want) {
			t.Fatalf("%d entries after recovery, want %d", len(list), len(want))
		}
		for _, e := range list {
			if want[e.Username] != e.Password {
				t.Fatalf("entry %s: password %q, want %q", e.Username, e.Password, want[e.Username])
			}
		}
		devs, err := c.Devices()
		must(t, err)
		if len(devs) != 1 || !devs[0].This || !devs[0].Administrator || !devs[0].Passwords {
			t.Fatalf("devices after recovery: %+v", devs)
		}
	}
	checkRecovered(r)
	// Recovering replaced the keys: the shares used are void.
	wantRecoverErr(t, p, []string{shares[0], shares[2]}, ErrVoided, "no longer the profile's")
	if !r.IsAdministrator() {
		t.Fatal("the recovered device is not an administration device")
	}

	// The state is stored, sealed under the new passphrase, and verifies
	// from the portal again.
	r2 := newClient(t, p, s)
	if err := r2.Unlock("passphrase A"); err == nil {
		t.Fatal("the lost device's passphrase unlocks the recovered device")
	}
	must(t, r2.Unlock("passphrase R"))
	must(t, r2.Sync(ctx))
	checkRecovered(r2)
	// It holds the master key: it can escrow again, and connect devices.
	_, err = r2.Escrow(ctx, "passphrase R", 2, 3)
	must(t, err)
	_, err = r2.Add(ctx, entry("after.example", "after", "recovery"))
	must(t, err)
}

// TestRecoverKeepOthers: recovering without removing the other devices
// keeps them, and they can still read the passwords.
func TestRecoverKeepOthers(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	b := connect(t, p, a)
	shares, err := a.Escrow(ctx, "passphrase A", 2, 3)
	must(t, err)
	must(t, a.Forget())
	r := newClient(t, p, nil)
	_, err = r.Recover(ctx, p.URL, "alice", "passphrase R", "new laptop", shares[1:], false)
	must(t, err)
	devs, err := r.Devices()
	must(t, err)
	if len(devs) != 3 {
		t.Fatalf("%d devices, want A, B and R", len(devs))
	}
	wantUsers(t, r, "a1")
	must(t, b.Sync(ctx))
	wantUsers(t, b, "a1")
	// The recovered device administers: it removes the lost A.
	for _, d := range devs {
		if d.Description == "laptop" {
			must(t, r.RemoveDevice(ctx, d.ID))
		}
	}
	must(t, b.Sync(ctx))
	wantUsers(t, b, "a1")
}

// TestEscrowPortalNeverSeesSecrets: after escrow and recovery, no byte the
// portal stored (its whole SQLite database on disk) and no request it was
// sent holds the escrow key (raw, base64, base64url or hex) or the text of
// a share.
func TestEscrowPortalNeverSeesSecrets(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a := newClient(t, p, nil)
	must(t, a.Create(ctx, p.URL, "alice", "passphrase A", "laptop"))
	_, err := a.Add(ctx, entry("example.com", "a1", "secret1"))
	must(t, err)
	var all [][]string
	for range 2 { // and a re-escrow
		shares, err := a.Escrow(ctx, "passphrase A", 2, 3)
		must(t, err)
		all = append(all, shares)
	}
	must(t, a.Forget())
	r := newClient(t, p, nil)
	newShares, err := r.Recover(ctx, p.URL, "alice", "passphrase R", "new laptop", []string{all[1][0], all[1][2]}, true)
	must(t, err)
	all = append(all, newShares)
	wantUsers(t, r, "a1")

	secrets := map[string][]byte{}
	for i, shares := range all {
		key := mustKey(t, shares)
		for name, enc := range map[string]string{
			"base64":    base64.StdEncoding.EncodeToString(key),
			"base64raw": base64.RawStdEncoding.EncodeToString(key),
			"base64url": base64.RawURLEncoding.EncodeToString(key),
			"hex":       hex.EncodeToString(key),
			"HEX":       strings.ToUpper(hex.EncodeToString(key)),
		} {
			secrets[fmt.Sprintf("escrow %d key, %s", i+1, name)] = []byte(enc)
		}
		secrets[fmt.Sprintf("escrow %d key, raw", i+1)] = key
		// Any 16 bytes of the key.
		secrets[fmt.Sprintf("escrow %d key, raw prefix", i+1)] = key[:16]
		for j, s := range shares {
			secrets[fmt.Sprintf("escrow %d share %d", i+1, j+1)] = []byte(s)
			secrets[fmt.Sprintf("escrow %d share %d without dashes", i+1, j+1)] = []byte(strings.ReplaceAll(s, "-", ""))
		}
	}
	stored := clienttest.StoredBytes(t, p)
	if len(stored) == 0 {
		t.Fatal("no stored bytes found")
	}
	// The database does hold the escrow entries (so the scan looks in the
	// right place).
	escrowID, err := escrowID(mustKey(t, all[1]))
	must(t, err)
	if !bytes.Contains(stored, []byte(strings.ReplaceAll(escrowID, "-", ""))) && !bytes.Contains(stored, []byte(escrowID)) {
		t.Fatalf("the database does not hold escrow entry %s", escrowID)
	}
	var sent []byte
	for _, e := range p.Exchanges() {
		sent = append(append(sent, e.Request...), e.Response...)
	}
	for name, secret := range secrets {
		if bytes.Contains(stored, secret) {
			t.Errorf("the portal's database holds the %s", name)
		}
		if bytes.Contains(sent, secret) {
			t.Errorf("a request to the portal holds the %s", name)
		}
	}
	t.Logf("scanned %d stored bytes and %d bytes of requests for %d secrets", len(stored), len(sent), len(secrets))
}

func mustKey(t *testing.T, shares []string) []byte {
	t.Helper()
	key, _, err := combineShares(shares)
	must(t, err)
	return key
}

// TestRecoverAgain: when the last step of a recovery fails (here the
// portal's answer to the re-encrypted passwords is lost), nothing is
// stored, and recovering again with removeOthers succeeds and drops the
// first attempt's device.
func TestRecoverAgain(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	shares, err := a.Escrow(ctx, "passphrase A", 2, 3)
	must(t, err)
	must(t, a.Forget())

	failed := false
	p.SetRewrite(func(typ string, req, resp []byte) []byte {
		if typ == "PublishRequest" && bytes.Contains(req, []byte("SignedApplicationProfile")) && !failed {
			failed = true
			return []byte(`{"PublishResponse":{"Status":500,"StatusDescription":"lost answer"}}`)
		}
		return nil
	})
	s := NewMemoryStorage()
	r := newClient(t, p, s)
	if _, err := r.Recover(ctx, p.URL, "alice", "passphrase R", "new laptop", shares[:2], false); err == nil || !strings.Contains(err.Error(), "recover again") {
		t.Fatalf("Recover with a lost answer: %v", err)
	}
	if r.DeviceID() != "" {
		t.Fatal("a failed Recover left a device")
	}
	if _, err := s.Get(StateKey); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a failed Recover stored state: %v", err)
	}
	p.SetRewrite(nil)
	_, err = r.Recover(ctx, p.URL, "alice", "passphrase R", "new laptop", shares[1:], true)
	must(t, err)
	wantUsers(t, r, "a1")
	devs, err := r.Devices()
	must(t, err)
	if len(devs) != 1 || !devs[0].This {
		t.Fatalf("devices: %+v", devs)
	}
}

// published decodes, without verifying, the personal and password
// profiles published to p since exchange number from.
func published(t *testing.T, p *clienttest.Portal, from int) (masters []*profile.MasterProfile, passwords []*profile.PasswordProfile) {
	t.Helper()
	for _, e := range p.Exchanges()[from:] {
		if e.Type != "PublishRequest" {
			continue
		}
		req, err := mmm.DecodeRequest(bytes.NewReader(e.Request))
		must(t, err)
		entry := req.(*mmm.PublishRequest).Entry
		switch {
		case entry.SignedPersonalProfile != nil:
			var pp profile.PersonalProfile
			unverified(t, entry.SignedPersonalProfile.SignedData, profile.TagPersonalProfile, &pp)
			mp, err := profile.VerifyMasterProfile(pp.SignedMasterProfile)
			must(t, err)
			masters = append(masters, mp)
		case entry.SignedApplicationProfile != nil:
			var pp profile.PasswordProfile
			unverified(t, entry.SignedApplicationProfile.SignedData, profile.TagPasswordProfile, &pp)
			passwords = append(passwords, &pp)
		}
	}
	return masters, passwords
}

func unverified(t *testing.T, sd *jws.SignedData, tag string, v any) {
	t.Helper()
	payload, err := sd.UnverifiedPayload()
	must(t, err)
	must(t, profile.UnmarshalTagged(payload, tag, v))
}

// publishWith publishes the next version of c's personal profile signed
// with online, as a device holding that key could.
func publishWith(c *Client, online *keys.SigningKey) error {
	cur, err := profile.VerifyPersonalProfile(c.st.Personal)
	if err != nil {
		return err
	}
	pp := cur.Profile
	pp.Versioned = pp.Versioned.Next()
	sp, err := pp.Sign(online)
	if err != nil {
		return err
	}
	return c.publish(context.Background(), &mmm.Entry{SignedPersonalProfile: sp}, c.st.PersonalVersion)
}

// TestRecoverReplacesKeys: the device that created the profile (holding
// the master, online and escrow keys) is stolen; the owner recovers on a
// new device and removes the others. The stolen device's escrow key no
// longer reads the passwords, its online key no longer changes the
// profile (the portal refuses), the shares used are void, and the new
// shares Recover returned recover again.
func TestRecoverReplacesKeys(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	stolen, _ := createAlice(t, p)
	shares, err := stolen.Escrow(ctx, "passphrase A", 3, 4)
	must(t, err)
	r := newClient(t, p, nil)
	newShares, err := r.Recover(ctx, p.URL, "alice", "passphrase R", "new laptop", []string{"", shares[3], shares[0], shares[2]}, true)
	must(t, err)
	// The threshold of the shares used; one more share than it.
	if len(newShares) != 4 {
		t.Fatalf("%d new shares, want 4", len(newShares))
	}
	if _, th, err := combineShares(newShares); err != nil || th != 3 {
		t.Fatalf("new shares: threshold %d, %v", th, err)
	}
	if m := r.personal.Master; len(m.OnlineSignatureKeys) != 1 || len(m.MasterEscrowKeys) != 1 ||
		m.OnlineSignatureKeys[0].UDF != r.keys.online.ID() || m.MasterEscrowKeys[0].UDF != r.keys.escrow.ID() {
		t.Fatalf("master profile after recovery: online %v, escrow %v", m.OnlineSignatureKeys, m.MasterEscrowKeys)
	}
	if udf.Equal(r.keys.online.ID(), stolen.keys.online.ID()) || udf.Equal(r.keys.escrow.ID(), stolen.keys.escrow.ID()) {
		t.Fatal("recovery kept the escrowed keys")
	}

	_, err = r.Add(ctx, entry("new.example", "new", "after the theft"))
	must(t, err)
	pp, err := profile.VerifyApplicationProfile(r.st.Password, r.personal)
	must(t, err)
	if _, err := pp.EncryptedData.Decrypt(stolen.keys.escrow); !errors.Is(err, jwe.ErrNotRecipient) {
		t.Fatalf("the stolen escrow key reads the new passwords: %v", err)
	}
	if _, err := pp.EncryptedData.Decrypt(stolen.keys.enc); !errors.Is(err, jwe.ErrNotRecipient) {
		t.Fatalf("the stolen device key reads the new passwords: %v", err)
	}
	err = publishWith(r, stolen.keys.online)
	var me *mmm.Error
	if !errors.As(err, &me) {
		t.Fatalf("a profile signed with the stolen online key: %v", err)
	}
	t.Logf("stolen online key: %v", err)
	must(t, publishWith(r, r.keys.online)) // the portal takes the new one

	wantRecoverErr(t, p, shares[:3], ErrVoided, "no longer the profile's")
	r2 := newClient(t, p, nil)
	_, err = r2.Recover(ctx, p.URL, "alice", "passphrase R2", "newer laptop", newShares[1:], true)
	must(t, err)
	wantUsers(t, r2, "a1", "new")
}

// TestRecoverOtherAdminReplaced: after a recovery that keeps the other
// devices, the device that created the profile is still a device and
// reads the passwords, but no longer administers, and says why.
func TestRecoverOtherAdminReplaced(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	b := connect(t, p, a)
	shares, err := a.Escrow(ctx, "passphrase A", 2, 3)
	must(t, err)
	r := newClient(t, p, nil)
	_, err = r.Recover(ctx, p.URL, "alice", "passphrase R", "new laptop", shares[:2], false)
	must(t, err)
	if !a.IsAdministrator() {
		t.Fatal("before syncing, A knows of no change")
	}
	must(t, a.Sync(ctx))
	wantUsers(t, a, "a1")
	if a.IsAdministrator() {
		t.Fatal("A still claims to administer")
	}
	for name, f := range map[string]func() error{
		"remove": func() error { return a.RemoveDevice(ctx, b.DeviceID()) },
		"escrow": func() error { _, err := a.Escrow(ctx, "passphrase A", 2, 3); return err },
	} {
		err := f()
		if !errors.Is(err, ErrNotAdministrator) || !strings.Contains(err.Error(), "replaced by an escrow or recovery on another device") {
			t.Fatalf("%s on A: %v", name, err)
		}
		t.Logf("%s on A: %v", name, err)
	}
	must(t, r.RemoveDevice(ctx, a.DeviceID()))
}

// TestRecoverDropsForeignKeys: the profile the portal serves lists an
// extra escrow key, signed with the master key (as a portal holding old
// shares could). The entry is published for real, since a Rewrite cannot
// forge its log proof. Recovery lists only the keys the recovering
// device holds, and encrypts no password profile to the extra key.
func TestRecoverDropsForeignKeys(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	shares, err := a.Escrow(ctx, "passphrase A", 2, 3)
	must(t, err)
	extra, err := keys.GenerateDecryptionKey()
	must(t, err)
	must(t, a.updatePersonal(ctx, func(pp *profile.PersonalProfile) error {
		return a.setMaster(pp, []*keys.PublicKey{a.keys.online.Public()}, []*keys.PublicKey{a.keys.escrow.Public(), extra.Public()})
	}))
	must(t, a.rekey(ctx))
	served, err := profile.VerifyApplicationProfile(a.st.Password, a.personal)
	must(t, err)
	if !served.EncryptedData.HasRecipient(extra.ID()) {
		t.Fatal("the served passwords are not encrypted to the extra key")
	}
	must(t, a.Forget())

	from := len(p.Exchanges())
	r := newClient(t, p, nil)
	_, err = r.Recover(ctx, p.URL, "alice", "passphrase R", "new laptop", shares[1:], true)
	must(t, err)
	masters, passwords := published(t, p, from)
	// Three master profiles: new keys added, the escrow entry's (the
	// portal takes an escrow entry only with a profile update), old keys
	// dropped.
	if len(masters) != 3 || len(passwords) != 2 {
		t.Fatalf("recovery published %d master and %d password profiles, want 3 and 2", len(masters), len(passwords))
	}
	for i, m := range masters {
		for _, k := range m.MasterEscrowKeys {
			if udf.Equal(k.UDF, extra.ID()) {
				t.Fatalf("master profile %d of the recovery lists the extra escrow key", i+1)
			}
		}
	}
	for i, pp := range passwords {
		if pp.EncryptedData.HasRecipient(extra.ID()) {
			t.Fatalf("password profile %d of the recovery is encrypted to the extra key", i+1)
		}
	}
	if m := r.personal.Master; len(m.MasterEscrowKeys) != 1 || m.MasterEscrowKeys[0].UDF != r.keys.escrow.ID() {
		t.Fatalf("escrow keys after recovery: %v", m.MasterEscrowKeys)
	}
	wantUsers(t, r, "a1")
}

// TestRecoverLastStepFails: the answer to the last master profile (the
// one dropping the escrowed keys) is lost. Recover returns the new
// shares with its error, the device is set up and stored, and the
// returned shares recover.
func TestRecoverLastStepFails(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	shares, err := a.Escrow(ctx, "passphrase A", 2, 3)
	must(t, err)
	must(t, a.Forget())

	profiles := 0
	p.SetRewrite(func(typ string, req, resp []byte) []byte {
		if typ == "PublishRequest" && bytes.Contains(req, []byte("SignedPersonalProfile")) {
			if profiles++; profiles == 3 { // the one dropping the old keys
				return []byte(`{"PublishResponse":{"Status":503,"StatusDescription":"unavailable"}}`)
			}
		}
		return nil
	})
	s := NewMemoryStorage()
	r := newClient(t, p, s)
	newShares, err := r.Recover(ctx, p.URL, "alice", "passphrase R", "new laptop", shares[:2], true)
	if err == nil || len(newShares) != 3 || !strings.Contains(err.Error(), "the new shares are valid") {
		t.Fatalf("Recover with the last step failing: %d shares, %v", len(newShares), err)
	}
	t.Logf("last step failed: %v", err)
	p.SetRewrite(nil)
	if r.DeviceID() == "" {
		t.Fatal("the device is not set up")
	}
	if _, err := s.Get(StateKey); err != nil {
		t.Fatalf("the device is not stored: %v", err)
	}
	wantUsers(t, r, "a1")

	r2 := newClient(t, p, nil)
	_, err = r2.Recover(ctx, p.URL, "alice", "passphrase R2", "newer laptop", newShares[:2], true)
	must(t, err)
	wantUsers(t, r2, "a1")
}

// TestEscrowLastStepFails: Escrow's answer to the master profile dropping
// the old keys is lost; it returns the new shares with its error, and
// they recover.
func TestEscrowLastStepFails(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	profiles := 0
	p.SetRewrite(func(typ string, req, resp []byte) []byte {
		if typ == "PublishRequest" && bytes.Contains(req, []byte("SignedPersonalProfile")) {
			if profiles++; profiles == 3 { // the one dropping the old keys
				return []byte(`{"PublishResponse":{"Status":503,"StatusDescription":"unavailable"}}`)
			}
		}
		return nil
	})
	shares, err := a.Escrow(ctx, "passphrase A", 2, 3)
	if err == nil || len(shares) != 3 || !strings.Contains(err.Error(), "the new shares are valid") {
		t.Fatalf("Escrow with the last step failing: %d shares, %v", len(shares), err)
	}
	p.SetRewrite(nil)
	must(t, a.Forget())
	r := newClient(t, p, nil)
	_, err = r.Recover(ctx, p.URL, "alice", "passphrase R", "new laptop", shares[1:], true)
	must(t, err)
	wantUsers(t, r, "a1")
}
