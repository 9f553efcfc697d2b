//go:build !js

package interop

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshpass/meshpass/shared/jwe"
	"github.com/meshpass/meshpass/shared/jws"
	"github.com/meshpass/meshpass/shared/keys"
)

const (
	module    = "github.com/meshpass/meshpass"
	script    = "scripts/jose-interop.mjs"
	skipEnv   = "MESHPASS_SKIP_NODE"
	sigAlg    = "EdDSA"
	keyAlg    = "ECDH-ES+A256KW"
	encAlg    = "A256GCM"
	nodeLimit = time.Minute
)

var b64 = base64.RawURLEncoding

// jwk is an OKP JSON Web Key (RFC 8037), public or, with d, private.
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	D   string `json:"d,omitempty"`
	Kid string `json:"kid,omitempty"`
}

// Requests and replies of scripts/jose-interop.mjs.
type (
	makeRequest struct {
		Mode       string            `json:"mode"`
		Signer     jwk               `json:"signer"`
		Payload    string            `json:"payload"`
		Plaintext  string            `json:"plaintext"`
		Recipients []json.RawMessage `json:"recipients"`
	}
	makeReply struct {
		JWS json.RawMessage `json:"jws"`
		JWE json.RawMessage `json:"jwe"`
	}
	keygenReply struct {
		Ed25519 jwk `json:"ed25519"`
		X25519  jwk `json:"x25519"`
	}
	jwsCheck struct {
		JWS json.RawMessage `json:"jws"`
		JWK json.RawMessage `json:"jwk"`
	}
	jweCheck struct {
		JWE json.RawMessage `json:"jwe"`
		JWK jwk             `json:"jwk"`
	}
	checkRequest struct {
		Mode string     `json:"mode"`
		JWS  []jwsCheck `json:"jws"`
		JWE  []jweCheck `json:"jwe"`
	}
	checkResult struct {
		OK                bool           `json:"ok"`
		Error             string         `json:"error"`
		Code              string         `json:"code"`
		Payload           string         `json:"payload"`
		Plaintext         string         `json:"plaintext"`
		ProtectedHeader   map[string]any `json:"protectedHeader"`
		UnprotectedHeader map[string]any `json:"unprotectedHeader"`
	}
	checkReply struct {
		JWS []checkResult `json:"jws"`
		JWE []checkResult `json:"jwe"`
	}
)

// setup finds the repository root, node and the pinned jose, once.
var setup = sync.OnceValues(func() (env nodeEnv, err error) {
	env.root, err = repoRoot()
	if err != nil {
		return env, err
	}
	env.node, err = exec.LookPath("node")
	if err != nil {
		return env, fmt.Errorf("node is not on PATH (%v): install Node.js, then run `npm ci` at %s (`make test` does it)", err, env.root)
	}
	var pkg struct {
		DevDependencies map[string]string `json:"devDependencies"`
	}
	if err := readJSON(filepath.Join(env.root, "package.json"), &pkg); err != nil {
		return env, err
	}
	want := pkg.DevDependencies["jose"]
	if want == "" {
		return env, errors.New("package.json does not pin jose in devDependencies")
	}
	var installed struct {
		Version string `json:"version"`
	}
	if err := readJSON(filepath.Join(env.root, "node_modules", "jose", "package.json"), &installed); err != nil {
		return env, fmt.Errorf("jose is not installed (%v): run `npm ci` at %s (`make test` does it)", err, env.root)
	}
	if installed.Version != want {
		return env, fmt.Errorf("node_modules has jose %s, package.json pins %s: run `npm ci` at %s (`make test` does it)", installed.Version, want, env.root)
	}
	return env, nil
})

type nodeEnv struct{ root, node string }

// requireNode returns the environment, failing the test if it is missing,
// or skipping it in -short mode (make check) or when MESHPASS_SKIP_NODE=1.
func requireNode(t *testing.T) nodeEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the jose interoperability tests run Node.js")
	}
	if os.Getenv(skipEnv) == "1" {
		t.Skipf("%s=1: skipping the jose interoperability tests", skipEnv)
	}
	env, err := setup()
	if err != nil {
		t.Fatalf("jose interoperability tests cannot run: %v (or set %s=1 to skip them)", err, skipEnv)
	}
	return env
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(b), "module "+module+"\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod for %s above the working directory", module)
		}
		dir = parent
	}
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// runJose sends req to the script and decodes its reply into reply.
func runJose(t *testing.T, req, reply any) {
	t.Helper()
	env := requireNode(t)
	in, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), nodeLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.node, filepath.Join(env.root, script))
	cmd.Dir = env.root
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, stderr.Bytes())
	}
	if err := json.Unmarshal(stdout.Bytes(), reply); err != nil {
		t.Fatalf("node %s: reply: %v\n%s", script, err, stdout.Bytes())
	}
}

