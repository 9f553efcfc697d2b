package profile

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/meshpass/meshpass/shared/keys"
	"github.com/meshpass/meshpass/shared/udf"
)

// The witness exchange of a connection (a short authentication string with
// a commitment, as ZRTP and Bluetooth numeric comparison do it):
//
//  1. The new device makes a secret nonce B and puts Commit(B) in its
//     ConnectionRequest.
//  2. An administration device that lists the request contributes a fresh
//     nonce A in a ConnectionContribution, signed with its device
//     signature key and bound to the request's device and commitment.
//  3. The new device, having received A, reveals B in a ConnectionReveal
//     signed with its device signature key and naming A.
//  4. Both compute the witness code from the profile, both devices and
//     both nonces; the administration device checks Commit(B).
//
// Whoever makes a request fixes B before anyone knows A, and A is fresh
// for each request, so a relay that makes its own request matches the
// code the person compares with probability 2^-bits per request an
// administration device answers, however much it computes.

// ConnectNonceSize is the size in bytes of the nonces of the exchange.
const ConnectNonceSize = 32

// commitPrefix separates a commitment's hash from every other SHA-256 of
// the protocol.
const commitPrefix = "meshpass connect commitment\x00"

// NewConnectNonce returns a fresh random nonce for the exchange, base64url.
func NewConnectNonce() (string, error) {
	b := make([]byte, ConnectNonceSize)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Commit returns the commitment to nonce: base64url of SHA-256 over a
// fixed prefix and the nonce's text.
func Commit(nonce string) string {
	h := sha256.Sum256([]byte(commitPrefix + nonce))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// isDigest reports a base64url SHA-256 digest.
func isDigest(s string) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == sha256.Size
}

// isConnectNonce reports a base64url nonce of ConnectNonceSize bytes.
func isConnectNonce(s string) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == ConnectNonceSize
}

// ConnectionContribution is an administration device's fresh nonce for
// one connection request, signed with its DeviceSignatureKey. Its
// wrapper's Identifier is the requesting device's.
type ConnectionContribution struct {
	// Device is the Identifier of the requesting device and Commitment
	// its request's commitment: the contribution answers only that
	// request.
	Device     string `json:"Device"`
	Commitment string `json:"Commitment"`
	// Administrator is the Identifier of the contributing (signing)
	// administration device.
	Administrator string `json:"Administrator"`
	// Nonce is the administrator's fresh nonce (ConnectNonceSize bytes,
	// base64url).
	Nonce string `json:"Nonce"`
	// Time is when it was made.
	Time time.Time `json:"Time"`
}

// ConnectionReveal is the requesting device's answer to a contribution:
// the nonce its request committed to, signed with its DeviceSignatureKey.
// Its wrapper's Identifier is the device's.
type ConnectionReveal struct {
	Device string `json:"Device"`
	// Nonce is the nonce whose Commit the request carries.
	Nonce string `json:"Nonce"`
	// Contribution is the administrator's nonce the device received and
	// computed its witness code with.
	Contribution string `json:"Contribution"`
}

// SignedConnectionContribution is a ConnectionContribution signed by the
// administration device.
type SignedConnectionContribution struct{ Signed }

// SignedConnectionReveal is a ConnectionReveal signed by the requesting
// device.
type SignedConnectionReveal struct{ Signed }

// Sign signs the contribution with the administration device's signing
// key.
func (c *ConnectionContribution) Sign(device *keys.SigningKey) (*SignedConnectionContribution, error) {
	if !udf.Equal(c.Administrator, device.ID()) {
		return nil, fmt.Errorf("%w: contribution of %s signed with key %s", ErrIdentifier, c.Administrator, device.ID())
	}
	s, err := sign(TagConnectionContribution, c.Device, c, device)
	return &SignedConnectionContribution{s}, err
}

// Sign signs the reveal with the requesting device's signing key.
func (r *ConnectionReveal) Sign(device *keys.SigningKey) (*SignedConnectionReveal, error) {
	if !udf.Equal(r.Device, device.ID()) {
		return nil, fmt.Errorf("%w: reveal of %s signed with key %s", ErrIdentifier, r.Device, device.ID())
	}
	s, err := sign(TagConnectionReveal, r.Device, r, device)
	return &SignedConnectionReveal{s}, err
}

// VerifyConnectionContribution checks that s holds a contribution signed
// by the device signature key of an administration device of personal,
// with a well-formed nonce and commitment. The caller checks that Device
// and Commitment are those of the request it answers.
func VerifyConnectionContribution(s *SignedConnectionContribution, personal *Personal) (*ConnectionContribution, *DeviceProfile, error) {
	const tag = TagConnectionContribution
	if s == nil {
		return nil, nil, fmt.Errorf("%w: missing connection contribution", ErrMalformed)
	}
	var c ConnectionContribution
	if err := open(&s.Signed, tag, &c); err != nil {
		return nil, nil, err
	}
	if err := sameID("signed connection contribution Identifier", s.Identifier, c.Device); err != nil {
		return nil, nil, err
	}
	if !personal.IsAdministrator(c.Administrator) {
		return nil, nil, fmt.Errorf("%w: contribution by %s, not an administration device of %s", ErrSigner, c.Administrator, personal.Profile.Identifier)
	}
	admin := personal.Device(c.Administrator)
	if err := check(&s.Signed, tag, admin.DeviceSignatureKey); err != nil {
		return nil, nil, err
	}
	if !isConnectNonce(c.Nonce) || !isDigest(c.Commitment) {
		return nil, nil, fmt.Errorf("%w: contribution needs a %d-byte Nonce and a Commitment", ErrMalformed, ConnectNonceSize)
	}
	return &c, admin, nil
}

// VerifyConnectionReveal checks that s holds a reveal of device, signed
// by its device signature key, with a well-formed nonce. The caller checks
// the commitment (Commit) and the contribution it names.
func VerifyConnectionReveal(s *SignedConnectionReveal, device *DeviceProfile) (*ConnectionReveal, error) {
	const tag = TagConnectionReveal
	if s == nil {
		return nil, fmt.Errorf("%w: missing connection reveal", ErrMalformed)
	}
	var r ConnectionReveal
	if err := open(&s.Signed, tag, &r); err != nil {
		return nil, err
	}
	if err := sameID("signed connection reveal Identifier", s.Identifier, device.Identifier); err != nil {
		return nil, err
	}
	if err := sameID("connection reveal Device", r.Device, device.Identifier); err != nil {
		return nil, err
	}
	if err := check(&s.Signed, tag, device.DeviceSignatureKey); err != nil {
		return nil, err
	}
	if !isConnectNonce(r.Nonce) || !isConnectNonce(r.Contribution) {
		return nil, fmt.Errorf("%w: reveal needs %d-byte nonces", ErrMalformed, ConnectNonceSize)
	}
	return &r, nil
}
