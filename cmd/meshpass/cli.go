package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/meshpass/meshpass/shared/client"
	"github.com/meshpass/meshpass/shared/exporter"
	"github.com/meshpass/meshpass/shared/importer"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/passgen"
	"github.com/meshpass/meshpass/shared/policy"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/seal"
)

// Exit codes.
const (
	exitOK           = 0
	exitError        = 1
	exitUsage        = 2
	exitVerification = 3
	exitPassphrase   = 4
	exitDenied       = 5
)

// DefaultPortal is the portal `make run` starts.
const DefaultPortal = "http://127.0.0.1:8787"

// Environment variables read.
const (
	envPassphrase = "MESHPASS_PASSPHRASE"
	envPortal     = "MESHPASS_PORTAL"
	envHome       = "MESHPASS_HOME"
)

// command is one subcommand.
type command struct {
	name, summary string
	run           func(a *app, args []string) error
}

var commands []command

func init() {
	commands = []command{
		{"create", "create a profile with this device as its first device", cmdCreate},
		{"connect", "ask to connect this device to an existing profile and wait", cmdConnect},
		{"pending", "list devices waiting to connect, with their witness codes", cmdPending},
		{"approve", "approve a device's connection request", cmdApprove},
		{"reject", "reject a device's connection request", cmdReject},
		{"devices", "list the profile's devices", cmdDevices},
		{"remove-device", "remove a device from the profile", cmdRemoveDevice},
		{"escrow", "put the administration keys in escrow; print n-of-m recovery shares", cmdEscrow},
		{"recover", "recover a profile from escrow shares onto this new device", cmdRecover},
		{"add", "add a password entry", cmdAdd},
		{"list", "list the entries (never their passwords); marks those not yet published", cmdList},
		{"show", "show an entry and its earlier passwords (masked unless --reveal)", cmdShow},
		{"edit", "change an entry", cmdEdit},
		{"rm", "delete an entry (asks; `restore` brings it back)", cmdRm},
		{"trash", "list the deleted entries, most recent first", cmdTrash},
		{"restore", "bring back a deleted entry", cmdRestore},
		{"import", "import another password manager's export (preview, then one bulk write)", cmdImport},
		{"export", "export every entry: meshpass JSON, Bitwarden JSON or CSV, plain or encrypted", cmdExport},
		{"totp", "print an entry's current one-time code and the seconds it stays valid", cmdTOTP},
		{"unlock", "unlock this device for a while (--for 15m): no passphrase until then", cmdUnlock},
		{"lock", "end a timed unlock now", cmdLock},
		{"sync", "fetch and verify the profile and passwords from the portal", cmdSync},
		{"repair", "re-encrypt the passwords to the profile's devices, confirming new ones", cmdRepair},
		{"fingerprint", "show the profile fingerprint, account and device", cmdFingerprint},
		{"audit", "verify the portal's transparency log against the last checkpoint", cmdAudit},
		{"portal", "show this device's portal, or move it to the same portal at a new URL (checked)", cmdPortal},
		{"reanchor", "after a portal restore: compare log codes, republish what this device holds", cmdReanchor},
		{"help", "show help for meshpass or a command", cmdHelp},
	}
}

func findCommand(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

// app is one invocation of meshpass.
type app struct {
	ctx            context.Context
	stdin          io.Reader
	in             *bufio.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	portal, home   string
	warned         bool
	// pass is the passphrase that unlocked the device (escrow seals the
	// new keys under it); "" when a timed unlock did.
	pass string
	// passphraseOnly: this command asks for the passphrase even during a
	// timed unlock (unlock, export, escrow).
	passphraseOnly bool
}

// usageError is a command line that makes no sense.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// errVerification marks a failed check of the CLI's own (a witness code).
var errVerification = errors.New("verification failed")

// run runs meshpass with args (without the program name) and returns the
// exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, env func(string) string) int {
	if env == nil {
		env = func(string) string { return "" }
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	a := &app{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, getenv: env}
	a.portal = env(envPortal)
	if a.portal == "" {
		a.portal = DefaultPortal
	}
	a.home = env(envHome)

	fs := flag.NewFlagSet("meshpass", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	a.globalFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			a.mainUsage(stdout)
			return exitOK
		}
		a.mainUsage(stderr)
		return exitUsage
	}
	if fs.NArg() == 0 {
		a.mainUsage(stderr)
		return exitUsage
	}
	name := fs.Arg(0)
	cmd := findCommand(name)
	if cmd == nil {
		fmt.Fprintf(stderr, "meshpass: unknown command %q; run `meshpass help` for the list\n", name)
		return exitUsage
	}
	err := cmd.run(a, fs.Args()[1:])
	code := exitCode(err)
	if err != nil && !errors.Is(err, flag.ErrHelp) && !errors.Is(err, errUsagePrinted) {
		fmt.Fprintf(stderr, "meshpass: %s\n", errorText(err))
	}
	return code
}

