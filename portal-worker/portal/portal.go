// Package portal is the meshpass Mesh portal: one http.Handler serving
// every mmm transaction at POST /.well-known/mmm/ over a Store, with an
// RFC 6962 transparency log of every accepted Create and Publish, and of
// the head of a vault's catalog after every AppendRecords (shared/translog,
// records.go). The portal is untrusted by clients, but it refuses
// every write that is not properly signed against what it stores.
package portal

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
	"golang.org/x/text/cases"

	"github.com/meshpass/meshpass/shared/memo"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/translog"
	"github.com/meshpass/meshpass/shared/udf"
)

// Account name rules, reported by Validate: the protocol's
// (mmm.AccountProblem), which every client checks too (shared/policy).
const (
	MinAccountLength  = mmm.MinAccount
	MaxAccountLength  = mmm.MaxAccount
	InvalidCharacters = mmm.AccountInvalidCharacters
)

// MaxAuditLeaves is the most leaves one Audit returns.
const MaxAuditLeaves = 1000

// MaxAnswer is the most bytes of entries or leaves one Get or Audit answer
// carries (the rest is paged with Next): an answer stays under
// mmm.MaxBodySize, the most a client reads, whatever is stored.
const MaxAnswer = mmm.MaxBodySize - 64<<10

// Options configure a portal. Zero values take the defaults.
type Options struct {
	// Signer signs the log's checkpoints (translog.NewSigner). Required.
	Signer note.Signer
	// VerifierKey is the log's note verifier key, reported by Hello.
	VerifierKey string
	// PendingExpiry is how long a connection request waits (24 h).
	PendingExpiry time.Duration
	// MaxPending is the most pending requests per account (16).
	MaxPending int
	// RatePerIP and BurstPerIP limit requests per client address, per
	// second (0: no limit).
	RatePerIP  float64
	BurstPerIP int
	// Slots is how many requests are served at once (default: twice
	// GOMAXPROCS; negative: no limit); the others wait, the clients that
	// used the portal least lately first (fair.go), at most MaxWaiting of
	// them (default 16 per slot: each holds its decoded request) — past
	// that the heaviest user's request is refused with 503.
	Slots      int
	MaxWaiting int
	// RatePerAccount and BurstPerAccount limit requests naming an
	// account, per second (0: no limit).
	RatePerAccount  float64
	BurstPerAccount int
	// ClientIP returns the client address of r (default: the host of
	// r.RemoteAddr).
	ClientIP func(r *http.Request) string
	// MaxEntrySize is the largest entry (profile, as stored) accepted, in
	// bytes (512 KiB).
	MaxEntrySize int
	// MaxAnswer is the most bytes of entries (Get) or leaves (Audit) one
	// answer carries; the rest is paged with Next (default MaxAnswer).
	MaxAnswer int
	// MaxEscrowSize is the largest escrow entry accepted, in bytes (4 KiB:
	// an escrow entry holds three keys).
	MaxEscrowSize int
	// Quota bounds what one account and the whole portal store (see
	// Quota; zero fields: no limit).
	Quota Quota
	// SignUp is who may create an account: mmm.SignUpOpen (the default),
	// mmm.SignUpInvitation (with a code from the operator, see
	// sqlstore.Store.AddInvitation) or mmm.SignUpClosed.
	SignUp string
	// CreatesPerIPPerHour and CreatesBurst limit account creations per
	// client address (0: no limit beyond RatePerIP).
	CreatesPerIPPerHour float64
	CreatesBurst        int
	// Observe, if set, is called after every request with its message
	// type ("" when unreadable), the status answered and how long it took:
	// for access logs and metrics. It sees no account, key or body.
	Observe func(r *http.Request, messageType string, status int, d time.Duration)
	// Now is the clock (time.Now).
	Now func() time.Time

	// Witnesses cosign the log's checkpoints (cosign.go); Hello reports
	// their keys and WitnessQuorum, how many of them clients require
	// (0: DefaultQuorum, a majority). Check them with CheckWitnesses.
	Witnesses     []Witness
	WitnessQuorum int
	// WitnessClient reaches the witnesses (nil: http.DefaultClient),
	// within WitnessTimeout a round (DefaultWitnessTimeout).
	WitnessClient  *http.Client
	WitnessTimeout time.Duration
	// CosignRefresh is how old the quorum's cosignatures of the latest
	// checkpoint may get before a read gathers fresh ones
	// (DefaultCosignRefresh).
	CosignRefresh time.Duration
}

type portal struct {
	store Store
	opts  Options
	// mu serializes log appends in this process; the Store's
	// preconditions catch writers in other processes.
	mu sync.Mutex
	// queue holds the writes waiting for a group commit (group.go).
	queue writeQueue
	// hashes keeps log hashes read from the store (hashcache.go),
	// answers encoded Get answers (answercache.go), accounts the
	// profile each account names (accountcache.go).
	hashes   *hashCache
	answers  *answerCache
	accounts *accountCache
	ipLimit  *limiter
	acLimit  *limiter
	// sched orders the requests that wait for a slot.
	sched *scheduler
	// crLimit limits account creations per client address.
	crLimit *limiter
	// verified caches verified stored personal profiles, by the SHA-256
	// of the stored entry; verifier the master and device profiles and
	// connection requests it verified, so that what does not change from
	// one version of a profile to the next is verified once.
	verified *memo.Cache[*profile.Personal]
	verifier *profile.Verifier
	// apps caches verified stored password profiles (verifiedApplication).
	apps *memo.Cache[verifiedApp]
	// audits bounds the Audits that read leaves at once: each reads up to
	// MaxAnswer bytes, and anyone may ask.
	audits chan struct{}
	// cosign gathers witness cosignatures; nil without witnesses.
	cosign *cosigner
}

