package client

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/meshpass/meshpass/shared/keys"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/seal"
)

// StateKey is the Storage key under which a Client keeps its state.
const StateKey = "meshpass-device"

// stateVersion is the format version of the stored state.
const stateVersion = 1

// state is what a device stores, as JSON. Private keys are only in Sealed.
type state struct {
	V       int    `json:"v"`
	Portal  string `json:"Portal"`
	Account string `json:"Account"`
	// Profile is the pinned profile fingerprint (master profile Identifier).
	Profile string `json:"Profile"`
	// Device is this device's Identifier.
	Device string `json:"Device"`
	// LogKey is the log verifier key pinned at first contact.
	LogKey string `json:"LogKey"`
	// Checkpoint is the last verified checkpoint.
	Checkpoint string `json:"Checkpoint"`
	// Witnesses are the witness cosignature keys pinned at first contact,
	// WitnessQuorum how many must cosign every checkpoint this device
	// takes (none: no witnesses), and Cosigned when the quorum last
	// vouched for a checkpoint it verified (witness.go).
	Witnesses     []string  `json:"Witnesses,omitempty"`
	WitnessQuorum int       `json:"WitnessQuorum,omitempty"`
	Cosigned      time.Time `json:"Cosigned,omitzero"`
	// Sealed holds the secrets, sealed under the passphrase.
	Sealed json.RawMessage `json:"Sealed"`
	// Personal and Password are the last verified profiles.
	Personal        *profile.SignedPersonalProfile    `json:"Personal,omitempty"`
	Password        *profile.SignedApplicationProfile `json:"Password,omitempty"`
	PersonalVersion uint64                            `json:"PersonalVersion"`
	PasswordVersion uint64                            `json:"PasswordVersion"`
	// Legacy is the format-1 password profile this device is migrating
	// to format 2, until every entry is a record.
	Legacy *profile.SignedApplicationProfile `json:"Legacy,omitempty"`
	// Catalog is what this device holds of a format-2 vault's catalog.
	Catalog *catalogState `json:"Catalog,omitempty"`
	// Connect is set while this device's connection request is pending.
	Connect *connectState `json:"Connect,omitempty"`
	// Trusted lists the devices this device may re-encrypt the vault to
	// without asking the person: itself, the devices of the profile it
	// first trusted (created, connected to after the person confirmed the
	// fingerprint, recovered), the devices it approved, and those the
	// person confirmed (Repair). nil until first set (a state from before
	// the list: set from the stored profile when opened).
	Trusted []string `json:"Trusted,omitempty"`
	// Removed lists the devices this device saw removed from the profile:
	// their connection requests are refused.
	Removed []string `json:"Removed,omitempty"`
	// Peers is what this device heard from the other devices' check-ins
	// and when it last checked in (checkin.go).
	Peers *peerState `json:"Peers,omitempty"`
}

// connectState is a pending connection request of this device.
type connectState struct {
	// Nonce names the request; Time is when it was made, Expires when the
	// portal drops it.
	Nonce   string    `json:"Nonce"`
	Time    time.Time `json:"Time"`
	Expires time.Time `json:"Expires,omitzero"`
	// Secret is the nonce the request commits to (profile.Commit),
	// revealed only after an administration device contributed its own.
	Secret string `json:"Secret,omitempty"`
	// Confirmed reports that the person confirmed the profile fingerprint.
	Confirmed bool `json:"Confirmed,omitempty"`
	// Administrator and AdminNonce are the contribution this device
	// revealed its nonce for (Revealed once the portal took the reveal).
	Administrator string `json:"Administrator,omitempty"`
	AdminNonce    string `json:"AdminNonce,omitempty"`
	Revealed      bool   `json:"Revealed,omitempty"`
}

