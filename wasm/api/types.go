package api

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The arguments and results of the core's functions, as JSON. In an
// argument, a field tagged omitempty (or a pointer) may be left out; the
// others are required where Validate says so. In a result, a field tagged
// omitempty is left out when empty.

// Empty is the argument of a function that takes none, and the result of
// one that returns nothing: {}.
type Empty struct{}

// Status is what status returns.
type Status struct {
	// Device reports a device set up here (created or connecting).
	Device bool `json:"device"`
	// Unlocked reports the keys open.
	Unlocked bool `json:"unlocked"`
	// Administrator reports an unlocked administration device.
	Administrator bool `json:"administrator"`
	// Account is the profile's account name.
	Account string `json:"account,omitempty"`
	// Portal is the portal's URL.
	Portal string `json:"portal,omitempty"`
	// Fingerprint is the profile's fingerprint (its UDF).
	Fingerprint string `json:"fingerprint,omitempty"`
	// DeviceID is this device's identifier.
	DeviceID string `json:"deviceId,omitempty"`
	// Connecting is this device's pending connection request, if any.
	Connecting *Pending `json:"connecting,omitempty"`
	// LogCode is the log code of the last verified checkpoint (four
	// groups of four characters): two devices showing the same LogSize
	// and code saw the same log.
	LogCode string `json:"logCode,omitempty"`
	// LogSize is the tree size of the last verified checkpoint.
	LogSize int64 `json:"logSize,omitempty"`
	// Witnesses is how many witnesses cosign the log's checkpoints (0:
	// the portal has none).
	Witnesses int `json:"witnesses,omitempty"`
	// LogAge is how many seconds ago the witnesses last vouched for a
	// checkpoint this device verified.
	LogAge int64 `json:"logAge,omitempty"`
	// LogStale reports LogAge beyond the freshness window (24 h): the
	// portal answers, but shows this device an old log ("the log looks
	// frozen").
	LogStale bool `json:"logStale,omitempty"`
	// OtherDevices is how many other devices the profile lists.
	OtherDevices int `json:"otherDevices,omitempty"`
	// PeersAge is how many seconds ago this device last heard something
	// new from them (a newer signed check-in of their view of the log).
	PeersAge int64 `json:"peersAge,omitempty"`
	// PeersQuiet reports PeersAge beyond the quiet window (7 days) while
	// there are other devices: the portal may be freezing this device's
	// view, or the other devices were not used.
	PeersQuiet bool `json:"peersQuiet,omitempty"`
	// ForkProof is the fork proof of the fork the last sync found (JSON:
	// the two checkpoints signed by the portal's log key, and the other
	// device's check-in), until a sync succeeds or reanchor.
	ForkProof string `json:"forkProof,omitempty"`
}

// Setup is the argument of create and startConnect.
type Setup struct {
	// Portal is the portal's URL.
	Portal string `json:"portal"`
	// Account is the profile's account name at the portal.
	Account string `json:"account"`
	// Passphrase seals this device's keys.
	Passphrase string `json:"passphrase"`
	// DeviceName describes this device to the others.
	DeviceName string `json:"deviceName,omitempty"`
	// Invitation is the operator's invitation code, for create on a
	// portal whose sign-ups are by invitation.
	Invitation string `json:"invitation,omitempty"`
	// Code is a connect code an administration device issued
	// (issueConnectCode), for startConnect: the portal keeps the request
	// however many other requests arrive.
	Code string `json:"code,omitempty"`
}

// ConnectCode is a connect code for the device about to connect.
type ConnectCode struct {
	// Code is the code to give the device (good once, for a day).
	Code string `json:"code"`
}

// PortalArg names a portal.
type PortalArg struct {
	// Portal is the portal's URL.
	Portal string `json:"portal"`
}

// Validate requires a portal.
func (p PortalArg) Validate() error {
	if p.Portal == "" {
		return errors.New("portal is required")
	}
	return nil
}

