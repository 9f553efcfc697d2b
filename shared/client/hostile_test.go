package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/meshpass/meshpass/shared/client/clienttest"
	"github.com/meshpass/meshpass/shared/jwe"
	"github.com/meshpass/meshpass/shared/jws"
	"github.com/meshpass/meshpass/shared/keys"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/translog"
)

// rewriteAnswer returns a Rewrite that changes the portal's answers to
// requests of type typ with f.
func rewriteAnswer[R any, P interface {
	*R
	mmm.Response
}](t *testing.T, typ string, f func(P)) clienttest.Rewrite {
	return func(got string, _, resp []byte) []byte {
		if got != typ {
			return nil
		}
		answer := P(new(R))
		if err := mmm.DecodeResponse(bytes.NewReader(resp), answer); err != nil {
			t.Errorf("decoding the portal's answer: %v", err)
			return nil
		}
		f(answer)
		b, err := mmm.Encode(answer)
		if err != nil {
			t.Error(err)
		}
		return b
	}
}

// rewriteGet returns a Rewrite that changes Get answers with f.
func rewriteGet(t *testing.T, f func(*mmm.GetResponse)) clienttest.Rewrite {
	return rewriteAnswer(t, "GetRequest", f)
}

// checkKept checks that a failed sync kept the last good state.
func checkKept(t *testing.T, c *Client, version uint64, users ...string) {
	t.Helper()
	if c.st.PasswordVersion != version {
		t.Fatalf("password version %d, want %d kept", c.st.PasswordVersion, version)
	}
	wantUsers(t, c, users...)
}

func TestHostileRollback(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	must(t, a.Sync(ctx))
	old := p.Last("GetRequest").Response
	_, err := a.Add(ctx, entry("example.net", "a2", "pw"))
	must(t, err)
	must(t, a.rekey(ctx)) // a new password profile version
	v := a.st.PasswordVersion
	p.SetRewrite(func(typ string, _, _ []byte) []byte {
		if typ == "GetRequest" {
			return old
		}
		return nil
	})
	err = a.Sync(ctx)
	if !errors.Is(err, ErrRollback) {
		t.Fatalf("replayed Get: %v", err)
	}
	t.Logf("rollback: %v", err)
	checkKept(t, a, v, "a1", "a2")
	p.SetRewrite(nil)
	must(t, a.Sync(ctx))
}

func TestHostileSwappedProfile(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	must(t, newClient(t, p, nil).Create(ctx, p.URL, "carol", "passphrase C", "laptop"))
	v := a.st.PasswordVersion
	p.SetRewrite(func(typ string, req, _ []byte) []byte {
		if typ != "GetRequest" {
			return nil
		}
		_, resp := p.Forward(bytes.Replace(req, []byte(`"alice"`), []byte(`"carol"`), 1))
		return resp
	})
	err := a.Sync(ctx)
	if !errors.Is(err, ErrWrongProfile) {
		t.Fatalf("swapped profile: %v", err)
	}
	t.Logf("swapped: %v", err)
	checkKept(t, a, v, "a1")
}

func TestHostileInclusionProof(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	v := a.st.PasswordVersion
	p.SetRewrite(rewriteGet(t, func(gr *mmm.GetResponse) {
		pr := gr.Proofs[len(gr.Proofs)-1]
		hashes, err := translog.DecodeHashes(pr.Inclusion)
		if err != nil || len(hashes) == 0 {
			pr.Index++
			return
		}
		hashes[0][0] ^= 1
		pr.Inclusion = translog.EncodeHashes(hashes)
	}))
	err := a.Sync(ctx)
	if !errors.Is(err, ErrLog) {
		t.Fatalf("bad inclusion proof: %v", err)
	}
	t.Logf("bad proof: %v", err)
	checkKept(t, a, v, "a1")
}

// editPayload rewrites a signed object's payload (tagged tag) through f,
// keeping the old signature, as a portal without the keys could.
func editPayload[T any](t *testing.T, sd *jws.SignedData, tag string, f func(*T)) {
	t.Helper()
	payload, err := sd.UnverifiedPayload()
	if err != nil {
		t.Fatal(err)
	}
	var v T
	if err := profile.UnmarshalTagged(payload, tag, &v); err != nil {
		t.Fatal(err)
	}
	f(&v)
	b, err := profile.MarshalTagged(tag, &v)
	if err != nil {
		t.Fatal(err)
	}
	sd.Payload = base64.RawURLEncoding.EncodeToString(b)
}

func TestHostileDroppedDevice(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	b := connect(t, p, a)
	p.SetRewrite(rewriteGet(t, func(gr *mmm.GetResponse) {
		editPayload(t, gr.Entries[0].SignedPersonalProfile.SignedData, profile.TagPersonalProfile, func(pp *profile.PersonalProfile) {
			pp.Devices = pp.Devices[:1]
			pp.Applications[0].SignID = pp.Applications[0].SignID[:1]
			pp.Applications[0].DecryptID = pp.Applications[0].DecryptID[:1]
		})
	}))
	for _, c := range []*Client{a, b} {
		err := c.Sync(ctx)
		if !errors.Is(err, ErrInvalidProfile) || !errors.Is(err, profile.ErrSignature) {
			t.Fatalf("dropped device: %v", err)
		}
		t.Logf("dropped device: %v", err)
	}
}

