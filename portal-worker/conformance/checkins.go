package conformance

import (
	"strings"
	"testing"
	"time"

	"github.com/meshpass/meshpass/shared/jws"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile/profiletest"
	"github.com/meshpass/meshpass/shared/udf"
)

// checkIn signs a check-in of d for a's profile of checkpoint cp at t.
func checkIn(t *testing.T, a *account, d *profiletest.Device, cp string, at time.Time) *jws.SignedData {
	t.Helper()
	sd, err := (&mmm.DeviceCheckIn{Profile: a.person.SignedPersonal.Identifier, Device: d.Profile.Identifier, Checkpoint: cp, Time: at}).Sign(d.Sign)
	if err != nil {
		t.Fatal(err)
	}
	return sd
}

// checkInsOf returns the check-ins the portal answers for a, verified,
// by device.
func (s *suite) checkInsOf(t *testing.T, a *account) map[string]*mmm.DeviceCheckIn {
	t.Helper()
	var gr mmm.GetCheckInsResponse
	s.must(t, &mmm.GetCheckInsRequest{AccountID: a.name}, &gr)
	v := mustVerify(t, a.person.SignedPersonal)
	out := map[string]*mmm.DeviceCheckIn{}
	for _, sd := range gr.CheckIns {
		c, err := mmm.VerifyCheckIn(sd, v)
		if err != nil {
			t.Fatalf("the portal answers a check-in that does not verify: %v", err)
		}
		out[c.Device] = c
	}
	return out
}

