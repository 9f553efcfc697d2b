package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"slices"
	"sort"
	"time"

	"github.com/meshpass/meshpass/shared/client"
	"github.com/meshpass/meshpass/shared/exporter"
	"github.com/meshpass/meshpass/shared/importer"
	"github.com/meshpass/meshpass/shared/policy"
	"github.com/meshpass/meshpass/shared/vault"
	"github.com/meshpass/meshpass/wasm/api"
	"github.com/meshpass/meshpass/wasm/bridge"
)

// Import and export, as the CLI's `meshpass import` and `meshpass export`
// do them (cmd/meshpass/exchange.go): the file is read once, previewed,
// and its entries kept here under a token until the person confirms; the
// export asks for the vault passphrase again.

// pendingImport is the entries of the last preview, waiting for
// importCommit. There is at most one (a new preview replaces it), and
// locking forgets it (setUnlocked).
type pendingImport struct {
	token   string
	entries []vault.Entry
	expires time.Time
}

// pendingUpload is a file arriving in pieces (importUpload) for
// importPreview; there is at most one, and locking forgets it.
type pendingUpload struct {
	id      string
	data    []byte // the pieces so far; cap is the file's size
	expires time.Time
}

// transferNow is the clock of import tokens and export names (tests change it).
var transferNow = time.Now

func (a *app) importPreview(ctx context.Context, arg api.ImportArg) (api.ImportPreview, error) {
	format, err := importer.ParseFormat(arg.Format)
	if err != nil {
		return api.ImportPreview{}, err
	}
	// Locked or no device: say so before reading the file.
	existing, err := a.c.List()
	if err != nil {
		return api.ImportPreview{}, err
	}
	var data []byte
	if arg.Upload != "" {
		if data, err = a.takeUpload(arg.Upload); err != nil {
			return api.ImportPreview{}, err
		}
	} else if data, err = base64.StdEncoding.DecodeString(arg.Data); err != nil {
		return api.ImportPreview{}, bridge.BadRequest("the file's data is not base64")
	}
	opts := importer.Options{Password: arg.Password}
	if arg.KeyFile != "" {
		if opts.KeyFile, err = base64.StdEncoding.DecodeString(arg.KeyFile); err != nil {
			return api.ImportPreview{}, bridge.BadRequest("the key file's data is not base64")
		}
	}
	res, err := importer.Parse(format, data, opts)
	if err != nil {
		return api.ImportPreview{}, err
	}
	before := len(res.Preview.Skipped)
	res.SkipExisting(existing)
	p := previewOf(res)
	p.Existing = len(res.Preview.Skipped) - before
	a.mu.Lock()
	a.imp = nil
	a.mu.Unlock()
	if len(res.Entries) == 0 {
		return p, nil
	}
	token, err := newToken()
	if err != nil {
		return api.ImportPreview{}, err
	}
	a.mu.Lock()
	a.imp = &pendingImport{token: token, entries: res.Entries, expires: transferNow().Add(api.ImportTTL)}
	a.mu.Unlock()
	p.Token = token
	return p, nil
}

func newToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// previewOf is the contract's form of r's preview.
func previewOf(r *importer.Result) api.ImportPreview {
	p := r.Preview
	out := api.ImportPreview{
		Format: string(p.Format), Items: p.Items, Kinds: []api.KindCount{}, Entries: len(r.Entries), Merged: p.Merged,
		Skipped: len(p.Skipped), SkippedItems: []api.ImportSkipped{}, Notes: p.Notes, Rows: []api.ImportRow{},
	}
	if out.Notes == nil {
		out.Notes = []string{}
	}
	for k, n := range p.Kinds {
		out.Kinds = append(out.Kinds, api.KindCount{Kind: k, Count: n})
	}
	sort.Slice(out.Kinds, func(i, j int) bool { return out.Kinds[i].Kind < out.Kinds[j].Kind })
	for _, s := range p.Skipped[:min(len(p.Skipped), api.MaxPreviewRows)] {
		out.SkippedItems = append(out.SkippedItems, api.ImportSkipped{Item: s.Item, Kind: s.Kind, Reason: s.Reason})
	}
	for _, e := range r.Entries[:min(len(r.Entries), api.MaxPreviewRows)] {
		sites := e.Sites
		if sites == nil {
			sites = []string{}
		}
		out.Rows = append(out.Rows, api.ImportRow{Name: e.Name, Sites: sites, Username: e.Username, Folder: e.Folder,
			Password: e.Password != "", TOTP: e.TOTP != "", Fields: len(e.Fields)})
	}
	return out
}

// takeImport returns the pending import named token, or ErrNoImport.
func (a *app) takeImport(token string) (*pendingImport, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	imp := a.imp
	if imp == nil || subtle.ConstantTimeCompare([]byte(imp.token), []byte(token)) != 1 {
		return nil, bridge.ErrNoImport
	}
	if transferNow().After(imp.expires) {
		a.imp = nil
		return nil, bridge.ErrNoImport
	}
	return imp, nil
}

