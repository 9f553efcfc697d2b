// Package mmm defines the Mesh Portal Protocol: every request and response
// of draft-hallambaker-mesh-architecture-01 §8, posted as JSON to
// /.well-known/mmm/, each inside its envelope ({"GetRequest": {…}}).
//
// DecodeRequest and DecodeResponse read exactly one message of a known type
// from a body no larger than MaxBodySize, refusing unknown members and
// trailing data. Errors carry the HTTP status a portal answers with.
package mmm

import (
	"fmt"
	"time"

	"github.com/meshpass/meshpass/shared/jws"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/udf"
)

// Path is where a portal serves the protocol.
const Path = "/.well-known/mmm/"

// ProtocolVersion names this version of the protocol in HelloResponse.
const ProtocolVersion = "meshpass-mmm/1"

// Message is any request or response.
type Message interface {
	// MessageType is the envelope member that holds the message.
	MessageType() string
}

// Request is a message a client posts.
type Request interface {
	Message
	// Check reports a request that is well-formed JSON but lacks what the
	// transaction needs. Signatures are checked by the portal, not here.
	Check() error
}

// Response is a message a portal answers with. Every response carries a
// Status (201 for success) and a StatusDescription.
type Response interface {
	Message
	// Outcome returns the response's status fields.
	Outcome() *Status
}

// Status is the outcome every response carries.
type Status struct {
	Status            int    `json:"Status"`
	StatusDescription string `json:"StatusDescription"`
}

// Outcome returns s.
func (s *Status) Outcome() *Status { return s }

// Err returns nil for success, or the status as an *Error.
func (s *Status) Err() error {
	if s.Status == StatusOK {
		return nil
	}
	return &Error{Code: s.Status, Description: s.StatusDescription}
}

// HelloRequest asks a portal what it serves.
type HelloRequest struct{}

// HelloResponse describes the portal.
type HelloResponse struct {
	Status
	// Version is the protocol version, ProtocolVersion.
	Version string `json:"Version"`
	// MaxBody is the largest request body the portal takes, in bytes.
	MaxBody int64 `json:"MaxBody"`
	// LogKey is the verifier key (golang.org/x/mod/sumdb/note) of the
	// portal's transparency log checkpoints, if it keeps one.
	LogKey string `json:"LogKey,omitempty"`
	// MaxEntry is the largest entry the portal stores (the JSON of the
	// mmm.Entry, as logged), in bytes; 0 if it does not say.
	MaxEntry int64 `json:"MaxEntry,omitempty"`
	// MaxEscrow is the largest escrow entry it stores, in bytes.
	MaxEscrow int64 `json:"MaxEscrow,omitempty"`
	// SignUp says who may create an account: SignUpOpen, SignUpInvitation
	// (a CreateRequest must carry an Invitation the operator gave out) or
	// SignUpClosed; "" if the portal does not say.
	SignUp string `json:"SignUp,omitempty"`
	// Witnesses are the cosignature verifier keys (C2SP
	// tlog-cosignature) of the witnesses that cosign the log's
	// checkpoints, and WitnessQuorum how many of them must cosign a
	// checkpoint a client accepts; none if the portal has no witnesses.
	Witnesses     []string `json:"Witnesses,omitempty"`
	WitnessQuorum int      `json:"WitnessQuorum,omitempty"`
}

// Values of HelloResponse.SignUp.
const (
	SignUpOpen       = "open"
	SignUpInvitation = "invitation"
	SignUpClosed     = "closed"
)

// ValidateRequest asks whether an account name may be created (§8.1.1).
type ValidateRequest struct {
	Account  string   `json:"Account"`
	Language []string `json:"Language,omitempty"`
}

// ValidateResponse reports whether the account may be created and, if not,
// the portal's rules.
type ValidateResponse struct {
	Status
	Valid bool `json:"Valid"`
	// Minimum is the shortest account name allowed.
	Minimum int `json:"Minimum"`
	// InvalidCharacters lists the characters an account name may not hold.
	InvalidCharacters string `json:"InvalidCharacters"`
	// Reason says, for people, why the name is refused.
	Reason string `json:"Reason,omitempty"`
}