// Validate requires a portal, an account and a passphrase.
func (s Setup) Validate() error {
	if s.Portal == "" || s.Account == "" {
		return errors.New("portal and account are required")
	}
	if s.Passphrase == "" {
		return errors.New("the passphrase is empty")
	}
	return nil
}

// Identity is what create and fingerprint return.
type Identity struct {
	// Fingerprint is the profile's fingerprint (its UDF).
	Fingerprint string `json:"fingerprint"`
	// DeviceID is this device's identifier.
	DeviceID string `json:"deviceId"`
}

// Account is the argument of validate.
type Account struct {
	// Portal is the portal's URL.
	Portal string `json:"portal"`
	// Account is the account name to ask about.
	Account string `json:"account"`
}

// Validate requires both fields.
func (a Account) Validate() error {
	if a.Portal == "" || a.Account == "" {
		return errors.New("portal and account are required")
	}
	return nil
}

// Validity is what validate returns.
type Validity struct {
	// Valid reports that a new profile may take the name.
	Valid bool `json:"valid"`
	// Reason says why the portal refuses the name.
	Reason string `json:"reason,omitempty"`
}

// Passphrase is the argument of unlock.
type Passphrase struct {
	// Passphrase is the one the keys are sealed under.
	Passphrase string `json:"passphrase"`
}

// Entry is a password entry as JavaScript sees it, without its secrets:
// no password, no earlier passwords, no one-time code URI, and no value
// of a hidden field (secret returns those, of one entry).
type Entry struct {
	// ID is the entry's identifier.
	ID string `json:"id"`
	// Name is what the person calls the login ("Bank"); may be empty.
	Name string `json:"name,omitempty"`
	// Sites are the sites it fills (package match).
	Sites []string `json:"sites"`
	// Username is the login's user name.
	Username string `json:"username"`
	// Notes are free text.
	Notes string `json:"notes,omitempty"`
	// TOTP reports that the entry holds a one-time code URI (secret
	// returns it).
	TOTP bool `json:"totp,omitempty"`
	// Fields are the custom fields, in the person's order; a hidden
	// field's value is left out (secret returns it).
	Fields []Field `json:"fields,omitempty"`
	// Folder is the folder the entry is filed in, or "".
	Folder string `json:"folder,omitempty"`
	// Tags are the entry's tags.
	Tags []string `json:"tags,omitempty"`
	// Created is when the entry was first written (RFC 3339).
	Created time.Time `json:"created"`
	// Updated is when the entry last changed (RFC 3339).
	Updated time.Time `json:"updated"`
	// PasswordChanges is how many earlier passwords secret lists (at most
	// HistoryMax).
	PasswordChanges int `json:"passwordChanges,omitempty"`
	// Pending reports changes made on this device that the portal has not
	// accepted yet (written offline): the next sync publishes them.
	Pending bool `json:"pending,omitempty"`
}

// Limits of what the core returns.
const (
	// HistoryMax is the most earlier passwords of an entry secret returns.
	HistoryMax = 10
)

// Field is a custom field of an entry.
type Field struct {
	// Name is the field's name; not empty.
	Name string `json:"name"`
	// Value is the field's value; in a list, left out for a hidden field.
	Value string `json:"value,omitempty"`
	// Hidden marks a secret value: masked until shown, and given only by
	// secret.
	Hidden bool `json:"hidden,omitempty"`
}

// OldPassword is a password an entry held before.
type OldPassword struct {
	// Password is the earlier password.
	Password string `json:"password"`
	// Time is when it was written (RFC 3339): it was the password from
	// then until the next change.
	Time time.Time `json:"time"`
}

