// Package migrations holds the portal's SQL schema as numbered migrations
// (NNNN_name.sql), plain SQLite SQL that both the native SQLite store and
// `wrangler d1 migrations apply` run.
package migrations

import (
	"embed"
	"io/fs"
	"sort"
)

//go:embed *.sql
var files embed.FS

// Migration is one schema migration.
type Migration struct {
	// Name is the file name, e.g. "0001_init.sql"; migrations apply in
	// name order.
	Name string
	SQL  string
}

// All returns every migration in order.
func All() ([]Migration, error) {
	names, err := fs.Glob(files, "*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []Migration
	for _, n := range names {
		b, err := files.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Name: n, SQL: string(b)})
	}
	return out, nil
}
