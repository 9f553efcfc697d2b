package profile_test

import (
	"testing"

	"github.com/meshpass/meshpass/shared/profile/profiletest"
)

// BenchmarkCreateProfile makes what creating a profile makes on the
// device: master, online and escrow keys, a device's three keys, the
// signed master, device and personal profiles, and an encrypted, signed
// password profile. `make bench` runs it natively and in headless Chromium.
func BenchmarkCreateProfile(b *testing.B) {
	for b.Loop() {
		if _, err := profiletest.NewPerson(1); err != nil {
			b.Fatal(err)
		}
	}
}
