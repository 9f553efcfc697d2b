package mmm_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/meshpass/meshpass/shared/jwe"
	"github.com/meshpass/meshpass/shared/jws"
	"github.com/meshpass/meshpass/shared/keys"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/profile/profiletest"
	"github.com/meshpass/meshpass/shared/translog"
	"github.com/meshpass/meshpass/shared/udf"
	"github.com/meshpass/meshpass/shared/vault"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// exampleTime dates every example.
var exampleTime = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// world is a person, a device asking to connect, and one example of every
// message, made with the real code.
type world struct {
	person   *profiletest.Person
	newcomer *profiletest.Device
	messages map[string]mmm.Message
}

func newWorld(t *testing.T) *world {
	t.Helper()
	p, err := profiletest.NewPerson(1)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SetTime(exampleTime); err != nil {
		t.Fatal(err)
	}
	phone, err := profiletest.NewDevice("Alice Phone")
	if err != nil {
		t.Fatal(err)
	}
	admin := p.Devices[0]
	exampleNonce := func(s string) string {
		h := sha256.Sum256([]byte(s))
		return base64.RawURLEncoding.EncodeToString(h[:])
	}
	secret, adminNonce := exampleNonce("the phone's secret nonce"), exampleNonce("the administrator's nonce")
	req := &profile.ConnectionRequest{ParentUDF: "alice@example.com", Device: phone.Signed, Nonce: "k3rTw0mDq1vQ8xYzR2c9fA", Time: exampleTime,
		Commitment: profile.Commit(secret)}
	signedReq, err := req.Sign(phone.Sign)
	must(t, err)
	contrib := &profile.ConnectionContribution{Device: phone.Profile.Identifier, Commitment: req.Commitment, Administrator: p.Devices[0].Profile.Identifier,
		Nonce: adminNonce, Time: exampleTime}
	signedContrib, err := contrib.Sign(p.Devices[0].Sign)
	must(t, err)
	signedReveal, err := (&profile.ConnectionReveal{Device: phone.Profile.Identifier, Nonce: secret, Contribution: adminNonce}).Sign(phone.Sign)
	must(t, err)
	res := &profile.ConnectionResult{Device: phone.Signed, Result: profile.ResultAccepted, Nonce: req.Nonce}
	signedRes, err := res.Sign(p.Online)
	must(t, err)

	escrowKey := make([]byte, 32)
	escrowID, err := udf.Fingerprint(profile.ContentTypeEscrow, escrowKey, 0)
	must(t, err)
	escrowData, err := jwe.EncryptDirect([]byte(`{"keys":"…"}`), escrowKey)
	must(t, err)
	escrow := &profile.OfflineEscrowEntry{Identifier: escrowID, EncryptedData: escrowData}

	// A real log of the example's entries: the account's creation, then
	// the password profile's and the escrow entry's publication.
	log := newExampleLog(t)
	createEntry := mmm.Entry{SignedPersonalProfile: p.SignedPersonal}
	publishEntry := mmm.Entry{SignedApplicationProfile: p.SignedPasswords}
	createProof := log.add(createEntry)
	log.add(mmm.Entry{OfflineEscrowEntry: escrow})
	publishProof := log.add(publishEntry)
	// A format-2 vault's catalog: one record, appended and logged.
	record, _, err := vault.Seal(vault.Header{Vault: p.SignedPasswords.Identifier, Entry: "q3v6yk2m7xw4b5n8c2d9f3g4h5", Writer: admin.Profile.Identifier, Epoch: 1, Time: exampleTime},
		vault.Entry{Name: "Bank", Sites: []string{"bank.example"}, Username: "alice", Password: "correct horse", Created: exampleTime}, make([]byte, vault.KeySize), admin.Sign)
	must(t, err)
	item, err := vault.Item(record)
	must(t, err)
	headHash, err := vault.ChainHead(vault.EmptyHead, item)
	must(t, err)
	head := &mmm.CatalogHead{Catalog: p.SignedPasswords.Identifier, Size: 1, Head: headHash}
	headLeaf, err := translog.HeadLeafData(head)
	must(t, err)
	headProof := log.addLeaf(headLeaf)
	latest := log.prove(0) // proofs against the latest checkpoint, as Get gives
	latestPublish := log.prove(2)
	// The examples are checked as a client checks them.
	verifiers, err := translog.NewVerifiers(log.vkey)
	must(t, err)
	for _, c := range []struct {
		e     mmm.Entry
		proof *mmm.LogProof
	}{{createEntry, createProof}, {publishEntry, publishProof}, {createEntry, latest}, {publishEntry, latestPublish}} {
		leaf, err := translog.LeafData(&c.e)
		must(t, err)
		must(t, translog.VerifyInclusion(c.proof, leaf, verifiers))
	}
	must(t, translog.VerifyConsistency(createProof.Checkpoint, log.checkpoint, log.consistency(1, 4), verifiers))
	ok := mmm.Status{Status: mmm.StatusOK, StatusDescription: mmm.DescriptionOK}
	w := &world{person: p, newcomer: phone, messages: map[string]mmm.Message{}}
	add := func(m mmm.Message) { w.messages[m.MessageType()] = m }

	add(&mmm.HelloRequest{})
	add(&mmm.HelloResponse{Status: ok, Version: mmm.ProtocolVersion, MaxBody: mmm.MaxBodySize, LogKey: log.vkey})
	add(&mmm.ValidateRequest{Account: "alice", Language: []string{"en-uk"}})
	add(&mmm.ValidateResponse{Status: ok, Valid: true, Minimum: 1, InvalidCharacters: ".,:;{}()[]<>?|\\@#"})
	add(&mmm.CreateRequest{Account: "alice", Profile: mmm.Entry{SignedPersonalProfile: p.SignedPersonal}})
	add(&mmm.CreateResponse{Status: ok, Log: createProof})
	add(&mmm.GetRequest{Account: "alice", Multiple: true})
	add(&mmm.GetResponse{Status: ok,
		Entries: []mmm.Entry{{SignedPersonalProfile: p.SignedPersonal}, {SignedApplicationProfile: p.SignedPasswords}},
		Proofs:  []*mmm.LogProof{latest, latestPublish}})
	add(&mmm.PublishRequest{Entry: mmm.Entry{SignedApplicationProfile: p.SignedPasswords}, Previous: 1})
	add(&mmm.PublishResponse{Status: ok, Log: publishProof})
	add(&mmm.ConnectStartRequest{SignedRequest: signedReq, AccountID: "alice"})
	add(&mmm.ConnectStartResponse{Status: ok, Expires: exampleTime.Add(24 * time.Hour)})

	pending := &mmm.ConnectPendingRequest{AccountID: "alice"}
	must(t, mmm.Authenticate(pending, admin.Profile.Identifier, admin.Auth, exampleTime))
	add(pending)
	add(&mmm.ConnectPendingResponse{Status: ok, Pending: []*profile.SignedConnectionRequest{signedReq},
		Exchanges: []*mmm.ConnectExchange{{Device: phone.Profile.Identifier, Contribution: signedContrib, Reveal: signedReveal}}})
	contribute := &mmm.ConnectContributeRequest{AccountID: "alice", Contribution: signedContrib}
	must(t, mmm.Authenticate(contribute, admin.Profile.Identifier, admin.Auth, exampleTime))
	add(contribute)
	add(&mmm.ConnectContributeResponse{Status: ok})
	reveal := &mmm.ConnectRevealRequest{AccountID: "alice", DeviceID: phone.Profile.Identifier, Reveal: signedReveal}
	must(t, mmm.Authenticate(reveal, phone.Profile.Identifier, phone.Auth, exampleTime))
	add(reveal)
	add(&mmm.ConnectRevealResponse{Status: ok})
	complete := &mmm.ConnectCompleteRequest{Result: signedRes, AccountID: "alice"}
	must(t, mmm.Authenticate(complete, admin.Profile.Identifier, admin.Auth, exampleTime))
	add(complete)
	add(&mmm.ConnectCompleteResponse{Status: ok})
	status := &mmm.ConnectStatusRequest{AccountID: "alice", DeviceID: phone.Profile.Identifier}
	must(t, mmm.Authenticate(status, phone.Profile.Identifier, phone.Auth, exampleTime))
	add(status)
	add(&mmm.ConnectStatusResponse{Status: ok, Result: signedRes})
	add(&mmm.StatusRequest{})
	add(&mmm.StatusResponse{Status: ok, Checkpoint: log.checkpoint})
	add(&mmm.AuditRequest{Start: 0, End: 2, OldSize: 1, NewSize: 4})
	add(&mmm.AuditResponse{Status: ok, Leaves: log.leavesB64(0, 2), Consistency: log.consistency(1, 4), Checkpoint: log.checkpoint})
	add(&mmm.AppendRecordsRequest{Catalog: head.Catalog, Records: []json.RawMessage{item}})
	add(&mmm.AppendRecordsResponse{Status: ok, Position: 0, Head: head, Log: headProof})
	add(&mmm.GetRecordsRequest{Catalog: head.Catalog, After: 0})
	add(&mmm.GetRecordsResponse{Status: ok, Records: []json.RawMessage{item}, Head: head, Log: log.prove(3)})
	checkIn, err := (&mmm.DeviceCheckIn{Profile: p.SignedPersonal.Identifier, Device: admin.Profile.Identifier,
		Checkpoint: log.checkpoint, Time: exampleTime}).Sign(admin.Sign)
	must(t, err)
	add(&mmm.CheckInRequest{AccountID: "alice", CheckIn: checkIn})
	add(&mmm.CheckInResponse{Status: ok})
	add(&mmm.GetCheckInsRequest{AccountID: "alice"})
	add(&mmm.GetCheckInsResponse{Status: ok, CheckIns: []*jws.SignedData{checkIn}})
	// A snapshot of that catalog at position 1.
	ring := &exampleRing{vault: p.SignedPasswords.Identifier, writer: admin.Profile.Identifier, pub: admin.Sign.Public()}
	cat := vault.NewCatalog(ring)
	_, err = cat.AddItem(item)
	must(t, err)
	manifest, chunks, err := vault.MakeSnapshot(cat, 1, headHash, admin.Profile.Identifier, 1, ring.ContentKeyBytes(), admin.Sign, exampleTime)
	must(t, err)
	manifestItem, err := vault.Item(manifest)
	must(t, err)
	add(&mmm.PutSnapshotRequest{Catalog: head.Catalog, Snapshot: manifestItem, Chunk: 0, Data: chunks[0]})
	add(&mmm.PutSnapshotResponse{Status: ok, Stored: 1, Complete: true})
	add(&mmm.GetSnapshotRequest{Catalog: head.Catalog})
	add(&mmm.GetSnapshotResponse{Status: ok, Snapshot: manifestItem, Chunk: 0, Data: chunks[0]})
	add(&mmm.ErrorResponse{Status: mmm.Status{Status: mmm.StatusBadRequest, StatusDescription: `unknown request type "FrobRequest"`}})
	// Escrow entries are published like any other entry (seed §8.5).
	// An escrow entry travels with a personal profile update (shown here
	// with the profile of the example, whose next version it stands for).
	w.messages["PublishRequest(escrow)"] = &mmm.PublishRequest{Entry: mmm.Entry{SignedPersonalProfile: p.SignedPersonal}, Previous: 1, Escrow: escrow}
	return w
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// exampleLog is a transparency log in memory, as a portal keeps it.
type exampleLog struct {
	t          *testing.T
	signer     note.Signer
	vkey       string
	leaves     [][]byte
	hashes     []tlog.Hash
	checkpoint string
}

func newExampleLog(t *testing.T) *exampleLog {
	skey, vkey, err := translog.GenerateKey("portal.example.com/log")
	must(t, err)
	signer, err := translog.NewSigner(skey)
	must(t, err)
	return &exampleLog{t: t, signer: signer, vkey: vkey}
}

func (l *exampleLog) reader() tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = l.hashes[x]
		}
		return out, nil
	})
}

