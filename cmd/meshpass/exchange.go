package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/meshpass/meshpass/shared/client"
	"github.com/meshpass/meshpass/shared/exporter"
	"github.com/meshpass/meshpass/shared/importer"
	"github.com/meshpass/meshpass/shared/policy"
	"github.com/meshpass/meshpass/shared/totp"
	"github.com/meshpass/meshpass/shared/vault"
)

// Environment variables for scripts: the password of a file to import,
// and the passphrase of an encrypted export.
const (
	envFilePassword     = "MESHPASS_FILE_PASSWORD"
	envExportPassphrase = "MESHPASS_EXPORT_PASSPHRASE"
)

// formatList lists the import formats for the help.
func formatList() string {
	var b strings.Builder
	for _, f := range importer.Formats {
		fmt.Fprintf(&b, "  %-15s %s\n", f.Format, f.Description)
	}
	return b.String()
}

// readFile reads at most max bytes of path ("-": standard input).
func (a *app) readFile(path string, max int64) ([]byte, error) {
	var r io.Reader
	if path == "-" {
		r = a.reader()
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil && st.Size() > max {
			return nil, fmt.Errorf("%w: %s has %d bytes, more than %d MiB", importer.ErrTooLarge, path, st.Size(), max>>20)
		}
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%w: %s has more than %d MiB", importer.ErrTooLarge, path, max>>20)
	}
	return data, nil
}

// confirm asks a yes/no question on standard error and reads the answer
// from standard input; anything but y or yes (and no input) is no.
func (a *app) confirm(question string) bool {
	fmt.Fprint(a.stderr, question+" [y/N] ")
	line, _ := a.reader().ReadString('\n')
	if _, ok := a.terminal(); !ok {
		fmt.Fprintln(a.stderr)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true
	}
	return false
}

// printPreview says what an import will write and what it leaves out.
func printPreview(w io.Writer, file string, r *importer.Result) {
	p := r.Preview
	kinds := make([]string, 0, len(p.Kinds))
	for k, n := range p.Kinds {
		kinds = append(kinds, fmt.Sprintf("%d %s", n, k))
	}
	sort.Strings(kinds)
	fmt.Fprintf(w, "Read %d items from %s (%s)", p.Items, file, p.Format)
	if len(kinds) > 0 {
		fmt.Fprintf(w, ": %s", strings.Join(kinds, ", "))
	}
	fmt.Fprintln(w, ".")
	fmt.Fprintf(w, "To import: %d entries", len(r.Entries))
	if p.Merged > 0 {
		fmt.Fprintf(w, " (%d duplicates merged into them: same site, username and password)", p.Merged)
	}
	fmt.Fprintln(w, ".")
	if len(p.Notes) > 0 {
		fmt.Fprintln(w, "Kept differently:")
		for _, n := range p.Notes {
			fmt.Fprintf(w, "  %s\n", n)
		}
	}
	if len(p.Skipped) > 0 {
		fmt.Fprintf(w, "Left out (%d):\n", len(p.Skipped))
		for _, s := range p.Skipped {
			fmt.Fprintf(w, "  %q (%s): %s\n", s.Item, s.Kind, s.Reason)
		}
	}
}