func TestHostileTamperedPasswords(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		f    func(*profile.PasswordProfile)
	}{
		{"ciphertext", func(pp *profile.PasswordProfile) {
			c := []byte(pp.EncryptedData.Ciphertext)
			c[0] ^= 1
			pp.EncryptedData.Ciphertext = string(c)
		}},
		{"escrow stripped", func(pp *profile.PasswordProfile) {
			pp.EncryptedData.Recipients = pp.EncryptedData.Recipients[:len(pp.EncryptedData.Recipients)-1]
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := clienttest.New(t)
			a, _ := createAlice(t, p)
			v := a.st.PasswordVersion
			p.SetRewrite(rewriteGet(t, func(gr *mmm.GetResponse) {
				editPayload(t, gr.Entries[1].SignedApplicationProfile.SignedData, profile.TagPasswordProfile, tc.f)
			}))
			err := a.Sync(ctx)
			if !errors.Is(err, ErrInvalidProfile) || !errors.Is(err, profile.ErrSignature) {
				t.Fatalf("%v", err)
			}
			t.Logf("%s: %v", tc.name, err)
			checkKept(t, a, v, "a1")
		})
	}
}

func TestHostileOldPasswordProfile(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	must(t, a.Sync(ctx))
	var old mmm.GetResponse
	must(t, mmm.DecodeResponse(bytes.NewReader(p.Last("GetRequest").Response), &old))
	_, err := a.Add(ctx, entry("example.net", "a2", "pw"))
	must(t, err)
	must(t, a.rekey(ctx)) // a new password profile version
	v := a.st.PasswordVersion
	p.SetRewrite(rewriteGet(t, func(gr *mmm.GetResponse) {
		gr.Entries[1], gr.Proofs[1] = old.Entries[1], old.Proofs[1]
	}))
	if err := a.Sync(ctx); !errors.Is(err, ErrRollback) {
		t.Fatalf("old password profile: %v", err)
	}
	checkKept(t, a, v, "a1", "a2")
}

func TestHostileCheckpoint(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	must(t, a.Sync(ctx))
	old := p.Last("GetRequest").Response
	// Another account makes the log grow.
	must(t, newClient(t, p, nil).Create(ctx, p.URL, "carol", "passphrase C", "laptop"))

	// A consistency proof that does not prove.
	p.SetRewrite(func(typ string, _, resp []byte) []byte {
		if typ != "AuditRequest" {
			return nil
		}
		var ar mmm.AuditResponse
		must(t, mmm.DecodeResponse(bytes.NewReader(resp), &ar))
		hashes, err := translog.DecodeHashes(ar.Consistency)
		must(t, err)
		hashes[0][0] ^= 1
		ar.Consistency = translog.EncodeHashes(hashes)
		b, _ := mmm.Encode(&ar)
		return b
	})
	cp := a.st.Checkpoint
	err := a.Sync(ctx)
	if !errors.Is(err, ErrLog) {
		t.Fatalf("bad consistency proof: %v", err)
	}
	t.Logf("bad consistency proof: %v", err)
	if a.st.Checkpoint != cp {
		t.Fatal("checkpoint advanced on a failed sync")
	}
	p.SetRewrite(nil)
	must(t, a.Sync(ctx))

	// The same profiles, proved against an older (smaller) tree.
	p.SetRewrite(func(typ string, _, _ []byte) []byte {
		if typ == "GetRequest" {
			return old
		}
		return nil
	})
	err = a.Sync(ctx)
	if !errors.Is(err, ErrLog) {
		t.Fatalf("older checkpoint: %v", err)
	}
	t.Logf("older checkpoint: %v", err)
}

func TestHostileForgedConnectComplete(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	createAlice(t, p)
	b := newClient(t, p, nil)
	pend, err := b.StartConnect(ctx, p.URL, "alice", "passphrase B", "phone")
	must(t, err)
	must(t, b.ConfirmProfile(pend.Profile))
	k := b.keys
	sdp, err := profile.NewDeviceProfile(k.sign.Public(), k.auth.Public(), k.enc.Public(), "phone").Sign(k.sign)
	must(t, err)
	forger, err := keys.GenerateSigningKey()
	must(t, err)
	res, err := (&profile.ConnectionResult{Device: sdp, Result: profile.ResultAccepted, Nonce: b.st.Connect.Nonce}).Sign(forger)
	must(t, err)
	p.SetRewrite(func(typ string, _, _ []byte) []byte {
		if typ != "ConnectStatusRequest" {
			return nil
		}
		out, _ := mmm.Encode(&mmm.ConnectStatusResponse{Status: mmm.Status{Status: mmm.StatusOK}, Result: res})
		return out
	})
	ok, err := b.PollConnect(ctx)
	if ok || !errors.Is(err, ErrConnectResult) || !errors.Is(err, profile.ErrSigner) {
		t.Fatalf("forged result: %v %v", ok, err)
	}
	t.Logf("forged result: %v", err)
	if b.PendingConnect() == nil || b.PendingConnect().Witness != pend.Witness {
		t.Fatal("pending request lost")
	}
}

