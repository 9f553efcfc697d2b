package importer

import (
	"encoding/json"
	"errors"

	"github.com/meshpass/meshpass/shared/exporter"
	"github.com/meshpass/meshpass/shared/vault"
)

func parseMeshpass(b *builder, data []byte, o Options) (*Result, error) {
	if exporter.IsEncrypted(data) {
		plain, err := decryptExport(data, o.Password, Meshpass)
		if err != nil {
			return nil, err
		}
		data = plain
	}
	var f exporter.File
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, formatError(Meshpass, "not JSON, or cut short: %s", jsonErr(err))
	}
	if f.Format != exporter.FileFormat {
		return nil, formatError(Meshpass, "not a meshpass export (format %q)", truncate(f.Format, 40))
	}
	if f.Version != exporter.FileVersion {
		return nil, formatError(Meshpass, "export version %d; this meshpass reads version %d", f.Version, exporter.FileVersion)
	}
	if len(f.Entries) > MaxItems {
		return nil, ErrTooLarge
	}
	if o.Exact {
		r := &Result{Preview: Preview{Format: Meshpass, Items: len(f.Entries), Entries: len(f.Entries), Kinds: map[string]int{"login": len(f.Entries)}}}
		r.Entries = []vault.Entry{}
		for _, e := range f.Entries {
			r.Entries = append(r.Entries, e.ToVault())
		}
		return r, nil
	}
	for _, e := range f.Entries {
		it := item{name: e.Name, urls: e.Sites, username: e.Username, password: e.Password, notes: e.Notes, totp: e.TOTP,
			fields: e.Fields, folder: e.Folder, tags: e.Tags, created: e.Created}
		for _, c := range e.History {
			it.history = append(it.history, c.ToVault())
		}
		b.add(it)
	}
	return b.result(), nil
}

// decryptExport opens an age-encrypted meshpass export (of format f).
func decryptExport(data []byte, password string, f Format) ([]byte, error) {
	if password == "" {
		return nil, ErrPasswordNeeded
	}
	plain, err := exporter.Decrypt(data, password, MaxInput)
	if errors.Is(err, exporter.ErrPassphrase) {
		return nil, ErrPassword
	}
	if err != nil {
		return nil, formatError(f, "%v", err)
	}
	return plain, nil
}
