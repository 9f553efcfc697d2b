package portal

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/meshpass/meshpass/shared/jws"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/translog"
	"github.com/meshpass/meshpass/shared/udf"
)

// Device check-ins (mmm.DeviceCheckIn): the portal keeps each device's
// latest, after checking that it is signed by a device of the account's
// current personal profile, that its checkpoint is signed by this
// portal's log key and that its Time is within mmm.MaxClockSkew of the
// portal's clock (a check-in dated far ahead would otherwise stand
// forever in place of the device's real ones). It does not judge whether
// the checkpoint is on its log: that is for the devices to check, and a
// portal that lies about it is what check-ins are there to catch.

func (p *portal) checkIn(ctx context.Context, r *mmm.CheckInRequest, now time.Time) (mmm.Response, error) {
	v, _, err := p.accountProfile(ctx, r.AccountID)
	if err != nil {
		return nil, err
	}
	if err := p.putCheckIn(ctx, v, r.CheckIn, now, true); err != nil {
		return nil, err
	}
	// The account's budget is spent once the check-in proved to come
	// from one of its devices (a write carrying one spends it itself).
	if err := p.spend(r.AccountID); err != nil {
		return nil, err
	}
	return &mmm.CheckInResponse{}, nil
}

// writeCheckIn keeps the check-in a write carries (nil: none), checked
// against the personal profile it names, before the write is made. A
// check-in that does not pass is left out and the write goes on: the
// write's own signatures decide it, and a device that writes its way into
// the profile (a recovery, say) is not listed yet when it writes.
func (p *portal) writeCheckIn(ctx context.Context, sd *jws.SignedData, now time.Time) error {
	if sd == nil {
		return nil
	}
	payload, err := sd.UnverifiedPayload()
	if err != nil {
		return nil
	}
	var c mmm.DeviceCheckIn
	if profile.UnmarshalTagged(payload, mmm.TagDeviceCheckIn, &c) != nil {
		return nil
	}
	id, err := udf.Parse(c.Profile)
	if err != nil {
		return nil
	}
	v, _, err := p.personal(ctx, id)
	if err != nil {
		if mmm.StatusOf(err) >= 500 {
			return err
		}
		return nil
	}
	err = p.putCheckIn(ctx, v, sd, now, false)
	if mmm.StatusOf(err) >= 500 {
		return err
	}
	return nil
}

// putCheckIn checks a signed check-in against v and stores it. A
// check-in dated too far from now is refused if strict, else (one a write
// carries: a device's clock must not stop it from writing) not stored.
func (p *portal) putCheckIn(ctx context.Context, v *profile.Personal, sd *jws.SignedData, now time.Time, strict bool) error {
	c, err := mmm.VerifyCheckIn(sd, v)
	if err != nil {
		return err
	}
	if skew := c.Time.Sub(now); skew > mmm.MaxClockSkew || skew < -mmm.MaxClockSkew {
		if !strict {
			return nil
		}
		return mmm.Errorf(mmm.StatusBadRequest, "the check-in is dated %s, more than %s from the portal's time %s: check the device's clock",
			c.Time.UTC().Format(time.RFC3339), mmm.MaxClockSkew, now.UTC().Format(time.RFC3339))
	}
	verifiers, err := translog.NewVerifiers(p.opts.VerifierKey)
	if err != nil {
		return mmm.Errorf(mmm.StatusInternalError, "the portal's log key is unusable")
	}
	if _, err := translog.OpenCheckpoint(c.Checkpoint, verifiers); err != nil {
		return mmm.Errorf(mmm.StatusBadRequest, "the check-in's checkpoint is not one of this portal's log: %v", err)
	}
	data, err := json.Marshal(sd)
	if err != nil {
		return mmm.Errorf(mmm.StatusBadRequest, "CheckIn: %v", err)
	}
	profileID, _ := udf.Parse(v.Profile.Identifier)
	deviceID, _ := udf.Parse(c.Device)
	err = p.store.PutCheckIn(ctx, &CheckIn{Profile: profileID, Device: deviceID, Time: c.Time.UTC(), Data: data}, mmm.MaxCheckIns)
	if errors.Is(err, ErrLimit) {
		return mmm.Errorf(mmm.StatusTooManyRequests, "the profile has %d devices' check-ins already", mmm.MaxCheckIns)
	}
	if err != nil {
		return storeErr(err, "check-in")
	}
	return nil
}

// getCheckIns answers the stored check-ins of the devices the account's
// current personal profile lists (a removed device's last check-in is
// left out).
func (p *portal) getCheckIns(ctx context.Context, r *mmm.GetCheckInsRequest) (mmm.Response, error) {
	v, _, err := p.accountProfile(ctx, r.AccountID)
	if err != nil {
		return nil, err
	}
	profileID, _ := udf.Parse(v.Profile.Identifier)
	list, err := p.store.CheckIns(ctx, profileID)
	if err != nil {
		return nil, storeErr(err, "check-ins")
	}
	resp := &mmm.GetCheckInsResponse{}
	for _, c := range list {
		if v.Device(c.Device) == nil {
			continue
		}
		var sd jws.SignedData
		if err := json.Unmarshal(c.Data, &sd); err != nil {
			return nil, mmm.Errorf(mmm.StatusInternalError, "stored check-in unreadable")
		}
		resp.CheckIns = append(resp.CheckIns, &sd)
	}
	return resp, nil
}
