package profile

import (
	"github.com/meshpass/meshpass/shared/memo"
)

// Verifier verifies profiles as the package's Verify functions do and
// keeps what verified, keyed by the SHA-256 of the signed object (its
// Identifier and its signed data exactly), so that a profile it has seen
// is not verified again. A personal profile holds its master profile and
// every device profile whole, and these rarely change from one version to
// the next: with a Verifier, a new version of a personal profile costs
// one signature check (its own) rather than two plus one per device.
//
// Verification depends only on the signed object, so a kept result is
// the result verifying it again would give. What a Verifier returns is
// shared between callers: they must not modify it. A nil *Verifier keeps
// nothing. A Verifier is safe for concurrent use.
type Verifier struct {
	masters  *memo.Cache[*MasterProfile]
	devices  *memo.Cache[*DeviceProfile]
	requests *memo.Cache[verifiedRequest]
}

// verifiedRequest is a verified connection request and its device.
type verifiedRequest struct {
	r *ConnectionRequest
	d *DeviceProfile
}

// NewVerifier returns a Verifier that keeps at most size verified
// objects of each kind (master profiles, device profiles, connection
// requests).
func NewVerifier(size int) *Verifier {
	return &Verifier{
		masters:  memo.New[*MasterProfile](size),
		devices:  memo.New[*DeviceProfile](size),
		requests: memo.New[verifiedRequest](size),
	}
}

// key returns the key of a signed object, or false when it has no signed
// data (which verification refuses).
func key(s *Signed) (memo.Key, bool) {
	if s == nil || s.SignedData == nil {
		return memo.Key{}, false
	}
	d := s.SignedData
	return memo.Sum(s.Identifier, d.Protected, d.Payload, d.Signature), true
}

// keep returns what cache kept for the signed object s, or verifies it and
// keeps the result when it verifies.
func keep[V any](cache *memo.Cache[V], s *Signed, verify func() (V, error)) (V, error) {
	k, ok := key(s)
	if !ok {
		return verify()
	}
	if v, ok := cache.Get(k); ok {
		return v, nil
	}
	v, err := verify()
	if err == nil {
		cache.Put(k, v)
	}
	return v, err
}

// VerifyMasterProfile is the package's VerifyMasterProfile, keeping its
// result.
func (c *Verifier) VerifyMasterProfile(s *SignedMasterProfile) (*MasterProfile, error) {
	if c == nil || s == nil {
		return verifyMasterProfile(s)
	}
	return keep(c.masters, &s.Signed, func() (*MasterProfile, error) { return verifyMasterProfile(s) })
}

// VerifyDeviceProfile is the package's VerifyDeviceProfile, keeping its
// result.
func (c *Verifier) VerifyDeviceProfile(s *SignedDeviceProfile) (*DeviceProfile, error) {
	if c == nil || s == nil {
		return verifyDeviceProfile(s)
	}
	return keep(c.devices, &s.Signed, func() (*DeviceProfile, error) { return verifyDeviceProfile(s) })
}

// VerifyPersonalProfile is the package's VerifyPersonalProfile, with the
// master and device profiles verified through c. The personal profile's
// own signature is always checked: a new version is new.
func (c *Verifier) VerifyPersonalProfile(s *SignedPersonalProfile) (*Personal, error) {
	return c.verifyPersonalProfile(s)
}

// VerifyConnectionRequest is the package's VerifyConnectionRequest,
// keeping its result: a portal reads a pending request it stored (and
// verified) on every poll of it.
func (c *Verifier) VerifyConnectionRequest(s *SignedConnectionRequest) (*ConnectionRequest, *DeviceProfile, error) {
	if c == nil || s == nil {
		return c.verifyConnectionRequest(s)
	}
	v, err := keep(c.requests, &s.Signed, func() (verifiedRequest, error) {
		r, d, err := c.verifyConnectionRequest(s)
		return verifiedRequest{r, d}, err
	})
	return v.r, v.d, err
}
