package profile

import (
	"errors"
	"fmt"
	"slices"

	"github.com/meshpass/meshpass/shared/jws"
	"github.com/meshpass/meshpass/shared/keys"
	"github.com/meshpass/meshpass/shared/udf"
)

// Verification failures. Each is wrapped with what failed and where; test
// with errors.Is. ErrMalformed (a wrapper or payload that cannot be read)
// is the other.
var (
	// ErrIdentifier: an Identifier is not the fingerprint of the key that
	// names the object, or a wrapper's Identifier is not its content's.
	ErrIdentifier = errors.New("profile: identifier does not match")
	// ErrKey: a key in a profile is unusable (bad parameters, a fingerprint
	// that does not match, or the wrong kind of key for its role).
	ErrKey = errors.New("profile: unusable key")
	// ErrSigner: the object is signed by a key that may not sign it.
	ErrSigner = errors.New("profile: signed by an unauthorized key")
	// ErrSignature: the signature does not verify.
	ErrSignature = errors.New("profile: bad signature")
	// ErrRecipients: a password profile is not encrypted to exactly the
	// authorized devices and escrow keys.
	ErrRecipients = errors.New("profile: wrong recipients")
	// ErrVersion: a profile has no valid version.
	ErrVersion = errors.New("profile: bad version")
	// ErrFormat: a password profile names a vault format this version of
	// meshpass does not know (the vault was upgraded by a newer one).
	ErrFormat = errors.New("profile: this vault was upgraded to a newer format; update meshpass")
)

// open reads the tagged payload of s without trusting it yet.
func open(s *Signed, tag string, v any) error {
	if s == nil || s.SignedData == nil {
		return fmt.Errorf("%w: %s: missing signed data", ErrMalformed, tag)
	}
	payload, err := s.SignedData.UnverifiedPayload()
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrMalformed, tag, err)
	}
	return UnmarshalTagged(payload, tag, v)
}

// check verifies the signature of s by key.
func check(s *Signed, tag string, key *keys.PublicKey) error {
	if _, err := s.SignedData.Verify(key); err != nil {
		if errors.Is(err, jws.ErrMalformed) {
			return fmt.Errorf("%w: %s: %v", ErrMalformed, tag, err)
		}
		return fmt.Errorf("%w: %s: %v", ErrSignature, tag, err)
	}
	return nil
}

// usable checks a key's parameters against its fingerprint and its kind.
func usable(k *keys.PublicKey, role string, signing bool) error {
	if k == nil {
		return fmt.Errorf("%w: %s is missing", ErrKey, role)
	}
	if _, err := k.Key(); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrKey, role, err)
	}
	if signing && !k.IsSigning() {
		return fmt.Errorf("%w: %s %s is not a signature key", ErrKey, role, k.UDF)
	}
	if !signing && !k.IsEncryption() {
		return fmt.Errorf("%w: %s %s is not an encryption key", ErrKey, role, k.UDF)
	}
	return nil
}

func sameID(what, got, want string) error {
	if !udf.Equal(got, want) {
		return fmt.Errorf("%w: %s is %q, want %s", ErrIdentifier, what, got, want)
	}
	return nil
}

func checkVersion(tag string, v Versioned) error {
	if v.Version == 0 {
		return fmt.Errorf("%w: %s has version 0", ErrVersion, tag)
	}
	return nil
}

// VerifyMasterProfile checks that s holds a master profile named by the UDF
// of its master signature key and signed by that key, and that its online
// and escrow keys are usable.
func VerifyMasterProfile(s *SignedMasterProfile) (*MasterProfile, error) {
	return (*Verifier)(nil).VerifyMasterProfile(s)
}

