// Package jws signs and verifies the Mesh's SignedData: a JSON Web Signature
// (RFC 7515) in flattened JSON serialization with one signature whose
// protected header names the signing key by its UDF fingerprint ("kid").
//
// Signing always uses Ed25519 (JWS "EdDSA"). Verification also takes RSA
// keys with "RS512", the seed's algorithm. The cryptography is go-jose's.
package jws

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/meshpass/meshpass/shared/internal/b64"
	"github.com/meshpass/meshpass/shared/keys"
	"github.com/meshpass/meshpass/shared/udf"
)

// Errors a signature check can return; each is wrapped with detail.
var (
	// ErrMalformed reports a SignedData that is not a well-formed JWS.
	ErrMalformed = errors.New("jws: malformed signed data")
	// ErrWrongKey reports a signature made, by its kid or algorithm, with another key than the one given.
	ErrWrongKey = errors.New("jws: signed by another key")
	// ErrSignature reports a signature that does not verify.
	ErrSignature = errors.New("jws: bad signature")
)

// Algorithms accepted when verifying.
var algorithms = []jose.SignatureAlgorithm{jose.EdDSA, jose.RS512}

// SignedData is a flattened JSON JWS. Each field is unpadded base64url.
type SignedData struct {
	Protected string `json:"protected"`
	Payload   string `json:"payload"`
	Signature string `json:"signature"`
}

// UnmarshalJSON reads a flattened JWS. It also takes the seed's spelling,
// in which "header" carries the base64url protected header, and the white
// space with which the seed breaks long values. An unprotected header
// object is refused: everything that matters must be signed.
func (s *SignedData) UnmarshalJSON(b []byte) error {
	var raw struct {
		Protected *string         `json:"protected"`
		Header    json.RawMessage `json:"header"`
		Payload   *string         `json:"payload"`
		Signature *string         `json:"signature"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	var seedHeader string
	if len(raw.Header) > 0 && !bytes.Equal(raw.Header, []byte("null")) {
		if err := json.Unmarshal(raw.Header, &seedHeader); err != nil {
			return fmt.Errorf("%w: unprotected header is not accepted", ErrMalformed)
		}
	}
	switch {
	case raw.Protected != nil && seedHeader != "":
		return fmt.Errorf("%w: both protected and header", ErrMalformed)
	case raw.Protected != nil:
		s.Protected = *raw.Protected
	case seedHeader != "":
		s.Protected = seedHeader
	default:
		return fmt.Errorf("%w: no protected header", ErrMalformed)
	}
	if raw.Payload == nil || raw.Signature == nil {
		return fmt.Errorf("%w: payload and signature are required", ErrMalformed)
	}
	s.Protected = b64.StripSpace(s.Protected)
	s.Payload = b64.StripSpace(*raw.Payload)
	s.Signature = b64.StripSpace(*raw.Signature)
	return nil
}

// Sign signs payload with key.
func Sign(key *keys.SigningKey, payload []byte) (*SignedData, error) {
	signer, err := jose.NewSigner(jose.SigningKey{
		Algorithm: jose.EdDSA,
		Key:       jose.JSONWebKey{Key: key.PrivateKey(), KeyID: key.ID()},
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("jws: %w", err)
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		return nil, fmt.Errorf("jws: %w", err)
	}
	var s SignedData
	if err := json.Unmarshal([]byte(obj.FullSerialize()), &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// parse hands the object to go-jose and checks it has one signature.
func (s *SignedData) parse() (*jose.JSONWebSignature, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: missing", ErrMalformed)
	}
	flat, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	obj, err := jose.ParseSignedJSON(string(flat), algorithms)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(obj.Signatures) != 1 {
		return nil, fmt.Errorf("%w: %d signatures, want 1", ErrMalformed, len(obj.Signatures))
	}
	return obj, nil
}

// KeyID returns the UDF of the key the data says it is signed with. It does
// not verify anything.
func (s *SignedData) KeyID() (string, error) {
	if s == nil {
		return "", fmt.Errorf("%w: missing", ErrMalformed)
	}
	raw, err := b64.Decode(s.Protected)
	if err != nil {
		return "", fmt.Errorf("%w: protected header: %v", ErrMalformed, err)
	}
	var h struct {
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return "", fmt.Errorf("%w: protected header: %v", ErrMalformed, err)
	}
	if h.Kid == "" {
		return "", fmt.Errorf("%w: no kid in the protected header", ErrMalformed)
	}
	return h.Kid, nil
}

// Verify checks that the data is signed by pub and returns the payload.
// The protected header's kid must be pub's UDF and its algorithm must fit
// pub's type; pub's parameters must hash to its UDF.
func (s *SignedData) Verify(pub *keys.PublicKey) ([]byte, error) {
	obj, err := s.parse()
	if err != nil {
		return nil, err
	}
	key, err := pub.Key()
	if err != nil {
		return nil, err
	}
	h := obj.Signatures[0].Protected
	if !udf.Equal(h.KeyID, pub.UDF) {
		return nil, fmt.Errorf("%w: kid %q, key %s", ErrWrongKey, h.KeyID, pub.UDF)
	}
	switch key.(type) {
	case ed25519.PublicKey:
		if h.Algorithm != string(jose.EdDSA) {
			return nil, fmt.Errorf("%w: algorithm %q for an Ed25519 key", ErrWrongKey, h.Algorithm)
		}
	case *rsa.PublicKey:
		if h.Algorithm != string(jose.RS512) {
			return nil, fmt.Errorf("%w: algorithm %q for an RSA key", ErrWrongKey, h.Algorithm)
		}
	default:
		return nil, fmt.Errorf("%w: %s is not a signature key", ErrWrongKey, pub.UDF)
	}
	payload, err := obj.Verify(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	return payload, nil
}

// UnverifiedPayload returns the payload without checking the signature, for
// a reader that must look inside to find the key that verifies it.
func (s *SignedData) UnverifiedPayload() ([]byte, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: missing", ErrMalformed)
	}
	p, err := b64.Decode(s.Payload)
	if err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	return p, nil
}
