// Package importer reads the exports of other password managers (and
// meshpass's own) into vault entries ready for client.AddBatch, with a
// preview of what it will write, merged or skip and why. It is the one
// implementation the CLI and the extension use.
//
// Every login keeps its name, URLs, username, password, notes, one-time
// code secret, custom fields, folder and, where the format has it, its
// earlier passwords. URLs become sites in canonical form
// (policy.CheckSite: the host and port, since sites are hosts); a web URL
// that says more (a path, a query, a fragment) is also kept whole in a
// visible custom field "URL", and a URL that is not a web site is kept
// there alone. Earlier passwords go to the entry's History with the date
// the format gives them (Bitwarden's lastUsedDate, a KDBX history
// version's modification time, 1PUX's time; none: the import's time), and
// client.AddBatch writes them as the entry's real history
// (vault.HistoryRecords); a meshpass export keeps the earlier values of
// every field. Items that are not
// logins (cards, identities, secure notes...) are kept as entries without
// a site, their data in custom fields and tagged with their kind; what
// cannot be kept at all (attachments, passkeys, trashed items) is listed in
// the preview: nothing is dropped silently. Logins with the same site,
// username and password are merged into one, their sites and fields
// united.
//
// Input is untrusted: it is bounded (MaxInput bytes, MaxItems items,
// MaxEntryBytes per entry, MaxKDBXContent bytes of a KeePass database's
// content once decompressed) and a file that is not of the format named, is
// cut short, or does not open with the password given is refused with an
// error that wraps ErrFormat, ErrTooLarge, ErrPasswordNeeded or
// ErrPassword; then nothing is returned.
package importer

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/meshpass/meshpass/shared/vault"
)

// Format names an export format.
type Format string

// The formats Parse reads.
const (
	Chrome        Format = "chrome"         // Chrome, Edge, Brave CSV
	Firefox       Format = "firefox"        // Firefox CSV
	Safari        Format = "safari"         // Safari CSV
	Bitwarden     Format = "bitwarden"      // Bitwarden JSON, plain or password-protected
	BitwardenCSV  Format = "bitwarden-csv"  // Bitwarden CSV
	OnePassword   Format = "1password"      // 1Password 1PUX
	OnePassCSV    Format = "1password-csv"  // 1Password CSV
	LastPass      Format = "lastpass"       // LastPass CSV
	ProtonPass    Format = "protonpass"     // Proton Pass JSON (unencrypted)
	ProtonPassCSV Format = "protonpass-csv" // Proton Pass CSV
	Dashlane      Format = "dashlane"       // Dashlane credentials CSV
	KeePassXCCSV  Format = "keepassxc-csv"  // KeePassXC CSV
	KDBX          Format = "kdbx"           // KeePass / KeePassXC database (KDBX 4 and 3.1)
	Meshpass      Format = "meshpass"       // meshpass JSON (shared/exporter), plain or age-encrypted
	GenericCSV    Format = "csv"            // the CSV shared/exporter writes
	CXF           Format = "cxf"            // FIDO Alliance Credential Exchange Format (JSON), plain or age-encrypted
)

// Formats lists every format, with what it reads.
var Formats = []struct {
	Format      Format
	Description string
}{
	{Chrome, "Chrome, Edge or Brave passwords CSV (name,url,username,password,note)"},
	{Firefox, "Firefox passwords CSV (url,username,password,httpRealm,...)"},
	{Safari, "Safari / Apple Passwords CSV (Title,URL,Username,Password,Notes,OTPAuth)"},
	{Bitwarden, "Bitwarden JSON export, unencrypted or password-protected"},
	{BitwardenCSV, "Bitwarden CSV export"},
	{OnePassword, "1Password 1PUX export"},
	{OnePassCSV, "1Password CSV export"},
	{LastPass, "LastPass CSV export"},
	{ProtonPass, "Proton Pass JSON export (unencrypted)"},
	{ProtonPassCSV, "Proton Pass CSV export"},
	{Dashlane, "Dashlane credentials CSV"},
	{KeePassXCCSV, "KeePassXC CSV export"},
	{KDBX, "KeePass / KeePassXC database (.kdbx), with its password"},
	{Meshpass, "meshpass JSON export, plain or encrypted"},
	{GenericCSV, "meshpass CSV export"},
	{CXF, "FIDO Alliance Credential Exchange Format (CXF 1.0) JSON, or meshpass's encrypted CXF export"},
}