func verifyMasterProfile(s *SignedMasterProfile) (*MasterProfile, error) {
	const tag = TagMasterProfile
	if s == nil {
		return nil, fmt.Errorf("%w: missing master profile", ErrMalformed)
	}
	var p MasterProfile
	if err := open(&s.Signed, tag, &p); err != nil {
		return nil, err
	}
	if err := usable(p.MasterSignatureKey, "master signature key", true); err != nil {
		return nil, err
	}
	if err := sameID("master profile Identifier", p.Identifier, p.MasterSignatureKey.UDF); err != nil {
		return nil, err
	}
	if err := sameID("signed master profile Identifier", s.Identifier, p.Identifier); err != nil {
		return nil, err
	}
	if err := check(&s.Signed, tag, p.MasterSignatureKey); err != nil {
		return nil, err
	}
	if len(p.OnlineSignatureKeys) == 0 {
		return nil, fmt.Errorf("%w: master profile has no online signature key", ErrKey)
	}
	for _, k := range p.OnlineSignatureKeys {
		if err := usable(k, "online signature key", true); err != nil {
			return nil, err
		}
	}
	for _, k := range p.MasterEscrowKeys {
		if err := usable(k, "escrow key", false); err != nil {
			return nil, err
		}
	}
	if err := checkVersion(tag, p.Versioned); err != nil {
		return nil, err
	}
	return &p, nil
}

// checkEpochs checks a password profile's format and, for a catalog
// (format 2), its key epochs: numbered 1, 2, … in order, the first
// starting at position 0 and each no earlier than the one before, each
// with writers whose keys are signing keys named by their fingerprints.
func checkEpochs(p *PasswordProfile) error {
	switch p.Format {
	case 0, 1:
		if len(p.Epochs) != 0 {
			return fmt.Errorf("%w: a format-%d password profile with key epochs", ErrMalformed, p.Format)
		}
		return nil
	case FormatCatalog:
	default:
		return fmt.Errorf("%w (format %d)", ErrFormat, p.Format)
	}
	if len(p.Epochs) == 0 {
		return fmt.Errorf("%w: a format-2 password profile without key epochs", ErrMalformed)
	}
	for i, e := range p.Epochs {
		switch {
		case e.Epoch != i+1:
			return fmt.Errorf("%w: key epoch %d where %d was due", ErrMalformed, e.Epoch, i+1)
		case i == 0 && e.Start != 0, i > 0 && e.Start < p.Epochs[i-1].Start:
			return fmt.Errorf("%w: key epoch %d starts at position %d", ErrMalformed, e.Epoch, e.Start)
		case len(e.Writers) == 0:
			return fmt.Errorf("%w: key epoch %d has no writers", ErrMalformed, e.Epoch)
		}
		for _, w := range e.Writers {
			if _, err := udf.Parse(w.Device); err != nil {
				return fmt.Errorf("%w: key epoch %d writer %q: %v", ErrMalformed, e.Epoch, w.Device, err)
			}
			if err := usable(w.Key, fmt.Sprintf("key epoch %d writer %s", e.Epoch, w.Device), true); err != nil {
				return err
			}
		}
	}
	return nil
}

// OnlineKey returns the online signature key named id, or nil.
func (p *MasterProfile) OnlineKey(id string) *keys.PublicKey {
	for _, k := range p.OnlineSignatureKeys {
		if udf.Equal(k.UDF, id) {
			return k
		}
	}
	return nil
}

// VerifyDeviceProfile checks that s holds a device profile named by the
// UDF of its signature key and signed by that key, with an Ed25519
// authentication key and an X25519 encryption key.
func VerifyDeviceProfile(s *SignedDeviceProfile) (*DeviceProfile, error) {
	return (*Verifier)(nil).VerifyDeviceProfile(s)
}

func verifyDeviceProfile(s *SignedDeviceProfile) (*DeviceProfile, error) {
	const tag = TagDeviceProfile
	if s == nil {
		return nil, fmt.Errorf("%w: missing device profile", ErrMalformed)
	}
	var p DeviceProfile
	if err := open(&s.Signed, tag, &p); err != nil {
		return nil, err
	}
	if err := usable(p.DeviceSignatureKey, "device signature key", true); err != nil {
		return nil, err
	}
	if err := sameID("device profile Identifier", p.Identifier, p.DeviceSignatureKey.UDF); err != nil {
		return nil, err
	}
	if err := sameID("signed device profile Identifier", s.Identifier, p.Identifier); err != nil {
		return nil, err
	}
	if err := check(&s.Signed, tag, p.DeviceSignatureKey); err != nil {
		return nil, err
	}
	if err := usable(p.DeviceAuthenticationKey, "device authentication key", true); err != nil {
		return nil, err
	}
	if err := usable(p.DeviceEncryptionKey, "device encryption key", false); err != nil {
		return nil, err
	}
	return &p, nil
}

