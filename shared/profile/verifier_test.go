package profile_test

import (
	"errors"
	"testing"

	"github.com/meshpass/meshpass/shared/profile"
)

// A Verifier verifies a master or device profile it has seen once, and
// still checks every personal profile's own signature.
func TestVerifierKeepsWhatVerified(t *testing.T) {
	p := person(t, 3)
	c := profile.NewVerifier(16)
	first, err := c.VerifyPersonalProfile(p.SignedPersonal)
	if err != nil {
		t.Fatal(err)
	}
	// A new version of the personal profile: its master and devices are
	// the ones verified already, and come back as they were kept.
	p.PersonalProfile.Versioned = p.PersonalProfile.Next()
	s, err := p.PersonalProfile.Sign(p.Online)
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.VerifyPersonalProfile(s)
	if err != nil {
		t.Fatal(err)
	}
	if second.Master != first.Master {
		t.Error("the master profile was verified again")
	}
	for i := range first.Devices {
		if second.Devices[i] != first.Devices[i] {
			t.Errorf("device %d was verified again", i)
		}
	}
	if second.Profile.Version == first.Profile.Version {
		t.Error("the second version came back as the first")
	}
	// Without a Verifier nothing is kept.
	again, err := profile.VerifyPersonalProfile(s)
	if err != nil {
		t.Fatal(err)
	}
	if again.Master == first.Master {
		t.Error("the package's VerifyPersonalProfile kept a result")
	}

	// A personal profile whose own signature is bad is refused even though
	// its master and devices are kept.
	bad := *s
	sd := *s.SignedData
	sd.Signature = p.SignedPersonal.SignedData.Signature
	bad.SignedData = &sd
	if _, err := c.VerifyPersonalProfile(&bad); !errors.Is(err, profile.ErrSignature) {
		t.Errorf("a personal profile with another version's signature: %v, want ErrSignature", err)
	}
}

// A device profile that does not verify is not kept, and a copy of a kept
// one with another signature is checked, not taken from the cache.
func TestVerifierRefusesTamperedCopies(t *testing.T) {
	p := person(t, 2)
	c := profile.NewVerifier(16)
	good := p.Devices[0].Signed
	if _, err := c.VerifyDeviceProfile(good); err != nil {
		t.Fatal(err)
	}
	forged := *good
	sd := *good.SignedData
	sd.Signature = p.Devices[1].Signed.SignedData.Signature
	forged.SignedData = &sd
	for range 2 {
		if _, err := c.VerifyDeviceProfile(&forged); !errors.Is(err, profile.ErrSignature) {
			t.Fatalf("a device profile with another's signature: %v, want ErrSignature", err)
		}
	}
	var missing profile.SignedDeviceProfile
	if _, err := c.VerifyDeviceProfile(&missing); !errors.Is(err, profile.ErrMalformed) {
		t.Errorf("a device profile without signed data: %v, want ErrMalformed", err)
	}
	if _, err := c.VerifyMasterProfile(nil); !errors.Is(err, profile.ErrMalformed) {
		t.Errorf("no master profile: %v, want ErrMalformed", err)
	}
	var nilVerifier *profile.Verifier
	if _, err := nilVerifier.VerifyDeviceProfile(good); err != nil {
		t.Errorf("a nil Verifier: %v", err)
	}
}
