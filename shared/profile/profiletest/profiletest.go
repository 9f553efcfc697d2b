// Package profiletest builds complete, validly signed Mesh profiles for
// tests: a person with master, online and escrow keys, devices, and a
// password profile.
package profiletest

import (
	"time"

	"encoding/json"
	"fmt"

	"github.com/meshpass/meshpass/shared/jwe"
	"github.com/meshpass/meshpass/shared/keys"
	"github.com/meshpass/meshpass/shared/profile"
)

// Device is a device's private keys and signed profile.
type Device struct {
	Sign, Auth *keys.SigningKey
	Encrypt    *keys.DecryptionKey
	Profile    *profile.DeviceProfile
	Signed     *profile.SignedDeviceProfile
}

// NewDevice makes a device with fresh keys.
func NewDevice(name string) (*Device, error) {
	d := &Device{}
	var err error
	if d.Sign, err = keys.GenerateSigningKey(); err != nil {
		return nil, err
	}
	if d.Auth, err = keys.GenerateSigningKey(); err != nil {
		return nil, err
	}
	if d.Encrypt, err = keys.GenerateDecryptionKey(); err != nil {
		return nil, err
	}
	d.Profile = profile.NewDeviceProfile(d.Sign.Public(), d.Auth.Public(), d.Encrypt.Public(), "test device", name)
	d.Signed, err = d.Profile.Sign(d.Sign)
	return d, err
}

// Person is a complete profile with its private keys.
type Person struct {
	Master  *keys.SigningKey
	Online  *keys.SigningKey
	Escrow  *keys.DecryptionKey
	Devices []*Device

	MasterProfile   *profile.MasterProfile
	SignedMaster    *profile.SignedMasterProfile
	PersonalProfile *profile.PersonalProfile
	SignedPersonal  *profile.SignedPersonalProfile

	Passwords       *profile.PasswordData
	PasswordProfile *profile.PasswordProfile
	SignedPasswords *profile.SignedApplicationProfile
}

// NewPerson makes a person with the given number of devices, all allowed
// to read and sign the password profile, which holds one entry.
func NewPerson(devices int) (*Person, error) {
	p := &Person{}
	var err error
	if p.Master, err = keys.GenerateSigningKey(); err != nil {
		return nil, err
	}
	if p.Online, err = keys.GenerateSigningKey(); err != nil {
		return nil, err
	}
	if p.Escrow, err = keys.GenerateDecryptionKey(); err != nil {
		return nil, err
	}
	p.MasterProfile = profile.NewMasterProfile(p.Master.Public(), []*keys.PublicKey{p.Online.Public()}, []*keys.PublicKey{p.Escrow.Public()})
	if p.SignedMaster, err = p.MasterProfile.Sign(p.Master); err != nil {
		return nil, err
	}
	for i := range devices {
		d, err := NewDevice(fmt.Sprintf("device %d", i+1))
		if err != nil {
			return nil, err
		}
		p.Devices = append(p.Devices, d)
	}
	appID, err := profile.NewApplicationID()
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, d := range p.Devices {
		ids = append(ids, d.Profile.Identifier)
	}
	p.PersonalProfile = &profile.PersonalProfile{
		Identifier:          p.MasterProfile.Identifier,
		SignedMasterProfile: p.SignedMaster,
		Applications: []profile.ApplicationProfileEntry{{
			Identifier: appID, Type: profile.ApplicationTypePassword, Friendly: "Passwords",
			SignID: ids, DecryptID: ids,
		}},
		Versioned: profile.FirstVersion(),
	}
	for i, d := range p.Devices {
		p.PersonalProfile.Devices = append(p.PersonalProfile.Devices, d.Signed)
		if i == 0 {
			// The first device administers the profile.
			p.PersonalProfile.Administrators = []string{d.Profile.Identifier}
		}
	}
	if p.SignedPersonal, err = p.PersonalProfile.Sign(p.Online); err != nil {
		return nil, err
	}
	p.Passwords = &profile.PasswordData{Entries: []profile.PasswordEntry{{
		Id: "entry-1", Sites: []string{"example.com"}, Username: "alice", Password: "correct horse battery staple",
	}}}
	p.PasswordProfile = &profile.PasswordProfile{Identifier: appID, Versioned: profile.FirstVersion()}
	if err := p.Seal(); err != nil {
		return nil, err
	}
	return p, nil
}

// Seal encrypts Passwords into PasswordProfile for every device and the
// escrow key, and signs it with the online key.
func (p *Person) Seal() error {
	plain, err := json.Marshal(p.Passwords)
	if err != nil {
		return err
	}
	to := []*keys.PublicKey{p.Escrow.Public()}
	for _, d := range p.Devices {
		to = append(to, d.Encrypt.Public())
	}
	if p.PasswordProfile.EncryptedData, err = jwe.Encrypt(plain, to); err != nil {
		return err
	}
	p.SignedPasswords, err = p.PasswordProfile.Sign(p.Online)
	return err
}

// SetTime dates every profile of the person at t and signs them all again,
// for output that does not change from run to run.
func (p *Person) SetTime(t time.Time) error {
	var err error
	p.MasterProfile.Updated = t
	if p.SignedMaster, err = p.MasterProfile.Sign(p.Master); err != nil {
		return err
	}
	p.PersonalProfile.SignedMasterProfile = p.SignedMaster
	p.PersonalProfile.Updated = t
	if p.SignedPersonal, err = p.PersonalProfile.Sign(p.Online); err != nil {
		return err
	}
	p.PasswordProfile.Updated = t
	for i := range p.Passwords.Entries {
		p.Passwords.Entries[i].Updated = t
	}
	return p.Seal()
}