func TestHostileSwappedRequest(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	b := newClient(t, p, nil)
	pend, err := b.StartConnect(ctx, p.URL, "alice", "passphrase B", "phone")
	must(t, err)
	mallory := newClient(t, p, nil)
	_, err = mallory.StartConnect(ctx, p.URL, "alice", "passphrase B", "phone")
	must(t, err)
	// The portal shows mallory's request where B's should be.
	p.SetRewrite(func(typ string, _, resp []byte) []byte {
		if typ != "ConnectPendingRequest" {
			return nil
		}
		var pr mmm.ConnectPendingResponse
		must(t, mmm.DecodeResponse(bytes.NewReader(resp), &pr))
		for i, s := range pr.Pending {
			if s.Identifier == pend.Device {
				pr.Pending = append(pr.Pending[:i], pr.Pending[i+1:]...)
				break
			}
		}
		out, _ := mmm.Encode(&pr)
		return out
	})
	reqs, err := a.PendingRequests(ctx)
	must(t, err)
	if len(reqs) != 1 {
		t.Fatalf("requests %+v", reqs)
	}
	if reqs[0].Device == pend.Device || reqs[0].Witness != "" || !reqs[0].Waiting {
		t.Fatalf("the swapped request: %+v", reqs[0])
	}
}

func TestWrongRecipients(t *testing.T) {
	// A device of the profile (or a bug) publishes a vault without the
	// escrow key: the portal cannot tell, the other devices refuse it.
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	b := connect(t, p, a)
	app := passwordApp(b.personal)
	cur, err := profile.VerifyApplicationProfile(b.st.Password, b.personal)
	must(t, err)
	plain, err := cur.EncryptedData.Decrypt(b.keys.enc)
	must(t, err)
	ed, err := jwe.Encrypt(plain, b.personal.Recipients(app)[:2])
	must(t, err)
	pp := *cur
	pp.EncryptedData, pp.Versioned = ed, profile.Versioned{Version: b.st.PasswordVersion}.Next()
	sp, err := pp.Sign(b.keys.sign)
	must(t, err)
	must(t, b.publish(ctx, &mmm.Entry{SignedApplicationProfile: sp}, b.st.PasswordVersion))
	v := a.st.PasswordVersion
	err = a.Sync(ctx)
	if !errors.Is(err, ErrInvalidProfile) || !errors.Is(err, profile.ErrRecipients) {
		t.Fatalf("vault without escrow: %v", err)
	}
	t.Logf("no escrow: %v", err)
	checkKept(t, a, v, "a1")
}

func TestCheckLog(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	must(t, newClient(t, p, nil).Create(ctx, p.URL, "carol", "passphrase C", "laptop"))
	n, err := a.CheckLog(ctx)
	must(t, err)
	if n != 5 {
		t.Fatalf("log size %d, want 5", n)
	}
	p.SetRewrite(func(typ string, _, resp []byte) []byte {
		if typ != "StatusRequest" {
			return nil
		}
		var sr mmm.StatusResponse
		must(t, mmm.DecodeResponse(bytes.NewReader(resp), &sr))
		sr.Checkpoint = strings.Replace(sr.Checkpoint, "\n5\n", "\n6\n", 1)
		out, _ := mmm.Encode(&sr)
		return out
	})
	if _, err := a.CheckLog(ctx); !errors.Is(err, ErrLog) {
		t.Fatalf("forged checkpoint: %v", err)
	}
}

func TestRepair(t *testing.T) {
	// A publishes the new device list but fails before re-encrypting the
	// passwords: B's Sync refuses the vault; Repair (or A's next
	// administrative step) fixes it.
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	b := connect(t, p, a)
	c := connect(t, p, a)
	must(t, b.Sync(ctx))
	must(t, a.Sync(ctx))
	cID := c.DeviceID()
	must(t, a.updatePersonal(ctx, func(pp *profile.PersonalProfile) error {
		pp.Devices = pp.Devices[:2]
		pp.Applications[0].SignID = pp.Applications[0].SignID[:2]
		pp.Applications[0].DecryptID = pp.Applications[0].DecryptID[:2]
		return nil
	}))
	if err := b.Sync(ctx); !errors.Is(err, profile.ErrRecipients) {
		t.Fatalf("half-removed device: %v", err)
	}
	must(t, b.Repair(ctx))
	must(t, a.Sync(ctx))
	wantUsers(t, a, "a1")
	pp, err := profile.VerifyApplicationProfile(a.st.Password, a.personal)
	must(t, err)
	if pp.EncryptedData.HasRecipient(c.keys.enc.ID()) || a.personal.Device(cID) != nil {
		t.Fatal("C can still read")
	}
}
