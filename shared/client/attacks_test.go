package client

// The attacks of issue 12 that a portal (alone, or with a stolen
// administration key) makes on connecting and re-encrypting, each refused.
// Each test fails on the logic before the issue: there, the witness code
// was a function of what the requester chose alone, approve took any
// request the portal showed, a new device took whatever version it was
// shown and confirmed nothing, and repair re-encrypted the vault to
// whatever the newest verifying profile listed.

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/meshpass/meshpass/shared/client/clienttest"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/profile/profiletest"
	"github.com/meshpass/meshpass/shared/translog"
	"github.com/meshpass/meshpass/shared/udf"
)

// rewritePending returns a Rewrite that changes ConnectPending answers
// with f.
func rewritePending(t *testing.T, f func(*mmm.ConnectPendingResponse)) clienttest.Rewrite {
	return func(typ string, _, resp []byte) []byte {
		if typ != "ConnectPendingRequest" {
			return nil
		}
		var pr mmm.ConnectPendingResponse
		if err := mmm.DecodeResponse(bytes.NewReader(resp), &pr); err != nil {
			t.Errorf("decoding the portal's answer: %v", err)
			return nil
		}
		f(&pr)
		b, err := mmm.Encode(&pr)
		if err != nil {
			t.Error(err)
		}
		return b
	}
}

// startConfirmed starts a connection request of a new device to alice,
// the fingerprint confirmed, and polls once.
func startConfirmed(t *testing.T, p *clienttest.Portal) (*Client, *Pending) {
	t.Helper()
	ctx := context.Background()
	b := newClient(t, p, nil)
	pend, err := b.StartConnect(ctx, p.URL, "alice", "passphrase B", "phone")
	must(t, err)
	must(t, b.ConfirmProfile(pend.Profile))
	if ok, err := b.PollConnect(ctx); ok || err != nil {
		t.Fatalf("PollConnect: %v %v", ok, err)
	}
	return b, pend
}

// Attack 1: the portal makes its own device M beside the person's device
// B and grinds M's revealed nonce until M's witness code starts as B's
// does (three characters, 15 bits: a person who compares only the start).
// The old code let the requester pick the nonce the code came from, so
// the same grinding made M's whole code match at 2^50 tries. Now M's
// nonce is fixed by its commitment before A contributes: the ground nonce
// does not open it, and A refuses the request.
func TestHostileGrindWitness(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	b, pendB := startConfirmed(t, p)
	m, pendM := startConfirmed(t, p) // the portal's own device
	_, err := a.PendingRequests(ctx) // A contributes to both
	must(t, err)
	if ok, err := b.PollConnect(ctx); ok || err != nil { // B reveals
		t.Fatalf("PollConnect: %v %v", ok, err)
	}
	codeB := b.PendingConnect().Witness
	if codeB == "" {
		t.Fatal("B shows no witness code")
	}

	// The portal reads A's contribution to M and grinds.
	_, err = a.PendingRequests(ctx)
	must(t, err)
	var pr mmm.ConnectPendingResponse
	must(t, mmm.DecodeResponse(bytes.NewReader(p.Last("ConnectPendingRequest").Response), &pr))
	var contrib *profile.ConnectionContribution
	for _, x := range pr.Exchanges {
		if udf.Equal(x.Device, pendM.Device) {
			contrib, _, err = profile.VerifyConnectionContribution(x.Contribution, a.personal)
			must(t, err)
		}
	}
	if contrib == nil {
		t.Fatal("A did not contribute to M's request")
	}
	var ground string
	for i := 0; i < 1<<22 && ground == ""; i++ {
		n, err := profile.NewConnectNonce()
		must(t, err)
		if WitnessCode(a.Fingerprint(), contrib.Administrator, pendM.Device, contrib.Nonce, n)[:3] == codeB[:3] {
			ground = n
		}
	}
	if ground == "" {
		t.Fatal("grinding found nothing")
	}
	reveal, err := (&profile.ConnectionReveal{Device: pendM.Device, Nonce: ground, Contribution: contrib.Nonce}).Sign(m.keys.sign)
	must(t, err)
	// The portal's store refuses it (it checks the commitment too); a
	// hostile portal shows it anyway.
	rr := &mmm.ConnectRevealRequest{AccountID: "alice", DeviceID: pendM.Device, Reveal: reveal}
	must(t, mmm.Authenticate(rr, pendM.Device, m.keys.auth, time.Now()))
	if err := m.do(ctx, rr, &mmm.ConnectRevealResponse{}); mmm.StatusOf(err) != mmm.StatusBadRequest {
		t.Fatalf("the portal took a reveal that does not open the commitment: %v", err)
	}
	p.SetRewrite(rewritePending(t, func(pr *mmm.ConnectPendingResponse) {
		for _, x := range pr.Exchanges {
			if udf.Equal(x.Device, pendM.Device) {
				x.Reveal = reveal
			}
		}
	}))
	reqs, err := a.PendingRequests(ctx)
	must(t, err)
	approved := 0
	for _, q := range reqs {
		// The person approves what shows a code starting as B's.
		if q.Err == nil && len(q.Witness) == 11 && q.Witness[:3] == codeB[:3] {
			must(t, a.Approve(ctx, q.Device))
			approved++
			if q.Device != pendB.Device {
				t.Fatalf("the portal's device %s was approved", q.Device)
			}
		}
		if q.Device == pendM.Device && (!errors.Is(q.Err, ErrWitness) || q.Witness != "") {
			t.Fatalf("the ground request: %+v", q)
		}
	}
	if approved != 1 {
		t.Fatalf("%d requests approved: %+v", approved, reqs)
	}
	if err := a.Approve(ctx, pendM.Device); !errors.Is(err, ErrWitness) {
		t.Fatalf("approving the ground request: %v", err)
	}
	t.Logf("ground request: %v", reqs)

	// Relaying A's contribution to M to B instead: B refuses it.
	p.SetRewrite(nil)
	c, _ := startConfirmed(t, p)
	p.SetRewrite(func(typ string, _, _ []byte) []byte {
		if typ != "ConnectStatusRequest" {
			return nil
		}
		for _, x := range pr.Exchanges {
			if udf.Equal(x.Device, pendM.Device) {
				out, _ := mmm.Encode(&mmm.ConnectStatusResponse{Status: mmm.Status{Status: mmm.StatusOK}, Contribution: x.Contribution})
				return out
			}
		}
		return nil
	})
	if _, err := c.PollConnect(ctx); !errors.Is(err, ErrConnectResult) || c.PendingConnect().Witness != "" {
		t.Fatalf("a contribution to another request: %v", err)
	}
}

