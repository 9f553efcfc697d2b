package profile_test

import (
	"errors"
	"testing"
	"time"

	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/profile/profiletest"
)

func TestWitnessExchange(t *testing.T) {
	p := person(t, 2)
	v, err := profile.VerifyPersonalProfile(p.SignedPersonal)
	if err != nil {
		t.Fatal(err)
	}
	admin := p.Devices[0]
	dev, _ := profiletest.NewDevice("phone")
	secret, _ := profile.NewConnectNonce()
	nonce, _ := profile.NewConnectNonce()
	commitment := profile.Commit(secret)
	if commitment == profile.Commit(nonce) || commitment != profile.Commit(secret) {
		t.Fatal("Commit is not a function of the nonce")
	}
	req := &profile.ConnectionRequest{ParentUDF: "alice", Device: dev.Signed, Nonce: "n", Commitment: commitment}
	if _, _, err := profile.VerifyConnectionRequest(must2(req.Sign(dev.Sign))); err != nil {
		t.Fatal(err)
	}
	req.Commitment = "short"
	if _, _, err := profile.VerifyConnectionRequest(must2(req.Sign(dev.Sign))); !errors.Is(err, profile.ErrMalformed) {
		t.Fatalf("malformed commitment: %v", err)
	}

	c := &profile.ConnectionContribution{Device: dev.Profile.Identifier, Commitment: commitment, Administrator: admin.Profile.Identifier, Nonce: nonce, Time: time.Now()}
	sc := must2(c.Sign(admin.Sign))
	got, signer, err := profile.VerifyConnectionContribution(sc, v)
	if err != nil || got.Nonce != nonce || signer.Identifier != admin.Profile.Identifier {
		t.Fatalf("contribution: %+v %v", got, err)
	}
	// Signed by a device that is no administrator, or by another key.
	other := &profile.ConnectionContribution{Device: dev.Profile.Identifier, Commitment: commitment, Administrator: dev.Profile.Identifier, Nonce: nonce}
	if _, _, err := profile.VerifyConnectionContribution(must2(other.Sign(dev.Sign)), v); !errors.Is(err, profile.ErrSigner) {
		t.Fatalf("contribution by a stranger: %v", err)
	}
	if _, err := c.Sign(p.Devices[1].Sign); !errors.Is(err, profile.ErrIdentifier) {
		t.Fatalf("signing as another device: %v", err)
	}

	r := &profile.ConnectionReveal{Device: dev.Profile.Identifier, Nonce: secret, Contribution: nonce}
	rv, err := profile.VerifyConnectionReveal(must2(r.Sign(dev.Sign)), dev.Profile)
	if err != nil || profile.Commit(rv.Nonce) != commitment {
		t.Fatalf("reveal: %+v %v", rv, err)
	}
	if _, err := profile.VerifyConnectionReveal(must2(r.Sign(dev.Sign)), p.Devices[1].Profile); !errors.Is(err, profile.ErrIdentifier) {
		t.Fatalf("reveal of another device: %v", err)
	}
}

func TestRemovedDevices(t *testing.T) {
	p := person(t, 2)
	pp := *p.PersonalProfile
	pp.Removed = []string{p.Devices[1].Profile.Identifier}
	if _, err := profile.VerifyPersonalProfile(must2(pp.Sign(p.Online))); !errors.Is(err, profile.ErrMalformed) {
		t.Fatalf("a listed device removed: %v", err)
	}
	d, _ := profiletest.NewDevice("gone")
	pp.Removed = []string{d.Profile.Identifier}
	v, err := profile.VerifyPersonalProfile(must2(pp.Sign(p.Online)))
	if err != nil || len(v.Profile.Removed) != 1 {
		t.Fatalf("removed list: %v", err)
	}
}

func must2[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
