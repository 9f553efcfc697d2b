// Package keys holds the Mesh's one cryptographic suite and the way profiles
// write public keys.
//
// Every signature key is Ed25519 and every encryption key is X25519; there
// are no options. RSA keys, as printed in draft-hallambaker-mesh-architecture-01,
// can be read, fingerprinted and used to verify signatures, but never made.
//
// A public key is named by its UDF fingerprint (see package udf): content
// type application/x509-keyinfo over its DER SubjectPublicKeyInfo. A
// PublicKey read from JSON is only trusted after Key has checked that its
// parameters hash to the name it carries.
package keys

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"math/big"

	"github.com/meshpass/meshpass/shared/internal/b64"
	"github.com/meshpass/meshpass/shared/udf"
)

// Errors returned when a public key cannot be used.
var (
	// ErrMalformed reports key parameters that cannot be decoded.
	ErrMalformed = errors.New("keys: malformed public key")
	// ErrFingerprint reports parameters whose fingerprint is not the UDF the key carries.
	ErrFingerprint = errors.New("keys: public key parameters do not match its UDF")
	// ErrUnsupported reports a key type outside the suite.
	ErrUnsupported = errors.New("keys: unsupported key type")
)

// Curve names, as JWK (RFC 8037) writes them.
const (
	CurveEd25519 = "Ed25519"
	CurveX25519  = "X25519"
)

// RSA moduli outside this range are refused.
const (
	MinRSABits = 2048
	MaxRSABits = 8192
)

// PublicKey is a public key as a Mesh profile carries it:
//
//	{"UDF": "MDJVA-…", "PublicParameters": {"PublicKeyOKP": {"kid": "MDJVA-…", "kty": "OKP", "crv": "Ed25519", "x": "…"}}}
//
// The seed's RSA keys use "PublicKeyRSA" with "n" and "e" instead.
type PublicKey struct {
	// UDF is the key's fingerprint, its name.
	UDF string `json:"UDF"`
	// X509Certificate is carried as the seed writes it; meshpass neither makes nor checks it.
	X509Certificate string `json:"X509Certificate,omitempty"`
	// PublicParameters holds the key itself, in exactly one of its fields.
	PublicParameters PublicParameters `json:"PublicParameters"`
}

// PublicParameters holds a key's parameters; exactly one field is set.
type PublicParameters struct {
	// PublicKeyOKP is an Ed25519 or X25519 key as a JWK (RFC 8037).
	PublicKeyOKP *OKPParameters `json:"PublicKeyOKP,omitempty"`
	// PublicKeyRSA is an RSA key, as in the seed.
	PublicKeyRSA *RSAParameters `json:"PublicKeyRSA,omitempty"`
}

// OKPParameters is an octet key pair public key in JWK form (RFC 8037).
type OKPParameters struct {
	Kid string `json:"kid,omitempty"`
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
}