// CreateRequest creates an account holding a personal profile (§8.2.1).
type CreateRequest struct {
	Account string `json:"Account"`
	// Profile holds the SignedPersonalProfile.
	Profile Entry `json:"Profile"`
	// Invitation is the invitation code the portal's operator gave out,
	// for a portal whose sign-ups are by invitation (HelloResponse.SignUp);
	// each code creates one account.
	Invitation string `json:"Invitation,omitempty"`
}

// CreateResponse reports an account's creation and where its profile
// stands in the portal's log.
type CreateResponse struct {
	Status
	Log *LogProof `json:"Log,omitempty"`
}

// GetRequest fetches entries by Identifier, or an account's personal profile.
type GetRequest struct {
	Identifier string `json:"Identifier,omitempty"`
	Account    string `json:"Account,omitempty"`
	// Multiple asks, with Account, for the personal profile and every
	// application profile it lists.
	Multiple bool `json:"Multiple"`
	// Offset skips that many of the entries found: a GetResponse with
	// Next set is asked again with Offset = Next for the rest.
	Offset int `json:"Offset,omitempty"`
}

// GetResponse holds the entries found, each with its log proof (Proofs[i]
// is Entries[i]'s, when the portal keeps a log).
type GetResponse struct {
	Status
	Entries []Entry     `json:"Entries,omitempty"`
	Proofs  []*LogProof `json:"Proofs,omitempty"`
	// Next, when not 0, says the answer stops short (answers are capped
	// in bytes): the rest starts at entry Next, asked with Offset = Next.
	Next int `json:"Next,omitempty"`
}

// PublishRequest publishes a new version of an entry.
type PublishRequest struct {
	Entry Entry `json:"Entry"`
	// Previous is the Version of the stored entry this update was made
	// from; the portal refuses the update (409) if the stored entry is no
	// longer that version. Zero publishes a new entry.
	Previous uint64 `json:"Previous,omitempty"`
	// Escrow is an escrow entry to store together with Entry, which must
	// then be an update of a personal profile (signed, as every personal
	// profile update, by an online key of the stored profile): both are
	// written, or neither. A portal stores an escrow entry only this way.
	Escrow *profile.OfflineEscrowEntry `json:"Escrow,omitempty"`
	// CheckIn, if set, is the writer's signed check-in of the checkpoint
	// it verified last (checkin.go), which the portal keeps as a
	// CheckInRequest would, or leaves out if it does not pass; it does
	// not decide the write.
	CheckIn *jws.SignedData `json:"CheckIn,omitempty"`
}

// PublishResponse reports a publication and where it stands in the log.
type PublishResponse struct {
	Status
	Log *LogProof `json:"Log,omitempty"`
	// EscrowLog is the log proof of the request's Escrow entry.
	EscrowLog *LogProof `json:"EscrowLog,omitempty"`
}

// ConnectStartRequest asks to connect a device to an account (§8.3.2).
type ConnectStartRequest struct {
	SignedRequest *profile.SignedConnectionRequest `json:"SignedRequest"`
	AccountID     string                           `json:"AccountID"`
	// Code is a connect code an administration device of the account
	// issued (ConnectPendingRequest.IssueCode): a request with a valid
	// code is kept until answered or expired, however many other requests
	// arrive. Each code lets one request through.
	Code string `json:"Code,omitempty"`
}

// ConnectStartResponse reports that the request is pending.
type ConnectStartResponse struct {
	Status
	// Expires is when the portal drops the request if nobody answers it.
	Expires time.Time `json:"Expires,omitzero"`
}

// ConnectPendingRequest lists an account's pending connection requests
// (§8.3.3). Only an administration device of the account may ask.
type ConnectPendingRequest struct {
	AccountID      string          `json:"AccountID"`
	Authentication *jws.SignedData `json:"Authentication"`
	// IssueCode, if set, is a connect code (a random string the device
	// makes, at least 16 characters) the portal then accepts, once, in a
	// ConnectStartRequest of the account until the pending requests'
	// expiry: the administrator gives it to the device to connect.
	IssueCode string `json:"IssueCode,omitempty"`
}

