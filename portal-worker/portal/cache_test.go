//go:build !js

package portal_test

import (
	"testing"

	"github.com/meshpass/meshpass/portal-worker/conformance"
	"github.com/meshpass/meshpass/portal-worker/portal"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/translog"
)

// A personal profile the portal stores is kept as verified under the bytes
// it stored: the next Publish of the account (which reads the stored
// profile) does not verify it a second time.
func TestStoredProfileKeptVerified(t *testing.T) {
	opts, _ := conformance.Options(t)
	h := portal.New(newStore(t), opts)
	p, code, desc := create(t, h, "kept-verified", "")
	if code != mmm.StatusOK {
		t.Fatalf("create: %d %s", code, desc)
	}
	stored := func() []byte {
		t.Helper()
		data, err := translog.LeafData(&mmm.Entry{SignedPersonalProfile: p.SignedPersonal})
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	if !portal.KeepsVerified(h, stored()) {
		t.Error("the created profile is not kept as verified")
	}
	previous := p.PersonalProfile.Version
	p.PersonalProfile.Versioned = p.PersonalProfile.Next()
	s, err := p.PersonalProfile.Sign(p.Online)
	if err != nil {
		t.Fatal(err)
	}
	p.SignedPersonal = s
	if code, desc := status(t, h, &mmm.PublishRequest{Entry: mmm.Entry{SignedPersonalProfile: s}, Previous: previous}); code != mmm.StatusOK {
		t.Fatalf("publish: %d %s", code, desc)
	}
	if !portal.KeepsVerified(h, stored()) {
		t.Error("the published profile is not kept as verified")
	}
	// A refused publish keeps nothing.
	p.PersonalProfile.Versioned = p.PersonalProfile.Next()
	bad, err := p.PersonalProfile.Sign(p.Devices[0].Sign) // not an online key
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := status(t, h, &mmm.PublishRequest{Entry: mmm.Entry{SignedPersonalProfile: bad}}); code == mmm.StatusOK {
		t.Fatal("a profile signed by a device key was accepted")
	}
	data, err := translog.LeafData(&mmm.Entry{SignedPersonalProfile: bad})
	if err != nil {
		t.Fatal(err)
	}
	if portal.KeepsVerified(h, data) {
		t.Error("a refused profile is kept as verified")
	}
}