// EntryInput is the argument of add, and of edit (where a field left out
// is not changed, and id is required).
type EntryInput struct {
	// ID is the entry to edit; add makes one if it is empty.
	ID string `json:"id,omitempty"`
	// Name is what the person calls the login.
	Name *string `json:"name"`
	// Sites are the sites it fills; at least one.
	Sites *[]string `json:"sites"`
	// Username is the login's user name.
	Username *string `json:"username"`
	// Password is the login's password.
	Password *string `json:"password"`
	// Notes are free text.
	Notes *string `json:"notes"`
	// TOTP is an otpauth:// URI for one-time codes, or "" for none
	// (policy.CheckTOTP).
	TOTP *string `json:"totp"`
	// Fields are the custom fields, all of them (with the hidden ones'
	// values): they replace the entry's.
	Fields *[]Field `json:"fields"`
	// Folder is the folder to file the entry in, or "".
	Folder *string `json:"folder"`
	// Tags are the entry's tags, all of them.
	Tags *[]string `json:"tags"`
}

// Validate refuses an empty list of sites, a custom field without a name
// and an empty tag.
func (e EntryInput) Validate() error {
	if e.Sites != nil && len(*e.Sites) == 0 {
		return errors.New("an entry needs at least one site")
	}
	if e.Fields != nil {
		for i, f := range *e.Fields {
			if strings.TrimSpace(f.Name) == "" {
				return fmt.Errorf("custom field %d has no name", i+1)
			}
		}
	}
	if e.Tags != nil && slices.ContainsFunc(*e.Tags, func(t string) bool { return strings.TrimSpace(t) == "" }) {
		return errors.New("a tag is empty")
	}
	return nil
}

// Limits of what the core takes.
const (
	// MaxAddMany is the most entries one addMany takes.
	MaxAddMany = 10000
)

// Entries is the argument of addMany.
type Entries struct {
	// Entries are the entries to add, each as add takes it.
	Entries []EntryInput `json:"entries"`
}

// Validate requires 1 to MaxAddMany entries, each valid for add.
func (a Entries) Validate() error {
	if n := len(a.Entries); n == 0 || n > MaxAddMany {
		return fmt.Errorf("addMany takes 1 to %d entries, not %d", MaxAddMany, n)
	}
	for i, e := range a.Entries {
		if e.Sites == nil {
			return fmt.Errorf("entry %d: an entry needs at least one site", i+1)
		}
		if err := e.Validate(); err != nil {
			return fmt.Errorf("entry %d: %w", i+1, err)
		}
	}
	return nil
}

// Added is what addMany returns.
type Added struct {
	// IDs are the new entries' identifiers, in the order given.
	IDs []string `json:"ids"`
}

// ID is the argument of remove and secret.
type ID struct {
	// ID is the entry's identifier.
	ID string `json:"id"`
}

// Validate requires the id.
func (a ID) Validate() error {
	if a.ID == "" {
		return errors.New("id is required")
	}
	return nil
}

// Secret is what secret returns: one entry's credential and its other
// secrets.
type Secret struct {
	// Username is the login's user name.
	Username string `json:"username"`
	// Password is the login's password.
	Password string `json:"password"`
	// TOTP is the entry's otpauth:// URI, or "".
	TOTP string `json:"totp,omitempty"`
	// Fields are the entry's custom fields, hidden values included.
	Fields []Field `json:"fields,omitempty"`
	// PasswordHistory are the entry's earlier passwords, newest first, at
	// most HistoryMax.
	PasswordHistory []OldPassword `json:"passwordHistory,omitempty"`
}

// URL is the argument of page.
type URL struct {
	// URL is the page's URL.
	URL string `json:"url"`
}

// Validate requires the url.
func (a URL) Validate() error {
	if a.URL == "" {
		return errors.New("url is required")
	}
	return nil
}

// Page is what page returns: what the core makes of a page's URL.
type Page struct {
	// Fillable reports an http or https URL with a valid host: the only
	// pages the core fills or saves logins for. The other fields are
	// empty when it is false.
	Fillable bool `json:"fillable"`
	// Origin is the page's origin, "https://login.example.com:8443".
	Origin string `json:"origin,omitempty"`
	// Host is the page's host with its port if not the scheme's default,
	// normalized (lowercase, punycode): the site of a new entry for it.
	Host string `json:"host,omitempty"`
	// Scheme is "https" or "http".
	Scheme string `json:"scheme,omitempty"`
	// Insecure reports plain http to a host that is not loopback: what is
	// typed there crosses the network unencrypted.
	Insecure bool `json:"insecure,omitempty"`
}