// Personal is a verified personal profile with its parts decoded.
type Personal struct {
	Profile *PersonalProfile
	Master  *MasterProfile
	Devices []*DeviceProfile
	// Signer is the UDF of the online key that signed the profile.
	Signer string
}

// Device returns the device named id, or nil.
func (v *Personal) Device(id string) *DeviceProfile {
	for _, d := range v.Devices {
		if udf.Equal(d.Identifier, id) {
			return d
		}
	}
	return nil
}

// IsAdministrator reports whether the device named id is an
// administration device of the profile.
func (v *Personal) IsAdministrator(id string) bool {
	return v.Device(id) != nil && slices.ContainsFunc(v.Profile.Administrators, func(a string) bool { return udf.Equal(a, id) })
}

// Application returns the application entry named id, or nil.
func (v *Personal) Application(id string) *ApplicationProfileEntry {
	for i := range v.Profile.Applications {
		if udf.Equal(v.Profile.Applications[i].Identifier, id) {
			return &v.Profile.Applications[i]
		}
	}
	return nil
}

// VerifyPersonalProfile checks that s holds a personal profile whose master
// profile verifies, that carries the master profile's Identifier, and that
// is signed by one of the master profile's online signature keys; that
// every device profile verifies and appears once; and that every
// application entry names only devices of the profile.
func VerifyPersonalProfile(s *SignedPersonalProfile) (*Personal, error) {
	return (*Verifier)(nil).VerifyPersonalProfile(s)
}

func (c *Verifier) verifyPersonalProfile(s *SignedPersonalProfile) (*Personal, error) {
	const tag = TagPersonalProfile
	if s == nil {
		return nil, fmt.Errorf("%w: missing personal profile", ErrMalformed)
	}
	var p PersonalProfile
	if err := open(&s.Signed, tag, &p); err != nil {
		return nil, err
	}
	if p.SignedMasterProfile == nil {
		return nil, fmt.Errorf("%w: personal profile without a master profile", ErrMalformed)
	}
	master, err := c.VerifyMasterProfile(p.SignedMasterProfile)
	if err != nil {
		return nil, err
	}
	if err := sameID("personal profile Identifier", p.Identifier, master.Identifier); err != nil {
		return nil, err
	}
	if err := sameID("signed personal profile Identifier", s.Identifier, p.Identifier); err != nil {
		return nil, err
	}
	kid, err := s.SignedData.KeyID()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, tag, err)
	}
	online := master.OnlineKey(kid)
	if online == nil {
		return nil, fmt.Errorf("%w: personal profile signed by %s, not an online signature key of %s", ErrSigner, kid, master.Identifier)
	}
	if err := check(&s.Signed, tag, online); err != nil {
		return nil, err
	}
	if err := checkVersion(tag, p.Versioned); err != nil {
		return nil, err
	}
	v := &Personal{Profile: &p, Master: master, Signer: online.UDF}
	for i, sd := range p.Devices {
		d, err := c.VerifyDeviceProfile(sd)
		if err != nil {
			return nil, fmt.Errorf("device %d: %w", i, err)
		}
		if v.Device(d.Identifier) != nil {
			return nil, fmt.Errorf("%w: device %s listed twice", ErrMalformed, d.Identifier)
		}
		v.Devices = append(v.Devices, d)
	}
	for _, admin := range p.Administrators {
		if v.Device(admin) == nil {
			return nil, fmt.Errorf("%w: administrator %s is not a device of the profile", ErrMalformed, admin)
		}
	}
	for _, id := range p.Removed {
		if _, err := udf.Parse(id); err != nil {
			return nil, fmt.Errorf("%w: removed device %q: %v", ErrMalformed, id, err)
		}
		if v.Device(id) != nil {
			return nil, fmt.Errorf("%w: device %s is listed and removed", ErrMalformed, id)
		}
	}
	seen := map[string]bool{}
	for _, a := range p.Applications {
		id, err := udf.Parse(a.Identifier)
		if err != nil {
			return nil, fmt.Errorf("%w: application Identifier: %v", ErrMalformed, err)
		}
		if seen[id] {
			return nil, fmt.Errorf("%w: application %s listed twice", ErrMalformed, id)
		}
		seen[id] = true
		if a.Type == "" {
			return nil, fmt.Errorf("%w: application %s has no Type", ErrMalformed, id)
		}
		for _, dev := range slices.Concat(a.SignID, a.DecryptID) {
			if v.Device(dev) == nil {
				return nil, fmt.Errorf("%w: application %s names device %s, which is not in the profile", ErrMalformed, id, dev)
			}
		}
	}
	return v, nil
}