// Attack 4: the portal shows a removed device's old request again, or a
// request older than ConnectExpiry; approve refuses both (and re-encrypts
// nothing).
func TestHostileRemovedDeviceRequest(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	b := connect(t, p, a)
	// The last listing before approval held B's request with its exchange.
	var old []byte
	for _, x := range p.Exchanges() {
		if x.Type == "ConnectPendingRequest" && bytes.Contains(x.Response, []byte("Reveal")) {
			old = x.Response
		}
	}
	if old == nil {
		t.Fatal("no listing of B's request")
	}
	must(t, a.RemoveDevice(ctx, b.DeviceID()))
	if !containsID(a.personal.Profile.Removed, b.DeviceID()) {
		t.Fatal("the profile does not list the removed device")
	}
	v := a.st.PasswordVersion
	p.SetRewrite(func(typ string, _, _ []byte) []byte {
		if typ == "ConnectPendingRequest" {
			return old
		}
		return nil
	})
	reqs, err := a.PendingRequests(ctx)
	must(t, err)
	if len(reqs) != 1 || !errors.Is(reqs[0].Err, ErrRemovedDevice) {
		t.Fatalf("re-shown request: %+v", reqs)
	}
	if err := a.Approve(ctx, b.DeviceID()); !errors.Is(err, ErrRemovedDevice) {
		t.Fatalf("approving a removed device: %v", err)
	}
	t.Logf("removed: %v", reqs[0].Err)
	p.SetRewrite(nil)
	must(t, a.Sync(ctx))
	if a.st.PasswordVersion != v || a.personal.Device(b.DeviceID()) != nil {
		t.Fatal("the removed device was added back")
	}

	// An expired request: signed by its device, dated 25 hours ago.
	d, err := profiletest.NewDevice("old")
	must(t, err)
	req := &profile.ConnectionRequest{ParentUDF: "alice", Device: d.Signed, Nonce: "n", Time: time.Now().UTC().Add(-25 * time.Hour).Truncate(time.Second),
		Commitment: profile.Commit("secret")}
	sreq, err := req.Sign(d.Sign)
	must(t, err)
	p.SetRewrite(rewritePending(t, func(pr *mmm.ConnectPendingResponse) {
		pr.Pending = append(pr.Pending, sreq)
	}))
	reqs, err = a.PendingRequests(ctx)
	must(t, err)
	if len(reqs) != 1 || !errors.Is(reqs[0].Err, ErrExpiredRequest) {
		t.Fatalf("expired request: %+v", reqs)
	}
	if err := a.Approve(ctx, d.Profile.Identifier); !errors.Is(err, ErrExpiredRequest) {
		t.Fatalf("approving an expired request: %v", err)
	}
	p.SetRewrite(nil)
	must(t, a.Sync(ctx))
	if a.st.PasswordVersion != v || a.personal.Device(d.Profile.Identifier) != nil {
		t.Fatal("the expired request's device was added")
	}
}