// MatchArg is the argument of match.
type MatchArg struct {
	// URL is the page's URL.
	URL string `json:"url"`
	// AllowHTTP lets http pages match (match.Options.AllowHTTP).
	AllowHTTP bool `json:"allowHTTP,omitempty"`
}

// Validate requires the url.
func (a MatchArg) Validate() error {
	if a.URL == "" {
		return errors.New("url is required")
	}
	return nil
}

// FillArg is the argument of fill.
type FillArg struct {
	// ID is the entry to fill.
	ID string `json:"id"`
	// URL is the page's URL.
	URL string `json:"url"`
	// AllowHTTP lets http pages match (match.Options.AllowHTTP).
	AllowHTTP bool `json:"allowHTTP,omitempty"`
}

// Validate requires the id and the url.
func (a FillArg) Validate() error {
	if a.ID == "" || a.URL == "" {
		return errors.New("id and url are required")
	}
	return nil
}

// MatchInfo is how an entry matched a page.
type MatchInfo struct {
	// Kind is "exact", "wildcard" or "registrable-domain".
	Kind string `json:"kind"`
	// Site is the entry's site that matched, as written in the entry.
	Site string `json:"site"`
	// Scheme is the page's scheme, "https" or "http".
	Scheme string `json:"scheme"`
	// Insecure reports an http page whose host is not loopback.
	Insecure bool `json:"insecure,omitempty"`
	// Port reports that the site named the page's port.
	Port bool `json:"port,omitempty"`
}

// Candidate is an entry that may fill a page, without its secrets.
type Candidate struct {
	// ID is the entry's identifier.
	ID string `json:"id"`
	// Sites are the entry's sites.
	Sites []string `json:"sites"`
	// Username is the login's user name.
	Username string `json:"username"`
	// Name is the entry's name, if it has one.
	Name string `json:"name,omitempty"`
	// TOTP is true if the entry has a one-time code secret.
	TOTP bool `json:"totp,omitempty"`
	// Pending is true if the entry has changes made on this device that
	// the portal has not accepted yet.
	Pending bool `json:"pending,omitempty"`
	// Match is how the entry matched the page.
	Match MatchInfo `json:"match"`
}

// Credential is what fill returns.
type Credential struct {
	// Username is the login's user name.
	Username string `json:"username"`
	// Password is the login's password.
	Password string `json:"password"`
	// Match is how the entry matched the page.
	Match MatchInfo `json:"match"`
}

// Login is the argument of typedLogin: a login typed on a page.
type Login struct {
	// URL is the page's URL.
	URL string `json:"url"`
	// Username is the user name typed.
	Username string `json:"username"`
	// Password is the password typed.
	Password string `json:"password"`
}

// Validate requires the url and the password.
func (l Login) Validate() error {
	if l.URL == "" || l.Password == "" {
		return errors.New("url and password are required")
	}
	return nil
}

// Pending is this device's connection request.
type Pending struct {
	// Profile is the fingerprint of the profile asked to join.
	Profile string `json:"profile"`
	// DeviceID is this device's identifier.
	DeviceID string `json:"deviceId"`
	// Confirmed reports that the person confirmed the profile fingerprint
	// (confirmProfile); pollConnect fails with unconfirmed_profile until
	// then.
	Confirmed bool `json:"confirmed"`
	// Witness is the code both devices show: "" until an administration
	// device has listed the request and this device has answered it
	// (pollConnect does).
	Witness string `json:"witness"`
	// Administrator is the administration device whose answer the
	// witness code binds, once there is one.
	Administrator string `json:"administrator,omitempty"`
	// Expires is when the request lapses.
	Expires *time.Time `json:"expires,omitempty"`
}