// Limits on what Parse reads.
const (
	// MaxInput is the most bytes of a file (and of what a zip or an
	// encrypted file holds).
	MaxInput = 64 << 20
	// MaxItems is the most items of a file.
	MaxItems = 100_000
	// MaxEntryBytes is the most bytes of one entry's fields (earlier
	// values included); a larger item is skipped (and listed).
	MaxEntryBytes = 256 << 10
	// MaxHistory is the most earlier values of one entry kept; older
	// ones are listed as left out.
	MaxHistory = 64
)

// Errors; each error of Parse wraps one.
var (
	// ErrUnknownFormat means a format name Parse does not know.
	ErrUnknownFormat = errors.New("importer: unknown format")
	// ErrFormat means the file is not of the format named, or is damaged
	// or cut short.
	ErrFormat = errors.New("importer: not a valid file of this format")
	// ErrTooLarge means the file exceeds a limit (MaxInput, MaxItems).
	ErrTooLarge = errors.New("importer: file too large")
	// ErrPasswordNeeded means the file is encrypted and no password was
	// given.
	ErrPasswordNeeded = errors.New("importer: the file is encrypted; its password is needed")
	// ErrPassword means the password given does not open the file.
	ErrPassword = errors.New("importer: wrong password for the file, or a damaged file")
	// ErrUnsupported means a file of the format that cannot be imported
	// (a Bitwarden export encrypted to its account's key).
	ErrUnsupported = errors.New("importer: this kind of export cannot be imported")
)

// Options tune Parse.
type Options struct {
	// Password opens an encrypted file (KDBX, password-protected
	// Bitwarden JSON, encrypted meshpass export).
	Password string
	// KeyFile is a KDBX database's key file (its bytes), alone or with
	// Password; nil for none.
	KeyFile []byte
	// Exact, for meshpass JSON only, returns the entries exactly as the
	// export holds them: IDs, Updated and History (with its writers) kept,
	// no merging of duplicates. It is for callers that compare or write
	// records themselves; without it the entries have no ID and their
	// History, every field's, is ready for client.AddBatch.
	Exact bool
}

// Result is what a file holds.
type Result struct {
	// Entries are ready for client.AddBatch.
	Entries []vault.Entry
	// Preview says what Entries hold and what was left out.
	Preview Preview
}

// Preview is what an import will write, merge and skip.
type Preview struct {
	// Format is the format read.
	Format Format
	// Items is the number of items in the file; Kinds counts them by
	// kind ("login", "note", "card", "identity", ...).
	Items int
	Kinds map[string]int
	// Entries is the number of entries to write; Merged the items merged
	// into another as duplicates.
	Entries, Merged int
	// Skipped are the items left out, each with why.
	Skipped []Skipped
	// Notes say what was kept otherwise than as it was (non-login items
	// as entries without a site, URLs that are not sites, one-time code
	// secrets that are not otpauth URIs, earlier passwords), with how
	// many items each concerns.
	Notes []string

	notes map[string]int
}

// Skipped is an item left out.
type Skipped struct {
	// Item names it (its name or title), Kind says what it is.
	Item, Kind string
	// Reason says why it was left out.
	Reason string
}

func formatError(f Format, why string, args ...any) error {
	return fmt.Errorf("%w (%s): %s", ErrFormat, f, fmt.Sprintf(why, args...))
}