func (a *app) importCommit(ctx context.Context, arg api.ImportToken) (api.Imported, error) {
	imp, err := a.takeImport(arg.Token)
	if err != nil {
		return api.Imported{}, err
	}
	// What the vault holds now: a sync since the preview may have brought
	// some of the entries.
	existing, err := a.c.List()
	if err != nil {
		return api.Imported{}, err
	}
	r := &importer.Result{Entries: slices.Clone(imp.entries)}
	r.SkipExisting(existing)
	out := api.Imported{Existing: len(imp.entries) - len(r.Entries)}
	if len(r.Entries) > 0 {
		added, err := a.c.AddBatch(ctx, r.Entries)
		if err != nil && !errors.Is(err, client.ErrPending) {
			return api.Imported{}, err // the import stays, to try again
		}
		out.Count = len(added)
		a.dropImport(imp)
		return out, err
	}
	a.dropImport(imp)
	return out, nil
}

// dropImport forgets imp if it is still the pending import.
func (a *app) dropImport(imp *pendingImport) {
	a.mu.Lock()
	if a.imp == imp {
		a.imp = nil
	}
	a.mu.Unlock()
}

// exportTypes are the export formats' file name extensions and MIME
// types, plain and encrypted.
var exportTypes = map[string]struct{ ext, mime, encExt, encMime string }{
	"meshpass":  {".json", "application/json", ".json.age", "application/octet-stream"},
	"bitwarden": {".json", "application/json", ".json", "application/json"},
	"csv":       {".csv", "text/csv", ".csv.age", "application/octet-stream"},
	"cxf":       {".cxf.json", "application/json", ".cxf.json.age", "application/octet-stream"},
}

func (a *app) exportVault(ctx context.Context, arg api.ExportArg) (api.Exported, error) {
	if arg.Encrypt {
		if err := policy.CheckPassphrase(arg.FilePassphrase); err != nil {
			return api.Exported{}, err
		}
	}
	if err := a.c.CheckPassphrase(arg.Passphrase); err != nil {
		return api.Exported{}, err
	}
	list, err := a.c.List()
	if err != nil {
		return api.Exported{}, err
	}
	entries := make([]vault.Entry, 0, len(list))
	for _, e := range list {
		full, err := a.c.Entry(e.ID)
		if err != nil {
			return api.Exported{}, err
		}
		entries = append(entries, full)
	}
	var buf bytes.Buffer
	if err := exporter.Export(&buf, exporter.Format(arg.Format), entries, exporter.Options{Passphrase: arg.FilePassphrase}); err != nil {
		return api.Exported{}, err
	}
	ty := exportTypes[arg.Format]
	ext, mime := ty.ext, ty.mime
	if arg.Encrypt {
		ext, mime = ty.encExt, ty.encMime
	}
	name := "meshpass-export-" + transferNow().Format("2006-01-02")
	if arg.Format == "bitwarden" {
		name = "meshpass-bitwarden-export-" + transferNow().Format("2006-01-02")
	}
	return api.Exported{Data: base64.StdEncoding.EncodeToString(buf.Bytes()), FileName: name + ext, MediaType: mime,
		Entries: len(entries), Encrypted: arg.Encrypt}, nil
}

// importUpload takes one piece of a file too large for one message: the
// first starts an upload (forgetting another), the next ones must follow
// in order, each within ImportTTL of the one before.
func (a *app) importUpload(ctx context.Context, arg api.ImportChunk) (api.Uploaded, error) {
	piece, err := base64.StdEncoding.DecodeString(arg.Data)
	if err != nil {
		return api.Uploaded{}, bridge.BadRequest("the piece is not base64")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.unlocked {
		return api.Uploaded{}, client.ErrLocked
	}
	u := a.upl
	if arg.Upload == "" {
		if arg.Offset != 0 {
			return api.Uploaded{}, bridge.BadRequest("a new upload starts at offset 0, not %d", arg.Offset)
		}
		id, err := newToken()
		if err != nil {
			return api.Uploaded{}, err
		}
		u = &pendingUpload{id: id, data: make([]byte, 0, arg.Size)}
		a.upl = u
	} else if u == nil || subtle.ConstantTimeCompare([]byte(u.id), []byte(arg.Upload)) != 1 || transferNow().After(u.expires) {
		a.upl = nil
		return api.Uploaded{}, bridge.ErrNoImport
	}
	switch {
	case arg.Size != cap(u.data):
		return api.Uploaded{}, bridge.BadRequest("the upload is of %d bytes, not %d", cap(u.data), arg.Size)
	case arg.Offset != len(u.data):
		return api.Uploaded{}, bridge.BadRequest("a piece at offset %d; the upload holds %d bytes", arg.Offset, len(u.data))
	case len(u.data)+len(piece) > cap(u.data):
		return api.Uploaded{}, bridge.BadRequest("the pieces are longer than the file's %d bytes", cap(u.data))
	}
	u.data = append(u.data, piece...)
	u.expires = transferNow().Add(api.ImportTTL)
	return api.Uploaded{Upload: u.id, Received: len(u.data), Size: cap(u.data)}, nil
}

// takeUpload returns the whole file of upload id and forgets it.
func (a *app) takeUpload(id string) ([]byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.upl
	if u == nil || subtle.ConstantTimeCompare([]byte(u.id), []byte(id)) != 1 || transferNow().After(u.expires) {
		return nil, bridge.ErrNoImport
	}
	if len(u.data) != cap(u.data) {
		return nil, bridge.BadRequest("the upload holds %d of the file's %d bytes", len(u.data), cap(u.data))
	}
	a.upl = nil
	return u.data, nil
}