// maxAudits is how many Audits read leaves at once; more are told to
// retry (429).
const maxAudits = 2

// New returns the portal handler.
func New(store Store, opts Options) http.Handler {
	if opts.PendingExpiry <= 0 {
		opts.PendingExpiry = 24 * time.Hour
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = 16
	}
	if opts.MaxEntrySize <= 0 {
		opts.MaxEntrySize = 512 << 10
	}
	if opts.MaxAnswer <= 0 {
		opts.MaxAnswer = MaxAnswer
	}
	if opts.MaxEscrowSize <= 0 {
		opts.MaxEscrowSize = 4 << 10
	}
	if opts.SignUp == "" {
		opts.SignUp = mmm.SignUpOpen
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ClientIP == nil {
		opts.ClientIP = RemoteIP
	}
	if opts.Slots == 0 {
		opts.Slots = 2 * runtime.GOMAXPROCS(0)
	}
	if opts.MaxWaiting <= 0 {
		opts.MaxWaiting = 16 * max(opts.Slots, 1)
	}
	p := &portal{
		store: store, opts: opts,
		ipLimit:  newLimiter(opts.RatePerIP, opts.BurstPerIP),
		sched:    newScheduler(opts.Slots, opts.MaxWaiting, opts.Now),
		verified: memo.New[*profile.Personal](verifiedCacheSize),
		verifier: profile.NewVerifier(verifiedCacheSize),
		apps:     memo.New[verifiedApp](verifiedCacheSize),
		hashes:   newHashCache(hashCacheSize),
		answers:  newAnswerCache(answerCacheBytes),
		accounts: newAccountCache(accountCacheSize),
		acLimit:  newLimiter(opts.RatePerAccount, opts.BurstPerAccount),
		crLimit:  newLimiter(opts.CreatesPerIPPerHour/3600, opts.CreatesBurst),
		audits:   make(chan struct{}, maxAudits),
	}
	var err error
	if p.cosign, err = newCosigner(p, &p.opts); err != nil {
		panic("portal: witnesses: " + err.Error() + " (check Options with CheckWitnesses)")
	}
	return p
}

// CheckSignUp reports a SignUp setting that is none of the three.
func CheckSignUp(s string) error {
	switch s {
	case "", mmm.SignUpOpen, mmm.SignUpInvitation, mmm.SignUpClosed:
		return nil
	}
	return fmt.Errorf("sign-ups %q: want %s, %s or %s", s, mmm.SignUpOpen, mmm.SignUpInvitation, mmm.SignUpClosed)
}

func (p *portal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w}
	start := time.Now()
	defer func() {
		if v := recover(); v != nil {
			log.Printf("portal: panic serving a request: %v\n%s", v, debug.Stack())
			if sw.status == 0 {
				writeJSON(sw, &mmm.ErrorResponse{Status: mmm.Status{Status: mmm.StatusInternalError, StatusDescription: "internal error"}})
			}
		}
		if p.opts.Observe != nil {
			p.opts.Observe(r, sw.msgType, sw.status, time.Since(start))
		}
	}()
	p.serveHTTP(sw, r)
}

