package api

import (
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Import and export (the extension's transfer page): importPreview reads a
// file and says what an import would write, merge and leave out, keeping
// the entries in the core under a token; importCommit writes them in one
// bulk write; exportVault writes every entry out, after the vault passphrase
// is given again.

// Limits of import and export.
const (
	// MaxImportBytes is the largest file importPreview reads (the
	// importer's limit, importer.MaxInput); a larger one is refused before
	// it is decoded.
	MaxImportBytes = 64 << 20
	// MaxPreviewRows is the most entries and skipped items a preview
	// lists (the counts are always whole).
	MaxPreviewRows = 500
	// ImportTTL is how long importCommit takes the token of a preview,
	// and how long an upload waits for its next piece.
	ImportTTL = 15 * time.Minute
	// MaxChunkBytes is the most bytes of one piece of importUpload: a
	// file larger than that goes in pieces, since one message between
	// the extension's pages and its worker holds at most 64 MiB of JSON
	// (the base64 of a 48 MiB file).
	MaxChunkBytes = 8 << 20
	// MaxKeyFileBytes is the largest key file importPreview takes (any
	// file may be a KeePass key file; it goes in the same message as the
	// rest).
	MaxKeyFileBytes = 4 << 20
)

// ExportFormats are the formats export writes.
var ExportFormats = []string{"meshpass", "bitwarden", "csv", "cxf"}

// ImportArg is the argument of importPreview: a file of another password
// manager's export (or a meshpass export).
type ImportArg struct {
	// Format is the file's format, as the importer names it ("chrome",
	// "bitwarden", "kdbx", ...; importer.ParseFormat).
	Format string `json:"format"`
	// Data is the file's bytes, standard base64; or, for a file sent in
	// pieces (importUpload), empty and Upload names them.
	Data string `json:"data,omitempty"`
	// Upload names a file sent whole in pieces with importUpload; the
	// preview reads it and forgets it.
	Upload string `json:"upload,omitempty"`
	// Password opens an encrypted file (KDBX, password-protected
	// Bitwarden JSON, encrypted meshpass export).
	Password string `json:"password,omitempty"`
	// KeyFile is a KeePass database's key file, standard base64 (alone,
	// or with Password); at most MaxKeyFileBytes.
	KeyFile string `json:"keyFile,omitempty"`
}

// Validate requires the format and the data or an upload (not both), and
// refuses data larger than MaxImportBytes before it is decoded.
func (a ImportArg) Validate() error {
	switch {
	case a.Format == "":
		return errors.New("format is required")
	case a.Data != "" && a.Upload != "":
		return errors.New("give the data or an upload, not both")
	case a.Data == "" && a.Upload == "":
		return errors.New("the file is empty")
	case len(a.Data) > base64.StdEncoding.EncodedLen(MaxImportBytes):
		return fmt.Errorf("the file is larger than %d MiB", MaxImportBytes>>20)
	case len(a.KeyFile) > base64.StdEncoding.EncodedLen(MaxKeyFileBytes):
		return fmt.Errorf("the key file is larger than %d MiB", MaxKeyFileBytes>>20)
	}
	return nil
}

// ImportPreview is what importPreview returns: what the file holds, what
// an import writes, merges and leaves out, and why.
type ImportPreview struct {
	// Token names the entries kept for importCommit, for ImportTTL; ""
	// when there is nothing to import.
	Token string `json:"token,omitempty"`
	// Format is the format read.
	Format string `json:"format"`
	// Items is the number of items in the file.
	Items int `json:"items"`
	// Kinds counts the file's items by kind ("login", "note", "card"...).
	Kinds []KindCount `json:"kinds"`
	// Entries is the number of entries importCommit writes.
	Entries int `json:"entries"`
	// Merged is the number of items merged into another as duplicates
	// (same site, username and password).
	Merged int `json:"merged"`
	// Existing is the number of entries left out because the vault
	// already holds them (each also in Skipped).
	Existing int `json:"existing"`
	// Skipped is the number of items left out.
	Skipped int `json:"skipped"`
	// SkippedItems are the items left out, each with why: at most
	// MaxPreviewRows.
	SkippedItems []ImportSkipped `json:"skippedItems"`
	// Notes say what was kept otherwise than as it was (non-login items as
	// entries without a site, URLs that are not sites...), each with how
	// many items it concerns.
	Notes []string `json:"notes"`
	// Rows are the first MaxPreviewRows entries to write, without their
	// secrets.
	Rows []ImportRow `json:"rows"`
}

// KindCount is how many items of a kind a file holds.
type KindCount struct {
	// Kind is the kind of item ("login", "note", "card", "identity"...).
	Kind string `json:"kind"`
	// Count is how many.
	Count int `json:"count"`
}

// ImportSkipped is an item an import leaves out.
type ImportSkipped struct {
	// Item names it (its name or title).
	Item string `json:"item"`
	// Kind says what it is.
	Kind string `json:"kind"`
	// Reason says why it is left out.
	Reason string `json:"reason"`
}

// ImportRow is an entry an import writes, without its secrets.
type ImportRow struct {
	// Name is the entry's name.
	Name string `json:"name"`
	// Sites are its sites (none for an item that is not a login).
	Sites []string `json:"sites"`
	// Username is its user name.
	Username string `json:"username"`
	// Folder is its folder, or "".
	Folder string `json:"folder,omitempty"`
	// Password reports that it has a password.
	Password bool `json:"password"`
	// TOTP reports that it has a one-time code secret.
	TOTP bool `json:"totp,omitempty"`
	// Fields is the number of its custom fields.
	Fields int `json:"fields,omitempty"`
}

// ImportToken is the argument of importCommit.
type ImportToken struct {
	// Token is the token importPreview returned.
	Token string `json:"token"`
}

// Validate requires the token.
func (a ImportToken) Validate() error {
	if a.Token == "" {
		return errors.New("token is required")
	}
	return nil
}

// Imported is what importCommit returns.
type Imported struct {
	// Count is the number of entries written.
	Count int `json:"count"`
	// Existing is the number left out at the write because the vault
	// held them by then (a sync since the preview).
	Existing int `json:"existing,omitempty"`
}

// ExportArg is the argument of exportVault.
type ExportArg struct {
	// Format is "meshpass" (complete: history and IDs), "bitwarden" or
	// "csv".
	Format string `json:"format"`
	// Passphrase is this device's vault passphrase, asked again: the core
	// checks it (wrong_passphrase) before it writes anything.
	Passphrase string `json:"passphrase"`
	// Encrypt encrypts the file under FilePassphrase (age with scrypt for
	// meshpass and csv, Bitwarden's password-protected format for
	// bitwarden); without it every password is in plaintext.
	Encrypt bool `json:"encrypt,omitempty"`
	// FilePassphrase is the file's own passphrase (the rules of
	// checkPassphrase).
	FilePassphrase string `json:"filePassphrase,omitempty"`
}

// Validate requires a known format, the passphrase, and with encrypt the
// file's passphrase.
func (a ExportArg) Validate() error {
	switch {
	case !slices.Contains(ExportFormats, a.Format):
		return fmt.Errorf("unknown export format %q (meshpass, bitwarden, csv or cxf)", a.Format)
	case a.Passphrase == "":
		return errors.New("the vault passphrase is required")
	case a.Encrypt && a.FilePassphrase == "":
		return errors.New("an encrypted export needs a passphrase for the file")
	case !a.Encrypt && a.FilePassphrase != "":
		return errors.New("a passphrase for the file is given but encrypt is not set")
	}
	return nil
}

// Exported is what exportVault returns: the file to save.
type Exported struct {
	// Data is the file's bytes, standard base64; or, for a file sent in
	// pieces (importUpload), empty and Upload names them.
	Data string `json:"data,omitempty"`
	// Upload names a file sent whole in pieces with importUpload; the
	// preview reads it and forgets it.
	Upload string `json:"upload,omitempty"`
	// FileName is a name to save it under ("meshpass-export-2025-01-31.json").
	FileName string `json:"fileName"`
	// MediaType is its MIME type.
	MediaType string `json:"mediaType"`
	// Entries is the number of entries in it.
	Entries int `json:"entries"`
	// Encrypted reports an encrypted file.
	Encrypted bool `json:"encrypted"`
}

// ImportChunk is the argument of importUpload: one piece of a file too
// large for one message, in order.
type ImportChunk struct {
	// Upload names the upload the piece belongs to; "" for the first
	// piece, which starts one (forgetting any other).
	Upload string `json:"upload,omitempty"`
	// Size is the whole file's bytes, at most MaxImportBytes; every piece
	// of an upload gives the same.
	Size int `json:"size"`
	// Offset is where the piece starts in the file: the bytes received
	// so far.
	Offset int `json:"offset"`
	// Data is the piece, standard base64, at most MaxChunkBytes decoded.
	Data string `json:"data"`
}

// Validate requires a size within MaxImportBytes, an offset within it and
// a piece of at most MaxChunkBytes, before it is decoded.
func (a ImportChunk) Validate() error {
	switch {
	case a.Size <= 0:
		return errors.New("size is required")
	case a.Size > MaxImportBytes:
		return fmt.Errorf("the file is larger than %d MiB", MaxImportBytes>>20)
	case a.Offset < 0 || a.Offset >= a.Size:
		return fmt.Errorf("offset %d is outside the file's %d bytes", a.Offset, a.Size)
	case a.Data == "":
		return errors.New("data is required")
	case len(a.Data) > base64.StdEncoding.EncodedLen(MaxChunkBytes):
		return fmt.Errorf("a piece is larger than %d MiB", MaxChunkBytes>>20)
	}
	return nil
}

// Uploaded is what importUpload returns: the upload's name and how much of
// the file it holds.
type Uploaded struct {
	// Upload names the upload (importUpload's next pieces, then
	// importPreview's upload).
	Upload string `json:"upload"`
	// Received is the bytes received so far.
	Received int `json:"received"`
	// Size is the whole file's bytes.
	Size int `json:"size"`
}