// Done is what pollConnect returns.
type Done struct {
	// Done reports the connection approved and complete.
	Done bool `json:"done"`
	// Witness is the witness code once there is one (as in Pending).
	Witness string `json:"witness,omitempty"`
	// Administrator is as in Pending.
	Administrator string `json:"administrator,omitempty"`
}

// Fingerprint is the argument of confirmProfile.
type Fingerprint struct {
	// Fingerprint is the profile fingerprint the person confirmed.
	Fingerprint string `json:"fingerprint"`
}

// Validate requires the fingerprint.
func (f Fingerprint) Validate() error {
	if f.Fingerprint == "" {
		return errors.New("fingerprint is required")
	}
	return nil
}

// RepairArg is the argument of repair.
type RepairArg struct {
	// Confirm are the devices (identifiers, as unapprovedDevices lists
	// them) the person confirmed may read the passwords.
	Confirm []string `json:"confirm,omitempty"`
}

// Request is a pending connection request as the administration device
// sees it.
type Request struct {
	// DeviceID is the requesting device's identifier.
	DeviceID string `json:"deviceId"`
	// Description is how the device describes itself.
	Description string `json:"description,omitempty"`
	// Names are the device's names.
	Names []string `json:"names,omitempty"`
	// Witness is the code both devices show; "" while waiting.
	Witness string `json:"witness,omitempty"`
	// Waiting reports that the device has not answered the witness
	// exchange yet: list the requests again in a few seconds.
	Waiting bool `json:"waiting,omitempty"`
	// Administrator is the administration device whose answer the
	// witness code binds.
	Administrator string `json:"administrator,omitempty"`
	// Time is when the request was made.
	Time time.Time `json:"time"`
	// Error says why the request does not verify (it cannot be approved).
	Error string `json:"error,omitempty"`
	// Code is Error's code.
	Code string `json:"code,omitempty"`
}

// DeviceArg is the argument of approve, reject and removeDevice.
type DeviceArg struct {
	// DeviceID is the device's identifier.
	DeviceID string `json:"deviceId"`
}

// Validate requires the deviceId.
func (a DeviceArg) Validate() error {
	if a.DeviceID == "" {
		return errors.New("deviceId is required")
	}
	return nil
}

// Device is a device of the profile.
type Device struct {
	// DeviceID is the device's identifier.
	DeviceID string `json:"deviceId"`
	// Description is how the device describes itself.
	Description string `json:"description,omitempty"`
	// Names are the device's names.
	Names []string `json:"names,omitempty"`
	// EncryptionKey is the device's encryption key's fingerprint.
	EncryptionKey string `json:"encryptionKey"`
	// Administrator reports an administration device.
	Administrator bool `json:"administrator"`
	// Passwords reports a device that can read the passwords.
	Passwords bool `json:"passwords"`
	// This reports this device.
	This bool `json:"this"`
}

// EscrowArgs is the argument of escrow; zero Threshold and Shares take
// the defaults (2 of 3).
type EscrowArgs struct {
	// Passphrase is this device's: escrow replaces the online and escrow
	// keys and seals the new ones under it.
	Passphrase string `json:"passphrase"`
	// Threshold is how many shares recover the keys.
	Threshold int `json:"threshold,omitempty"`
	// Shares is how many shares to make.
	Shares int `json:"shares,omitempty"`
}

// Validate requires the passphrase.
func (a EscrowArgs) Validate() error {
	if a.Passphrase == "" {
		return errors.New("the passphrase is empty")
	}
	return nil
}

// EscrowResult is what escrow returns: the shares' text, to be shown once
// and never stored, and their threshold.
type EscrowResult struct {
	// Shares are the shares' text.
	Shares []string `json:"shares"`
	// Threshold is how many shares recover the keys.
	Threshold int `json:"threshold"`
	// Error is set when a step after the new escrow failed: the shares
	// are valid and must be shown all the same, but the earlier shares
	// may still work too until escrow is called again. It is the message
	// a rejected call's Error would have.
	Error string `json:"error,omitempty"`
	// ErrorCode is Error's code.
	ErrorCode string `json:"errorCode,omitempty"`
}

