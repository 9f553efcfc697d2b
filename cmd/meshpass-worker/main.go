//go:build js && wasm

// Command meshpass-worker, built for js/wasm, is the meshpass portal on
// Cloudflare Workers: the same handler as the self-hosted server
// (cmd/meshpass-portal), on the D1 database bound as DB. The Workers build
// in portal-worker/workers (scripts/build-worker.sh, make worker) puts it
// beside its JavaScript glue, glue.mjs, which starts it once per isolate,
// when the isolate loads the module.
// The log's signing key is the secret LOG_SIGNING_KEY and its verifier key
// the variable LOG_VERIFIER_KEY (both made by
// `go run ./cmd/meshpass-portal -keygen`).
package main

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/syumai/workers/cloudflare"

	"github.com/meshpass/meshpass/portal-worker/portal"
	"github.com/meshpass/meshpass/portal-worker/sqlstore"
	"github.com/meshpass/meshpass/portal-worker/workers/d1"
	"github.com/meshpass/meshpass/portal-worker/workers/jsbridge"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/translog"
)

// main starts when the glue loads the module, before any request: the
// Go runtime's start is not billed to a request. The worker's env (its
// D1 binding, variables and secrets) comes with the first request, so the
// handler is made then, once. warm runs the requests' code once first,
// so that the first request does not pay for compiling it either.
func main() {
	warm()
	jsbridge.Serve(&lazy{})
}

// lazy makes the portal's handler from the env of the first request it
// serves, and keeps it.
type lazy struct {
	once sync.Once
	h    http.Handler
}

func (l *lazy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.once.Do(func() {
		h, err := newHandler()
		if err != nil {
			h = misconfigured(err)
		}
		l.h = h
	})
	l.h.ServeHTTP(w, r)
}

// misconfigured serves err rather than crash-looping: every request gets
// a clear 503 until the configuration is fixed.
func misconfigured(err error) http.Handler {
	msg := err.Error()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Access-Control-Allow-Origin", "*") // as portal.Handler does
		w.WriteHeader(mmm.StatusServiceUnavailable)
		b, _ := mmm.Encode(&mmm.ErrorResponse{Status: mmm.Status{Status: mmm.StatusServiceUnavailable, StatusDescription: "portal misconfigured: " + msg}})
		w.Write(b)
	})
}

func newHandler() (http.Handler, error) {
	db, err := d1.Open("DB")
	if err != nil {
		return nil, err
	}
	skey := cloudflare.Getenv("LOG_SIGNING_KEY")
	vkey := cloudflare.Getenv("LOG_VERIFIER_KEY")
	if skey == "" || vkey == "" {
		return nil, fmt.Errorf("set the secret LOG_SIGNING_KEY and the variable LOG_VERIFIER_KEY")
	}
	signer, err := translog.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("LOG_SIGNING_KEY: %v", err)
	}
	if err := translog.CheckKeyPair(signer, vkey); err != nil {
		return nil, err
	}
	opts := portal.Options{
		Signer:      signer,
		VerifierKey: vkey,
		ClientIP:    func(r *http.Request) string { return r.Header.Get("CF-Connecting-IP") },
	}
	opts.RatePerIP, opts.BurstPerIP = envFloat("RATE_PER_IP", 20), int(envFloat("BURST_PER_IP", 60))
	opts.RatePerAccount, opts.BurstPerAccount = envFloat("RATE_PER_ACCOUNT", 5), int(envFloat("BURST_PER_ACCOUNT", 30))
	if secs := envFloat("PENDING_EXPIRY_SECONDS", 0); secs > 0 {
		opts.PendingExpiry = time.Duration(secs * float64(time.Second))
	}
	opts.CreatesPerIPPerHour, opts.CreatesBurst = envFloat("CREATES_PER_HOUR", 10), int(envFloat("CREATES_BURST", 10))
	// D1's free plan holds 500 MB per database: the watermark stays
	// below it (raise MAX_STORAGE_BYTES on a paid plan, up to about 9e9).
	opts.Quota = portal.Quota{
		AccountBytes:   int64(envFloat("ACCOUNT_BYTES", 256<<20)),
		AccountRecords: int64(envFloat("ACCOUNT_RECORDS", portal.DefaultAccountRecords)),
		TotalBytes:     int64(envFloat("MAX_STORAGE_BYTES", 400e6)),
	}
	// The most bytes of entries, leaves or records one answer carries
	// (default portal.MaxAnswer); the tests set it small to page.
	opts.MaxAnswer = int(envFloat("MAX_ANSWER", 0))
	opts.SignUp = cloudflare.Getenv("SIGN_UP")
	if err := portal.CheckSignUp(opts.SignUp); err != nil {
		return nil, fmt.Errorf("SIGN_UP: %v", err)
	}
	// Witnesses that cosign the log's checkpoints: WITNESSES holds
	// URL=VERIFIERKEY items separated by spaces; WITNESS_QUORUM how many
	// clients require (default: a majority); COSIGN_REFRESH_SECONDS how
	// old their cosignatures may get before a read asks again (1 h).
	for _, s := range strings.Fields(cloudflare.Getenv("WITNESSES")) {
		w, err := portal.ParseWitness(s)
		if err != nil {
			return nil, fmt.Errorf("WITNESSES: %v", err)
		}
		opts.Witnesses = append(opts.Witnesses, w)
	}
	opts.WitnessQuorum = int(envFloat("WITNESS_QUORUM", 0))
	if secs := envFloat("COSIGN_REFRESH_SECONDS", 0); secs > 0 {
		opts.CosignRefresh = time.Duration(secs * float64(time.Second))
	}
	if err := portal.CheckWitnesses(opts.Witnesses, opts.WitnessQuorum); err != nil {
		return nil, fmt.Errorf("WITNESSES: %v", err)
	}
	return portal.New(sqlstore.New(db), opts), nil
}

// envFloat reads a numeric variable, or returns def.
func envFloat(name string, def float64) float64 {
	if v, err := strconv.ParseFloat(cloudflare.Getenv(name), 64); err == nil {
		return v
	}
	return def
}