// Attack 5: the person confirms the fingerprint before the request goes
// on, and a new device refuses an old version of the profile even with a
// valid proof against the latest checkpoint.
func TestHostileFirstContact(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	first := a.st.Personal
	d, err := profiletest.NewDevice("tablet")
	must(t, err)
	// A newer profile version (an approved and removed device).
	must(t, a.updatePersonal(ctx, func(pp *profile.PersonalProfile) error {
		pp.Removed = append(pp.Removed, d.Profile.Identifier)
		return nil
	}))

	b := newClient(t, p, nil)
	pend, err := b.StartConnect(ctx, p.URL, "alice", "passphrase B", "phone")
	must(t, err)
	if _, err := b.PollConnect(ctx); !errors.Is(err, ErrUnconfirmedProfile) {
		t.Fatalf("polling before the confirmation: %v", err)
	}
	if err := b.ConfirmProfile(udfOther(t)); !errors.Is(err, ErrWrongProfile) {
		t.Fatalf("confirming another fingerprint: %v", err)
	}
	must(t, b.ConfirmProfile(pend.Profile))

	// The portal serves version 1 with a proof against its latest tree.
	p.SetRewrite(rewriteGet(t, func(gr *mmm.GetResponse) {
		idx, proof := proveLeaf(t, p, b, mmm.Entry{SignedPersonalProfile: first}, gr.Proofs[0].TreeSize)
		gr.Entries[0] = mmm.Entry{SignedPersonalProfile: first}
		gr.Proofs[0] = &mmm.LogProof{Index: idx, TreeSize: gr.Proofs[0].TreeSize, Inclusion: translog.EncodeHashes(proof), Checkpoint: gr.Proofs[0].Checkpoint}
	}))
	c := newClient(t, p, nil)
	_, err = c.StartConnect(ctx, p.URL, "alice", "passphrase C", "tablet")
	if !errors.Is(err, ErrRollback) {
		t.Fatalf("an old profile version at first contact: %v", err)
	}
	t.Logf("old version: %v", err)
	if c.DeviceID() != "" {
		t.Fatal("a device was set up")
	}
}

// udfOther returns a fingerprint of no profile.
func udfOther(t *testing.T) string {
	t.Helper()
	id, err := udf.Fingerprint("application/x-test", []byte("other"), 0)
	must(t, err)
	return id
}

// proveLeaf reads the log's first n leaves through c's portal and returns
// the index of e's leaf and its inclusion proof in that tree.
func proveLeaf(t *testing.T, p *clienttest.Portal, c *Client, e mmm.Entry, n int64) (int64, []tlog.Hash) {
	t.Helper()
	want, err := translog.LeafData(&e)
	must(t, err)
	var stored []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	index := int64(-1)
	for next := int64(0); next < n; {
		var ar mmm.AuditResponse
		_, body := p.Forward(mustEncode(t, &mmm.AuditRequest{Start: next, End: n}))
		must(t, mmm.DecodeResponse(bytes.NewReader(body), &ar))
		for _, l := range ar.Leaves {
			leaf, err := base64.RawURLEncoding.DecodeString(l)
			must(t, err)
			if bytes.Equal(leaf, want) {
				index = next
			}
			h, err := tlog.StoredHashes(next, leaf, reader)
			must(t, err)
			stored = append(stored, h...)
			next++
		}
	}
	if index < 0 {
		t.Fatal("the entry is not in the log")
	}
	proof, err := tlog.ProveRecord(n, index, reader)
	must(t, err)
	return index, proof
}

func mustEncode(t *testing.T, m mmm.Message) []byte {
	t.Helper()
	b, err := mmm.Encode(m)
	must(t, err)
	return b
}

