// Package exporter writes a vault's entries out: as meshpass JSON (every
// field, with the history and the IDs: the importer reads it back
// exactly), as a Bitwarden-compatible JSON export, as a CSV for other
// managers, or as the FIDO Alliance Credential Exchange Format's JSON; in
// clear or encrypted under a passphrase (age with an scrypt recipient for
// meshpass JSON, CSV and CXF; Bitwarden's password-protected format for
// Bitwarden JSON, which Bitwarden imports).
package exporter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"
	"github.com/meshpass/meshpass/shared/internal/bwcrypt"
	"github.com/meshpass/meshpass/shared/vault"
)

// Format is an export format.
type Format string

// The formats.
const (
	// Meshpass is meshpass JSON (File).
	Meshpass Format = "meshpass"
	// Bitwarden is Bitwarden's JSON export.
	Bitwarden Format = "bitwarden"
	// CSV is a CSV for other managers (CSVHeader).
	CSV Format = "csv"
	// CXF is the FIDO Alliance Credential Exchange Format (CXFJSON).
	CXF Format = "cxf"
)

// Formats lists the formats.
var Formats = []Format{Meshpass, Bitwarden, CSV, CXF}

// ErrFormat means an unknown export format.
var ErrFormat = errors.New("exporter: unknown format")

// ErrPassphrase means an encrypted export could not be opened with the
// passphrase given (or none was given).
var ErrPassphrase = errors.New("exporter: wrong passphrase for the encrypted export")

// Options tune an export.
type Options struct {
	// Passphrase, if set, encrypts the export.
	Passphrase string
	// Now is the time written as the export's date (time.Now if zero).
	Now time.Time
	// ScryptWorkFactor is the age scrypt work factor (log2 N; age's
	// default, 18, if 0). Tests lower it.
	ScryptWorkFactor int
	// BitwardenIterations are the PBKDF2 iterations of an encrypted
	// Bitwarden export (600,000 if 0).
	BitwardenIterations int
}

// Export writes entries (deleted ones left out) to w in format f.
func Export(w io.Writer, f Format, entries []vault.Entry, o Options) error {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.UTC()
	var live []vault.Entry
	for _, e := range entries {
		if !e.Deleted {
			live = append(live, e)
		}
	}
	var data []byte
	var err error
	switch f {
	case Meshpass:
		data, err = MeshpassJSON(live, o.Now)
	case Bitwarden:
		data, err = BitwardenJSON(live)
		if err == nil && o.Passphrase != "" {
			var sealed *bwcrypt.File
			if sealed, err = bwcrypt.Seal(data, o.Passphrase, o.BitwardenIterations); err == nil {
				data, err = json.MarshalIndent(sealed, "", "  ")
			}
			o.Passphrase = ""
		}
	case CSV:
		data, err = CSVData(live)
	case CXF:
		data, err = CXFJSON(live, o.Now)
	default:
		return fmt.Errorf("%w %q", ErrFormat, f)
	}
	if err != nil {
		return err
	}
	if o.Passphrase == "" {
		_, err = w.Write(data)
		return err
	}
	return encrypt(w, data, o.Passphrase, o.ScryptWorkFactor)
}

// encrypt writes data encrypted with age to an scrypt recipient, armored.
func encrypt(w io.Writer, data []byte, passphrase string, workFactor int) error {
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return err
	}
	if workFactor != 0 {
		r.SetWorkFactor(workFactor)
	}
	aw := armor.NewWriter(w)
	ew, err := age.Encrypt(aw, r)
	if err != nil {
		return err
	}
	if _, err := ew.Write(data); err != nil {
		return err
	}
	if err := ew.Close(); err != nil {
		return err
	}
	return aw.Close()
}

// IsEncrypted reports whether data is an age-encrypted file (armored or
// not), as Export writes with a passphrase.
func IsEncrypted(data []byte) bool {
	d := bytes.TrimLeft(data, " \t\r\n")
	return bytes.HasPrefix(d, []byte(armor.Header)) || bytes.HasPrefix(d, []byte("age-encryption.org/v1\n"))
}

// MaxScryptWorkFactor is the highest scrypt work factor (log2 N) Decrypt
// accepts: 2^20 takes 1 GiB of memory (age's default, 18, 256 MiB).
const MaxScryptWorkFactor = 20

// Decrypt opens an age-encrypted export (IsEncrypted) with passphrase,
// reading at most max bytes of plaintext. A wrong or empty passphrase is
// ErrPassphrase.
func Decrypt(data []byte, passphrase string, max int64) ([]byte, error) {
	if passphrase == "" {
		return nil, fmt.Errorf("%w: none given", ErrPassphrase)
	}
	id, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return nil, err
	}
	id.SetMaxWorkFactor(MaxScryptWorkFactor)
	var src io.Reader = bytes.NewReader(bytes.TrimLeft(data, " \t\r\n"))
	if bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte(armor.Header)) {
		src = armor.NewReader(src)
	}
	r, err := age.Decrypt(src, id)
	if err != nil {
		if errors.Is(err, age.ErrIncorrectIdentity) {
			return nil, ErrPassphrase
		}
		return nil, fmt.Errorf("exporter: the encrypted file does not open: %w", err)
	}
	out, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("exporter: the encrypted file is damaged: %w", err)
	}
	if int64(len(out)) > max {
		return nil, fmt.Errorf("exporter: the encrypted file holds more than %d bytes", max)
	}
	return out, nil
}
