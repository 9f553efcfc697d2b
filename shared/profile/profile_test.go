package profile_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/meshpass/meshpass/shared/jwe"
	"github.com/meshpass/meshpass/shared/keys"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/profile/profiletest"
)

func person(t testing.TB, devices int) *profiletest.Person {
	t.Helper()
	p, err := profiletest.NewPerson(devices)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// roundTrip marshals v tagged, reads it back, and checks nothing changed.
func roundTrip[T any](t *testing.T, tag string, v *T) {
	t.Helper()
	b, err := profile.MarshalTagged(tag, v)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), `{"`+tag+`":{`) {
		t.Fatalf("%s: envelope %.40s", tag, b)
	}
	var back T
	if err := profile.UnmarshalTagged(b, tag, &back); err != nil {
		t.Fatalf("%s: %v", tag, err)
	}
	again, _ := profile.MarshalTagged(tag, &back)
	if string(again) != string(b) {
		t.Errorf("%s: round trip changed\n%s\n%s", tag, b, again)
	}
}

func TestRoundTrips(t *testing.T) {
	p := person(t, 2)
	d := p.Devices[0]
	req := &profile.ConnectionRequest{ParentUDF: "alice@example.com", Device: d.Signed, Nonce: "n0nce"}
	signedReq, err := req.Sign(d.Sign)
	if err != nil {
		t.Fatal(err)
	}
	res := &profile.ConnectionResult{Device: d.Signed, Result: profile.ResultAccepted, Nonce: "n0nce"}
	signedRes, err := res.Sign(p.Online)
	if err != nil {
		t.Fatal(err)
	}
	escrow, err := jwe.EncryptDirect([]byte("keys"), make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, profile.TagMasterProfile, p.MasterProfile)
	roundTrip(t, profile.TagDeviceProfile, d.Profile)
	roundTrip(t, profile.TagPersonalProfile, p.PersonalProfile)
	roundTrip(t, profile.TagPasswordProfile, p.PasswordProfile)
	roundTrip(t, profile.TagPasswordData, p.Passwords)
	roundTrip(t, profile.TagConnectionRequest, req)
	roundTrip(t, profile.TagConnectionResult, res)
	roundTrip(t, profile.TagOfflineEscrowEntry, &profile.OfflineEscrowEntry{Identifier: p.MasterProfile.Identifier, EncryptedData: escrow})
	roundTrip(t, profile.TagSignedMasterProfile, p.SignedMaster)
	roundTrip(t, profile.TagSignedDeviceProfile, d.Signed)
	roundTrip(t, profile.TagSignedPersonalProfile, p.SignedPersonal)
	roundTrip(t, profile.TagSignedApplicationProfile, p.SignedPasswords)
	roundTrip(t, "SignedConnectionRequest", signedReq)
	roundTrip(t, "SignedConnectionResult", signedRes)
}

func TestSeedDeviceSpelling(t *testing.T) {
	d, _ := profiletest.NewDevice("ring")
	b, _ := json.Marshal(d.Profile)
	seed := strings.Replace(string(b), `"DeviceEncryptionKey"`, `"DeviceEncryptiontionKey"`, 1)
	var back profile.DeviceProfile
	if err := json.Unmarshal([]byte(seed), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.DeviceEncryptionKey, d.Profile.DeviceEncryptionKey) {
		t.Error("misspelt DeviceEncryptiontionKey not read")
	}
}

func TestUnmarshalTaggedRefusals(t *testing.T) {
	var v profile.MasterProfile
	for _, in := range []string{
		`{"DeviceProfile":{}}`,
		`{"MasterProfile":{},"DeviceProfile":{}}`,
		`{"MasterProfile":{}} {}`,
		`{"MasterProfile":{}}}`,
		`{"MasterProfile":[]}`,
		`[]`,
		``,
	} {
		if err := profile.UnmarshalTagged([]byte(in), profile.TagMasterProfile, &v); !errors.Is(err, profile.ErrMalformed) {
			t.Errorf("%q: %v", in, err)
		}
	}
}

