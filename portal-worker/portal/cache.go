package portal

import (
	"crypto/sha256"

	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
)

// verifiedCacheSize is how many verified stored personal profiles a
// portal keeps (portal.verified), how many stored password profiles
// (portal.apps), and how many master and device profiles and connection
// requests its profile.Verifier keeps.
const verifiedCacheSize = 512

// verifiedApp is a stored password profile verified against its owner's
// personal profile, as portal.apps keeps it.
type verifiedApp struct {
	owner *profile.Personal
	pp    *profile.PasswordProfile
}

// verifiedApplication verifies the stored password profile of vault id,
// its entry's data, against owner, or returns the result kept for the same bytes and the
// same owner (the very *profile.Personal that portal.verified keeps for
// the owner's stored entry: another version of the owner's profile is
// another pointer, and a new check). Every record write reads the vault's
// profile: without this, each would check its signature and recipients
// again.
func (p *portal) verifiedApplication(id string, data []byte, owner *profile.Personal) (*profile.PasswordProfile, error) {
	k := sha256.Sum256(data)
	if v, ok := p.apps.Get(k); ok && v.owner == owner {
		return v.pp, nil
	}
	s, err := storedApplication(data)
	if err != nil {
		return nil, err
	}
	pp, err := profile.VerifyApplicationProfile(s, owner)
	if err != nil {
		return nil, mmm.Errorf(mmm.StatusConflict, "the stored PasswordProfile of vault %s no longer verifies against its owner's personal profile (%v): publish it again", id, err)
	}
	p.apps.Put(k, verifiedApp{owner, pp})
	return pp, nil
}

// keepVerified keeps what w's entry was verified to be, under the bytes
// it is stored as, once it is stored.
func (p *portal) keepVerified(w *write, data []byte) {
	switch {
	case w.personal != nil:
		p.verified.Put(sha256.Sum256(data), w.personal)
	case w.application != nil:
		p.apps.Put(sha256.Sum256(data), verifiedApp{w.appOwner, w.application})
	}
}