// checkIns: a device's latest check-in is kept and answered; check-ins
// that are not a device's of the account, dated far from the portal's
// clock, of another log or too large are refused; a write carrying a bad
// check-in is written without it; a removed device's check-in is no
// longer answered.
func (s *suite) checkIns(t *testing.T) {
	a := s.newAccount(t, 2)
	other := s.newAccount(t, 1)
	var sr mmm.StatusResponse
	s.must(t, &mmm.StatusRequest{}, &sr)
	cp := sr.Checkpoint
	now := s.Now()
	d0, d1 := a.person.Devices[0], a.person.Devices[1]

	if got := s.checkInsOf(t, a); len(got) != 0 {
		t.Fatalf("a new account has %d check-ins", len(got))
	}
	s.must(t, &mmm.CheckInRequest{AccountID: a.name, CheckIn: checkIn(t, a, d0, cp, now)}, &mmm.CheckInResponse{})
	// An older check-in of the device changes nothing; another device's
	// is kept beside it.
	s.must(t, &mmm.CheckInRequest{AccountID: strings.ToUpper(a.name), CheckIn: checkIn(t, a, d0, cp, now.Add(-time.Minute))}, &mmm.CheckInResponse{})
	s.must(t, &mmm.CheckInRequest{AccountID: a.name, CheckIn: checkIn(t, a, d1, cp, now)}, &mmm.CheckInResponse{})
	got := s.checkInsOf(t, a)
	if len(got) != 2 || got[d0.Profile.Identifier] == nil || !got[d0.Profile.Identifier].Time.Equal(now) {
		t.Fatalf("check-ins %+v", got)
	}
	if got[d0.Profile.Identifier].Checkpoint != cp {
		t.Fatalf("the check-in's checkpoint changed: %q", got[d0.Profile.Identifier].Checkpoint)
	}

	stranger, err := profiletest.NewDevice("stranger")
	if err != nil {
		t.Fatal(err)
	}
	authSigned, err := (&mmm.DeviceCheckIn{Profile: a.person.SignedPersonal.Identifier, Device: d0.Profile.Identifier, Checkpoint: cp, Time: now}).Sign(d0.Auth)
	if err != nil {
		t.Fatal(err)
	}
	otherLog := "other.example/log\n1\n" + strings.Repeat("A", 43) + "=\n\n— other.example/log AAAA\n"
	for _, tc := range []struct {
		name    string
		account string
		ci      *jws.SignedData
		code    int
	}{
		{"tampered signature", a.name, tamper(checkIn(t, a, d0, cp, now)), mmm.StatusUnauthorized},
		{"signed by the authentication key", a.name, authSigned, mmm.StatusUnauthorized},
		{"of a device the profile does not list", a.name, checkIn(t, a, stranger, cp, now), mmm.StatusUnauthorized},
		{"of another account's device", a.name, checkIn(t, other, other.person.Devices[0], cp, now), mmm.StatusUnauthorized},
		{"to another account", other.name, checkIn(t, a, d0, cp, now), mmm.StatusUnauthorized},
		{"to no account", unique("nobody"), checkIn(t, a, d0, cp, now), mmm.StatusNotFound},
		{"dated an hour ago", a.name, checkIn(t, a, d0, cp, now.Add(-time.Hour)), mmm.StatusBadRequest},
		{"dated an hour ahead", a.name, checkIn(t, a, d0, cp, now.Add(time.Hour)), mmm.StatusBadRequest},
		{"of another log's checkpoint", a.name, checkIn(t, a, d0, otherLog, now), mmm.StatusBadRequest},
		{"larger than MaxCheckIn", a.name, checkIn(t, a, d0, cp+strings.Repeat("x", mmm.MaxCheckIn), now), mmm.StatusTooLarge},
		{"missing", a.name, nil, mmm.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.want(t, tc.code, &mmm.CheckInRequest{AccountID: tc.account, CheckIn: tc.ci})
		})
	}

	// A write carrying a bad check-in is written, the check-in left out;
	// with a good one it writes, and the check-in is kept.
	e := mmm.Entry{SignedPersonalProfile: nextPersonal(t, a)}
	s.must(t, &mmm.PublishRequest{Entry: e, Previous: 1, CheckIn: checkIn(t, a, stranger, cp, now)}, &mmm.PublishResponse{})
	if got := s.checkInsOf(t, a); len(got) != 2 || got[stranger.Profile.Identifier] != nil {
		t.Fatalf("check-ins after a write carrying a stranger's: %+v", got)
	}
	later := s.Now().Add(time.Second)
	e = mmm.Entry{SignedPersonalProfile: nextPersonal(t, a)}
	s.must(t, &mmm.PublishRequest{Entry: e, Previous: 2, CheckIn: checkIn(t, a, d0, cp, later)}, &mmm.PublishResponse{})
	if c := s.checkInsOf(t, a)[d0.Profile.Identifier]; c == nil || c.Time.Before(later.Add(-time.Millisecond)) {
		t.Fatalf("the check-in a write carried was not kept: %+v", c)
	}

	// Device 1 removed: its check-in is no longer answered, nor taken.
	pp := a.person.PersonalProfile
	pp.Devices = pp.Devices[:1]
	for i := range pp.Applications {
		app := &pp.Applications[i]
		app.SignID = slicesWithout(app.SignID, d1.Profile.Identifier)
		app.DecryptID = slicesWithout(app.DecryptID, d1.Profile.Identifier)
	}
	removed := nextPersonal(t, a)
	s.must(t, &mmm.PublishRequest{Entry: mmm.Entry{SignedPersonalProfile: removed}, Previous: 3}, &mmm.PublishResponse{})
	if got := s.checkInsOf(t, a); len(got) != 1 || got[d0.Profile.Identifier] == nil {
		t.Fatalf("check-ins after device 1 was removed: %+v", got)
	}
	s.want(t, mmm.StatusUnauthorized, &mmm.CheckInRequest{AccountID: a.name, CheckIn: checkIn(t, a, d1, cp, s.Now())})
}

// slicesWithout returns ids without id.
func slicesWithout(ids []string, id string) []string {
	var out []string
	for _, x := range ids {
		if !udf.Equal(x, id) {
			out = append(out, x)
		}
	}
	return out
}