// Attack 6, pinning: a stolen administration device whose online key a
// later master profile dropped signs a personal profile that embeds the
// older master profile (which lists its key) and adds its own device; a
// device that has seen the later master profile refuses it.
func TestHostileMasterRollback(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	b := connect(t, p, a)
	stolen := a.keys.online
	oldMaster := a.personal.Profile.SignedMasterProfile
	// Step 1 of an escrow: the master profile lists the old and a new key.
	must(t, a.addKeys(ctx, "passphrase A", nil))
	must(t, b.Sync(ctx))
	if b.personal.Master.Version != 2 {
		t.Fatalf("B pinned master version %d", b.personal.Master.Version)
	}
	x, err := profiletest.NewDevice("thief")
	must(t, err)
	cur, err := profile.VerifyPersonalProfile(a.st.Personal)
	must(t, err)
	pp := cur.Profile
	pp.SignedMasterProfile = oldMaster
	pp.Devices = append(pp.Devices, x.Signed)
	pp.Applications[0].SignID = append(pp.Applications[0].SignID, x.Profile.Identifier)
	pp.Applications[0].DecryptID = append(pp.Applications[0].DecryptID, x.Profile.Identifier)
	pp.Versioned = pp.Versioned.Next()
	sp, err := pp.Sign(stolen)
	must(t, err)
	// The portal takes it: the stored master profile lists the key.
	must(t, a.publish(ctx, &mmm.Entry{SignedPersonalProfile: sp}, a.st.PersonalVersion))
	v := b.st.PersonalVersion
	err = b.Sync(ctx)
	if !errors.Is(err, ErrRollback) {
		t.Fatalf("an older master profile: %v", err)
	}
	t.Logf("older master: %v", err)
	if err := b.Repair(ctx); !errors.Is(err, ErrRollback) {
		t.Fatalf("repair with an older master profile: %v", err)
	}
	if b.st.PersonalVersion != v || b.personal.Device(x.Profile.Identifier) != nil {
		t.Fatal("B took the forged profile")
	}
}

// Attack 6, auto-repair: a profile signed with a valid online key (a
// stolen administration device, or one whose approve never reached this
// device) lists a new reader the vault is not encrypted to; repair (what
// sync in the popup and the CLI does on ErrRecipients) refuses to add it
// without the person's confirmation, naming it.
func TestUnapprovedDeviceRepair(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	b := connect(t, p, a)
	must(t, b.Sync(ctx))
	x, err := profiletest.NewDevice("thief")
	must(t, err)
	must(t, a.updatePersonal(ctx, func(pp *profile.PersonalProfile) error {
		pp.Devices = append(pp.Devices, x.Signed)
		pp.Applications[0].DecryptID = append(pp.Applications[0].DecryptID, x.Profile.Identifier)
		return nil
	}))
	if err := b.Sync(ctx); !errors.Is(err, profile.ErrRecipients) {
		t.Fatalf("sync: %v", err)
	}
	err = b.syncOrRepair(ctx) // the popup's and the CLI's sync
	var ue *UnapprovedError
	if !errors.Is(err, ErrUnapprovedDevice) || !errors.As(err, &ue) || len(ue.Devices) != 1 || ue.Devices[0].ID != x.Profile.Identifier {
		t.Fatalf("auto-repair toward an unseen device: %v", err)
	}
	t.Logf("auto-repair: %v", err)
	if list := b.UnapprovedDevices(); len(list) != 1 || list[0].ID != x.Profile.Identifier {
		t.Fatalf("UnapprovedDevices %+v", list)
	}
	readable := func() bool {
		t.Helper()
		var gr mmm.GetResponse
		must(t, b.do(ctx, &mmm.GetRequest{Account: "alice", Multiple: true}, &gr))
		pp, err := profile.VerifyApplicationProfile(gr.Entries[1].SignedApplicationProfile, b.personal)
		must(t, err)
		return pp.EncryptedData.HasRecipient(x.Profile.DeviceEncryptionKey.UDF)
	}
	if readable() {
		t.Fatal("the vault was re-encrypted to the unseen device")
	}
	if err := a.Repair(ctx); !errors.Is(err, ErrUnapprovedDevice) {
		t.Fatalf("repair on the administration device: %v", err)
	}
	// The person confirms it.
	must(t, b.Repair(ctx, x.Profile.Identifier))
	if !readable() {
		t.Fatal("the confirmed device cannot read")
	}
	must(t, a.Sync(ctx))
}
