// Command kdbxbomb writes ../kdbx-bomb.kdbx: a KDBX 4 database (password
// "bomb password", gokeepasslib's defaults) whose one entry has notes of
// 300 MiB of "a", so that its gzip-compressed content is a few hundred KB
// in the file and 300 MiB once decompressed: more than
// importer.MaxKDBXContent. Run from shared/importer/testdata:
//
//	go run ./kdbxbomb
package main

import (
	"log"
	"os"
	"strings"

	"github.com/tobischo/gokeepasslib/v3"
	w "github.com/tobischo/gokeepasslib/v3/wrappers"
)

func main() {
	entry := gokeepasslib.NewEntry()
	entry.Values = append(entry.Values,
		gokeepasslib.ValueData{Key: "Title", Value: gokeepasslib.V{Content: "Bomb"}},
		gokeepasslib.ValueData{Key: "Notes", Value: gokeepasslib.V{Content: strings.Repeat("a", 300<<20)}},
	)
	root := gokeepasslib.NewGroup()
	root.Name = "Root"
	root.Entries = append(root.Entries, entry)
	db := gokeepasslib.NewDatabase(gokeepasslib.WithDatabaseKDBXVersion4())
	db.Credentials = gokeepasslib.NewPasswordCredentials("bomb password")
	db.Content.Root = &gokeepasslib.RootData{Groups: []gokeepasslib.Group{root}}
	db.Content.Meta.DatabaseName = "bomb"
	db.Content.Meta.RecycleBinEnabled = w.NewBoolWrapper(false)
	if err := db.LockProtectedEntries(); err != nil {
		log.Fatal(err)
	}
	f, err := os.Create("kdbx-bomb.kdbx")
	if err != nil {
		log.Fatal(err)
	}
	if err := gokeepasslib.NewEncoder(f).Encode(db); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