// signerJWK is k as a private JWK: d is the Ed25519 seed (RFC 8037 §2).
func signerJWK(k *keys.SigningKey) jwk {
	p := k.Public().PublicParameters.PublicKeyOKP
	return jwk{Kty: p.Kty, Crv: p.Crv, X: p.X, D: b64.EncodeToString(k.Seed()), Kid: k.ID()}
}

// decrypterJWK is k as a private JWK: d is the X25519 scalar.
func decrypterJWK(k *keys.DecryptionKey) jwk {
	p := k.Public().PublicParameters.PublicKeyOKP
	return jwk{Kty: p.Kty, Crv: p.Crv, X: p.X, D: b64.EncodeToString(k.Bytes()), Kid: k.ID()}
}

// publicJWK is the JWK inside a profile's PublicKey, exactly as written.
func publicJWK(t *testing.T, p *keys.PublicKey) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(p.PublicParameters.PublicKeyOKP)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := b64.DecodeString(s)
	if err != nil {
		t.Fatalf("base64url %q: %v", s, err)
	}
	return b
}

// joseKeys has jose make an Ed25519 and an X25519 key, and rebuilds them
// in Go from d, checking that Go derives the same public x and that the
// UDF Go computes from jose's public x names the same key.
func joseKeys(t *testing.T) (*keys.SigningKey, *keys.DecryptionKey) {
	t.Helper()
	var r keygenReply
	runJose(t, map[string]string{"mode": "keygen"}, &r)
	if r.Ed25519.Kty != "OKP" || r.Ed25519.Crv != keys.CurveEd25519 || r.X25519.Kty != "OKP" || r.X25519.Crv != keys.CurveX25519 {
		t.Fatalf("jose keys: %+v %+v", r.Ed25519, r.X25519)
	}
	sig, err := keys.NewSigningKey(decodeB64(t, r.Ed25519.D))
	if err != nil {
		t.Fatalf("jose Ed25519 d: %v", err)
	}
	if got := sig.Public().PublicParameters.PublicKeyOKP.X; got != r.Ed25519.X {
		t.Fatalf("Ed25519: Go derives x %s from jose's d, jose says %s", got, r.Ed25519.X)
	}
	dec, err := keys.NewDecryptionKey(decodeB64(t, r.X25519.D))
	if err != nil {
		t.Fatalf("jose X25519 d: %v", err)
	}
	if got := dec.Public().PublicParameters.PublicKeyOKP.X; got != r.X25519.X {
		t.Fatalf("X25519: Go derives x %s from jose's d, jose says %s", got, r.X25519.X)
	}
	edPub, err := keys.NewPublicKey(ed25519.PublicKey(decodeB64(t, r.Ed25519.X)))
	if err != nil || edPub.UDF != sig.ID() {
		t.Fatalf("UDF of jose's Ed25519 x: %v %v, want %s", edPub, err, sig.ID())
	}
	xPub, err := ecdh.X25519().NewPublicKey(decodeB64(t, r.X25519.X))
	if err != nil {
		t.Fatal(err)
	}
	xKey, err := keys.NewPublicKey(xPub)
	if err != nil || xKey.UDF != dec.ID() {
		t.Fatalf("UDF of jose's X25519 x: %v %v, want %s", xKey, err, dec.ID())
	}
	return sig, dec
}

func newDecryptionKeys(t *testing.T, n int) []*keys.DecryptionKey {
	t.Helper()
	out := make([]*keys.DecryptionKey, n)
	for i := range out {
		k, err := keys.GenerateDecryptionKey()
		if err != nil {
			t.Fatal(err)
		}
		out[i] = k
	}
	return out
}

var (
	testPayload   = []byte(`{"Profile":"MDJVA","Devices":["laptop","phone"],"note":"ünïcödé ✓"}`)
	testPlaintext = []byte(`{"Entries":[{"Sites":["example.com"],"Username":"alice","Password":"hunter2"}]}`)
)