func TestVerifyValid(t *testing.T) {
	p := person(t, 2)
	v, err := profile.VerifyPersonalProfile(p.SignedPersonal)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Devices) != 2 || v.Master.Identifier != p.Master.ID() || v.Signer != p.Online.ID() {
		t.Errorf("verified profile: %+v", v)
	}
	pw, err := profile.VerifyApplicationProfile(p.SignedPasswords, v)
	if err != nil {
		t.Fatal(err)
	}
	if err := profile.VerifyRecipients(pw, v); err != nil {
		t.Fatal(err)
	}
	plain, err := pw.EncryptedData.Decrypt(p.Devices[1].Encrypt)
	if err != nil || !strings.Contains(string(plain), "correct horse") {
		t.Fatalf("%s %v", plain, err)
	}
	// A device in SignID may sign the password profile too.
	byDevice, err := p.PasswordProfile.Sign(p.Devices[0].Sign)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := profile.VerifyApplicationProfile(byDevice, v); err != nil {
		t.Errorf("signed by an allowed device: %v", err)
	}
}

// resign re-signs a modified personal profile with the online key.
func resign(t *testing.T, p *profiletest.Person) *profile.SignedPersonalProfile {
	t.Helper()
	s, err := p.PersonalProfile.Sign(p.Online)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// signAs signs a tagged payload with any key, bypassing the checks of the
// Sign methods, to forge objects.
func signAs(t *testing.T, tag, id string, v any, key *keys.SigningKey) profile.Signed {
	t.Helper()
	payload, err := profile.MarshalTagged(tag, v)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := jwsSign(key, payload)
	if err != nil {
		t.Fatal(err)
	}
	return profile.Signed{Identifier: id, SignedData: sd}
}

func TestVerifyMasterRefusals(t *testing.T) {
	p := person(t, 1)
	other, _ := keys.GenerateSigningKey()
	enc, _ := keys.GenerateDecryptionKey()
	cases := []struct {
		name   string
		signed func() *profile.SignedMasterProfile
		want   error
	}{
		{"identifier not the master key's fingerprint", func() *profile.SignedMasterProfile {
			m := *p.MasterProfile
			m.Identifier = other.ID()
			return &profile.SignedMasterProfile{Signed: signAs(t, profile.TagMasterProfile, other.ID(), &m, p.Master)}
		}, profile.ErrIdentifier},
		{"wrapper identifier differs", func() *profile.SignedMasterProfile {
			s := *p.SignedMaster
			s.Identifier = other.ID()
			return &s
		}, profile.ErrIdentifier},
		{"signed by another key", func() *profile.SignedMasterProfile {
			return &profile.SignedMasterProfile{Signed: signAs(t, profile.TagMasterProfile, p.Master.ID(), p.MasterProfile, other)}
		}, profile.ErrSignature},
		{"master key swapped", func() *profile.SignedMasterProfile {
			m := *p.MasterProfile
			m.MasterSignatureKey = other.Public()
			return &profile.SignedMasterProfile{Signed: signAs(t, profile.TagMasterProfile, p.Master.ID(), &m, p.Master)}
		}, profile.ErrIdentifier},
		{"no online key", func() *profile.SignedMasterProfile {
			m := *p.MasterProfile
			m.OnlineSignatureKeys = nil
			s, _ := m.Sign(p.Master)
			return s
		}, profile.ErrKey},
		{"online key is an encryption key", func() *profile.SignedMasterProfile {
			m := *p.MasterProfile
			m.OnlineSignatureKeys = []*keys.PublicKey{enc.Public()}
			s, _ := m.Sign(p.Master)
			return s
		}, profile.ErrKey},
		{"escrow key is a signature key", func() *profile.SignedMasterProfile {
			m := *p.MasterProfile
			m.MasterEscrowKeys = []*keys.PublicKey{other.Public()}
			s, _ := m.Sign(p.Master)
			return s
		}, profile.ErrKey},
		{"version 0", func() *profile.SignedMasterProfile {
			m := *p.MasterProfile
			m.Version = 0
			s, _ := m.Sign(p.Master)
			return s
		}, profile.ErrVersion},
		{"payload of another type", func() *profile.SignedMasterProfile {
			return &profile.SignedMasterProfile{Signed: signAs(t, profile.TagDeviceProfile, p.Master.ID(), p.MasterProfile, p.Master)}
		}, profile.ErrMalformed},
		{"no signed data", func() *profile.SignedMasterProfile {
			return &profile.SignedMasterProfile{Signed: profile.Signed{Identifier: p.Master.ID()}}
		}, profile.ErrMalformed},
		{"nil", func() *profile.SignedMasterProfile { return nil }, profile.ErrMalformed},
	}
	for _, c := range cases {
		if _, err := profile.VerifyMasterProfile(c.signed()); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestVerifyDeviceRefusals(t *testing.T) {
	d, _ := profiletest.NewDevice("laptop")
	other, _ := keys.GenerateSigningKey()
	enc, _ := keys.GenerateDecryptionKey()
	forge := func(mutate func(p *profile.DeviceProfile), key *keys.SigningKey) *profile.SignedDeviceProfile {
		p := *d.Profile
		mutate(&p)
		return &profile.SignedDeviceProfile{Signed: signAs(t, profile.TagDeviceProfile, d.Profile.Identifier, &p, key)}
	}
	cases := []struct {
		name   string
		signed *profile.SignedDeviceProfile
		want   error
	}{
		{"signed by another key", forge(func(*profile.DeviceProfile) {}, other), profile.ErrSignature},
		{"identifier not its key's", forge(func(p *profile.DeviceProfile) { p.Identifier = other.ID() }, d.Sign), profile.ErrIdentifier},
		{"encryption key is a signature key", forge(func(p *profile.DeviceProfile) { p.DeviceEncryptionKey = other.Public() }, d.Sign), profile.ErrKey},
		{"authentication key is an encryption key", forge(func(p *profile.DeviceProfile) { p.DeviceAuthenticationKey = enc.Public() }, d.Sign), profile.ErrKey},
		{"no encryption key", forge(func(p *profile.DeviceProfile) { p.DeviceEncryptionKey = nil }, d.Sign), profile.ErrKey},
		{"mislabelled key", forge(func(p *profile.DeviceProfile) {
			k := *enc.Public()
			k.UDF = other.ID()
			p.DeviceEncryptionKey = &k
		}, d.Sign), profile.ErrKey},
	}
	for _, c := range cases {
		if _, err := profile.VerifyDeviceProfile(c.signed); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestVerifyPersonalRefusals(t *testing.T) {
	other, _ := keys.GenerateSigningKey()
	cases := []struct {
		name   string
		signed func(p *profiletest.Person) *profile.SignedPersonalProfile
		want   error
	}{
		{"signed by the master key, not an online key", func(p *profiletest.Person) *profile.SignedPersonalProfile {
			s, _ := p.PersonalProfile.Sign(p.Master)
			return s
		}, profile.ErrSigner},
		{"signed by a device key", func(p *profiletest.Person) *profile.SignedPersonalProfile {
			s, _ := p.PersonalProfile.Sign(p.Devices[0].Sign)
			return s
		}, profile.ErrSigner},
		{"online key's kid on another key's signature", func(p *profiletest.Person) *profile.SignedPersonalProfile {
			s := resign(t, p)
			forged, _ := p.PersonalProfile.Sign(other)
			s.SignedData.Signature = forged.SignedData.Signature
			return s
		}, profile.ErrSignature},
		{"identifier of another profile", func(p *profiletest.Person) *profile.SignedPersonalProfile {
			p.PersonalProfile.Identifier = other.ID()
			return resign(t, p)
		}, profile.ErrIdentifier},
		{"master profile of another person", func(p *profiletest.Person) *profile.SignedPersonalProfile {
			q := person(t, 0)
			p.PersonalProfile.SignedMasterProfile = q.SignedMaster
			return resign(t, p)
		}, profile.ErrIdentifier},
		{"tampered master profile", func(p *profiletest.Person) *profile.SignedPersonalProfile {
			m := *p.SignedMaster
			sd := *m.SignedData
			sd.Signature = p.SignedPersonal.SignedData.Signature
			m.SignedData = &sd
			p.PersonalProfile.SignedMasterProfile = &m
			return resign(t, p)
		}, profile.ErrSignature},
		{"device listed twice", func(p *profiletest.Person) *profile.SignedPersonalProfile {
			p.PersonalProfile.Devices = append(p.PersonalProfile.Devices, p.Devices[0].Signed)
			return resign(t, p)
		}, profile.ErrMalformed},
		{"forged device profile", func(p *profiletest.Person) *profile.SignedPersonalProfile {
			d := *p.Devices[0].Signed
			d.Identifier = other.ID()
			p.PersonalProfile.Devices[0] = &d
			return resign(t, p)
		}, profile.ErrIdentifier},
		{"application names an unknown device", func(p *profiletest.Person) *profile.SignedPersonalProfile {
			p.PersonalProfile.Applications[0].DecryptID = append(p.PersonalProfile.Applications[0].DecryptID, other.ID())
			return resign(t, p)
		}, profile.ErrMalformed},
		{"administrator not a device", func(p *profiletest.Person) *profile.SignedPersonalProfile {
			p.PersonalProfile.Administrators = []string{other.ID()}
			return resign(t, p)
		}, profile.ErrMalformed},
		{"version 0", func(p *profiletest.Person) *profile.SignedPersonalProfile {
			p.PersonalProfile.Version = 0
			return resign(t, p)
		}, profile.ErrVersion},
	}
	for _, c := range cases {
		p := person(t, 2)
		if _, err := profile.VerifyPersonalProfile(c.signed(p)); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestVerifyApplicationRefusals(t *testing.T) {
	other, _ := keys.GenerateSigningKey()
	stranger, _ := profiletest.NewDevice("stranger")
	cases := []struct {
		name string
		run  func(p *profiletest.Person, v *profile.Personal) error
		want error
	}{
		{"not listed", func(p *profiletest.Person, v *profile.Personal) error {
			s := *p.SignedPasswords
			s.Identifier = other.ID()
			_, err := profile.VerifyApplicationProfile(&s, v)
			return err
		}, profile.ErrIdentifier},
		{"signed by a stranger", func(p *profiletest.Person, v *profile.Personal) error {
			s, _ := p.PasswordProfile.Sign(other)
			_, err := profile.VerifyApplicationProfile(s, v)
			return err
		}, profile.ErrSigner},
		{"signed by a device not in SignID", func(p *profiletest.Person, v *profile.Personal) error {
			v.Profile.Applications[0].SignID = v.Profile.Applications[0].SignID[:1]
			s, _ := p.PasswordProfile.Sign(p.Devices[1].Sign)
			_, err := profile.VerifyApplicationProfile(s, v)
			return err
		}, profile.ErrSigner},
		{"new ciphertext under the old signature", func(p *profiletest.Person, v *profile.Personal) error {
			s := *p.SignedPasswords
			sd := *s.SignedData
			pp := *p.PasswordProfile
			pp.EncryptedData, _ = jwe.Encrypt([]byte(`{"Entries":[]}`), v.Recipients(v.Application(pp.Identifier)))
			tampered, _ := pp.Sign(p.Online)
			sd.Payload = tampered.SignedData.Payload
			s.SignedData = &sd
			_, err := profile.VerifyApplicationProfile(&s, v)
			return err
		}, profile.ErrSignature},
		{"payload with another identifier", func(p *profiletest.Person, v *profile.Personal) error {
			pp := *p.PasswordProfile
			pp.Identifier = other.ID()
			s := &profile.SignedApplicationProfile{Signed: signAs(t, profile.TagPasswordProfile, p.PasswordProfile.Identifier, &pp, p.Online)}
			_, err := profile.VerifyApplicationProfile(s, v)
			return err
		}, profile.ErrIdentifier},
		{"escrow recipient stripped", func(p *profiletest.Person, v *profile.Personal) error {
			pp := *p.PasswordProfile
			pp.EncryptedData, _ = jwe.Encrypt([]byte("{}"), []*keys.PublicKey{p.Devices[0].Encrypt.Public(), p.Devices[1].Encrypt.Public()})
			return profile.VerifyRecipients(&pp, v)
		}, profile.ErrRecipients},
		{"encrypted to a stranger too", func(p *profiletest.Person, v *profile.Personal) error {
			pp := *p.PasswordProfile
			pp.EncryptedData, _ = jwe.Encrypt([]byte("{}"), []*keys.PublicKey{p.Escrow.Public(), p.Devices[0].Encrypt.Public(), p.Devices[1].Encrypt.Public(), stranger.Encrypt.Public()})
			return profile.VerifyRecipients(&pp, v)
		}, profile.ErrRecipients},
	}
	for _, c := range cases {
		p := person(t, 2)
		v, err := profile.VerifyPersonalProfile(p.SignedPersonal)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.run(p, v); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestVerifyConnection(t *testing.T) {
	p := person(t, 1)
	v, _ := profile.VerifyPersonalProfile(p.SignedPersonal)
	newDev, _ := profiletest.NewDevice("phone")
	req := &profile.ConnectionRequest{ParentUDF: "alice@example.com", Device: newDev.Signed, Nonce: "abc"}
	s, _ := req.Sign(newDev.Sign)
	if _, d, err := profile.VerifyConnectionRequest(s); err != nil || d.Identifier != newDev.Profile.Identifier {
		t.Fatalf("request: %v", err)
	}
	// A request for one device signed by another (a portal swapping the device).
	swapped, _ := req.Sign(p.Devices[0].Sign)
	if _, _, err := profile.VerifyConnectionRequest(swapped); !errors.Is(err, profile.ErrSignature) {
		t.Errorf("swapped device: %v", err)
	}
	noNonce := *req
	noNonce.Nonce = ""
	s2, _ := noNonce.Sign(newDev.Sign)
	if _, _, err := profile.VerifyConnectionRequest(s2); !errors.Is(err, profile.ErrMalformed) {
		t.Errorf("no nonce: %v", err)
	}

	res := &profile.ConnectionResult{Device: newDev.Signed, Result: profile.ResultAccepted, Nonce: "abc"}
	good, _ := res.Sign(p.Online)
	if _, _, err := profile.VerifyConnectionResult(good, v); err != nil {
		t.Fatalf("result: %v", err)
	}
	// A portal forging a completion with a key of its own.
	forger, _ := keys.GenerateSigningKey()
	forged, _ := res.Sign(forger)
	if _, _, err := profile.VerifyConnectionResult(forged, v); !errors.Is(err, profile.ErrSigner) {
		t.Errorf("forged result: %v", err)
	}
	odd := *res
	odd.Result = "Maybe"
	s3, _ := odd.Sign(p.Online)
	if _, _, err := profile.VerifyConnectionResult(s3, v); !errors.Is(err, profile.ErrMalformed) {
		t.Errorf("odd result: %v", err)
	}
}

func TestCheckEscrowEntry(t *testing.T) {
	enc, _ := jwe.EncryptDirect([]byte("k"), make([]byte, 32))
	p := person(t, 0)
	good := &profile.OfflineEscrowEntry{Identifier: p.Master.ID(), EncryptedData: enc}
	if err := profile.CheckEscrowEntry(good); err != nil {
		t.Fatal(err)
	}
	for name, e := range map[string]*profile.OfflineEscrowEntry{
		"nil":            nil,
		"bad identifier": {Identifier: "nope", EncryptedData: enc},
		"no data":        {Identifier: p.Master.ID()},
		"to recipients":  {Identifier: p.Master.ID(), EncryptedData: p.PasswordProfile.EncryptedData},
	} {
		if err := profile.CheckEscrowEntry(e); !errors.Is(err, profile.ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func BenchmarkVerifyPersonalProfile(b *testing.B) {
	p := person(b, 3)
	for b.Loop() {
		if _, err := profile.VerifyPersonalProfile(p.SignedPersonal); err != nil {
			b.Fatal(err)
		}
	}
}