// add appends e and returns its proof against the new checkpoint.
func (l *exampleLog) add(e mmm.Entry) *mmm.LogProof {
	leaf, err := translog.LeafData(&e)
	must(l.t, err)
	return l.addLeaf(leaf)
}

// addLeaf appends a leaf and returns its proof against the new checkpoint.
func (l *exampleLog) addLeaf(leaf []byte) *mmm.LogProof {
	n := int64(len(l.leaves))
	hashes, tree, err := translog.Append(l.reader(), n, leaf)
	must(l.t, err)
	l.leaves = append(l.leaves, leaf)
	l.hashes = append(l.hashes, hashes...)
	l.checkpoint, err = translog.SignCheckpoint(l.signer, tree)
	must(l.t, err)
	return l.prove(n)
}

// prove returns the proof of leaf i against the latest checkpoint.
func (l *exampleLog) prove(i int64) *mmm.LogProof {
	n := int64(len(l.leaves))
	proof, err := tlog.ProveRecord(n, i, l.reader())
	must(l.t, err)
	return &mmm.LogProof{Index: i, TreeSize: n, Inclusion: translog.EncodeHashes(proof), Checkpoint: l.checkpoint}
}

func (l *exampleLog) leavesB64(start, end int) []string {
	var out []string
	for _, leaf := range l.leaves[start:end] {
		out = append(out, base64.RawURLEncoding.EncodeToString(leaf))
	}
	return out
}

func (l *exampleLog) consistency(oldSize, newSize int64) []string {
	proof, err := tlog.ProveTree(newSize, oldSize, l.reader())
	must(l.t, err)
	return translog.EncodeHashes(proof)
}

// exampleRing is the keyring of the example's vault: one writer, the
// content key of epoch 1 all zeros.
type exampleRing struct {
	vault, writer string
	pub           *keys.PublicKey
}

func (r *exampleRing) Vault() string { return r.vault }

func (r *exampleRing) Writer(w string, _ int) (*keys.PublicKey, error) {
	if w != r.writer {
		return nil, vault.ErrWriter
	}
	return r.pub, nil
}

func (r *exampleRing) ContentKey(int) ([]byte, error) { return r.ContentKeyBytes(), nil }

func (r *exampleRing) ContentKeyBytes() []byte { return make([]byte, vault.KeySize) }