// ConnectPendingResponse holds the pending requests.
type ConnectPendingResponse struct {
	Status
	Pending []*profile.SignedConnectionRequest `json:"Pending"`
	// Exchanges are the witness exchanges of the pending requests that
	// have a contribution (connect.go).
	Exchanges []*ConnectExchange `json:"Exchanges,omitempty"`
}

// ConnectCompleteRequest posts an administrator's answer (§8.3.5). Only an
// administration device of the account may post it.
type ConnectCompleteRequest struct {
	Result         *profile.SignedConnectionResult `json:"Result"`
	AccountID      string                          `json:"AccountID"`
	Authentication *jws.SignedData                 `json:"Authentication"`
}

// ConnectCompleteResponse reports that the answer is stored.
type ConnectCompleteResponse struct {
	Status
}

// ConnectStatusRequest asks for the answer to a device's connection
// request (§8.3.6). Only that device may ask.
type ConnectStatusRequest struct {
	AccountID      string          `json:"AccountID"`
	DeviceID       string          `json:"DeviceID"`
	Authentication *jws.SignedData `json:"Authentication"`
}

// ConnectStatusResponse holds the answer, or none yet.
type ConnectStatusResponse struct {
	Status
	Result *profile.SignedConnectionResult `json:"Result,omitempty"`
	// Contribution is an administration device's contribution to the
	// request's witness exchange, once there is one (connect.go).
	Contribution *profile.SignedConnectionContribution `json:"Contribution,omitempty"`
	// RetryAfter is how many seconds to wait before asking again, when
	// there is no answer yet.
	RetryAfter int `json:"RetryAfter,omitempty"`
}

// StatusRequest asks for the portal's latest log checkpoint.
type StatusRequest struct{}

// StatusResponse holds the latest signed checkpoint.
type StatusResponse struct {
	Status
	// Checkpoint is a signed note (C2SP tlog-checkpoint).
	Checkpoint string `json:"Checkpoint"`
}

// AuditRequest asks for log leaves [Start, End) and for a proof that the
// tree of NewSize extends the tree of OldSize (seed §9). Either part may be
// omitted: End 0 asks for no leaves, OldSize 0 for no proof.
type AuditRequest struct {
	Start   int64 `json:"Start,omitempty"`
	End     int64 `json:"End,omitempty"`
	OldSize int64 `json:"OldSize,omitempty"`
	NewSize int64 `json:"NewSize,omitempty"`
}

// AuditResponse holds the leaves, the consistency proof and the latest
// checkpoint. Leaves are the exact bytes hashed into the tree, base64url.
type AuditResponse struct {
	Status
	Leaves      []string `json:"Leaves,omitempty"`
	Consistency []string `json:"Consistency,omitempty"`
	Checkpoint  string   `json:"Checkpoint"`
	// Next, when not 0, says Leaves stop short of End (answers are capped
	// in bytes and in leaves): they are [Start, Next), and the rest is
	// asked with Start = Next.
	Next int64 `json:"Next,omitempty"`
}

// ErrorResponse answers a request that could not be read at all (its type
// unknown or its JSON broken), so no typed response fits.
type ErrorResponse struct {
	Status
}

// LogProof places an entry in the portal's transparency log: its leaf
// index, an inclusion proof of that leaf in the tree of TreeSize, and the
// signed checkpoint of that tree. Hashes are base64url (RFC 6962 SHA-256).
type LogProof struct {
	Index      int64    `json:"Index"`
	TreeSize   int64    `json:"TreeSize"`
	Inclusion  []string `json:"Inclusion"`
	Checkpoint string   `json:"Checkpoint"`
}

// Entry is one item a portal stores, exactly one of whose fields is set:
// {"SignedPersonalProfile": {…}}, {"SignedApplicationProfile": {…}} or
// {"OfflineEscrowEntry": {…}}.
type Entry struct {
	SignedPersonalProfile    *profile.SignedPersonalProfile    `json:"SignedPersonalProfile,omitempty"`
	SignedApplicationProfile *profile.SignedApplicationProfile `json:"SignedApplicationProfile,omitempty"`
	OfflineEscrowEntry       *profile.OfflineEscrowEntry       `json:"OfflineEscrowEntry,omitempty"`
}