func cmdImport(a *app, args []string) error {
	fs := a.flags("import", "FILE",
		"Import the logins of another password manager's export (or a meshpass export)\n"+
			"from FILE (- for standard input): show what will be written, merged and left\n"+
			"out and why, ask, then add every entry in one bulk write. Nothing is written if\n"+
			"the file is refused. An encrypted file's password is asked (or $"+envFilePassword+");\n"+
			"a KeePass database with a key file takes --key-file.\n"+
			"Formats (--from):\n"+formatList())
	from := fs.String("from", "", "the `FORMAT` of FILE (see above)")
	dry := fs.Bool("dry-run", false, "show what would be imported, write nothing (needs no device)")
	yes := fs.Bool("yes", false, "import without asking")
	keyFile := fs.String("key-file", "", "a KeePass database's key `FILE` (alone, or with the password asked)")
	var format importer.Format
	if _, err := a.start(fs, args, 1, needNothing, func() error {
		if *from == "" {
			return usagef("import: give --from FORMAT; formats:\n%s", formatList())
		}
		var err error
		if format, err = importer.ParseFormat(*from); err != nil {
			return usagef("import: unknown format %q; formats:\n%s", *from, formatList())
		}
		return nil
	}); err != nil {
		return err
	}
	file := fs.Arg(0)
	data, err := a.readFile(file, importer.MaxInput)
	if err != nil {
		return err
	}
	var opts importer.Options
	if *keyFile != "" {
		if opts.KeyFile, err = a.readFile(*keyFile, importer.MaxInput); err != nil {
			return err
		}
	}
	res, err := importer.Parse(format, data, opts)
	// A key file alone does not open a database that also has a password.
	if errors.Is(err, importer.ErrPasswordNeeded) || errors.Is(err, importer.ErrPassword) && opts.KeyFile != nil {
		pw := a.getenv(envFilePassword)
		if pw == "" {
			if pw, err = a.secret(fmt.Sprintf("Password of %s: ", file)); err != nil {
				if errors.Is(err, errEOF) {
					return fmt.Errorf("%s is encrypted: give its password on the terminal or in $%s", file, envFilePassword)
				}
				return err
			}
		}
		opts.Password = pw
		res, err = importer.Parse(format, data, opts)
	}
	if err != nil {
		return fmt.Errorf("%s: %w; nothing imported", file, err)
	}
	if *dry {
		printPreview(a.stdout, file, res)
		fmt.Fprintln(a.stdout, "Dry run: nothing written.")
		return nil
	}
	c, err := a.device()
	if err != nil {
		return err
	}
	if err := a.unlock(c); err != nil {
		return err
	}
	existing, err := c.List()
	if err != nil {
		return err
	}
	res.SkipExisting(existing)
	printPreview(a.stdout, file, res)
	if len(res.Entries) == 0 {
		fmt.Fprintln(a.stdout, "Nothing to import.")
		return nil
	}
	if !*yes && !a.confirm(fmt.Sprintf("Import %d entries?", len(res.Entries))) {
		return errors.New("not confirmed; nothing imported (--yes imports without asking)")
	}
	start := time.Now()
	out, err := c.AddBatch(a.ctx, res.Entries)
	if err != nil && !errors.Is(err, client.ErrPending) {
		return fmt.Errorf("nothing imported: %w", err)
	}
	fmt.Fprintf(a.stdout, "Imported %d entries in one bulk write (%.1fs).\n", len(out), time.Since(start).Seconds())
	return a.saved(err)
}

// exportPassphrase returns the passphrase of an encrypted export:
// $MESHPASS_EXPORT_PASSPHRASE, else asked (twice on a terminal).
func (a *app) exportPassphrase() (string, error) {
	p := a.getenv(envExportPassphrase)
	if p == "" {
		var err error
		if p, err = a.secret(fmt.Sprintf("Passphrase for the export (at least %d characters): ", policy.MinPassphrase)); err != nil {
			if errors.Is(err, errEOF) {
				return "", fmt.Errorf("no passphrase for the export: set %s or run meshpass on a terminal", envExportPassphrase)
			}
			return "", err
		}
		if _, term := a.terminal(); term {
			q, err := a.secret("Repeat the passphrase: ")
			if err != nil {
				return "", err
			}
			if p != q {
				return "", errors.New("the two passphrases differ")
			}
		}
	}
	return p, policy.CheckPassphrase(p)
}

