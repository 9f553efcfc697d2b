package jws

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha512"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/meshpass/meshpass/shared/internal/b64"
	"github.com/meshpass/meshpass/shared/keys"
)

func mustSign(t testing.TB, k *keys.SigningKey, payload string) *SignedData {
	t.Helper()
	s, err := Sign(k, []byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSignVerify(t *testing.T) {
	k, _ := keys.GenerateSigningKey()
	s := mustSign(t, k, `{"MasterProfile":{}}`)
	got, err := s.Verify(k.Public())
	if err != nil || string(got) != `{"MasterProfile":{}}` {
		t.Fatalf("Verify = %q, %v", got, err)
	}
	kid, err := s.KeyID()
	if err != nil || kid != k.ID() {
		t.Errorf("KeyID = %q, %v", kid, err)
	}
	// Round trip through JSON.
	b, _ := json.Marshal(s)
	var back SignedData
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if _, err := back.Verify(k.Public()); err != nil {
		t.Fatal(err)
	}
}

func TestRefusals(t *testing.T) {
	k, _ := keys.GenerateSigningKey()
	other, _ := keys.GenerateSigningKey()
	enc, _ := keys.GenerateDecryptionKey()
	s := mustSign(t, k, "hello")

	if _, err := s.Verify(other.Public()); !errors.Is(err, ErrWrongKey) {
		t.Errorf("other key: %v", err)
	}
	if _, err := s.Verify(enc.Public()); !errors.Is(err, ErrWrongKey) {
		t.Errorf("encryption key: %v", err)
	}

	tampered := *s
	tampered.Payload = b64.Encode([]byte("hellO"))
	if _, err := tampered.Verify(k.Public()); !errors.Is(err, ErrSignature) {
		t.Errorf("tampered payload: %v", err)
	}

	// A signature by another key relabelled with this key's kid.
	forged := *mustSign(t, other, "hello")
	forged.Protected = s.Protected
	if _, err := forged.Verify(k.Public()); !errors.Is(err, ErrSignature) {
		t.Errorf("relabelled signature: %v", err)
	}

	// Algorithm confusion: an Ed25519 key with an RS512 header.
	confused := *s
	confused.Protected = b64.Encode([]byte(`{"alg":"RS512","kid":"` + k.ID() + `"}`))
	if _, err := confused.Verify(k.Public()); !errors.Is(err, ErrWrongKey) {
		t.Errorf("RS512 header on Ed25519 key: %v", err)
	}
	none := *s
	none.Protected = b64.Encode([]byte(`{"alg":"none","kid":"` + k.ID() + `"}`))
	if _, err := none.Verify(k.Public()); !errors.Is(err, ErrMalformed) {
		t.Errorf("alg none: %v", err)
	}
	noKid := *s
	noKid.Protected = b64.Encode([]byte(`{"alg":"EdDSA"}`))
	if _, err := noKid.KeyID(); !errors.Is(err, ErrMalformed) {
		t.Errorf("no kid: %v", err)
	}
	var missing *SignedData
	if _, err := missing.Verify(k.Public()); !errors.Is(err, ErrMalformed) {
		t.Errorf("nil: %v", err)
	}
}

func TestUnmarshalForms(t *testing.T) {
	k, _ := keys.GenerateSigningKey()
	s := mustSign(t, k, "seed spelling")
	// The seed writes the protected header as "header" and breaks values over lines.
	seed := `{"header": "` + s.Protected[:10] + `\n   ` + s.Protected[10:] + `", "payload": "` + s.Payload + `", "signature": "` + s.Signature + `"}`
	var got SignedData
	if err := json.Unmarshal([]byte(seed), &got); err != nil {
		t.Fatal(err)
	}
	if _, err := got.Verify(k.Public()); err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string]string{
		"unprotected header object": `{"protected":"` + s.Protected + `","header":{"kid":"x"},"payload":"","signature":""}`,
		"both spellings":            `{"protected":"` + s.Protected + `","header":"` + s.Protected + `","payload":"","signature":""}`,
		"no header":                 `{"payload":"","signature":""}`,
		"no signature":              `{"protected":"` + s.Protected + `","payload":""}`,
		"not an object":             `[]`,
	} {
		var d SignedData
		if err := json.Unmarshal([]byte(in), &d); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestRS512 verifies a signature by an RSA key, as in the seed.
func TestRS512(t *testing.T) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := keys.NewPublicKey(&priv.PublicKey)
	protected := b64.Encode([]byte(`{"alg":"RS512","kid":"` + pub.UDF + `"}`))
	payload := b64.Encode([]byte(`{"PersonalProfile":{}}`))
	digest := sha512.Sum512([]byte(protected + "." + payload))
	sig, err := rsa.SignPKCS1v15(rand.Reader, priv, crypto.SHA512, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	s := &SignedData{Protected: protected, Payload: payload, Signature: b64.Encode(sig)}
	if got, err := s.Verify(pub); err != nil || !strings.Contains(string(got), "PersonalProfile") {
		t.Fatalf("RS512: %q %v", got, err)
	}
	s.Signature = b64.Encode(append(sig[:len(sig)-1], sig[len(sig)-1]^1))
	if _, err := s.Verify(pub); !errors.Is(err, ErrSignature) {
		t.Errorf("bad RS512: %v", err)
	}
}

func FuzzSignedData(f *testing.F) {
	k, _ := keys.GenerateSigningKey()
	s := mustSign(f, k, `{"a":1}`)
	good, _ := json.Marshal(s)
	f.Add(good)
	f.Add([]byte(`{"header":"eyJhbGciOiJFZERTQSJ9","payload":"","signature":""}`))
	f.Add([]byte(`{"protected":"e30","payload":"e30","signature":"AAAA"}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		var d SignedData
		if err := json.Unmarshal(in, &d); err != nil {
			return
		}
		d.KeyID()
		d.UnverifiedPayload()
		if payload, err := d.Verify(k.Public()); err == nil && string(payload) != `{"a":1}` {
			// Only the one signed payload can verify under k.
			t.Fatalf("verified an unsigned payload %q", payload)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	k, _ := keys.GenerateSigningKey()
	s := mustSign(b, k, strings.Repeat("x", 1024))
	for b.Loop() {
		if _, err := s.Verify(k.Public()); err != nil {
			b.Fatal(err)
		}
	}
}
