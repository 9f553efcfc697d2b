package keys

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"testing"
)

func TestSigningKeyRoundTrip(t *testing.T) {
	k, err := GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	if !k.Public().IsSigning() || k.Public().IsEncryption() {
		t.Error("an Ed25519 key is a signing key")
	}
	again, err := NewSigningKey(k.Seed())
	if err != nil || again.ID() != k.ID() {
		t.Fatalf("NewSigningKey: %v, %s != %s", err, again.ID(), k.ID())
	}
	if _, err := NewSigningKey(make([]byte, 31)); err == nil {
		t.Error("short seed accepted")
	}
	assertJSONRoundTrip(t, k.Public())
}

func TestDecryptionKeyRoundTrip(t *testing.T) {
	k, err := GenerateDecryptionKey()
	if err != nil {
		t.Fatal(err)
	}
	if k.Public().IsSigning() || !k.Public().IsEncryption() {
		t.Error("an X25519 key is an encryption key")
	}
	again, err := NewDecryptionKey(k.Bytes())
	if err != nil || again.ID() != k.ID() {
		t.Fatalf("NewDecryptionKey: %v", err)
	}
	if _, err := NewDecryptionKey(make([]byte, 5)); err == nil {
		t.Error("short key accepted")
	}
	assertJSONRoundTrip(t, k.Public())
}

func TestRSAPublicKey(t *testing.T) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := NewPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	assertJSONRoundTrip(t, pub)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	weak, err := NewPublicKey(&small.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := weak.Key(); !errors.Is(err, ErrUnsupported) {
		t.Errorf("1024-bit RSA: %v", err)
	}
}

// assertJSONRoundTrip checks that a key survives JSON and still hashes to
// its UDF.
func assertJSONRoundTrip(t *testing.T, k *PublicKey) {
	t.Helper()
	b, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	var back PublicKey
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if _, err := back.Key(); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
}

func TestKeyRefusals(t *testing.T) {
	sig, _ := GenerateSigningKey()
	enc, _ := GenerateDecryptionKey()
	other, _ := GenerateSigningKey()
	cases := map[string]struct {
		mutate func(k *PublicKey)
		want   error
	}{
		"UDF of another key": {func(k *PublicKey) { k.UDF = other.ID() }, ErrFingerprint},
		"kid of another key": {func(k *PublicKey) { k.PublicParameters.PublicKeyOKP.Kid = other.ID() }, ErrFingerprint},
		"swapped x":          {func(k *PublicKey) { k.PublicParameters.PublicKeyOKP.X = other.Public().PublicParameters.PublicKeyOKP.X }, ErrFingerprint},
		"curve relabelled":   {func(k *PublicKey) { k.PublicParameters.PublicKeyOKP.Crv = CurveX25519 }, ErrFingerprint},
		"unknown curve":      {func(k *PublicKey) { k.PublicParameters.PublicKeyOKP.Crv = "Ed448" }, ErrUnsupported},
		"wrong kty":          {func(k *PublicKey) { k.PublicParameters.PublicKeyOKP.Kty = "EC" }, ErrMalformed},
		"bad base64":         {func(k *PublicKey) { k.PublicParameters.PublicKeyOKP.X = "!!" }, ErrMalformed},
		"short x":            {func(k *PublicKey) { k.PublicParameters.PublicKeyOKP.X = "AAAA" }, ErrMalformed},
		"no parameters":      {func(k *PublicKey) { k.PublicParameters.PublicKeyOKP = nil }, ErrMalformed},
		"two parameter sets": {func(k *PublicKey) { k.PublicParameters.PublicKeyRSA = &RSAParameters{N: "AQAB", E: "AQAB"} }, ErrMalformed},
	}
	for name, c := range cases {
		k := clone(t, sig.Public())
		c.mutate(k)
		if _, err := k.Key(); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	// An X25519 key relabelled as Ed25519 no longer hashes to its name.
	k := clone(t, enc.Public())
	k.PublicParameters.PublicKeyOKP.Crv = CurveEd25519
	if _, err := k.Key(); !errors.Is(err, ErrFingerprint) {
		t.Errorf("X25519 as Ed25519: %v", err)
	}
	var nilKey *PublicKey
	if _, err := nilKey.Key(); !errors.Is(err, ErrMalformed) {
		t.Errorf("nil key: %v", err)
	}
	if _, err := NewPublicKey("not a key"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("string key: %v", err)
	}
}

func TestKeyTypes(t *testing.T) {
	sig, _ := GenerateSigningKey()
	enc, _ := GenerateDecryptionKey()
	if pub, err := sig.Public().Key(); err != nil {
		t.Fatal(err)
	} else if _, ok := pub.(ed25519.PublicKey); !ok {
		t.Errorf("signing key decodes to %T", pub)
	}
	if pub, err := enc.Public().Key(); err != nil {
		t.Fatal(err)
	} else if _, ok := pub.(*ecdh.PublicKey); !ok {
		t.Errorf("encryption key decodes to %T", pub)
	}
}

func clone(t *testing.T, k *PublicKey) *PublicKey {
	t.Helper()
	b, _ := json.Marshal(k)
	var c PublicKey
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

func BenchmarkGenerateSigningKey(b *testing.B) {
	for b.Loop() {
		if _, err := GenerateSigningKey(); err != nil {
			b.Fatal(err)
		}
	}
}