// joseMake has jose sign payload with signer and encrypt plaintext to recipients.
func joseMake(t *testing.T, signer *keys.SigningKey, recipients ...*keys.PublicKey) makeReply {
	t.Helper()
	req := makeRequest{
		Mode:      "make",
		Signer:    signerJWK(signer),
		Payload:   b64.EncodeToString(testPayload),
		Plaintext: b64.EncodeToString(testPlaintext),
	}
	for _, r := range recipients {
		req.Recipients = append(req.Recipients, publicJWK(t, r))
	}
	var r makeReply
	runJose(t, req, &r)
	return r
}

func decodeHeader(t *testing.T, s string) map[string]any {
	t.Helper()
	var h map[string]any
	if err := json.Unmarshal(decodeB64(t, s), &h); err != nil {
		t.Fatalf("header %s: %v", s, err)
	}
	return h
}

// TestJoseKeys checks that jose's OKP JWKs and meshpass's key bytes are
// the same thing: d is Seed (Ed25519) or Bytes (X25519), x is the public key.
func TestJoseKeys(t *testing.T) {
	sig, dec := joseKeys(t)
	t.Logf("jose made %s and %s", sig.ID(), dec.ID())
}

// TestGoReadsJose has jose sign and encrypt, and Go verify and decrypt.
func TestGoReadsJose(t *testing.T) {
	joseSig, joseDec := joseKeys(t)
	goDec := newDecryptionKeys(t, 1)[0]
	outsider := newDecryptionKeys(t, 1)[0]
	made := joseMake(t, joseSig, goDec.Public(), joseDec.Public())

	t.Run("JWS", func(t *testing.T) {
		var s jws.SignedData
		if err := json.Unmarshal(made.JWS, &s); err != nil {
			t.Fatalf("jose JWS %s: %v", made.JWS, err)
		}
		if kid, err := s.KeyID(); err != nil || kid != joseSig.ID() {
			t.Fatalf("KeyID: %q %v, want %s", kid, err, joseSig.ID())
		}
		got, err := s.Verify(joseSig.Public())
		if err != nil {
			t.Fatalf("Go refuses jose's JWS %s: %v", made.JWS, err)
		}
		if !bytes.Equal(got, testPayload) {
			t.Fatalf("payload %q, want %q", got, testPayload)
		}
		// Ed25519 is deterministic: over the same protected header, Go's
		// signature must be jose's, byte for byte.
		mine, err := jws.Sign(joseSig, testPayload)
		if err != nil {
			t.Fatal(err)
		}
		if mine.Protected != s.Protected {
			t.Logf("protected headers differ: Go %s, jose %s", decodeB64(t, mine.Protected), decodeB64(t, s.Protected))
		} else if mine.Signature != s.Signature || mine.Payload != s.Payload {
			t.Errorf("same key, header and payload, different JWS:\nGo   %+v\njose %+v", mine, s)
		}
	})

	t.Run("JWE two recipients", func(t *testing.T) {
		checkJoseJWE(t, made.JWE, []*keys.DecryptionKey{goDec, joseDec}, outsider)
	})

	// With one recipient jose puts epk in the protected header rather than
	// the recipient's: still a standard JWE that Go must read.
	t.Run("JWE one recipient", func(t *testing.T) {
		one := joseMake(t, joseSig, goDec.Public())
		var e struct{ Protected string }
		if err := json.Unmarshal(one.JWE, &e); err != nil {
			t.Fatal(err)
		}
		if _, ok := decodeHeader(t, e.Protected)["epk"]; !ok {
			t.Logf("jose no longer puts epk in the protected header: %s", one.JWE)
		}
		checkJoseJWE(t, one.JWE, []*keys.DecryptionKey{goDec}, outsider)
	})
}

// checkJoseJWE decrypts a jose-made JWE with each recipient key and checks
// that outsider is turned away.
func checkJoseJWE(t *testing.T, raw json.RawMessage, recipients []*keys.DecryptionKey, outsider *keys.DecryptionKey) {
	t.Helper()
	// Every member jose wrote must be one EncryptedData keeps, or Go
	// would be checking a different object from the one jose made.
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		t.Fatal(err)
	}
	for name := range members {
		if !slices.Contains([]string{"protected", "recipients", "iv", "ciphertext", "tag"}, name) {
			t.Errorf("jose's JWE has %q, which jwe.EncryptedData drops", name)
		}
	}
	var e jwe.EncryptedData
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatalf("jose JWE %s: %v", raw, err)
	}
	if h := decodeHeader(t, e.Protected); h["enc"] != encAlg {
		t.Errorf("protected header %v", h)
	}
	var want []string
	for _, k := range recipients {
		want = append(want, k.ID())
	}
	if got := e.RecipientIDs(); !slices.Equal(got, want) {
		t.Errorf("recipients %v, want %v", got, want)
	}
	for _, k := range recipients {
		got, err := e.Decrypt(k)
		if err != nil {
			t.Fatalf("Go cannot decrypt jose's JWE with %s: %v\n%s", k.ID(), err, raw)
		}
		if !bytes.Equal(got, testPlaintext) {
			t.Fatalf("plaintext %q, want %q", got, testPlaintext)
		}
	}
	if _, err := e.Decrypt(outsider); !errors.Is(err, jwe.ErrNotRecipient) {
		t.Errorf("outsider: %v, want ErrNotRecipient", err)
	}
}