// secrets are the private keys, the plaintext of state.Sealed.
type secrets struct {
	Sign    []byte `json:"Sign"`
	Auth    []byte `json:"Auth"`
	Encrypt []byte `json:"Encrypt"`
	// Online is the online signing key, on an administration device.
	Online []byte `json:"Online,omitempty"`
	// Master and Escrow are the master signing key and the escrow key,
	// on the device that created the profile.
	Master []byte `json:"Master,omitempty"`
	Escrow []byte `json:"Escrow,omitempty"`
}

// deviceKeys are the unlocked private keys.
type deviceKeys struct {
	sign, auth *keys.SigningKey
	enc        *keys.DecryptionKey
	online     *keys.SigningKey
	master     *keys.SigningKey
	escrow     *keys.DecryptionKey
}

func (k *deviceKeys) secrets() *secrets {
	s := &secrets{Sign: k.sign.Seed(), Auth: k.auth.Seed(), Encrypt: k.enc.Bytes()}
	if k.online != nil {
		s.Online = k.online.Seed()
	}
	if k.master != nil {
		s.Master = k.master.Seed()
	}
	if k.escrow != nil {
		s.Escrow = k.escrow.Bytes()
	}
	return s
}

func (s *secrets) keys() (*deviceKeys, error) {
	var k deviceKeys
	var err error
	if k.sign, err = keys.NewSigningKey(s.Sign); err != nil {
		return nil, err
	}
	if k.auth, err = keys.NewSigningKey(s.Auth); err != nil {
		return nil, err
	}
	if k.enc, err = keys.NewDecryptionKey(s.Encrypt); err != nil {
		return nil, err
	}
	if s.Online != nil {
		if k.online, err = keys.NewSigningKey(s.Online); err != nil {
			return nil, err
		}
	}
	if s.Master != nil {
		if k.master, err = keys.NewSigningKey(s.Master); err != nil {
			return nil, err
		}
	}
	if s.Escrow != nil {
		if k.escrow, err = keys.NewDecryptionKey(s.Escrow); err != nil {
			return nil, err
		}
	}
	return &k, nil
}

func generateDeviceKeys() (*deviceKeys, error) {
	var k deviceKeys
	var err error
	if k.sign, err = keys.GenerateSigningKey(); err != nil {
		return nil, err
	}
	if k.auth, err = keys.GenerateSigningKey(); err != nil {
		return nil, err
	}
	if k.enc, err = keys.GenerateDecryptionKey(); err != nil {
		return nil, err
	}
	return &k, nil
}

// newDevice makes a new device's keys and its device profile, signed by
// its own signing key, named deviceName.
func newDevice(deviceName string) (*deviceKeys, *profile.SignedDeviceProfile, error) {
	k, err := generateDeviceKeys()
	if err != nil {
		return nil, nil, err
	}
	sdp, err := profile.NewDeviceProfile(k.sign.Public(), k.auth.Public(), k.enc.Public(), deviceName, deviceName).Sign(k.sign)
	if err != nil {
		return nil, nil, err
	}
	return k, sdp, nil
}

// sealKeys seals k under passphrase.
func sealKeys(k *deviceKeys, passphrase string, p seal.Params) (json.RawMessage, error) {
	plain, err := json.Marshal(k.secrets())
	if err != nil {
		return nil, err
	}
	sealed, err := seal.Seal([]byte(passphrase), plain, p)
	if err != nil {
		return nil, fmt.Errorf("client: sealing the device keys: %w", err)
	}
	return sealed, nil
}

// openKeys opens sealed under passphrase.
func openKeys(sealed []byte, passphrase string) (*deviceKeys, error) {
	plain, err := seal.Open([]byte(passphrase), sealed)
	if err != nil {
		return nil, fmt.Errorf("client: unlocking the device keys: %w", err)
	}
	var s secrets
	if err := json.Unmarshal(plain, &s); err != nil {
		return nil, fmt.Errorf("client: sealed device keys unreadable: %v", err)
	}
	k, err := s.keys()
	if err != nil {
		return nil, fmt.Errorf("client: sealed device keys unusable: %v", err)
	}
	return k, nil
}