// statusWriter remembers the status and message type answered.
type statusWriter struct {
	http.ResponseWriter
	status  int
	msgType string
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (p *portal) serveHTTP(w *statusWriter, r *http.Request) {
	// Any web origin may call the portal: every answer, errors included,
	// carries Access-Control-Allow-Origin: *, and a CORS preflight is
	// answered below. That is safe because the portal authenticates
	// requests by the signatures inside the message (signed profiles,
	// mmm.Authenticate), never by cookies or other credentials a browser
	// would attach on its own, so a page on another origin can do nothing
	// that any HTTP client could not.
	w.Header().Set("Access-Control-Allow-Origin", "*")
	if r.URL.Path != mmm.Path {
		writeError(w, nil, mmm.Errorf(mmm.StatusNotFound, "no such path %q: the portal serves %s", r.URL.Path, mmm.Path))
		return
	}
	if r.Method == http.MethodOptions {
		preflight(w)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", corsMethods)
		writeError(w, nil, mmm.Errorf(http.StatusMethodNotAllowed, "method %s: the portal takes POST", r.Method))
		return
	}
	now := p.opts.Now()
	ip := p.opts.ClientIP(r)
	if !p.ipLimit.allow(ip, now) {
		writeError(w, nil, mmm.Errorf(mmm.StatusTooManyRequests, "too many requests from this address; retry later"))
		return
	}
	// A body announced too large is refused before any of it is read.
	if r.ContentLength > mmm.MaxBodySize {
		writeError(w, nil, mmm.ErrTooLarge)
		return
	}
	req, err := mmm.DecodeRequest(r.Body)
	if err != nil {
		writeError(w, nil, err)
		return
	}
	w.msgType = req.MessageType()
	if _, ok := req.(*mmm.CreateRequest); ok && !p.crLimit.allow(ip, now) {
		writeError(w, req, mmm.Errorf(mmm.StatusTooManyRequests, "too many accounts created from this address; retry later"))
		return
	}
	// Served now, or after the requests of addresses that used the
	// portal less lately.
	release, err := p.sched.admit(r.Context(), ip)
	if err != nil {
		writeError(w, req, err)
		return
	}
	defer release()
	// The account's own budget is spent only by requests that prove to
	// come from it (spend, after their signatures are checked): a request
	// that merely names an account spends only its address's budget.
	resp, err := p.serve(withSlot(r.Context(), release), req, now)
	if err != nil {
		writeError(w, req, err)
		return
	}
	if e, ok := resp.(*encodedAnswer); ok {
		writeEncoded(w, e.body)
		return
	}
	o := resp.Outcome()
	o.Status, o.StatusDescription = mmm.StatusOK, mmm.DescriptionOK
	writeJSON(w, resp)
}

// spend takes a token from account's budget, once a request has proved
// that it comes from one of the account's keys.
func (p *portal) spend(account string) error {
	if !p.acLimit.allow(fold(account), p.opts.Now()) {
		return mmm.Errorf(mmm.StatusTooManyRequests, "too many requests for this account; retry later")
	}
	return nil
}

// CORS preflight answer (see ServeHTTP): the methods and request headers
// clients use (shared/client's Transport sends Content-Type:
// application/json, which makes browsers ask first), cached for a day
// (browsers may cap it lower; Chromium at 2 h).
const (
	corsMethods = "POST, OPTIONS"
	corsHeaders = "Content-Type"
	corsMaxAge  = "86400"
)

// preflight answers a CORS preflight (OPTIONS) for the mmm endpoint.
func preflight(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", corsMethods)
	h.Set("Access-Control-Allow-Headers", corsHeaders)
	h.Set("Access-Control-Max-Age", corsMaxAge)
	h.Set("Allow", corsMethods)
	w.WriteHeader(http.StatusNoContent)
}

func writeError(w http.ResponseWriter, req mmm.Request, err error) {
	code := mmm.StatusOf(err)
	desc := "internal error"
	var e *mmm.Error
	if errors.As(err, &e) {
		desc = e.Description
	}
	var resp mmm.Response = &mmm.ErrorResponse{}
	if req != nil {
		if r := mmm.NewResponse(req.MessageType()); r != nil {
			resp = r
		}
	}
	o := resp.Outcome()
	o.Status, o.StatusDescription = code, desc
	writeJSON(w, resp)
}

func writeJSON(w http.ResponseWriter, resp mmm.Response) {
	b, err := mmm.Encode(resp)
	code := resp.Outcome().Status
	if err != nil {
		code = mmm.StatusInternalError
		b = []byte(`{"ErrorResponse":{"Status":500,"StatusDescription":"internal error"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if code == mmm.StatusTooManyRequests || code == mmm.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "2")
	}
	w.WriteHeader(code)
	w.Write(b)
}

// fold case-folds an account name (Unicode full case folding, so that
// "Straße" and "STRASSE" are one name).
func fold(account string) string { return cases.Fold().String(account) }

// checkAccount returns why account may not be created ("the account name
// is empty"), or "".
func checkAccount(account string) string {
	if why := mmm.AccountProblem(account); why != "" {
		return "the account name " + why
	}
	return ""
}

// storeErr maps a Store error to a protocol error.
func storeErr(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNotFound):
		return mmm.Errorf(mmm.StatusNotFound, "%s not found", what)
	case errors.Is(err, ErrConflict):
		return mmm.Errorf(mmm.StatusConflict, "%s: conflict", what)
	case errors.Is(err, ErrLimit):
		return mmm.Errorf(mmm.StatusTooManyRequests, "%s: limit reached", what)
	case errors.Is(err, ErrQuota):
		return mmm.Errorf(mmm.StatusInsufficientStorage, "%s: the account's storage quota is reached; nothing was written (the portal's operator sets the quota)", what)
	case errors.Is(err, ErrFull):
		return mmm.Errorf(mmm.StatusInsufficientStorage, "%s: the portal's storage is full; nothing was written (tell the portal's operator)", what)
	case errors.Is(err, ErrInvitation):
		return mmm.Errorf(mmm.StatusForbidden, "the invitation code is not valid, or was used already")
	}
	var e *mmm.Error
	if errors.As(err, &e) {
		return err
	}
	// The client learns only that storage failed; the operator, why.
	log.Printf("portal: storage: %s: %v", what, err)
	return mmm.Errorf(mmm.StatusServiceUnavailable, "storage unavailable")
}

func refused(err error) error {
	return mmm.Errorf(mmm.StatusBadRequest, "refused: %v", err)
}

func (p *portal) serve(ctx context.Context, req mmm.Request, now time.Time) (mmm.Response, error) {
	switch r := req.(type) {
	case *mmm.HelloRequest:
		hr := &mmm.HelloResponse{Version: mmm.ProtocolVersion, MaxBody: mmm.MaxBodySize, LogKey: p.opts.VerifierKey,
			MaxEntry: int64(p.opts.MaxEntrySize), MaxEscrow: int64(p.opts.MaxEscrowSize), SignUp: p.opts.SignUp}
		if p.cosign != nil {
			hr.Witnesses, hr.WitnessQuorum = p.cosign.set.Keys(), p.cosign.set.K()
		}
		return hr, nil
	case *mmm.ValidateRequest:
		return p.validate(ctx, r)
	case *mmm.CreateRequest:
		return p.create(ctx, r)
	case *mmm.GetRequest:
		return p.get(ctx, r)
	case *mmm.PublishRequest:
		if err := p.writeCheckIn(ctx, r.CheckIn, now); err != nil {
			return nil, err
		}
		return p.publish(ctx, r)
	case *mmm.ConnectStartRequest:
		return p.connectStart(ctx, r, now)
	case *mmm.ConnectPendingRequest:
		return p.connectPending(ctx, r, now)
	case *mmm.ConnectCompleteRequest:
		return p.connectComplete(ctx, r, now)
	case *mmm.ConnectStatusRequest:
		return p.connectStatus(ctx, r, now)
	case *mmm.ConnectContributeRequest:
		return p.connectContribute(ctx, r, now)
	case *mmm.ConnectRevealRequest:
		return p.connectReveal(ctx, r, now)
	case *mmm.StatusRequest:
		_, cp, err := p.latest(ctx)
		if err != nil {
			return nil, err
		}
		return &mmm.StatusResponse{Checkpoint: cp}, nil
	case *mmm.AuditRequest:
		return p.audit(ctx, r)
	case *mmm.AppendRecordsRequest:
		if err := p.writeCheckIn(ctx, r.CheckIn, now); err != nil {
			return nil, err
		}
		return p.appendRecords(ctx, r)
	case *mmm.GetRecordsRequest:
		return p.getRecords(ctx, r)
	case *mmm.CheckInRequest:
		return p.checkIn(ctx, r, now)
	case *mmm.GetCheckInsRequest:
		return p.getCheckIns(ctx, r)
	case *mmm.PutSnapshotRequest:
		return p.putSnapshot(ctx, r)
	case *mmm.GetSnapshotRequest:
		return p.getSnapshot(ctx, r)
	}
	return nil, mmm.Errorf(mmm.StatusBadRequest, "unsupported request %s", req.MessageType())
}

func (p *portal) validate(ctx context.Context, r *mmm.ValidateRequest) (mmm.Response, error) {
	resp := &mmm.ValidateResponse{Minimum: MinAccountLength, InvalidCharacters: InvalidCharacters, Valid: true}
	if why := checkAccount(r.Account); why != "" {
		resp.Valid, resp.Reason = false, why
		return resp, nil
	}
	_, err := p.store.Account(ctx, fold(r.Account))
	switch {
	case err == nil:
		resp.Valid, resp.Reason = false, "the account name is taken"
	case !errors.Is(err, ErrNotFound):
		return nil, storeErr(err, "account")
	}
	return resp, nil
}

// personal returns the verified personal profile of the stored entry id.
func (p *portal) personal(ctx context.Context, id string) (*profile.Personal, *Entry, error) {
	e, err := p.store.Entry(ctx, id)
	if err != nil {
		return nil, nil, storeErr(err, "profile")
	}
	if e.Kind != profile.TagSignedPersonalProfile {
		return nil, nil, mmm.Errorf(mmm.StatusConflict, "entry %s is a %s, not a personal profile", id, e.Kind)
	}
	v, err := p.storedPersonal(e.Data)
	if err != nil {
		return nil, nil, err
	}
	return v, e, nil
}

// storedPersonal decodes and verifies a stored personal profile entry.
// Stored entries were verified when they were accepted, but the portal
// verifies them again rather than trust its database blindly; the result
// is cached by the entry's exact bytes, since verification is the largest
// part of a request's CPU time in WebAssembly (about 5 ms for a profile of
// three devices). An entry this portal wrote is cached as it writes it
// (append), so its first read is a hit too.
func (p *portal) storedPersonal(data []byte) (*profile.Personal, error) {
	key := sha256.Sum256(data)
	if v, ok := p.verified.Get(key); ok {
		return v, nil
	}
	var me mmm.Entry
	if err := json.Unmarshal(data, &me); err != nil || me.SignedPersonalProfile == nil {
		return nil, mmm.Errorf(mmm.StatusInternalError, "stored profile unreadable")
	}
	v, err := p.verifier.VerifyPersonalProfile(me.SignedPersonalProfile)
	if err != nil {
		return nil, mmm.Errorf(mmm.StatusInternalError, "stored profile does not verify")
	}
	p.verified.Put(key, v)
	return v, nil
}

// accountProfile returns the verified personal profile of account.
func (p *portal) accountProfile(ctx context.Context, account string) (*profile.Personal, *Entry, error) {
	id, err := p.accounts.profileOf(ctx, p.store, fold(account))
	if err != nil {
		return nil, nil, storeErr(err, "account")
	}
	return p.personal(ctx, id)
}

func (p *portal) create(ctx context.Context, r *mmm.CreateRequest) (mmm.Response, error) {
	var invitation string
	switch p.opts.SignUp {
	case mmm.SignUpClosed:
		return nil, mmm.Errorf(mmm.StatusForbidden, "this portal takes no new accounts (sign-ups are closed)")
	case mmm.SignUpInvitation:
		if r.Invitation == "" {
			return nil, mmm.Errorf(mmm.StatusForbidden, "sign-ups on this portal are by invitation: ask its operator for an invitation code")
		}
		invitation = InvitationHash(r.Invitation)
	}
	if why := checkAccount(r.Account); why != "" {
		return nil, mmm.Errorf(mmm.StatusBadRequest, "%s", why)
	}
	v, err := p.verifier.VerifyPersonalProfile(r.Profile.SignedPersonalProfile)
	if err != nil {
		return nil, refused(err)
	}
	id, _ := udf.Parse(v.Profile.Identifier)
	proofs, err := p.append(ctx, &write{
		account: fold(r.Account), invitation: invitation,
		entry: &r.Profile, id: id, version: v.Profile.Version, owner: fold(r.Account), apps: appIDs(v), personal: v,
	})
	if err != nil {
		return nil, err
	}
	return &mmm.CreateResponse{Log: proofs[0]}, nil
}

// InvitationHash is how an invitation code is stored: its SHA-256, hex.
func InvitationHash(code string) string {
	h := sha256.Sum256([]byte(code))
	return hex.EncodeToString(h[:])
}

func (p *portal) publish(ctx context.Context, r *mmm.PublishRequest) (mmm.Response, error) {
	id, _ := udf.Parse(r.Entry.Identifier())
	switch {
	case r.Entry.SignedPersonalProfile != nil:
		v, err := p.verifier.VerifyPersonalProfile(r.Entry.SignedPersonalProfile)
		if err != nil {
			return nil, refused(err)
		}
		cur, stored, err := p.personal(ctx, id)
		if err != nil {
			return nil, err
		}
		if !udf.Equal(v.Master.Identifier, cur.Master.Identifier) {
			return nil, mmm.Errorf(mmm.StatusBadRequest, "refused: the master profile is not the stored one")
		}
		if cur.Master.OnlineKey(v.Signer) == nil {
			return nil, mmm.Errorf(mmm.StatusBadRequest, "refused: signed by %s, not an online key of the stored profile", v.Signer)
		}
		if err := p.spend(stored.Account); err != nil {
			return nil, err
		}
		if err := checkVersions(r.Previous, v.Profile.Version, stored.Version); err != nil {
			return nil, err
		}
		wr := &write{entry: &r.Entry, id: id, version: v.Profile.Version, previous: stored.Version, owner: stored.Account, apps: appIDs(v), personal: v}
		if r.Escrow != nil {
			if err := p.checkEscrow(ctx, r.Escrow, wr); err != nil {
				return nil, err
			}
		}
		proofs, err := p.append(ctx, wr)
		if err != nil {
			return nil, err
		}
		resp := &mmm.PublishResponse{Log: proofs[0]}
		if len(proofs) > 1 {
			resp.EscrowLog = proofs[1]
		}
		return resp, nil
	case r.Entry.SignedApplicationProfile != nil:
		stored, err := p.store.Entry(ctx, id)
		if errors.Is(err, ErrNotFound) {
			// A new application profile: its owner is the account whose
			// personal profile listed it first.
			account, err := p.store.ApplicationOwner(ctx, id)
			if err != nil {
				return nil, storeErr(err, "a personal profile listing application "+id)
			}
			stored, err = &Entry{Kind: profile.TagSignedApplicationProfile, Account: account}, nil
		} else if err != nil {
			return nil, storeErr(err, "application profile")
		}
		owner, err := p.ownerOf(ctx, id, stored)
		if err != nil {
			return nil, err
		}
		ap, err := profile.VerifyApplicationProfile(r.Entry.SignedApplicationProfile, owner)
		if err != nil {
			return nil, refused(err)
		}
		if err := p.spend(stored.Account); err != nil {
			return nil, err
		}
		if err := checkVersions(r.Previous, ap.Version, stored.Version); err != nil {
			return nil, err
		}
		wr := &write{entry: &r.Entry, id: id, version: ap.Version, previous: stored.Version, owner: stored.Account, application: ap, appOwner: owner}
		if err := p.checkEpochs(ctx, id, stored, ap, wr); err != nil {
			return nil, err
		}
		proofs, err := p.append(ctx, wr)
		if err != nil {
			return nil, err
		}
		return &mmm.PublishResponse{Log: proofs[0]}, nil
	default:
		// An escrow entry alone could come from anyone: the portal stores
		// one only together with a profile update that proves it comes
		// from the account (PublishRequest.Escrow), and charges it to
		// that account.
		return nil, mmm.Errorf(mmm.StatusBadRequest, "refused: an escrow entry is stored only together with a personal profile update signed by an online key (PublishRequest.Escrow)")
	}
}

// checkEscrow checks an escrow entry published with a personal profile
// update and adds it to wr.
func (p *portal) checkEscrow(ctx context.Context, esc *profile.OfflineEscrowEntry, wr *write) error {
	if err := profile.CheckEscrowEntry(esc); err != nil {
		return refused(err)
	}
	e := &mmm.Entry{OfflineEscrowEntry: esc}
	data, err := translog.LeafData(e)
	if err != nil {
		return refused(err)
	}
	if len(data) > p.opts.MaxEscrowSize {
		return mmm.Errorf(mmm.StatusTooLarge, "escrow entry of %d bytes; the portal takes at most %d", len(data), p.opts.MaxEscrowSize)
	}
	id, _ := udf.Parse(esc.Identifier)
	if _, err := p.store.Entry(ctx, id); err == nil {
		return mmm.Errorf(mmm.StatusConflict, "an entry %s is already stored; escrow entries are written once", id)
	} else if !errors.Is(err, ErrNotFound) {
		return storeErr(err, "escrow entry")
	}
	// An escrow entry may not take the Identifier of an application
	// profile that a personal profile lists but that is not yet
	// published.
	if _, err := p.store.ApplicationOwner(ctx, id); err == nil {
		return mmm.Errorf(mmm.StatusConflict, "%s is the Identifier of an application profile", id)
	} else if !errors.Is(err, ErrNotFound) {
		return storeErr(err, "escrow entry")
	}
	if slices.Contains(wr.apps, id) {
		return mmm.Errorf(mmm.StatusConflict, "%s is the Identifier of an application profile", id)
	}
	wr.escrow, wr.escrowID = e, id
	return nil
}

// ownerOf returns the verified personal profile that lists the stored
// application profile.
func (p *portal) ownerOf(ctx context.Context, id string, stored *Entry) (*profile.Personal, error) {
	if stored.Kind != profile.TagSignedApplicationProfile || stored.Account == "" {
		return nil, mmm.Errorf(mmm.StatusConflict, "entry %s is not an application profile", id)
	}
	owner, _, err := p.accountProfile(ctx, stored.Account)
	if err != nil {
		return nil, err
	}
	if owner.Application(id) == nil {
		return nil, mmm.Errorf(mmm.StatusBadRequest, "refused: application %s is no longer listed in the personal profile", id)
	}
	return owner, nil
}

// appIDs returns the canonical Identifiers of the applications v lists.
func appIDs(v *profile.Personal) []string {
	var out []string
	for _, a := range v.Profile.Applications {
		if id, err := udf.Parse(a.Identifier); err == nil {
			out = append(out, id)
		}
	}
	return out
}

func checkVersions(previous, version, stored uint64) error {
	if version <= stored {
		return mmm.Errorf(mmm.StatusConflict, "version %d is not newer than the stored version %d (rollback refused)", version, stored)
	}
	if previous != 0 && previous != stored {
		return mmm.Errorf(mmm.StatusConflict, "the stored version is %d, not %d: fetch it, merge and publish again", stored, previous)
	}
	return nil
}

// hashReader reads the store's hashes, through the portal's cache of them
// (hashcache.go).
func (p *portal) hashReader(ctx context.Context) tlog.HashReader {
	return p.hashes.reader(ctx, p.store)
}

// write is one accepted Create or Publish: entry (and escrow, if set)
// logged and stored together.
type write struct {
	// account, if set, is created; invitation (a hash) is used up by it.
	account, invitation string
	entry               *mmm.Entry
	id                  string
	version, previous   uint64
	// owner is the account the entry belongs to, and is charged for it.
	owner string
	apps  []string
	// escrow is an escrow entry written with entry, named escrowID.
	escrow   *mmm.Entry
	escrowID string
	// catalog, if set, must hold exactly catalogSize items (a password
	// profile starting a key epoch there).
	catalog     string
	catalogSize int64
	// personal is the verified personal profile entry holds, if it holds
	// one: once stored, it is what storedPersonal would verify again;
	// application the verified password profile it holds, against
	// appOwner (keepVerified).
	personal    *profile.Personal
	application *profile.PasswordProfile
	appOwner    *profile.Personal
}

// append logs and stores w, returning the log proof of its entry and, if
// it has one, of its escrow entry.
func (p *portal) append(ctx context.Context, w *write) ([]*mmm.LogProof, error) {
	data, err := translog.LeafData(w.entry)
	if err != nil {
		return nil, refused(err)
	}
	if len(data) > p.opts.MaxEntrySize {
		return nil, mmm.Errorf(mmm.StatusTooLarge, "entry of %d bytes; the portal takes at most %d", len(data), p.opts.MaxEntrySize)
	}
	var escrow []byte
	if w.escrow != nil {
		if escrow, err = translog.LeafData(w.escrow); err != nil {
			return nil, refused(err)
		}
	}
	var proofs []*mmm.LogProof
	if gs, ok := p.store.(GroupStore); ok {
		proofs, err = p.appendGrouped(ctx, gs, w, data, escrow)
	} else {
		proofs, err = p.appendLocked(ctx, w, data, escrow)
	}
	if err != nil {
		return nil, err
	}
	p.keepVerified(w, data)
	return p.witnessed(ctx, proofs...), nil
}

// precheck refuses, before it is placed in the log, a Create whose account
// or profile is stored already (the Store's guards refuse it too, if it
// is written meanwhile).
func (p *portal) precheck(ctx context.Context, w *write) error {
	if w.account == "" {
		return nil
	}
	if _, err := p.store.Account(ctx, w.account); err == nil {
		return mmm.Errorf(mmm.StatusConflict, "account %q exists", w.account)
	} else if !errors.Is(err, ErrNotFound) {
		return storeErr(err, "account")
	}
	if w.previous == 0 {
		if _, err := p.store.Entry(ctx, w.id); err == nil {
			return mmm.Errorf(mmm.StatusConflict, "profile %s is already stored", w.id)
		}
	}
	return nil
}

// appendLocked is append under the log's lock, one Append per write (a
// Store without group commit).
func (p *portal) appendLocked(ctx context.Context, w *write, data, escrow []byte) ([]*mmm.LogProof, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.precheck(ctx, w); err != nil {
		return nil, err
	}
	// Another process (a second Workers isolate) may append between Latest
	// and Append; the store then refuses with ErrLogMoved and the leaf is
	// placed again on the longer log.
	for attempt := 0; ; attempt++ {
		proofs, err := p.appendOnce(ctx, w, data, escrow)
		if errors.Is(err, ErrLogMoved) {
			if attempt < maxAppendAttempts {
				continue
			}
			return nil, errLogKeptMoving
		}
		return proofs, err
	}
}

// errLogKeptMoving answers a write that lost the race for the log's next
// leaf maxAppendAttempts times.
var errLogKeptMoving = mmm.Errorf(mmm.StatusServiceUnavailable, "the log kept moving while this entry was written; nothing was written: retry")

// maxAppendAttempts bounds the retries of an append that lost a race for
// the log's next leaf.
const maxAppendAttempts = 8

// cost is what storing a leaf of n bytes costs in the quotas: the leaf and
// the stored entry, plus the log's hashes and checkpoint.
func cost(n int) int64 { return 2*int64(n) + 512 }

func (p *portal) appendOnce(ctx context.Context, w *write, data, escrow []byte) ([]*mmm.LogProof, error) {
	n, _, err := p.store.Latest(ctx)
	if err != nil {
		return nil, storeErr(err, "log")
	}
	hr := p.hashReader(ctx)
	a, tree, err := p.build(hr, n, w, data, escrow)
	if err != nil {
		return nil, err
	}
	if a.Checkpoint, err = translog.SignCheckpoint(p.opts.Signer, tree); err != nil {
		return nil, err
	}
	if err := p.store.Append(ctx, a); err != nil {
		return nil, p.appendErr(ctx, w, err)
	}
	return p.prove(tree, n, tree.N, a.Checkpoint, translog.Overlay(hr, tlog.StoredHashCount(n), a.Hashes))
}

// build returns the Append of w as leaf n of the log that hr reads (its
// escrow entry, if any, as leaf n+1), with the log's new stored hashes,
// and the tree it makes; the Checkpoint is left for the caller to sign.
func (p *portal) build(hr tlog.HashReader, n int64, w *write, data, escrow []byte) (*Append, tlog.Tree, error) {
	hashes, tree, err := translog.Append(hr, n, data)
	if err != nil {
		return nil, tlog.Tree{}, storeErr(err, "log")
	}
	a := &Append{
		Account:      w.account,
		Invitation:   w.invitation,
		Entry:        Entry{Identifier: w.id, Kind: w.entry.Kind(), Account: w.owner, Version: w.version, Data: data, Index: n},
		Previous:     w.previous,
		Applications: w.apps,
		Quota:        p.opts.Quota,
		Cost:         cost(len(data)),
		Catalog:      w.catalog,
		CatalogSize:  w.catalogSize,
	}
	if w.previous == 0 {
		a.Records++
	}
	if escrow != nil {
		more, t2, err := translog.Append(translog.Overlay(hr, tlog.StoredHashCount(n), hashes), n+1, escrow)
		if err != nil {
			return nil, tlog.Tree{}, storeErr(err, "log")
		}
		hashes, tree = append(hashes, more...), t2
		a.Escrow = &Entry{Identifier: w.escrowID, Kind: w.escrow.Kind(), Account: w.owner, Version: 1, Data: escrow, Index: n + 1}
		a.Cost += cost(len(escrow))
		a.Records++
	}
	a.Hashes = hashes
	return a, tree, nil
}

// appendErr is the answer to w when the Store refused its Append
// (ErrLogMoved is returned as is, for the caller to place w again).
func (p *portal) appendErr(ctx context.Context, w *write, err error) error {
	switch {
	case errors.Is(err, ErrLogMoved):
		return err
	case errors.Is(err, ErrCatalogMoved):
		return p.catalogMoved(ctx, w.catalog)
	case errors.Is(err, ErrConflict):
		if w.account != "" {
			return mmm.Errorf(mmm.StatusConflict, "account %q or profile %s was created while this one was made", w.account, w.id)
		}
		return mmm.Errorf(mmm.StatusConflict, "entry %s changed while this write was made; fetch it and try again", w.id)
	}
	return storeErr(err, "write")
}

// prove returns the inclusion proofs of leaves [from, to) in tree, whose
// signed checkpoint is cp, reading the log's hashes with hr.
func (p *portal) prove(tree tlog.Tree, from, to int64, cp string, hr tlog.HashReader) ([]*mmm.LogProof, error) {
	var proofs []*mmm.LogProof
	for i := from; i < to; i++ {
		proof, err := tlog.ProveRecord(tree.N, i, hr)
		if err != nil {
			return nil, storeErr(err, "log")
		}
		proofs = append(proofs, &mmm.LogProof{Index: i, TreeSize: tree.N, Inclusion: translog.EncodeHashes(proof), Checkpoint: cp})
	}
	return proofs, nil
}

// proof returns the inclusion proof of leaf index in the latest tree.
func (p *portal) proof(ctx context.Context, index int64) (*mmm.LogProof, error) {
	n, cp, err := p.latest(ctx)
	if err != nil {
		return nil, err
	}
	if index < 0 || index >= n {
		return nil, mmm.Errorf(mmm.StatusInternalError, "leaf outside the log")
	}
	proof, err := tlog.ProveRecord(n, index, p.hashReader(ctx))
	if err != nil {
		return nil, storeErr(err, "log")
	}
	return &mmm.LogProof{Index: index, TreeSize: n, Inclusion: translog.EncodeHashes(proof), Checkpoint: cp}, nil
}

func (p *portal) get(ctx context.Context, r *mmm.GetRequest) (mmm.Response, error) {
	id := r.Identifier
	if r.Account != "" {
		var err error
		if id, err = p.accounts.profileOf(ctx, p.store, fold(r.Account)); err != nil {
			return nil, storeErr(err, "account")
		}
	} else {
		id, _ = udf.Parse(id)
	}
	e, err := p.store.Entry(ctx, id)
	if err != nil {
		return nil, storeErr(err, "entry")
	}
	found := []*Entry{e}
	if r.Multiple && e.Kind == profile.TagSignedPersonalProfile {
		v, err := p.storedPersonal(e.Data)
		if err != nil {
			return nil, err
		}
		for _, a := range v.Profile.Applications {
			aid, _ := udf.Parse(a.Identifier)
			ae, err := p.store.Entry(ctx, aid)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, storeErr(err, "entry")
			}
			// Only the application profiles this account owns.
			if ae.Kind != profile.TagSignedApplicationProfile || ae.Account != e.Account {
				continue
			}
			found = append(found, ae)
		}
	}
	if r.Offset >= len(found) {
		return nil, mmm.Errorf(mmm.StatusBadRequest, "Offset %d: %d entries found", r.Offset, len(found))
	}
	// One tree proves every entry of the answer, read after them: each
	// entry read is in it.
	n, cp, err := p.latest(ctx)
	if err != nil {
		return nil, err
	}
	key := getAnswerKey(r.Offset, n, cp, found)
	if body, ok := p.answers.get(key); ok {
		return &encodedAnswer{Response: &mmm.GetResponse{}, body: body}, nil
	}
	// The answer carries entries up to MaxAnswer bytes (always at least
	// one); Next says where the rest starts.
	resp := &rawGetResponse{}
	size := 0
	hr := p.hashReader(ctx)
	for i := r.Offset; i < len(found); i++ {
		e := found[i]
		if size > 0 && size+len(e.Data) > p.opts.MaxAnswer {
			resp.Next = i
			break
		}
		size += len(e.Data)
		if e.Index < 0 || e.Index >= n {
			return nil, mmm.Errorf(mmm.StatusInternalError, "leaf outside the log")
		}
		proofs, err := p.prove(tlog.Tree{N: n}, e.Index, e.Index+1, cp, hr)
		if err != nil {
			return nil, err
		}
		resp.Entries = append(resp.Entries, e.Data)
		resp.Proofs = append(resp.Proofs, proofs[0])
	}
	body, err := encodeGet(resp)
	if err != nil {
		return nil, mmm.Errorf(mmm.StatusInternalError, "stored entry unreadable")
	}
	p.answers.put(key, body)
	return &encodedAnswer{Response: &mmm.GetResponse{}, body: body}, nil
}

// latest returns the log's size and latest checkpoint, with the
// witnesses' cosignatures (cosign.go); the empty log's checkpoint is
// signed when asked for.
func (p *portal) latest(ctx context.Context) (int64, string, error) {
	n, cp, err := p.store.Latest(ctx)
	if err != nil {
		return 0, "", storeErr(err, "log")
	}
	if p.cosign != nil {
		n, cp = p.cosign.serve(ctx, n, cp)
	}
	if n == 0 {
		th, err := tlog.TreeHash(0, p.hashReader(ctx))
		if err != nil {
			return 0, "", storeErr(err, "log")
		}
		if cp, err = translog.SignCheckpoint(p.opts.Signer, tlog.Tree{N: 0, Hash: th}); err != nil {
			return 0, "", err
		}
	}
	return n, cp, nil
}

func (p *portal) audit(ctx context.Context, r *mmm.AuditRequest) (mmm.Response, error) {
	n, cp, err := p.latest(ctx)
	if err != nil {
		return nil, err
	}
	resp := &mmm.AuditResponse{Checkpoint: cp}
	if r.End != 0 {
		if r.End > n {
			return nil, mmm.Errorf(mmm.StatusBadRequest, "the log holds %d leaves, not %d", n, r.End)
		}
		// At most MaxAuditLeaves leaves and MaxAnswer bytes of them
		// (base64), always at least one; Next says where the rest starts.
		end := min(r.End, r.Start+MaxAuditLeaves)
		select {
		case p.audits <- struct{}{}:
			defer func() { <-p.audits }()
		default:
			return nil, mmm.Errorf(mmm.StatusTooManyRequests, "the portal is answering other audits; retry in a second")
		}
		leaves, err := p.store.Leaves(ctx, r.Start, end, p.opts.MaxAnswer*3/4)
		if err != nil {
			return nil, storeErr(err, "leaves")
		}
		for _, l := range leaves {
			resp.Leaves = append(resp.Leaves, base64.RawURLEncoding.EncodeToString(l))
		}
		if got := r.Start + int64(len(leaves)); got < r.End {
			resp.Next = got
		}
	}
	if r.OldSize != 0 {
		if r.NewSize > n {
			return nil, mmm.Errorf(mmm.StatusBadRequest, "the log holds %d leaves, not %d", n, r.NewSize)
		}
		proof, err := tlog.ProveTree(r.NewSize, r.OldSize, p.hashReader(ctx))
		if err != nil {
			return nil, storeErr(err, "log")
		}
		resp.Consistency = translog.EncodeHashes(proof)
	}
	return resp, nil
}
