package profile

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"

	"github.com/meshpass/meshpass/shared/jws"
	"github.com/meshpass/meshpass/shared/keys"
	"github.com/meshpass/meshpass/shared/udf"
)

// NewMasterProfile describes a person's long-term keys, as version 1. The
// profile's Identifier is the UDF of the master signature key.
func NewMasterProfile(master *keys.PublicKey, online, escrow []*keys.PublicKey) *MasterProfile {
	return &MasterProfile{
		Identifier:          master.UDF,
		MasterSignatureKey:  master,
		MasterEscrowKeys:    escrow,
		OnlineSignatureKeys: online,
		Versioned:           FirstVersion(),
	}
}

// NewDeviceProfile describes a device's keys. Its Identifier is the UDF of
// the signature key.
func NewDeviceProfile(signature, authentication, encryption *keys.PublicKey, description string, names ...string) *DeviceProfile {
	return &DeviceProfile{
		Identifier:              signature.UDF,
		Names:                   names,
		Description:             description,
		DeviceSignatureKey:      signature,
		DeviceAuthenticationKey: authentication,
		DeviceEncryptionKey:     encryption,
	}
}

// ContentTypeApplicationID is the content type of a new application
// profile's Identifier, the UDF of 32 random bytes.
const ContentTypeApplicationID = "application/mmm-application-id"

// NewApplicationID returns a fresh, random application profile Identifier.
func NewApplicationID() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return udf.Fingerprint(ContentTypeApplicationID, b, 0)
}

// FirstVersion is version 1, made now.
func FirstVersion() Versioned { return Versioned{Version: 1, Updated: now()} }

// Next returns the version that follows v, made now.
func (v Versioned) Next() Versioned { return Versioned{Version: v.Version + 1, Updated: now()} }

func now() time.Time { return time.Now().UTC().Truncate(time.Second) }

// sign wraps v, tagged, in a SignedData made by key.
func sign(tag, id string, v any, key *keys.SigningKey) (Signed, error) {
	payload, err := MarshalTagged(tag, v)
	if err != nil {
		return Signed{}, err
	}
	sd, err := jws.Sign(key, payload)
	if err != nil {
		return Signed{}, err
	}
	return Signed{Identifier: id, SignedData: sd}, nil
}

// Sign signs the master profile with its master signing key.
func (p *MasterProfile) Sign(master *keys.SigningKey) (*SignedMasterProfile, error) {
	if !udf.Equal(p.Identifier, master.ID()) {
		return nil, fmt.Errorf("%w: master profile %s signed with key %s", ErrIdentifier, p.Identifier, master.ID())
	}
	s, err := sign(TagMasterProfile, p.Identifier, p, master)
	return &SignedMasterProfile{s}, err
}

// Sign signs the device profile with the device's signing key.
func (p *DeviceProfile) Sign(device *keys.SigningKey) (*SignedDeviceProfile, error) {
	if !udf.Equal(p.Identifier, device.ID()) {
		return nil, fmt.Errorf("%w: device profile %s signed with key %s", ErrIdentifier, p.Identifier, device.ID())
	}
	s, err := sign(TagDeviceProfile, p.Identifier, p, device)
	return &SignedDeviceProfile{s}, err
}

// Sign signs the personal profile with an online signing key.
func (p *PersonalProfile) Sign(online *keys.SigningKey) (*SignedPersonalProfile, error) {
	s, err := sign(TagPersonalProfile, p.Identifier, p, online)
	return &SignedPersonalProfile{s}, err
}

// Sign signs the password profile with an online key or a device key.
func (p *PasswordProfile) Sign(key *keys.SigningKey) (*SignedApplicationProfile, error) {
	s, err := sign(TagPasswordProfile, p.Identifier, p, key)
	return &SignedApplicationProfile{s}, err
}

// Sign signs the request with the connecting device's signing key.
func (r *ConnectionRequest) Sign(device *keys.SigningKey) (*SignedConnectionRequest, error) {
	if r.Device == nil {
		return nil, fmt.Errorf("%w: connection request without a device", ErrMalformed)
	}
	s, err := sign(TagConnectionRequest, r.Device.Identifier, r, device)
	return &SignedConnectionRequest{s}, err
}

// Sign signs the result with an online signing key.
func (r *ConnectionResult) Sign(online *keys.SigningKey) (*SignedConnectionResult, error) {
	if r.Device == nil {
		return nil, fmt.Errorf("%w: connection result without a device", ErrMalformed)
	}
	s, err := sign(TagConnectionResult, r.Device.Identifier, r, online)
	return &SignedConnectionResult{s}, err
}

// UnmarshalJSON reads a device profile, taking the seed's misspelt
// "DeviceEncryptiontionKey" for DeviceEncryptionKey.
func (p *DeviceProfile) UnmarshalJSON(b []byte) error {
	type plain DeviceProfile
	var raw struct {
		plain
		Misspelt *keys.PublicKey `json:"DeviceEncryptiontionKey"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*p = DeviceProfile(raw.plain)
	if p.DeviceEncryptionKey == nil {
		p.DeviceEncryptionKey = raw.Misspelt
	}
	return nil
}