// RSAParameters is an RSA public key in JWK form, as the seed writes it.
type RSAParameters struct {
	Kid string `json:"kid,omitempty"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// NewPublicKey describes pub (ed25519.PublicKey, *ecdh.PublicKey on X25519,
// or *rsa.PublicKey) with its fingerprint.
func NewPublicKey(pub crypto.PublicKey) (*PublicKey, error) {
	id, err := udf.KeyFingerprint(pub, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	k := &PublicKey{UDF: id}
	switch pub := pub.(type) {
	case ed25519.PublicKey:
		k.PublicParameters.PublicKeyOKP = &OKPParameters{Kid: id, Kty: "OKP", Crv: CurveEd25519, X: b64.Encode(pub)}
	case *ecdh.PublicKey:
		if pub.Curve() != ecdh.X25519() {
			return nil, fmt.Errorf("%w: ECDH curve %v", ErrUnsupported, pub.Curve())
		}
		k.PublicParameters.PublicKeyOKP = &OKPParameters{Kid: id, Kty: "OKP", Crv: CurveX25519, X: b64.Encode(pub.Bytes())}
	case *rsa.PublicKey:
		k.PublicParameters.PublicKeyRSA = &RSAParameters{Kid: id, N: b64.Encode(pub.N.Bytes()), E: b64.Encode(big.NewInt(int64(pub.E)).Bytes())}
	default:
		return nil, fmt.Errorf("%w: %T", ErrUnsupported, pub)
	}
	return k, nil
}

// Key decodes the parameters and checks that their fingerprint is the
// key's UDF (and kid, where present). It returns an ed25519.PublicKey, an
// *ecdh.PublicKey (X25519) or an *rsa.PublicKey.
func (k *PublicKey) Key() (crypto.PublicKey, error) {
	if k == nil {
		return nil, fmt.Errorf("%w: missing", ErrMalformed)
	}
	pub, kid, err := k.PublicParameters.decode()
	if err != nil {
		return nil, err
	}
	id, err := udf.KeyFingerprint(pub, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if !udf.Equal(id, k.UDF) {
		return nil, fmt.Errorf("%w: parameters hash to %s, the key says %q", ErrFingerprint, id, k.UDF)
	}
	if kid != "" && !udf.Equal(id, kid) {
		return nil, fmt.Errorf("%w: parameters hash to %s, kid says %q", ErrFingerprint, id, kid)
	}
	return pub, nil
}

// IsSigning reports whether the key verifies signatures (Ed25519 or RSA).
func (k *PublicKey) IsSigning() bool {
	p := k.PublicParameters
	return p.PublicKeyRSA != nil || (p.PublicKeyOKP != nil && p.PublicKeyOKP.Crv == CurveEd25519)
}

// IsEncryption reports whether the key is an X25519 encryption key.
func (k *PublicKey) IsEncryption() bool {
	p := k.PublicParameters.PublicKeyOKP
	return p != nil && p.Crv == CurveX25519
}

func (p PublicParameters) decode() (pub crypto.PublicKey, kid string, err error) {
	switch {
	case p.PublicKeyOKP != nil && p.PublicKeyRSA != nil:
		return nil, "", fmt.Errorf("%w: more than one set of parameters", ErrMalformed)
	case p.PublicKeyOKP != nil:
		o := p.PublicKeyOKP
		if o.Kty != "OKP" {
			return nil, "", fmt.Errorf("%w: kty %q, want OKP", ErrMalformed, o.Kty)
		}
		x, err := b64.Decode(o.X)
		if err != nil {
			return nil, "", fmt.Errorf("%w: x: %v", ErrMalformed, err)
		}
		switch o.Crv {
		case CurveEd25519:
			if len(x) != ed25519.PublicKeySize {
				return nil, "", fmt.Errorf("%w: Ed25519 key of %d bytes", ErrMalformed, len(x))
			}
			return ed25519.PublicKey(x), o.Kid, nil
		case CurveX25519:
			pub, err := ecdh.X25519().NewPublicKey(x)
			if err != nil {
				return nil, "", fmt.Errorf("%w: X25519: %v", ErrMalformed, err)
			}
			return pub, o.Kid, nil
		default:
			return nil, "", fmt.Errorf("%w: curve %q", ErrUnsupported, o.Crv)
		}
	case p.PublicKeyRSA != nil:
		r := p.PublicKeyRSA
		n, err := b64.Decode(r.N)
		if err != nil {
			return nil, "", fmt.Errorf("%w: n: %v", ErrMalformed, err)
		}
		e, err := b64.Decode(r.E)
		if err != nil {
			return nil, "", fmt.Errorf("%w: e: %v", ErrMalformed, err)
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n)}
		if bits := pub.N.BitLen(); bits < MinRSABits || bits > MaxRSABits {
			return nil, "", fmt.Errorf("%w: RSA modulus of %d bits (want %d to %d)", ErrUnsupported, bits, MinRSABits, MaxRSABits)
		}
		ev := new(big.Int).SetBytes(e)
		if !ev.IsInt64() || ev.Int64() < 3 || ev.Int64() > 1<<31-1 || ev.Bit(0) == 0 {
			return nil, "", fmt.Errorf("%w: RSA exponent", ErrMalformed)
		}
		pub.E = int(ev.Int64())
		return pub, r.Kid, nil
	default:
		return nil, "", fmt.Errorf("%w: no parameters", ErrMalformed)
	}
}

// SigningKey is an Ed25519 private key with its public description.
type SigningKey struct {
	priv ed25519.PrivateKey
	pub  *PublicKey
}

// GenerateSigningKey makes a new Ed25519 signing key.
func GenerateSigningKey() (*SigningKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return newSigningKey(priv)
}

// NewSigningKey rebuilds a signing key from the 32-byte seed that Seed returns.
func NewSigningKey(seed []byte) (*SigningKey, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("keys: Ed25519 seed of %d bytes, want %d", len(seed), ed25519.SeedSize)
	}
	return newSigningKey(ed25519.NewKeyFromSeed(seed))
}

func newSigningKey(priv ed25519.PrivateKey) (*SigningKey, error) {
	pub, err := NewPublicKey(priv.Public())
	if err != nil {
		return nil, err
	}
	return &SigningKey{priv: priv, pub: pub}, nil
}

// Public returns the key's public description. Callers must not modify it.
func (k *SigningKey) Public() *PublicKey { return k.pub }

// ID returns the key's UDF fingerprint.
func (k *SigningKey) ID() string { return k.pub.UDF }

// Seed returns the 32 secret bytes from which NewSigningKey rebuilds the key.
func (k *SigningKey) Seed() []byte { return k.priv.Seed() }

// PrivateKey returns the Ed25519 private key, for signing through go-jose.
func (k *SigningKey) PrivateKey() ed25519.PrivateKey { return k.priv }

// DecryptionKey is an X25519 private key with its public description.
type DecryptionKey struct {
	priv *ecdh.PrivateKey
	pub  *PublicKey
}

// GenerateDecryptionKey makes a new X25519 key.
func GenerateDecryptionKey() (*DecryptionKey, error) {
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return newDecryptionKey(priv)
}

// NewDecryptionKey rebuilds an X25519 key from the 32 bytes that Bytes returns.
func NewDecryptionKey(b []byte) (*DecryptionKey, error) {
	priv, err := ecdh.X25519().NewPrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("keys: X25519 private key: %w", err)
	}
	return newDecryptionKey(priv)
}

func newDecryptionKey(priv *ecdh.PrivateKey) (*DecryptionKey, error) {
	pub, err := NewPublicKey(priv.PublicKey())
	if err != nil {
		return nil, err
	}
	return &DecryptionKey{priv: priv, pub: pub}, nil
}

// Public returns the key's public description. Callers must not modify it.
func (k *DecryptionKey) Public() *PublicKey { return k.pub }

// ID returns the key's UDF fingerprint.
func (k *DecryptionKey) ID() string { return k.pub.UDF }

// Bytes returns the 32 secret bytes from which NewDecryptionKey rebuilds the key.
func (k *DecryptionKey) Bytes() []byte { return k.priv.Bytes() }

// ECDH returns the X25519 shared secret with a peer's public key.
func (k *DecryptionKey) ECDH(peer *ecdh.PublicKey) ([]byte, error) { return k.priv.ECDH(peer) }
