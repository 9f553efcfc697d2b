// Package profile defines the Mesh's profiles and the signed wrappers that
// carry them, with the JSON field names and envelopes of
// draft-hallambaker-mesh-architecture-01, and the one set of verification
// functions that the portal and every client use.
//
// A person's profile is named by the UDF of its master signing key. The
// MasterProfile, signed by that key, lists the online signing keys that
// administer the PersonalProfile and the escrow keys. The PersonalProfile,
// signed by an online key, lists the person's devices (each a
// DeviceProfile signed by the device's own key) and application profiles.
// A PasswordProfile is an application profile: entries encrypted end to
// end to the devices' keys, signed by an online key or an authorized
// device.
package profile

import (
	"time"

	"github.com/meshpass/meshpass/shared/jwe"
	"github.com/meshpass/meshpass/shared/jws"
	"github.com/meshpass/meshpass/shared/keys"
)

// Envelope tags: the member name that holds each object in JSON.
const (
	TagMasterProfile            = "MasterProfile"
	TagDeviceProfile            = "DeviceProfile"
	TagPersonalProfile          = "PersonalProfile"
	TagPasswordProfile          = "PasswordProfile"
	TagPasswordData             = "PasswordData"
	TagConnectionRequest        = "ConnectionRequest"
	TagConnectionResult         = "ConnectionResult"
	TagConnectionContribution   = "ConnectionContribution"
	TagConnectionReveal         = "ConnectionReveal"
	TagOfflineEscrowEntry       = "OfflineEscrowEntry"
	TagSignedMasterProfile      = "SignedMasterProfile"
	TagSignedDeviceProfile      = "SignedDeviceProfile"
	TagSignedPersonalProfile    = "SignedPersonalProfile"
	TagSignedApplicationProfile = "SignedApplicationProfile"
)

// ApplicationTypePassword is the Type of a PasswordProfile's entry in
// PersonalProfile.Applications.
const ApplicationTypePassword = "PasswordProfile"

// Versioned fields, carried by every profile that is republished: a portal
// refuses a Version that is not greater than the one it holds, and a client
// refuses one older than the last it saw.
type Versioned struct {
	// Version counts the profile's publications: 1 for the first, then +1.
	Version uint64 `json:"Version"`
	// Updated is when this version was made, for people to read.
	Updated time.Time `json:"Updated"`
}

// MasterProfile holds the long-term keys of a person. Its Identifier is the
// UDF of MasterSignatureKey, which signs it.
type MasterProfile struct {
	Identifier          string            `json:"Identifier"`
	MasterSignatureKey  *keys.PublicKey   `json:"MasterSignatureKey"`
	MasterEscrowKeys    []*keys.PublicKey `json:"MasterEscrowKeys,omitempty"`
	OnlineSignatureKeys []*keys.PublicKey `json:"OnlineSignatureKeys"`
	Versioned
}

// DeviceProfile holds one device's keys. Its Identifier is the UDF of
// DeviceSignatureKey, which signs it.
type DeviceProfile struct {
	Identifier              string          `json:"Identifier"`
	Names                   []string        `json:"Names,omitempty"`
	Description             string          `json:"Description,omitempty"`
	DeviceSignatureKey      *keys.PublicKey `json:"DeviceSignatureKey"`
	DeviceAuthenticationKey *keys.PublicKey `json:"DeviceAuthenticationKey"`
	DeviceEncryptionKey     *keys.PublicKey `json:"DeviceEncryptionKey"`
}

// PersonalProfile binds a person's master profile, devices and
// applications. Its Identifier is the master profile's; an online
// signature key of the master profile signs it.
type PersonalProfile struct {
	Identifier          string                    `json:"Identifier"`
	SignedMasterProfile *SignedMasterProfile      `json:"SignedMasterProfile"`
	Devices             []*SignedDeviceProfile    `json:"Devices"`
	Applications        []ApplicationProfileEntry `json:"Applications"`
	// Administrators lists the devices (by Identifier) that hold an online
	// signature key: the portal lets only them see and answer connection
	// requests.
	Administrators []string `json:"Administrators,omitempty"`
	// Removed lists (by Identifier) the devices an administrator removed
	// from the profile (a meshpass addition): none of them may be listed in
	// Devices again, and clients refuse to approve their connection
	// requests. Readers that do not know the field ignore it.
	Removed []string `json:"Removed,omitempty"`
	Versioned
}

// ApplicationProfileEntry links an application profile to a personal
// profile and says which devices may sign (SignID) and read (DecryptID) it.
// Both lists hold device Identifiers.
type ApplicationProfileEntry struct {
	Identifier string   `json:"Identifier"`
	Type       string   `json:"Type"`
	Friendly   string   `json:"Friendly,omitempty"`
	SignID     []string `json:"SignID,omitempty"`
	DecryptID  []string `json:"DecryptID,omitempty"`
}

// PasswordProfile is the application profile of the password manager.
// In format 1 (Format 0) it holds the vault: a PasswordData encrypted to
// every authorized device and the escrow keys. In format 2 the entries
// are records in the vault's catalog at the portal (shared/vault), and the
// profile names the vault's key epochs: EncryptedData then holds, for the
// same recipients, the content key of every epoch (and, for a device that
// only knows format 1, a PasswordData whose one entry says to update).
type PasswordProfile struct {
	Identifier    string             `json:"Identifier"`
	EncryptedData *jwe.EncryptedData `json:"EncryptedData"`
	// Format is the vault format: 0 or 1, the whole vault in
	// EncryptedData; FormatCatalog, a catalog of records.
	Format int `json:"Format,omitempty"`
	// Epochs are the key epochs of a format-2 vault, oldest first,
	// numbered from 1.
	Epochs []KeyEpoch `json:"Epochs,omitempty"`
	Versioned
}