// VerifyApplicationProfile checks that s holds the password profile that
// personal lists, signed by one of its online signature keys or by a device
// in the entry's SignID.
func VerifyApplicationProfile(s *SignedApplicationProfile, personal *Personal) (*PasswordProfile, error) {
	const tag = TagPasswordProfile
	if s == nil {
		return nil, fmt.Errorf("%w: missing application profile", ErrMalformed)
	}
	entry := personal.Application(s.Identifier)
	if entry == nil {
		return nil, fmt.Errorf("%w: application %q is not listed in personal profile %s", ErrIdentifier, s.Identifier, personal.Profile.Identifier)
	}
	if entry.Type != ApplicationTypePassword {
		return nil, fmt.Errorf("%w: application %s is of type %q, not %s", ErrMalformed, entry.Identifier, entry.Type, ApplicationTypePassword)
	}
	var p PasswordProfile
	if err := open(&s.Signed, tag, &p); err != nil {
		return nil, err
	}
	if err := sameID("password profile Identifier", p.Identifier, s.Identifier); err != nil {
		return nil, err
	}
	kid, err := s.SignedData.KeyID()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, tag, err)
	}
	signer := personal.Master.OnlineKey(kid)
	if signer == nil {
		for _, dev := range entry.SignID {
			if d := personal.Device(dev); d != nil && udf.Equal(d.DeviceSignatureKey.UDF, kid) {
				signer = d.DeviceSignatureKey
			}
		}
	}
	if signer == nil {
		return nil, fmt.Errorf("%w: password profile signed by %s, neither an online key nor a device allowed to sign it", ErrSigner, kid)
	}
	if err := check(&s.Signed, tag, signer); err != nil {
		return nil, err
	}
	if p.EncryptedData == nil {
		return nil, fmt.Errorf("%w: password profile without encrypted data", ErrMalformed)
	}
	if err := checkVersion(tag, p.Versioned); err != nil {
		return nil, err
	}
	if err := checkEpochs(&p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Recipients returns the UDFs of the keys an application profile must be
// encrypted to: the encryption key of every device in its DecryptID and
// every escrow key of the master profile.
func (v *Personal) Recipients(entry *ApplicationProfileEntry) []*keys.PublicKey {
	var out []*keys.PublicKey
	for _, id := range entry.DecryptID {
		if d := v.Device(id); d != nil {
			out = append(out, d.DeviceEncryptionKey)
		}
	}
	return append(out, v.Master.MasterEscrowKeys...)
}

// VerifyRecipients checks that p is encrypted to exactly the keys that
// Recipients names: no authorized device or escrow key is missing, and no
// other key can read it.
func VerifyRecipients(p *PasswordProfile, personal *Personal) error {
	entry := personal.Application(p.Identifier)
	if entry == nil {
		return fmt.Errorf("%w: application %q is not listed", ErrIdentifier, p.Identifier)
	}
	want := personal.Recipients(entry)
	got := p.EncryptedData.RecipientIDs()
	for _, k := range want {
		if !slices.ContainsFunc(got, func(id string) bool { return udf.Equal(id, k.UDF) }) {
			return fmt.Errorf("%w: not encrypted to %s", ErrRecipients, k.UDF)
		}
	}
	for _, id := range got {
		if !slices.ContainsFunc(want, func(k *keys.PublicKey) bool { return udf.Equal(id, k.UDF) }) {
			return fmt.Errorf("%w: encrypted to %s, which is not authorized", ErrRecipients, id)
		}
	}
	return nil
}

// VerifyConnectionRequest checks that s holds a connection request whose
// device profile verifies and that the device signed it.
func VerifyConnectionRequest(s *SignedConnectionRequest) (*ConnectionRequest, *DeviceProfile, error) {
	return (*Verifier)(nil).VerifyConnectionRequest(s)
}

func (c *Verifier) verifyConnectionRequest(s *SignedConnectionRequest) (*ConnectionRequest, *DeviceProfile, error) {
	const tag = TagConnectionRequest
	if s == nil {
		return nil, nil, fmt.Errorf("%w: missing connection request", ErrMalformed)
	}
	var r ConnectionRequest
	if err := open(&s.Signed, tag, &r); err != nil {
		return nil, nil, err
	}
	d, err := c.VerifyDeviceProfile(r.Device)
	if err != nil {
		return nil, nil, err
	}
	if err := sameID("signed connection request Identifier", s.Identifier, d.Identifier); err != nil {
		return nil, nil, err
	}
	if err := check(&s.Signed, tag, d.DeviceSignatureKey); err != nil {
		return nil, nil, err
	}
	if r.Nonce == "" || r.ParentUDF == "" {
		return nil, nil, fmt.Errorf("%w: connection request needs ParentUDF and Nonce", ErrMalformed)
	}
	if r.Commitment != "" && !isDigest(r.Commitment) {
		return nil, nil, fmt.Errorf("%w: connection request Commitment is not a base64url SHA-256 digest", ErrMalformed)
	}
	return &r, d, nil
}

// VerifyConnectionResult checks that s holds a connection result signed by
// an online signature key of personal, about a device profile that
// verifies.
func VerifyConnectionResult(s *SignedConnectionResult, personal *Personal) (*ConnectionResult, *DeviceProfile, error) {
	return (*Verifier)(nil).VerifyConnectionResult(s, personal)
}

// VerifyConnectionResult is the package's VerifyConnectionResult, with the
// device profile verified through c.
func (c *Verifier) VerifyConnectionResult(s *SignedConnectionResult, personal *Personal) (*ConnectionResult, *DeviceProfile, error) {
	const tag = TagConnectionResult
	if s == nil {
		return nil, nil, fmt.Errorf("%w: missing connection result", ErrMalformed)
	}
	var r ConnectionResult
	if err := open(&s.Signed, tag, &r); err != nil {
		return nil, nil, err
	}
	d, err := c.VerifyDeviceProfile(r.Device)
	if err != nil {
		return nil, nil, err
	}
	if err := sameID("signed connection result Identifier", s.Identifier, d.Identifier); err != nil {
		return nil, nil, err
	}
	kid, err := s.SignedData.KeyID()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %v", ErrMalformed, tag, err)
	}
	online := personal.Master.OnlineKey(kid)
	if online == nil {
		return nil, nil, fmt.Errorf("%w: connection result signed by %s, not an online signature key", ErrSigner, kid)
	}
	if err := check(&s.Signed, tag, online); err != nil {
		return nil, nil, err
	}
	if r.Result != ResultAccepted && r.Result != ResultRejected {
		return nil, nil, fmt.Errorf("%w: connection result %q", ErrMalformed, r.Result)
	}
	return &r, d, nil
}

// CheckEscrowEntry checks the form of an escrow entry: a fingerprint
// Identifier and data encrypted directly under a key (no recipients). Only
// the holder of the key can check more.
func CheckEscrowEntry(e *OfflineEscrowEntry) error {
	if e == nil {
		return fmt.Errorf("%w: missing escrow entry", ErrMalformed)
	}
	if _, err := udf.Parse(e.Identifier); err != nil {
		return fmt.Errorf("%w: escrow entry Identifier: %v", ErrMalformed, err)
	}
	if e.EncryptedData == nil || len(e.EncryptedData.Recipients) != 0 || e.EncryptedData.Ciphertext == "" {
		return fmt.Errorf("%w: escrow entry must hold data encrypted under its key", ErrMalformed)
	}
	return nil
}
