//go:build js && wasm

package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/meshpass/meshpass/portal-worker/portal"
	"github.com/meshpass/meshpass/portal-worker/sqlstore"
	"github.com/meshpass/meshpass/shared/keys"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/translog"
)

// warm runs, once while the isolate loads the module, the code a request
// spends its CPU time in: decoding and encoding protocol messages, the
// verification of a personal profile (JSON Web Signatures, Ed25519,
// fingerprints), log leaves, hashes and a signed checkpoint, and the
// portal's handler on a Hello, a Get and a Create (on a database that
// holds nothing). V8 compiles
// a WebAssembly function when it is first called, and the Go runtime
// grows its heap on first use; without this, the first request of an
// isolate pays for both (about 11 ms of CPU for a Hello, measured by
// cmd/internal/workercpu). Nothing it makes is kept; it fails silently
// (a request then pays as before).
func warm() {
	// Keys from fixed seeds: nothing here needs to be secret, and Workers
	// may refuse random values outside a request.
	seed := func(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }
	master, err1 := keys.NewSigningKey(seed(1))
	online, err2 := keys.NewSigningKey(seed(2))
	dev, err3 := keys.NewSigningKey(seed(3))
	auth, err4 := keys.NewSigningKey(seed(4))
	enc, err5 := keys.NewDecryptionKey(seed(5))
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil || err5 != nil {
		return
	}
	mp := profile.NewMasterProfile(master.Public(), []*keys.PublicKey{online.Public()}, nil)
	sm, err := mp.Sign(master)
	if err != nil {
		return
	}
	d := profile.NewDeviceProfile(dev.Public(), auth.Public(), enc.Public(), "warm-up", "warm-up")
	sd, err := d.Sign(dev)
	if err != nil {
		return
	}
	pp := &profile.PersonalProfile{Identifier: mp.Identifier, SignedMasterProfile: sm,
		Devices: []*profile.SignedDeviceProfile{sd}, Administrators: []string{d.Identifier}, Versioned: profile.FirstVersion()}
	sp, err := pp.Sign(online)
	if err != nil {
		return
	}
	body, err := mmm.Encode(&mmm.CreateRequest{Account: "warm-up", Profile: mmm.Entry{SignedPersonalProfile: sp}})
	if err != nil {
		return
	}
	req, err := mmm.DecodeRequest(bytes.NewReader(body))
	if err != nil {
		return
	}
	cr, ok := req.(*mmm.CreateRequest)
	if !ok {
		return
	}
	if _, err := profile.VerifyPersonalProfile(cr.Profile.SignedPersonalProfile); err != nil {
		return
	}
	data, err := translog.LeafData(&cr.Profile)
	if err != nil {
		return
	}
	_ = sha256.Sum256(data)
	var e mmm.Entry
	if err := json.Unmarshal(data, &e); err != nil {
		return
	}
	skey, vkey, err := note.GenerateKey(bytes.NewReader(seed(6)), "warm-up/log")
	if err != nil {
		return
	}
	signer, err := translog.NewSigner(skey)
	if err != nil || translog.CheckKeyPair(signer, vkey) != nil {
		return
	}
	cp, err := translog.SignCheckpoint(signer, tlog.Tree{N: 1, Hash: translog.LeafHash(data)})
	if err != nil {
		return
	}
	mmm.Encode(&mmm.GetResponse{Entries: []mmm.Entry{e}, Proofs: []*mmm.LogProof{{Checkpoint: cp}}})

	// The portal's handler itself, on a database that holds nothing: its
	// answers are errors, but the code up to the store's reads runs.
	h := portal.New(sqlstore.New(nullDB{}), portal.Options{Signer: signer, VerifierKey: vkey})
	for _, b := range [][]byte{[]byte(`{"HelloRequest":{}}`), []byte(`{"GetRequest":{"Account":"warm-up","Multiple":true}}`), body} {
		r, err := http.NewRequest(http.MethodPost, "https://warm-up"+mmm.Path, bytes.NewReader(b))
		if err != nil {
			return
		}
		r.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(&discard{header: http.Header{}}, r)
	}
}

// nullDB is a database that holds nothing and takes nothing.
type nullDB struct{}

var errWarmUp = errors.New("warm-up: no database")

func (nullDB) Query(context.Context, string, ...any) ([][]any, error) { return nil, errWarmUp }
func (nullDB) Batch(context.Context, []sqlstore.Stmt) error           { return errWarmUp }

// discard is a ResponseWriter that keeps nothing.
type discard struct{ header http.Header }

func (d *discard) Header() http.Header         { return d.header }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}