// errorText is what meshpass says of err: its message without the
// client's package prefix; for a vault a newer meshpass upgraded, only
// that (it is no failed check).
func errorText(err error) string {
	if errors.Is(err, client.ErrUpgrade) || errors.Is(err, profile.ErrFormat) {
		return strings.TrimPrefix(client.ErrUpgrade.Error(), "client: ")
	}
	return strings.TrimPrefix(err.Error(), "client: ")
}

// errUsagePrinted is a usage error the flag package has already reported.
var errUsagePrinted = &usageError{"usage"}

// exitCode maps an error to the documented exit codes.
func exitCode(err error) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, client.ErrUpgrade), errors.Is(err, profile.ErrFormat):
		return exitError
	case errors.As(err, &ue), errors.Is(err, policy.ErrPassphrase), errors.Is(err, policy.ErrShares),
		errors.Is(err, policy.ErrAccount), errors.Is(err, policy.ErrSite), errors.Is(err, policy.ErrTOTP),
		errors.Is(err, passgen.ErrLength), errors.Is(err, passgen.ErrNoClass):
		return exitUsage
	case errors.Is(err, importer.ErrUnknownFormat), errors.Is(err, exporter.ErrFormat):
		return exitUsage
	case errors.Is(err, seal.ErrWrongPassphrase), errors.Is(err, importer.ErrPassword):
		return exitPassphrase
	case errors.Is(err, client.ErrWrongProfile), errors.Is(err, client.ErrRollback),
		errors.Is(err, client.ErrLog), errors.Is(err, client.ErrTampered),
		errors.Is(err, client.ErrInvalidProfile), errors.Is(err, client.ErrConnectResult),
		errors.Is(err, client.ErrWitness), errors.Is(err, client.ErrUnapprovedDevice),
		errors.Is(err, errVerification):
		return exitVerification
	case errors.Is(err, client.ErrNotAuthorized), errors.Is(err, client.ErrRejected),
		errors.Is(err, client.ErrNotAdministrator), mmm.StatusOf(err) == mmm.StatusUnauthorized,
		errors.Is(err, client.ErrRemovedDevice), errors.Is(err, client.ErrExpiredRequest):
		return exitDenied
	}
	return exitError
}

func (a *app) globalFlags(fs *flag.FlagSet) {
	fs.StringVar(&a.portal, "portal", a.portal, "portal `URL` for create and connect (env "+envPortal+")")
	fs.StringVar(&a.home, "home", a.home, "`DIR` holding this device's state (env "+envHome+"; default: the user config dir's meshpass)")
}

const exitCodesHelp = `Exit codes:
  0  success
  1  error (portal unreachable, no device here, no such entry, a vault
     upgraded by a newer meshpass: update meshpass, ...); a change saved
     on this device while the portal is unreachable is not an error (0,
     with a notice): the next sync publishes it
  2  usage: unknown command, bad flags or arguments, or an input the rules
     refuse (a new passphrase under 8 characters, a site, an account
     name, escrow share counts, password generator options, a one-time
     code URI that is not otpauth://)
  3  verification failure: the portal served a profile, password vault,
     log proof or connection result that does not verify (wrong profile,
     rollback, inconsistent log, tampered data), or witness codes differ
  4  wrong passphrase (also the wrong password of a file to import)
  5  not authorized: this device is not (or no longer) a device of the
     profile, is not an administration device, or its request was rejected
`

