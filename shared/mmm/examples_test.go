package mmm_test

import (
	"testing"
	"time"

	"github.com/meshpass/meshpass/shared/jwe"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/profile/profiletest"
	"github.com/meshpass/meshpass/shared/udf"
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
	req := &profile.ConnectionRequest{ParentUDF: "alice@example.com", Device: phone.Signed, Nonce: "k3rTw0mDq1vQ8xYzR2c9fA", Time: exampleTime}
	signedReq, err := req.Sign(phone.Sign)
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

	proof := &mmm.LogProof{
		Index: 6, TreeSize: 7,
		Inclusion:  []string{"bAQ6iKMkVgZ6Jx0z8m3aJvM1gGZkq0Yb6Hc1yS1gqJo", "0tTz2sYqkT2o6yFJxk9b5CjJb3a1zYHk8lG5sU8tq1E"},
		Checkpoint: "example.com/mmm\n7\nn3yRk7Gx2mAqv8Qe0V1lZl4V9cQpZ8m0bLxJvQmKk4c=\n\n— example.com/mmm Az3Lq…\n",
	}
	ok := mmm.Status{Status: mmm.StatusOK, StatusDescription: mmm.DescriptionOK}
	w := &world{person: p, newcomer: phone, messages: map[string]mmm.Message{}}
	add := func(m mmm.Message) { w.messages[m.MessageType()] = m }

	add(&mmm.HelloRequest{})
	add(&mmm.HelloResponse{Status: ok, Version: mmm.ProtocolVersion, MaxBody: mmm.MaxBodySize, LogKey: "example.com/mmm+1b2c3d4e+AeXampleKeyBytesBase64Ed25519PublicKeyxxxxxxxx"})
	add(&mmm.ValidateRequest{Account: "alice", Language: []string{"en-uk"}})
	add(&mmm.ValidateResponse{Status: ok, Valid: true, Minimum: 1, InvalidCharacters: ".,:;{}()[]<>?|\\@#"})
	add(&mmm.CreateRequest{Account: "alice", Profile: mmm.Entry{SignedPersonalProfile: p.SignedPersonal}})
	add(&mmm.CreateResponse{Status: ok, Log: proof})
	add(&mmm.GetRequest{Account: "alice", Multiple: true})
	add(&mmm.GetResponse{Status: ok,
		Entries: []mmm.Entry{{SignedPersonalProfile: p.SignedPersonal}, {SignedApplicationProfile: p.SignedPasswords}},
		Proofs:  []*mmm.LogProof{proof, proof}})
	add(&mmm.PublishRequest{Entry: mmm.Entry{SignedApplicationProfile: p.SignedPasswords}, Previous: 1})
	add(&mmm.PublishResponse{Status: ok, Log: proof})
	add(&mmm.ConnectStartRequest{SignedRequest: signedReq, AccountID: "alice"})
	add(&mmm.ConnectStartResponse{Status: ok, Expires: exampleTime.Add(24 * time.Hour)})

	pending := &mmm.ConnectPendingRequest{AccountID: "alice"}
	must(t, mmm.Authenticate(pending, admin.Profile.Identifier, admin.Auth, exampleTime))
	add(pending)
	add(&mmm.ConnectPendingResponse{Status: ok, Pending: []*profile.SignedConnectionRequest{signedReq}})
	complete := &mmm.ConnectCompleteRequest{Result: signedRes, AccountID: "alice"}
	must(t, mmm.Authenticate(complete, admin.Profile.Identifier, admin.Auth, exampleTime))
	add(complete)
	add(&mmm.ConnectCompleteResponse{Status: ok})
	status := &mmm.ConnectStatusRequest{AccountID: "alice", DeviceID: phone.Profile.Identifier}
	must(t, mmm.Authenticate(status, phone.Profile.Identifier, phone.Auth, exampleTime))
	add(status)
	add(&mmm.ConnectStatusResponse{Status: ok, Result: signedRes})
	add(&mmm.StatusRequest{})
	add(&mmm.StatusResponse{Status: ok, Checkpoint: proof.Checkpoint})
	add(&mmm.AuditRequest{Start: 0, End: 2, OldSize: 3, NewSize: 7})
	add(&mmm.AuditResponse{Status: ok,
		Leaves:      []string{"eyJTaWduZWRQZXJzb25hbFByb2ZpbGUiOnsuLi59fQ", "eyJTaWduZWRBcHBsaWNhdGlvblByb2ZpbGUiOnsuLi59fQ"},
		Consistency: proof.Inclusion, Checkpoint: proof.Checkpoint})
	add(&mmm.ErrorResponse{Status: mmm.Status{Status: mmm.StatusBadRequest, StatusDescription: `unknown request type "FrobRequest"`}})
	// Escrow entries are published like any other entry (seed §8.5).
	w.messages["PublishRequest(escrow)"] = &mmm.PublishRequest{Entry: mmm.Entry{OfflineEscrowEntry: escrow}}
	return w
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