// FormatCatalog is the PasswordProfile.Format of a vault whose entries
// are records in a catalog (vault format 2).
const FormatCatalog = 2

// KeyEpoch is one content key's period of a format-2 vault. Records at
// catalog positions from Start on (until the next epoch's Start) are
// written under it, by one of its Writers.
type KeyEpoch struct {
	Epoch int   `json:"Epoch"`
	Start int64 `json:"Start"`
	// Writers are the devices that may write records under the epoch,
	// each with the signing key it signs them with.
	Writers []EpochWriter `json:"Writers"`
}

// EpochWriter is a device that may write records under a key epoch.
type EpochWriter struct {
	Device string          `json:"Device"`
	Key    *keys.PublicKey `json:"Key"`
}

// Epoch returns the epoch numbered n, or nil.
func (p *PasswordProfile) Epoch(n int) *KeyEpoch {
	for i := range p.Epochs {
		if p.Epochs[i].Epoch == n {
			return &p.Epochs[i]
		}
	}
	return nil
}

// EpochAt returns the epoch under which a record at catalog position pos
// is written: the last whose Start is at most pos, or nil.
func (p *PasswordProfile) EpochAt(pos int64) *KeyEpoch {
	var out *KeyEpoch
	for i := range p.Epochs {
		if p.Epochs[i].Start <= pos {
			out = &p.Epochs[i]
		}
	}
	return out
}

// PasswordData is the plaintext of a PasswordProfile.
type PasswordData struct {
	Entries []PasswordEntry `json:"Entries"`
}

// PasswordEntry is one login.
type PasswordEntry struct {
	// Id names the entry across edits and devices (random, chosen when added).
	Id string `json:"Id"`
	// Sites are the hosts the login is for: "example.com", "login.example.com"
	// or "*.example.com".
	Sites    []string  `json:"Sites"`
	Username string    `json:"Username"`
	Password string    `json:"Password"`
	Notes    string    `json:"Notes,omitempty"`
	Updated  time.Time `json:"Updated"`
	// Deleted marks an entry removed on some device, so that a merge of two
	// versions does not bring it back.
	Deleted bool `json:"Deleted,omitempty"`
}

// OfflineEscrowEntry holds private keys encrypted under a symmetric key
// that is split into shares and never stored. Its Identifier is the UDF of
// that key with content type ContentTypeEscrow, so whoever rebuilds the key
// can find the entry.
type OfflineEscrowEntry struct {
	Identifier    string             `json:"Identifier"`
	EncryptedData *jwe.EncryptedData `json:"EncryptedData"`
}

// ContentTypeEscrow is the content type of an escrow key's fingerprint.
const ContentTypeEscrow = "application/mmm-escrowed"

// ConnectionRequest asks to connect a device to the profile of an account.
// The device signs it with its DeviceSignatureKey.
type ConnectionRequest struct {
	// ParentUDF names the account (or profile) the device asks to join.
	ParentUDF string               `json:"ParentUDF"`
	Device    *SignedDeviceProfile `json:"Device"`
	// Nonce is random and names this request (the result repeats it). It
	// is public: it does not feed the witness code.
	Nonce string `json:"Nonce"`
	// Time is when the request was made.
	Time time.Time `json:"Time"`
	// Commitment is Commit of the device's secret connect nonce, which it
	// reveals (ConnectionReveal) only after an administration device has
	// contributed its own (ConnectionContribution): the witness code
	// binds both, so whoever makes a request cannot choose its code.
	Commitment string `json:"Commitment,omitempty"`
}

// Connection results.
const (
	ResultAccepted = "Accepted"
	ResultRejected = "Rejected"
)

// ConnectionResult is an administrator's answer to a ConnectionRequest,
// signed by an online signature key.
type ConnectionResult struct {
	Device *SignedDeviceProfile `json:"Device"`
	// Result is ResultAccepted or ResultRejected.
	Result string `json:"Result"`
	// Nonce repeats the request's nonce.
	Nonce string `json:"Nonce,omitempty"`
}

// Signed is the shape of every signed wrapper: the Identifier of what is
// signed, and the SignedData whose payload is the tagged object.
type Signed struct {
	Identifier string          `json:"Identifier"`
	SignedData *jws.SignedData `json:"SignedData"`
}

// SignedMasterProfile is a MasterProfile signed by its master signature key.
type SignedMasterProfile struct{ Signed }

// SignedDeviceProfile is a DeviceProfile signed by its device signature key.
type SignedDeviceProfile struct{ Signed }

// SignedPersonalProfile is a PersonalProfile signed by an online signature key.
type SignedPersonalProfile struct{ Signed }

// SignedApplicationProfile is an application profile (a PasswordProfile)
// signed by an online signature key or a device in the entry's SignID.
type SignedApplicationProfile struct{ Signed }

// SignedConnectionRequest is a ConnectionRequest signed by the device.
type SignedConnectionRequest struct{ Signed }

// SignedConnectionResult is a ConnectionResult signed by an online key.
type SignedConnectionResult struct{ Signed }