func (a *app) mainUsage(w io.Writer) {
	fmt.Fprintf(w, `meshpass: an end-to-end encrypted password manager on the Mathematical Mesh.

Usage:
  meshpass [--portal URL] [--home DIR] COMMAND [flags] [args]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, `
Global flags (also accepted after the command):
  --portal URL   the portal to create a profile at or connect through
                 (default $%s, else %s); afterwards
                 the device uses the portal it was set up with
  --home DIR     where this device's state (sealed keys, last verified
                 profile) is kept (default $%s, else meshpass under
                 the user config dir)

The passphrase that seals this device's keys is read from
$%s if set (for scripts), else asked on the terminal
without echo. A new passphrase (create, connect, recover) has at least
8 characters.

Run 'meshpass COMMAND --help' (or 'meshpass help COMMAND') for a command's flags.

%s`, envPortal, DefaultPortal, envHome, envPassphrase, exitCodesHelp)
}

// flags returns a FlagSet for a subcommand, with the global flags.
func (a *app) flags(name, argsUsage, description string) *flag.FlagSet {
	fs := flag.NewFlagSet("meshpass "+name, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	fs.Usage = func() {}
	a.globalFlags(fs)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: meshpass %s\n\n%s\n\nFlags:\n", strings.TrimSpace(name+" [flags] "+argsUsage), description)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses a subcommand's flags; --help prints its usage to stdout.
// want is the number of arguments required (-1: any).
func (a *app) parse(fs *flag.FlagSet, args []string, want int) error {
	usage := fs.Usage
	fs.Usage = func() {}
	err := parseInterspersed(fs, args)
	fs.Usage = usage
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(a.stdout)
		fs.Usage()
		return flag.ErrHelp
	}
	if err != nil {
		fs.Usage()
		return errUsagePrinted
	}
	if want >= 0 && fs.NArg() != want {
		fmt.Fprintf(a.stderr, "meshpass: %s takes %d argument(s), got %d\n", strings.TrimPrefix(fs.Name(), "meshpass "), want, fs.NArg())
		fs.Usage()
		return errUsagePrinted
	}
	return nil
}

// parseInterspersed parses flags placed before, between or after the
// arguments (up to a "--"), leaving the arguments in fs.Args().
func parseInterspersed(fs *flag.FlagSet, args []string) error {
	var pos []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			return err
		}
		left := fs.Args()
		if used := len(rest) - len(left); used > 0 && rest[used-1] == "--" {
			pos = append(pos, left...)
			break
		}
		if len(left) == 0 {
			break
		}
		pos = append(pos, left[0])
		rest = left[1:]
	}
	return fs.Parse(append([]string{"--"}, pos...))
}

// homeDir returns the state directory.
func (a *app) homeDir() (string, error) {
	if a.home != "" {
		return a.home, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no --home given and no user config dir: %v", err)
	}
	return filepath.Join(dir, "meshpass"), nil
}

// need says what a command needs of this home's device.
type need int

const (
	// needNothing: no device state at all (help).
	needNothing need = iota
	// needHome: the state opened, whether it holds a device or not.
	needHome
	// needFresh: no device here yet (create, recover).
	needFresh
	// needDevice: a device, connected or waiting to be; no passphrase.
	needDevice
	// needUnlocked: a connected device, unlocked with the passphrase.
	needUnlocked
)

// start is every command's prologue: it parses the flags and the want
// arguments (-1: any number), runs check (what the command refuses before
// anything else: flag values, sites, share counts; nil for none), then
// opens this home's device as need says, asking for the passphrase and
// unlocking it for needUnlocked. The client is nil for needNothing.
func (a *app) start(fs *flag.FlagSet, args []string, want int, need need, check func() error) (*client.Client, error) {
	if err := a.parse(fs, args, want); err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(); err != nil {
			return nil, err
		}
	}
	switch need {
	case needNothing:
		return nil, nil
	case needHome:
		return a.open()
	case needFresh:
		c, err := a.open()
		if err != nil {
			return nil, err
		}
		if c.DeviceID() != "" {
			home, _ := a.homeDir()
			return nil, fmt.Errorf("%s already holds a device (profile %s); use another --home", home, c.Fingerprint())
		}
		return c, nil
	case needDevice:
		return a.device()
	}
	c, err := a.device()
	if err != nil {
		return nil, err
	}
	return c, a.unlock(c)
}

// open opens the device's state (there may be no device yet).
func (a *app) open() (*client.Client, error) {
	home, err := a.homeDir()
	if err != nil {
		return nil, err
	}
	return client.Open(client.Options{
		Storage:   client.FileStorage{Dir: home},
		Transport: &client.Transport{HTTP: &http.Client{Timeout: time.Minute}},
	})
}

// device opens a set-up device (connected or waiting to be).
func (a *app) device() (*client.Client, error) {
	c, err := a.open()
	if err != nil {
		return nil, err
	}
	if c.DeviceID() == "" {
		home, _ := a.homeDir()
		return nil, fmt.Errorf("no device set up in %s: run `meshpass create ACCOUNT` or `meshpass connect ACCOUNT` first", home)
	}
	return c, nil
}

// unlock unlocks the keys of the connected device c: from a timed unlock
// (`meshpass unlock`) that has not expired, else with the passphrase.
func (a *app) unlock(c *client.Client) error {
	if c.PendingConnect() != nil {
		return errors.New("this device's connection request is still pending: run `meshpass connect` to wait for an answer")
	}
	if a.resume(c) {
		return nil
	}
	pass, err := a.passphrase("Passphrase: ")
	if err != nil {
		return err
	}
	if err := c.Unlock(pass); err != nil {
		return err
	}
	a.pass = pass
	return nil
}

// reader returns the buffered standard input.
func (a *app) reader() *bufio.Reader {
	if a.in == nil {
		a.in = bufio.NewReader(a.stdin)
	}
	return a.in
}

var errEOF = errors.New("end of input")

// terminal returns the file descriptor of standard input if it is a
// terminal.
func (a *app) terminal() (int, bool) {
	if f, ok := a.stdin.(*os.File); ok && isTerminal(int(f.Fd())) {
		return int(f.Fd()), true
	}
	return 0, false
}

// secret reads a secret line: without echo on a terminal, else a plain
// line of standard input (with a warning, once).
func (a *app) secret(prompt string) (string, error) {
	if fd, ok := a.terminal(); ok {
		fmt.Fprint(a.stderr, prompt)
		s, err := readNoEcho(a.ctx, fd)
		fmt.Fprintln(a.stderr)
		if err != nil {
			return "", fmt.Errorf("reading from the terminal: %w", err)
		}
		return s, nil
	}
	if !a.warned {
		fmt.Fprintln(a.stderr, "meshpass: warning: standard input is not a terminal; reading secrets from it, one per line")
		a.warned = true
	}
	line, err := a.reader().ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		if err == io.EOF {
			return "", errEOF
		}
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// passphrase returns $MESHPASS_PASSPHRASE or asks for the passphrase.
func (a *app) passphrase(prompt string) (string, error) {
	if p := a.getenv(envPassphrase); p != "" {
		return p, nil
	}
	p, err := a.secret(prompt)
	if errors.Is(err, errEOF) {
		return "", fmt.Errorf("no passphrase: set %s or run meshpass on a terminal", envPassphrase)
	}
	if err != nil {
		return "", err
	}
	if p == "" {
		return "", fmt.Errorf("the passphrase is empty")
	}
	return p, nil
}

// newPassphraseTries is how often a refused new passphrase is asked again
// on a terminal.
const newPassphraseTries = 3

// newPassphrase returns a new passphrase for this device that
// policy.CheckPassphrase accepts: $MESHPASS_PASSPHRASE, else asked (on a
// terminal twice, and again while the rules refuse it).
func (a *app) newPassphrase() (string, error) {
	if p := a.getenv(envPassphrase); p != "" {
		return p, policy.CheckPassphrase(p)
	}
	_, term := a.terminal()
	for try := 1; ; try++ {
		p, err := a.secret(fmt.Sprintf("New passphrase for this device (at least %d characters): ", policy.MinPassphrase))
		if errors.Is(err, errEOF) {
			return "", fmt.Errorf("no passphrase: set %s or run meshpass on a terminal", envPassphrase)
		}
		if err != nil {
			return "", err
		}
		if err := policy.CheckPassphrase(p); err != nil {
			if !term || try == newPassphraseTries {
				return "", err
			}
			fmt.Fprintf(a.stderr, "meshpass: %v; try again\n", err)
			continue
		}
		if term {
			q, err := a.secret("Repeat the passphrase: ")
			if err != nil {
				return "", err
			}
			if p != q {
				return "", errors.New("the two passphrases differ")
			}
		}
		return p, nil
	}
}