func cmdExport(a *app, args []string) error {
	fs := a.flags("export", "",
		"Export every entry: meshpass JSON (complete: history and IDs included; `meshpass\n"+
			"import --from meshpass` reads it back), Bitwarden JSON (Bitwarden and most\n"+
			"managers import it), CSV (Chrome's columns first, then totp, folder, tags,\n"+
			"other_urls, fields) or the FIDO Credential Exchange Format (cxf: JSON, no\n"+
			"history). With --encrypt it is encrypted under a passphrase of its own\n"+
			"(asked, or $"+envExportPassphrase+"): age with scrypt for meshpass, CSV and CXF,\n"+
			"Bitwarden's password-protected format for Bitwarden. Without --encrypt every\n"+
			"password is written in plaintext: meshpass warns and asks first (--yes does not\n"+
			"ask). The vault passphrase is asked as for every command.")
	format := fs.String("format", "meshpass", "`FORMAT`: meshpass, bitwarden, csv or cxf")
	encrypt := fs.Bool("encrypt", false, "encrypt the export under a passphrase")
	output := fs.String("o", "", "write to `FILE` (default: standard output)")
	force := fs.Bool("force", false, "overwrite FILE if it exists")
	yes := fs.Bool("yes", false, "write a plaintext export without asking")
	c, err := a.start(fs, args, 0, needDevice, func() error {
		switch exporter.Format(*format) {
		case exporter.Meshpass, exporter.Bitwarden, exporter.CSV, exporter.CXF:
		default:
			return usagef("export: unknown format %q (meshpass, bitwarden, csv or cxf)", *format)
		}
		if *output != "" && *output != "-" && !*force {
			if _, err := os.Stat(*output); err == nil {
				return fmt.Errorf("%s exists; give --force to overwrite it", *output)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	a.passphraseOnly = true // every password leaves the vault: ask, even during a timed unlock
	if err := a.unlock(c); err != nil {
		return err
	}
	var opts exporter.Options
	if *encrypt {
		if opts.Passphrase, err = a.exportPassphrase(); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(a.stderr, "meshpass: warning: this export holds every password in plaintext; anyone who reads the file reads them (--encrypt to encrypt it)")
		if !*yes && !a.confirm("Write the plaintext export?") {
			return errors.New("not confirmed; nothing written")
		}
	}
	list, err := c.List()
	if err != nil {
		return err
	}
	entries := make([]vault.Entry, 0, len(list))
	for _, e := range list {
		full, err := c.Entry(e.ID)
		if err != nil {
			return err
		}
		entries = append(entries, full)
	}
	var buf bytes.Buffer
	if err := exporter.Export(&buf, exporter.Format(*format), entries, opts); err != nil {
		return err
	}
	how := "plaintext"
	if *encrypt {
		how = "encrypted"
	}
	if *output == "" || *output == "-" {
		if _, err := a.stdout.Write(buf.Bytes()); err != nil {
			return err
		}
		fmt.Fprintf(a.stderr, "Exported %d entries (%s, %s).\n", len(entries), *format, how)
		return nil
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if *force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(*output, flags, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s exists; give --force to overwrite it", *output)
		}
		return err
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Exported %d entries to %s (%s, %s).\n", len(entries), *output, *format, how)
	return nil
}

func cmdTOTP(a *app, args []string) error {
	fs := a.flags("totp", "ENTRY",
		"Print the current one-time code of ENTRY (an Id or a unique prefix, else a name\n"+
			"or site that names one entry with a one-time code) and the seconds it stays\n"+
			"valid.")
	c, err := a.start(fs, args, 1, needUnlocked, nil)
	if err != nil {
		return err
	}
	e, err := totpEntry(c, fs.Arg(0))
	if err != nil {
		return err
	}
	if e.TOTP == "" {
		return fmt.Errorf("entry %s (%s) has no one-time code", e.ID, e.Name)
	}
	code, left, err := totp.Code(e.TOTP, time.Now())
	if err != nil {
		return fmt.Errorf("entry %s: %w", e.ID, err)
	}
	if left > 0 {
		fmt.Fprintf(a.stdout, "%s  (valid %ds more)\n", code, left)
	} else {
		fmt.Fprintf(a.stdout, "%s  (counter-based code)\n", code)
	}
	return nil
}

// totpEntry finds the entry an argument of `totp` names: an Id (or
// prefix), else the one entry with a one-time code whose name (ignoring
// case) or site it is.
func totpEntry(c *client.Client, arg string) (vault.Entry, error) {
	id, err := entryID(c, arg)
	if err == nil {
		return c.Entry(id)
	}
	if !errors.Is(err, client.ErrNoEntry) {
		return vault.Entry{}, err
	}
	list, lerr := c.List()
	if lerr != nil {
		return vault.Entry{}, lerr
	}
	site, _ := policy.CheckSite(arg)
	var found []vault.Entry
	for _, e := range list {
		if e.TOTP == "" {
			continue
		}
		if strings.EqualFold(e.Name, arg) || (site != "" && containsString(e.Sites, site)) {
			found = append(found, e)
		}
	}
	switch len(found) {
	case 0:
		return vault.Entry{}, err
	case 1:
		return found[0], nil
	}
	return vault.Entry{}, fmt.Errorf("%q names %d entries with a one-time code; give an Id", arg, len(found))
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
