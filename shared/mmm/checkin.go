package mmm

import (
	"encoding/json"
	"time"

	"github.com/meshpass/meshpass/shared/jws"
	"github.com/meshpass/meshpass/shared/keys"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/udf"
)

// Check-ins let a profile's devices see each other's view of the log. A
// device signs, with its DeviceSignatureKey, the checkpoint it last
// verified (a DeviceCheckIn) and posts it with CheckIn, or carries it in
// a write (PublishRequest.CheckIn, AppendRecordsRequest.CheckIn). The
// portal keeps each device's latest check-in, once it verified the
// signature against a device of the account's current personal profile,
// and answers them all with GetCheckIns. Every device checks the others'
// check-ins against its own view: a checkpoint of the same size must have
// the same root, and of another size a consistency proof must link the
// two. A portal that shows two devices two branches of its log is then
// caught as soon as it answers one device a check-in of the other branch;
// if it hides them, or freezes a device, the devices stop hearing
// anything new from each other, which they report after a while.

// TagDeviceCheckIn is the envelope tag of a DeviceCheckIn.
const TagDeviceCheckIn = "DeviceCheckIn"

// MaxCheckIn is the largest signed check-in (its JSON) a portal takes, in
// bytes: a checkpoint with a few witness cosignatures, signed.
const MaxCheckIn = 8 << 10

// MaxCheckIns is the most check-ins a portal keeps per account (one per
// device); a device beyond it is refused (429) until the account's owner
// removes devices.
const MaxCheckIns = 64

// DeviceCheckIn is what a device signs to say which checkpoint it
// verified last.
type DeviceCheckIn struct {
	// Profile is the personal profile's Identifier (the pinned
	// fingerprint): a check-in is for one profile only.
	Profile string `json:"Profile"`
	// Device is the Identifier of the signing device.
	Device string `json:"Device"`
	// Checkpoint is the signed checkpoint (C2SP tlog-checkpoint, with any
	// cosignatures) the device verified last.
	Checkpoint string `json:"Checkpoint"`
	// Time is when the device signed the check-in, by its clock: a
	// device's newer check-in has a later Time.
	Time time.Time `json:"Time"`
}

// Sign signs the check-in with the device's signing key.
func (c *DeviceCheckIn) Sign(key *keys.SigningKey) (*jws.SignedData, error) {
	payload, err := profile.MarshalTagged(TagDeviceCheckIn, c)
	if err != nil {
		return nil, err
	}
	return jws.Sign(key, payload)
}

// VerifyCheckIn checks a signed check-in against the verified personal
// profile v: no larger than MaxCheckIn, for v's profile, signed by the
// DeviceSignatureKey of the device it names, which v lists. The checkpoint
// inside is not checked here (portal and clients check it against the
// log). Every failure is an *Error saying what is wrong: 413 for a
// check-in too large, 401 for one of another profile, of a device the
// profile does not list or not signed by it, 400 for the rest.
func VerifyCheckIn(sd *jws.SignedData, v *profile.Personal) (*DeviceCheckIn, error) {
	if sd == nil {
		return nil, badRequest("CheckIn is required")
	}
	raw, err := json.Marshal(sd)
	if err != nil {
		return nil, badRequest("CheckIn: %v", err)
	}
	if len(raw) > MaxCheckIn {
		return nil, Errorf(StatusTooLarge, "a check-in of %d bytes: at most %d", len(raw), MaxCheckIn)
	}
	payload, err := sd.UnverifiedPayload()
	if err != nil {
		return nil, badRequest("CheckIn: %v", err)
	}
	var c DeviceCheckIn
	if err := profile.UnmarshalTagged(payload, TagDeviceCheckIn, &c); err != nil {
		return nil, badRequest("CheckIn: %v", err)
	}
	if !udf.Equal(c.Profile, v.Profile.Identifier) {
		return nil, unauthorized("the check-in is for profile %q, not %s", c.Profile, v.Profile.Identifier)
	}
	d := v.Device(c.Device)
	if d == nil {
		return nil, unauthorized("the check-in names device %q, which profile %s does not list", c.Device, v.Profile.Identifier)
	}
	if _, err := sd.Verify(d.DeviceSignatureKey); err != nil {
		return nil, unauthorized("the check-in is not signed by the signing key of device %s: %v", d.Identifier, err)
	}
	if c.Checkpoint == "" || len(c.Checkpoint) > MaxCheckIn {
		return nil, badRequest("the check-in's Checkpoint is empty or too long")
	}
	if c.Time.IsZero() {
		return nil, badRequest("the check-in has no Time")
	}
	c.Device = d.Identifier
	return &c, nil
}

// CheckInRequest posts a device's signed check-in for an account. It needs
// no other authentication: the check-in is signed by a device of the
// account's profile, and a replayed one changes nothing (the portal keeps
// each device's latest by Time).
type CheckInRequest struct {
	AccountID string          `json:"AccountID"`
	CheckIn   *jws.SignedData `json:"CheckIn"`
}

// CheckInResponse reports that the check-in is stored (or that a newer
// one of the device was already).
type CheckInResponse struct {
	Status
}

// GetCheckInsRequest asks for the latest check-in of every device of an
// account.
type GetCheckInsRequest struct {
	AccountID string `json:"AccountID"`
}

// GetCheckInsResponse holds the latest check-in of each device of the
// account's current personal profile that checked in, each as signed.
type GetCheckInsResponse struct {
	Status
	CheckIns []*jws.SignedData `json:"CheckIns,omitempty"`
}

// MessageType returns "CheckInRequest".
func (*CheckInRequest) MessageType() string { return "CheckInRequest" }

// MessageType returns "CheckInResponse".
func (*CheckInResponse) MessageType() string { return "CheckInResponse" }

// MessageType returns "GetCheckInsRequest".
func (*GetCheckInsRequest) MessageType() string { return "GetCheckInsRequest" }

// MessageType returns "GetCheckInsResponse".
func (*GetCheckInsResponse) MessageType() string { return "GetCheckInsResponse" }

// Check requires an AccountID and a CheckIn.
func (r *CheckInRequest) Check() error {
	if err := need("AccountID", r.AccountID); err != nil {
		return err
	}
	return checkInPresent(r.CheckIn)
}

// Check requires an AccountID.
func (r *GetCheckInsRequest) Check() error { return need("AccountID", r.AccountID) }

func checkInPresent(sd *jws.SignedData) error {
	if sd == nil {
		return badRequest("CheckIn is required")
	}
	if _, err := sd.UnverifiedPayload(); err != nil {
		return badRequest("CheckIn: %v", err)
	}
	return nil
}

// checkOptionalCheckIn checks the CheckIn a write may carry.
func checkOptionalCheckIn(sd *jws.SignedData) error {
	if sd == nil {
		return nil
	}
	return checkInPresent(sd)
}