// Kind returns the name of the entry's set field, or "" if it has none.
func (e *Entry) Kind() string {
	switch {
	case e.SignedPersonalProfile != nil:
		return profile.TagSignedPersonalProfile
	case e.SignedApplicationProfile != nil:
		return profile.TagSignedApplicationProfile
	case e.OfflineEscrowEntry != nil:
		return profile.TagOfflineEscrowEntry
	}
	return ""
}

// Identifier returns the Identifier of the entry's content.
func (e *Entry) Identifier() string {
	switch {
	case e.SignedPersonalProfile != nil:
		return e.SignedPersonalProfile.Identifier
	case e.SignedApplicationProfile != nil:
		return e.SignedApplicationProfile.Identifier
	case e.OfflineEscrowEntry != nil:
		return e.OfflineEscrowEntry.Identifier
	}
	return ""
}

// Check reports an entry without exactly one field, or whose Identifier is
// not a fingerprint.
func (e *Entry) Check() error {
	n := 0
	for _, set := range []bool{e.SignedPersonalProfile != nil, e.SignedApplicationProfile != nil, e.OfflineEscrowEntry != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return badRequest("an entry holds exactly one of SignedPersonalProfile, SignedApplicationProfile, OfflineEscrowEntry; this one holds %d", n)
	}
	if _, err := udf.Parse(e.Identifier()); err != nil {
		return badRequest("%s Identifier: %v", e.Kind(), err)
	}
	return nil
}

// MessageType returns "HelloRequest".
func (*HelloRequest) MessageType() string { return "HelloRequest" }

// MessageType returns "HelloResponse".
func (*HelloResponse) MessageType() string { return "HelloResponse" }

// MessageType returns "ValidateRequest".
func (*ValidateRequest) MessageType() string { return "ValidateRequest" }

// MessageType returns "ValidateResponse".
func (*ValidateResponse) MessageType() string { return "ValidateResponse" }

// MessageType returns "CreateRequest".
func (*CreateRequest) MessageType() string { return "CreateRequest" }

// MessageType returns "CreateResponse".
func (*CreateResponse) MessageType() string { return "CreateResponse" }

// MessageType returns "GetRequest".
func (*GetRequest) MessageType() string { return "GetRequest" }

// MessageType returns "GetResponse".
func (*GetResponse) MessageType() string { return "GetResponse" }

// MessageType returns "PublishRequest".
func (*PublishRequest) MessageType() string { return "PublishRequest" }

// MessageType returns "PublishResponse".
func (*PublishResponse) MessageType() string { return "PublishResponse" }

// MessageType returns "ConnectStartRequest".
func (*ConnectStartRequest) MessageType() string { return "ConnectStartRequest" }

// MessageType returns "ConnectStartResponse".
func (*ConnectStartResponse) MessageType() string { return "ConnectStartResponse" }

// MessageType returns "ConnectPendingRequest".
func (*ConnectPendingRequest) MessageType() string { return "ConnectPendingRequest" }

// MessageType returns "ConnectPendingResponse".
func (*ConnectPendingResponse) MessageType() string { return "ConnectPendingResponse" }

// MessageType returns "ConnectCompleteRequest".
func (*ConnectCompleteRequest) MessageType() string { return "ConnectCompleteRequest" }

// MessageType returns "ConnectCompleteResponse".
func (*ConnectCompleteResponse) MessageType() string { return "ConnectCompleteResponse" }

// MessageType returns "ConnectStatusRequest".
func (*ConnectStatusRequest) MessageType() string { return "ConnectStatusRequest" }

// MessageType returns "ConnectStatusResponse".
func (*ConnectStatusResponse) MessageType() string { return "ConnectStatusResponse" }

// MessageType returns "StatusRequest".
func (*StatusRequest) MessageType() string { return "StatusRequest" }

// MessageType returns "StatusResponse".
func (*StatusResponse) MessageType() string { return "StatusResponse" }

// MessageType returns "AuditRequest".
func (*AuditRequest) MessageType() string { return "AuditRequest" }

// MessageType returns "AuditResponse".
func (*AuditResponse) MessageType() string { return "AuditResponse" }

// MessageType returns "ErrorResponse".
func (*ErrorResponse) MessageType() string { return "ErrorResponse" }