// TestJoseReadsGo has Go sign and encrypt, and jose verify and decrypt.
func TestJoseReadsGo(t *testing.T) {
	sig, err := keys.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	recipients := newDecryptionKeys(t, 3)
	outsider := newDecryptionKeys(t, 1)[0]
	var pubs []*keys.PublicKey
	for _, k := range recipients {
		pubs = append(pubs, k.Public())
	}
	s, err := jws.Sign(sig, testPayload)
	if err != nil {
		t.Fatal(err)
	}
	e, err := jwe.Encrypt(testPlaintext, pubs)
	if err != nil {
		t.Fatal(err)
	}
	req := checkRequest{Mode: "check", JWS: []jwsCheck{{JWS: mustJSON(t, s), JWK: publicJWK(t, sig.Public())}}}
	for _, k := range append(slices.Clone(recipients), outsider) {
		req.JWE = append(req.JWE, jweCheck{JWE: mustJSON(t, e), JWK: decrypterJWK(k)})
	}
	var r checkReply
	runJose(t, req, &r)
	if len(r.JWS) != 1 || len(r.JWE) != len(recipients)+1 {
		t.Fatalf("reply %+v", r)
	}

	v := r.JWS[0]
	if !v.OK {
		t.Fatalf("jose refuses Go's JWS %s: %s (%s)", mustJSON(t, s), v.Error, v.Code)
	}
	if got := decodeB64(t, v.Payload); !bytes.Equal(got, testPayload) {
		t.Errorf("jose verified payload %q, want %q", got, testPayload)
	}
	if v.ProtectedHeader["alg"] != sigAlg || v.ProtectedHeader["kid"] != sig.ID() {
		t.Errorf("protected header %v", v.ProtectedHeader)
	}

	for i, k := range recipients {
		d := r.JWE[i]
		if !d.OK {
			t.Errorf("jose cannot decrypt Go's JWE with recipient %d %s: %s (%s)", i, k.ID(), d.Error, d.Code)
			continue
		}
		if got := decodeB64(t, d.Plaintext); !bytes.Equal(got, testPlaintext) {
			t.Errorf("recipient %d: plaintext %q, want %q", i, got, testPlaintext)
		}
		if d.ProtectedHeader["enc"] != encAlg {
			t.Errorf("recipient %d: protected header %v", i, d.ProtectedHeader)
		}
		// jose reports the header of the recipient whose key worked.
		if h := d.UnprotectedHeader; h["alg"] != keyAlg || h["kid"] != k.ID() {
			t.Errorf("recipient %d: header %v", i, h)
		}
	}
	if d := r.JWE[len(recipients)]; d.OK {
		t.Errorf("jose decrypted Go's JWE with a key it is not encrypted to")
	} else {
		t.Logf("outsider refused by jose: %s (%s)", d.Error, d.Code)
	}
}

// flip flips one bit of a base64url value.
func flip(t *testing.T, s string) string {
	t.Helper()
	b := decodeB64(t, s)
	b[len(b)/2] ^= 0x10
	return b64.EncodeToString(b)
}

// jwsTampers are changes that must break a signature: payload swapped,
// signature bit flipped, and the kid in the protected header renamed.
func jwsTampers(t *testing.T, other *keys.SigningKey) map[string]func(jws.SignedData) jws.SignedData {
	return map[string]func(jws.SignedData) jws.SignedData{
		"payload": func(s jws.SignedData) jws.SignedData {
			s.Payload = b64.EncodeToString(bytes.Replace(testPayload, []byte("phone"), []byte("thief"), 1))
			return s
		},
		"signature": func(s jws.SignedData) jws.SignedData { s.Signature = flip(t, s.Signature); return s },
		"kid": func(s jws.SignedData) jws.SignedData {
			h := decodeHeader(t, s.Protected)
			h["kid"] = other.ID()
			s.Protected = b64.EncodeToString(mustJSON(t, h))
			return s
		},
	}
}