// RecoverArgs is the argument of recover.
type RecoverArgs struct {
	Setup
	// Shares are the shares' text as typed, at least the threshold.
	Shares []string `json:"shares"`
	// RemoveOthers removes every other (lost) device from the profile.
	RemoveOthers bool `json:"removeOthers,omitempty"`
}

// RecoverResult is what recover returns: the device's Identity and the
// new escrow (the shares given are void), whose shares are to be shown
// once and never stored; Error is set as in EscrowResult.
type RecoverResult struct {
	Identity
	EscrowResult
}

// Rules are the limits the core enforces, for forms to show and check
// before calling.
type Rules struct {
	// PassphraseMin is the shortest passphrase, in characters.
	PassphraseMin int `json:"passphraseMin"`
	// SharesMin is the fewest escrow shares.
	SharesMin int `json:"sharesMin"`
	// SharesMax is the most escrow shares.
	SharesMax int `json:"sharesMax"`
	// ThresholdMin is the smallest escrow threshold.
	ThresholdMin int `json:"thresholdMin"`
	// GeneratorMin is the shortest generated password.
	GeneratorMin int `json:"generatorMin"`
	// GeneratorMax is the longest generated password.
	GeneratorMax int `json:"generatorMax"`
	// GeneratorDefault is the generator's default length.
	GeneratorDefault int `json:"generatorDefault"`
}

// GenerateArg is the argument of generatePassword: the length and the
// classes of characters to draw from.
type GenerateArg struct {
	// Length is the password's length, Rules.GeneratorMin to
	// Rules.GeneratorMax.
	Length int `json:"length"`
	// Lower draws from lowercase letters.
	Lower bool `json:"lower,omitempty"`
	// Upper draws from uppercase letters.
	Upper bool `json:"upper,omitempty"`
	// Digits draws from digits.
	Digits bool `json:"digits,omitempty"`
	// Symbols draws from symbols.
	Symbols bool `json:"symbols,omitempty"`
	// AvoidAmbiguous leaves out characters that look alike (l, 1, O, 0).
	AvoidAmbiguous bool `json:"avoidAmbiguous,omitempty"`
}

// Generated is what generatePassword returns.
type Generated struct {
	// Password is the new password.
	Password string `json:"password"`
}

// PassphraseCheck is the argument of checkPassphrase.
type PassphraseCheck struct {
	// Passphrase is the passphrase to check.
	Passphrase string `json:"passphrase"`
}

// SiteCheck is the argument of checkSite.
type SiteCheck struct {
	// Site is the site as typed.
	Site string `json:"site"`
}

// AccountCheck is the argument of checkAccount.
type AccountCheck struct {
	// Account is the account name as typed.
	Account string `json:"account"`
}

// SharesCheck is the argument of checkShares.
type SharesCheck struct {
	// Threshold is how many shares recover the keys.
	Threshold int `json:"threshold"`
	// Shares is how many shares to make.
	Shares int `json:"shares"`
}

// Verdict is what checkPassphrase and checkShares return.
type Verdict struct {
	// OK reports the value acceptable.
	OK bool `json:"ok"`
	// Reason says why it is not.
	Reason string `json:"reason,omitempty"`
}

// SiteVerdict is what checkSite returns.
type SiteVerdict struct {
	// OK reports the site acceptable.
	OK bool `json:"ok"`
	// Site is its canonical form, to be saved.
	Site string `json:"site,omitempty"`
	// Reason says why it is not acceptable.
	Reason string `json:"reason,omitempty"`
}

// AccountVerdict is what checkAccount returns.
type AccountVerdict struct {
	// OK reports the account name acceptable.
	OK bool `json:"ok"`
	// Account is its canonical form.
	Account string `json:"account,omitempty"`
	// Reason says why it is not acceptable.
	Reason string `json:"reason,omitempty"`
}
