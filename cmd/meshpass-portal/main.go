//go:build !js

// Command meshpass-portal is the self-hosted meshpass portal on an
// embedded SQLite database.
//
//	meshpass-portal [serve] [flags]     serve the portal (the default)
//	meshpass-portal keygen -origin NAME print a new log key pair (for Workers)
//	meshpass-portal invite [-n N]       make invitation codes
//	meshpass-portal backup -to FILE     copy the database, online
//	meshpass-portal witness -log KEY    run a witness that cosigns a log
//
// Every flag can also be set in the environment as MESHPASS_ and the
// flag's name in capitals with _ for - (MESHPASS_LISTEN, MESHPASS_DB,
// MESHPASS_SIGN_UP, …); a flag on the command line wins.
//
// On first run it creates the database's directory and the log signing
// key, kept beside the database as <db>.logkey (mode 0600). It prints the
// portal URL and the log's verifier key. See docs/deploy.md.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/meshpass/meshpass/portal-worker/portal"
	"github.com/meshpass/meshpass/portal-worker/sqlitestore"
	"github.com/meshpass/meshpass/portal-worker/sqlstore"
	"github.com/meshpass/meshpass/shared/translog"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "meshpass-portal:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	for _, a := range args { // the old spelling, meshpass-portal -keygen
		if a == "-keygen" || a == "--keygen" {
			cmd = "keygen"
			args = slices.DeleteFunc(slices.Clone(args), func(s string) bool { return s == a })
			break
		}
	}
	switch cmd {
	case "serve":
		return serveCmd(args, stdout, stderr)
	case "keygen":
		return keygenCmd(args, stdout, stderr)
	case "invite":
		return inviteCmd(args, stdout, stderr)
	case "backup":
		return backupCmd(args, stdout, stderr)
	case "witness":
		return witnessCmd(args, stdout, stderr)
	}
	return fmt.Errorf("unknown command %q: serve, keygen, invite, backup or witness", cmd)
}

// parse parses args into fs after taking each flag's value from the
// environment (MESHPASS_NAME) if set there.
func parse(fs *flag.FlagSet, args []string) error {
	var bad error
	fs.VisitAll(func(f *flag.Flag) {
		env := "MESHPASS_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok && bad == nil {
			if err := f.Value.Set(v); err != nil {
				bad = fmt.Errorf("%s=%q: %v", env, v, err)
			}
		}
	})
	if bad != nil {
		return bad
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return nil
}

// keygenCmd prints a new log key pair as lines for a TOML file or a
// .dev.vars file (KEY = "value"), and how to install them.
func keygenCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	origin := fs.String("origin", "meshpass-portal/log", "name of the transparency log, e.g. portal.example.com/log")
	if err := parse(fs, args); err != nil {
		return err
	}
	if !translog.ValidOrigin(*origin) {
		return fmt.Errorf("log origin %q: no spaces, pluses or newlines", *origin)
	}
	skey, vkey, err := translog.GenerateKey(*origin)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "LOG_SIGNING_KEY = %q\nLOG_VERIFIER_KEY = %q\n", skey, vkey)
	fmt.Fprintf(stderr, "keygen: LOG_VERIFIER_KEY is public; LOG_SIGNING_KEY is the secret (wrangler secret put LOG_SIGNING_KEY) — keep a copy offline\n")
	return nil
}

// dbFlag is the -db flag every command that opens the database takes.
func dbFlag(fs *flag.FlagSet) *string {
	return fs.String("db", "./data/portal.db", "SQLite database file")
}

// inviteCmd makes invitation codes: stored in the database, or printed
// with the SQL that stores them (-sql: for D1, with wrangler d1 execute).
func inviteCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("invite", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := dbFlag(fs)
	n := fs.Int("n", 1, "how many codes")
	sqlOnly := fs.Bool("sql", false, "store nothing: print one SQL statement per code (for D1: wrangler d1 execute DB --remote --command ...) and the codes on stderr")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *n < 1 || *n > 1000 {
		return fmt.Errorf("-n %d: 1 to 1000", *n)
	}
	var store *sqlitestore.Store
	if !*sqlOnly {
		var err error
		if store, err = sqlitestore.Open(*dbPath); err != nil {
			return err
		}
		defer store.Close()
	}
	for range *n {
		b := make([]byte, 15)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		code := strings.ToLower(base32.StdEncoding.EncodeToString(b))
		hash := portal.InvitationHash(code)
		if *sqlOnly {
			fmt.Fprintln(stdout, sqlstore.InvitationSQL(hash, time.Now())+";")
			fmt.Fprintln(stderr, "invitation code:", code)
			continue
		}
		if err := store.AddInvitation(context.Background(), hash, time.Now()); err != nil {
			return err
		}
		fmt.Fprintln(stdout, code)
	}
	return nil
}

// backupCmd copies the database while the portal runs.
func backupCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := dbFlag(fs)
	to := fs.String("to", "", "the backup file to write (must not exist)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *to == "" {
		return errors.New("backup: -to FILE is required")
	}
	if _, err := os.Stat(*dbPath); err != nil {
		return err
	}
	store, err := sqlitestore.Open(*dbPath)
	if err != nil {
		return err
	}
	defer store.Close()
	n, err := store.Backup(context.Background(), *to)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup: %s holds the log up to %d leaves; keep it with a copy of %s (the log key, not in the database)\n", *to, n, *dbPath+".logkey")
	return nil
}

// loadKey reads the log key file, or makes one.
func loadKey(path, origin string) (signerKey, verifierKey string, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if !translog.ValidOrigin(origin) {
			return "", "", fmt.Errorf("log origin %q: no spaces, pluses or newlines", origin)
		}
		if signerKey, verifierKey, err = translog.GenerateKey(origin); err != nil {
			return "", "", err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return "", "", err
		}
		if _, err := fmt.Fprintf(f, "%s\n%s\n", signerKey, verifierKey); err != nil {
			f.Close()
			return "", "", err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return "", "", err
		}
		return signerKey, verifierKey, f.Close()
	}
	if err != nil {
		return "", "", err
	}
	lines := strings.Fields(string(b))
	if len(lines) != 2 {
		return "", "", fmt.Errorf("%s: want a signer key and a verifier key", path)
	}
	return lines[0], lines[1], nil
}

// openKeyAndStore makes the data directory, reads or makes the log key and
// opens the database.
func openKeyAndStore(dbPath, origin string) (*sqlitestore.Store, string, string, error) {
	if err := os.MkdirAll(filepath.Dir(dbPath), 0o700); err != nil {
		return nil, "", "", err
	}
	skey, vkey, err := loadKey(dbPath+".logkey", origin)
	if err != nil {
		return nil, "", "", err
	}
	store, err := sqlitestore.Open(dbPath)
	if err != nil {
		return nil, "", "", err
	}
	return store, skey, vkey, nil
}