// Parse reads data as format f. It returns an error wrapping one of the
// package's errors, and then nothing, if the file cannot be read as a
// whole.
func Parse(f Format, data []byte, o Options) (*Result, error) {
	if len(data) > MaxInput {
		return nil, fmt.Errorf("%w: %d bytes, more than %d MiB", ErrTooLarge, len(data), MaxInput>>20)
	}
	b := newBuilder(f)
	var err error
	switch f {
	case Chrome:
		err = parseChrome(b, data)
	case Firefox:
		err = parseFirefox(b, data)
	case Safari:
		err = parseSafari(b, data)
	case Bitwarden:
		err = parseBitwarden(b, data, o)
	case BitwardenCSV:
		err = parseBitwardenCSV(b, data)
	case OnePassword:
		err = parse1PUX(b, data)
	case OnePassCSV:
		err = parse1PasswordCSV(b, data)
	case LastPass:
		err = parseLastPass(b, data)
	case ProtonPass:
		err = parseProtonPass(b, data)
	case ProtonPassCSV:
		err = parseProtonPassCSV(b, data)
	case Dashlane:
		err = parseDashlane(b, data)
	case KeePassXCCSV:
		err = parseKeePassXCCSV(b, data)
	case KDBX:
		err = parseKDBX(b, data, o)
	case Meshpass:
		return parseMeshpass(b, data, o)
	case GenericCSV:
		err = parseGenericCSV(b, data)
	case CXF:
		err = parseCXF(b, data, o)
	default:
		return nil, fmt.Errorf("%w %q", ErrUnknownFormat, f)
	}
	if err != nil {
		return nil, err
	}
	return b.result(), nil
}

// ParseFormat returns the Format named s (case-insensitive), accepting a
// few other names (edge, brave, keepass, keepassxc, 1pux).
func ParseFormat(s string) (Format, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "edge", "brave", "chromium":
		return Chrome, nil
	case "keepass", "keepassxc":
		return KDBX, nil
	case "1pux":
		return OnePassword, nil
	case "bitwarden-json":
		return Bitwarden, nil
	case "protonpass-json":
		return ProtonPass, nil
	case "credential-exchange", "fido-cxf":
		return CXF, nil
	}
	for _, x := range Formats {
		if string(x.Format) == s {
			return x.Format, nil
		}
	}
	return "", fmt.Errorf("%w %q", ErrUnknownFormat, s)
}

// note counts one more item a note concerns.
func (p *Preview) note(what string) {
	if p.notes == nil {
		p.notes = map[string]int{}
	}
	p.notes[what]++
}

func (p *Preview) finish() {
	keys := make([]string, 0, len(p.notes))
	for k := range p.notes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	p.Notes = nil
	for _, k := range keys {
		p.Notes = append(p.Notes, fmt.Sprintf("%s (%d)", k, p.notes[k]))
	}
}

// SkipExisting moves out of r the entries that duplicate one of existing
// (the same site, username and password, or for entries without a site
// the same name, username, password and notes), listing each as skipped:
// "already in the vault". Importing the same file twice writes nothing
// the second time.
func (r *Result) SkipExisting(existing []vault.Entry) {
	have := map[string]bool{}
	for _, e := range existing {
		if e.Deleted {
			continue
		}
		for _, k := range dupKeys(e) {
			have[k] = true
		}
	}
	kept := r.Entries[:0]
	for _, e := range r.Entries {
		dup := false
		for _, k := range dupKeys(e) {
			dup = dup || have[k]
		}
		if dup {
			r.Preview.Skipped = append(r.Preview.Skipped, Skipped{Item: displayName(e), Kind: "login", Reason: "already in the vault"})
			continue
		}
		kept = append(kept, e)
	}
	r.Entries = slices.Clip(kept)
	r.Preview.Entries = len(r.Entries)
}

func displayName(e vault.Entry) string {
	switch {
	case e.Name != "":
		return e.Name
	case len(e.Sites) > 0:
		return e.Sites[0]
	}
	return e.Username
}

// parseTime reads the times exports write: RFC 3339, or seconds or
// milliseconds since 1970 (as a number or a string); zero if none.
func parseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC()
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' || n > 1e15 {
			return time.Time{}
		}
		n = n*10 + int64(c-'0')
	}
	return unixTime(n)
}

// unixTime reads seconds, or milliseconds if too large for seconds.
func unixTime(n int64) time.Time {
	switch {
	case n <= 0:
		return time.Time{}
	case n > 1e11:
		return time.UnixMilli(n).UTC()
	}
	return time.Unix(n, 0).UTC()
}