// TestTampered checks that each side refuses the other's JWS, and JWE,
// once changed.
func TestTampered(t *testing.T) {
	requireNode(t)
	sig, err := keys.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	other, err := keys.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	dec := newDecryptionKeys(t, 2)
	tampers := jwsTampers(t, other)
	names := slices.Sorted(maps.Keys(tampers))

	t.Run("Go JWS and JWE refused by jose", func(t *testing.T) {
		s, err := jws.Sign(sig, testPayload)
		if err != nil {
			t.Fatal(err)
		}
		e, err := jwe.Encrypt(testPlaintext, []*keys.PublicKey{dec[0].Public(), dec[1].Public()})
		if err != nil {
			t.Fatal(err)
		}
		req := checkRequest{Mode: "check"}
		for _, n := range names {
			req.JWS = append(req.JWS, jwsCheck{JWS: mustJSON(t, tampers[n](*s)), JWK: publicJWK(t, sig.Public())})
		}
		// The untampered one, so a refusal above is not a general failure.
		req.JWS = append(req.JWS, jwsCheck{JWS: mustJSON(t, s), JWK: publicJWK(t, sig.Public())})
		bad := *e
		bad.Ciphertext = flip(t, bad.Ciphertext)
		req.JWE = []jweCheck{{JWE: mustJSON(t, &bad), JWK: decrypterJWK(dec[1])}, {JWE: mustJSON(t, e), JWK: decrypterJWK(dec[1])}}
		var r checkReply
		runJose(t, req, &r)
		if len(r.JWS) != len(names)+1 || len(r.JWE) != 2 {
			t.Fatalf("reply %+v", r)
		}
		for i, n := range names {
			if r.JWS[i].OK {
				t.Errorf("jose accepts Go's JWS with its %s tampered", n)
			} else if r.JWS[i].Code != "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" {
				t.Errorf("%s: jose refuses with %s (%s), want a signature failure", n, r.JWS[i].Error, r.JWS[i].Code)
			}
		}
		if !r.JWS[len(names)].OK {
			t.Errorf("jose refuses the untampered JWS: %s", r.JWS[len(names)].Error)
		}
		if r.JWE[0].OK {
			t.Error("jose decrypts Go's JWE with its ciphertext tampered")
		} else {
			t.Logf("tampered JWE refused by jose: %s (%s)", r.JWE[0].Error, r.JWE[0].Code)
		}
		if !r.JWE[1].OK {
			t.Errorf("jose refuses the untampered JWE: %s", r.JWE[1].Error)
		}
	})

	t.Run("jose JWS and JWE refused by Go", func(t *testing.T) {
		made := joseMake(t, sig, dec[0].Public(), dec[1].Public())
		var s jws.SignedData
		if err := json.Unmarshal(made.JWS, &s); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Verify(sig.Public()); err != nil {
			t.Fatalf("untampered: %v", err)
		}
		for _, n := range names {
			bad := tampers[n](s)
			// Read it back from JSON, as it would arrive.
			var back jws.SignedData
			if err := json.Unmarshal(mustJSON(t, bad), &back); err != nil {
				t.Fatal(err)
			}
			_, err := back.Verify(sig.Public())
			want := jws.ErrSignature
			if n == "kid" {
				want = jws.ErrWrongKey // the header names another key
				// and that other key does not verify it either.
				if _, err := back.Verify(other.Public()); !errors.Is(err, jws.ErrSignature) {
					t.Errorf("kid: verified with the renamed key: %v, want ErrSignature", err)
				}
			}
			if !errors.Is(err, want) {
				t.Errorf("Go verifies jose's JWS with its %s tampered: %v, want %v", n, err, want)
			}
		}
		var e jwe.EncryptedData
		if err := json.Unmarshal(made.JWE, &e); err != nil {
			t.Fatal(err)
		}
		e.Ciphertext = flip(t, e.Ciphertext)
		for _, k := range dec {
			if _, err := e.Decrypt(k); !errors.Is(err, jwe.ErrDecrypt) {
				t.Errorf("Go decrypts jose's JWE with its ciphertext tampered: %v, want ErrDecrypt", err)
			}
		}
	})
}
