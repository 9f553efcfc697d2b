//go:build !js

package clienttest

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// StoredBytes returns the contents of every file in the test's temporary
// directories, concatenated: for a portal from New running in-process,
// everything its SQLite database holds on disk (main database, WAL and
// journal files), and whatever else the test wrote there. It skips the
// test if p is not an in-process portal (Server is nil), whose storage the
// test cannot read.
func StoredBytes(t testing.TB, p *Portal) []byte {
	t.Helper()
	if p.Server == nil {
		t.Skip("the portal's storage is not in this process")
	}
	// Every t.TempDir() of a test is a directory under one root.
	root := filepath.Dir(t.TempDir())
	var out []byte
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out = append(out, b...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
