package mmm

import (
	"crypto/rand"
	"encoding/base64"
	"time"

	"github.com/meshpass/meshpass/shared/jws"
	"github.com/meshpass/meshpass/shared/keys"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/udf"
)

// TagRequestAuthentication is the envelope tag of a RequestAuthentication.
const TagRequestAuthentication = "RequestAuthentication"

// ContentTypeRequest is the content type of a request's digest.
const ContentTypeRequest = "application/mmm-request"

// MaxClockSkew is how far a request's Time may be from the portal's clock.
// A portal remembers each (Device, Nonce) for at least twice this long.
const MaxClockSkew = 5 * time.Minute

// RequestAuthentication is what a device signs, with its
// DeviceAuthenticationKey, to authenticate a ConnectPending,
// ConnectComplete or ConnectStatus request.
type RequestAuthentication struct {
	// Message is the request's type, so a signature for one kind of
	// request cannot be used for another.
	Message string `json:"Message"`
	// Account is the request's AccountID.
	Account string `json:"Account"`
	// Device is the Identifier of the signing device.
	Device string `json:"Device"`
	// Time is when the request was signed.
	Time time.Time `json:"Time"`
	// Nonce is random; the portal refuses a nonce it has seen.
	Nonce string `json:"Nonce"`
	// Digest is the UDF (ContentTypeRequest) of the request's envelope
	// encoding with Authentication left out.
	Digest string `json:"Digest"`
}

// AuthenticatedRequest is a request that a device must sign.
type AuthenticatedRequest interface {
	Request
	authentication() **jws.SignedData
	accountID() string
}

func (r *ConnectPendingRequest) authentication() **jws.SignedData  { return &r.Authentication }
func (r *ConnectCompleteRequest) authentication() **jws.SignedData { return &r.Authentication }
func (r *ConnectStatusRequest) authentication() **jws.SignedData   { return &r.Authentication }
func (r *ConnectPendingRequest) accountID() string                 { return r.AccountID }
func (r *ConnectCompleteRequest) accountID() string                { return r.AccountID }
func (r *ConnectStatusRequest) accountID() string                  { return r.AccountID }

// Digest returns the UDF of req's encoding without its Authentication.
func Digest(req AuthenticatedRequest) (string, error) {
	auth := req.authentication()
	saved := *auth
	*auth = nil
	b, err := Encode(req)
	*auth = saved
	if err != nil {
		return "", err
	}
	return udf.Fingerprint(ContentTypeRequest, b, 0)
}

// Authenticate signs req for the device named device with its
// authentication key, setting req's Authentication.
func Authenticate(req AuthenticatedRequest, device string, key *keys.SigningKey, now time.Time) error {
	digest, err := Digest(req)
	if err != nil {
		return err
	}
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	claims := &RequestAuthentication{
		Message: req.MessageType(),
		Account: req.accountID(),
		Device:  device,
		Time:    now.UTC(),
		Nonce:   base64.RawURLEncoding.EncodeToString(nonce),
		Digest:  digest,
	}
	payload, err := profile.MarshalTagged(TagRequestAuthentication, claims)
	if err != nil {
		return err
	}
	sd, err := jws.Sign(key, payload)
	if err != nil {
		return err
	}
	*req.authentication() = sd
	return nil
}

// VerifyAuthentication checks req's Authentication: signed by the
// DeviceAuthenticationKey of the device that lookup returns for the claimed
// Device, for this message type, account and body, within MaxClockSkew of
// now. It returns the claims so the portal can refuse a replayed nonce.
// Every failure is a 401 *Error (lookup's own errors are returned as they
// are).
func VerifyAuthentication(req AuthenticatedRequest, now time.Time, lookup func(device string) (*profile.DeviceProfile, error)) (*RequestAuthentication, error) {
	sd := *req.authentication()
	if sd == nil {
		return nil, needAuth(nil)
	}
	payload, err := sd.UnverifiedPayload()
	if err != nil {
		return nil, unauthorized("Authentication: %v", err)
	}
	var claims RequestAuthentication
	if err := profile.UnmarshalTagged(payload, TagRequestAuthentication, &claims); err != nil {
		return nil, unauthorized("Authentication: %v", err)
	}
	device, err := lookup(claims.Device)
	if err != nil {
		return nil, err
	}
	if device == nil || !udf.Equal(device.Identifier, claims.Device) {
		return nil, unauthorized("device %q may not make this request", claims.Device)
	}
	if _, err := sd.Verify(device.DeviceAuthenticationKey); err != nil {
		return nil, unauthorized("Authentication is not signed by the authentication key of device %s: %v", device.Identifier, err)
	}
	if claims.Message != req.MessageType() {
		return nil, unauthorized("Authentication is for a %s, not a %s", claims.Message, req.MessageType())
	}
	if claims.Account != req.accountID() {
		return nil, unauthorized("Authentication is for account %q, not %q", claims.Account, req.accountID())
	}
	if skew := now.Sub(claims.Time); skew > MaxClockSkew || skew < -MaxClockSkew {
		return nil, unauthorized("request signed at %s, more than %s from the portal's time %s", claims.Time.Format(time.RFC3339), MaxClockSkew, now.UTC().Format(time.RFC3339))
	}
	if claims.Nonce == "" {
		return nil, unauthorized("Authentication has no Nonce")
	}
	digest, err := Digest(req)
	if err != nil {
		return nil, err
	}
	if !udf.Equal(digest, claims.Digest) {
		return nil, unauthorized("Authentication was made for another request body")
	}
	return &claims, nil
}

func unauthorized(format string, args ...any) error {
	return Errorf(StatusUnauthorized, format, args...)
}