// Check accepts every HelloRequest.
func (*HelloRequest) Check() error { return nil }

// Check requires an Account.
func (r *ValidateRequest) Check() error { return need("Account", r.Account) }

// Check requires an Account and a SignedPersonalProfile.
func (r *CreateRequest) Check() error {
	if err := need("Account", r.Account); err != nil {
		return err
	}
	if err := r.Profile.Check(); err != nil {
		return err
	}
	if r.Profile.SignedPersonalProfile == nil {
		return badRequest("Profile must hold a SignedPersonalProfile")
	}
	return nil
}

// Check requires exactly one of Identifier and Account.
func (r *GetRequest) Check() error {
	if (r.Identifier == "") == (r.Account == "") {
		return badRequest("a GetRequest names exactly one of Identifier and Account")
	}
	if r.Identifier != "" {
		if _, err := udf.Parse(r.Identifier); err != nil {
			return badRequest("Identifier: %v", err)
		}
	}
	if r.Offset < 0 {
		return badRequest("Offset %d is negative", r.Offset)
	}
	return nil
}

// Check requires a well-formed Entry, and with an Escrow entry a personal
// profile as Entry and an Escrow whose Identifier is a fingerprint.
func (r *PublishRequest) Check() error {
	if err := r.Entry.Check(); err != nil {
		return err
	}
	if err := checkOptionalCheckIn(r.CheckIn); err != nil {
		return err
	}
	if r.Escrow == nil {
		return nil
	}
	if r.Entry.SignedPersonalProfile == nil {
		return badRequest("an Escrow entry is published together with a personal profile update, not a %s", r.Entry.Kind())
	}
	e := Entry{OfflineEscrowEntry: r.Escrow}
	return e.Check()
}

// Check requires a SignedRequest and an AccountID.
func (r *ConnectStartRequest) Check() error {
	if r.SignedRequest == nil || r.SignedRequest.SignedData == nil {
		return badRequest("SignedRequest is required")
	}
	return need("AccountID", r.AccountID)
}

// Check requires an AccountID and Authentication, and an IssueCode of
// 16 to 128 characters if any.
func (r *ConnectPendingRequest) Check() error {
	if err := need("AccountID", r.AccountID); err != nil {
		return err
	}
	if n := len(r.IssueCode); n != 0 && (n < 16 || n > 128) {
		return badRequest("IssueCode of %d characters: 16 to 128", n)
	}
	return needAuth(r.Authentication)
}

// Check requires a Result, an AccountID and Authentication.
func (r *ConnectCompleteRequest) Check() error {
	if r.Result == nil || r.Result.SignedData == nil {
		return badRequest("Result is required")
	}
	if err := need("AccountID", r.AccountID); err != nil {
		return err
	}
	return needAuth(r.Authentication)
}

// Check requires an AccountID, a DeviceID and Authentication.
func (r *ConnectStatusRequest) Check() error {
	if err := need("AccountID", r.AccountID); err != nil {
		return err
	}
	if _, err := udf.Parse(r.DeviceID); err != nil {
		return badRequest("DeviceID: %v", err)
	}
	return needAuth(r.Authentication)
}

// Check accepts every StatusRequest.
func (*StatusRequest) Check() error { return nil }

// Check requires sane ranges.
func (r *AuditRequest) Check() error {
	if r.Start < 0 || r.End < 0 || r.OldSize < 0 || r.NewSize < 0 {
		return badRequest("negative index or size")
	}
	if r.End != 0 && r.Start >= r.End {
		return badRequest("leaf range [%d, %d) is empty", r.Start, r.End)
	}
	if r.OldSize != 0 && r.OldSize > r.NewSize {
		return badRequest("OldSize %d is larger than NewSize %d", r.OldSize, r.NewSize)
	}
	return nil
}

func need(field, value string) error {
	if value == "" {
		return badRequest("%s is required", field)
	}
	return nil
}

func needAuth(a *jws.SignedData) error {
	if a == nil {
		return &Error{Code: StatusUnauthorized, Description: "Authentication is required: sign the request with the device's authentication key"}
	}
	return nil
}

func badRequest(format string, args ...any) error {
	return &Error{Code: StatusBadRequest, Description: fmt.Sprintf(format, args...)}
}
