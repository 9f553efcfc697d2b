package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/meshpass/meshpass/shared/client"
	"github.com/meshpass/meshpass/shared/passgen"
	"github.com/meshpass/meshpass/shared/policy"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/vault"
)

func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "meshpass-cli"
	}
	return h
}

func cmdHelp(a *app, args []string) error {
	fs := a.flags("help", "[COMMAND]", "Show the general help, or a command's flags.")
	if _, err := a.start(fs, args, -1, needNothing, nil); err != nil {
		return err
	}
	switch fs.NArg() {
	case 0:
		a.mainUsage(a.stdout)
		return nil
	case 1:
		cmd := findCommand(fs.Arg(0))
		if cmd == nil {
			return usagef("unknown command %q", fs.Arg(0))
		}
		return cmd.run(a, []string{"--help"})
	}
	return usagef("help takes at most one command")
}

func cmdCreate(a *app, args []string) error {
	fs := a.flags("create", "ACCOUNT",
		"Create a new profile for ACCOUNT at the portal (--portal), with this device as\n"+
			"its first (administration) device and an empty password vault. The device's\n"+
			"keys are sealed under a new passphrase of at least 8 characters (asked twice,\n"+
			"or $MESHPASS_PASSPHRASE). ACCOUNT: 1 to 64 characters, no spaces, none of\n"+
			policy.AccountInvalidCharacters)
	name := fs.String("name", hostname(), "this device's `name`, shown to other devices")
	invitation := fs.String("invitation", "", "the invitation `code` a portal whose sign-ups are by invitation asks for (from its operator)")
	c, err := a.start(fs, args, 1, needFresh, func() error {
		_, err := policy.CheckAccount(fs.Arg(0))
		return err
	})
	if err != nil {
		return err
	}
	pass, err := a.newPassphrase()
	if err != nil {
		return err
	}
	if err := c.Create(a.ctx, a.portal, fs.Arg(0), pass, *name, client.WithInvitation(*invitation)); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Created profile %s for %s at %s.\n", c.Fingerprint(), fs.Arg(0), a.portal)
	fmt.Fprintf(a.stdout, "Profile fingerprint: %s\nThis device:         %s\n", c.Fingerprint(), c.DeviceID())
	return nil
}

func cmdConnect(a *app, args []string) error {
	fs := a.flags("connect", "[ACCOUNT]",
		"Ask to connect this new device to the profile of ACCOUNT at the portal (--portal),\n"+
			"then wait for an administration device to approve or reject it. Confirm that the\n"+
			"profile fingerprint shown is yours (as `meshpass fingerprint` shows it on your\n"+
			"other device); once an administration device lists the request (`meshpass\n"+
			"pending`), both show the same witness code and the device's Identifier: approve\n"+
			"only then. Run again without ACCOUNT to keep waiting for a request already made.")
	name := fs.String("name", hostname(), "this device's `name`, shown to the administration device")
	timeout := fs.Duration("timeout", 10*time.Minute, "how long to wait for an answer")
	interval := fs.Duration("interval", 2*time.Second, "how often to ask the portal for the answer")
	yes := fs.Bool("yes", false, "take the profile fingerprint as confirmed without asking (scripts that check it themselves)")
	code := fs.String("code", "", "the connect `code` an administration device issued (`meshpass pending --issue-code`): the portal keeps the request however many others arrive")
	c, err := a.start(fs, args, -1, needHome, func() error {
		if fs.NArg() > 1 {
			return usagef("connect takes one ACCOUNT")
		}
		if *interval <= 0 {
			return usagef("--interval must be positive")
		}
		return nil
	})
	if err != nil {
		return err
	}
	var p *client.Pending
	if c.DeviceID() != "" {
		if p = c.PendingConnect(); p == nil {
			return fmt.Errorf("this device is already connected to profile %s", c.Fingerprint())
		}
		if acct, _ := c.Account(); fs.NArg() == 1 && !strings.EqualFold(fs.Arg(0), acct) {
			return fmt.Errorf("this device is waiting to connect to %s, not %s", acct, fs.Arg(0))
		}
		pass, err := a.passphrase("Passphrase: ")
		if err != nil {
			return err
		}
		if err := c.Unlock(pass); err != nil {
			return err
		}
	} else {
		if fs.NArg() != 1 {
			return usagef("connect: give the ACCOUNT to connect to")
		}
		pass, err := a.newPassphrase()
		if err != nil {
			return err
		}
		if p, err = c.StartConnect(a.ctx, a.portal, fs.Arg(0), pass, *name, client.WithConnectCode(*code)); err != nil {
			return err
		}
	}
	fmt.Fprintf(a.stdout, "Profile fingerprint: %s\nThis device:         %s\n", p.Profile, p.Device)
	if !p.Confirmed {
		ok := *yes
		if !ok {
			ok, err = a.ask(fmt.Sprintf("Is %s the fingerprint of your profile, as `meshpass fingerprint` or the\nDevices page shows it on your other device? [y/N] ", p.Profile))
			if err != nil {
				return fmt.Errorf("the profile fingerprint is not confirmed (%v): run `meshpass connect` on a terminal, or with --yes", err)
			}
		}
		if !ok {
			if ferr := c.Forget(); ferr != nil {
				return fmt.Errorf("%w: not your profile's fingerprint (and deleting this device's keys failed: %v)", errVerification, ferr)
			}
			return fmt.Errorf("%w: not your profile's fingerprint; this device's keys were deleted (check the account and portal)", errVerification)
		}
		if err := c.ConfirmProfile(p.Profile); err != nil {
			return err
		}
	}
	fmt.Fprintf(a.stdout, "On an administration device, run `meshpass pending`: it shows this device and,\nonce this device has answered, the witness code to compare with the one shown here.\n")
	fmt.Fprintf(a.stdout, "Waiting for an answer (up to %s)...\n", *timeout)

	shown := ""
	ctx, cancel := context.WithTimeout(a.ctx, *timeout)
	defer cancel()
	for {
		ok, err := c.PollConnect(ctx)
		if p := c.PendingConnect(); p != nil && p.Witness != "" && p.Witness != shown {
			shown = p.Witness
			fmt.Fprintf(a.stdout, "Witness code:        %s\nAdministration device: %s\n", p.Witness, p.Administrator)
			fmt.Fprintf(a.stdout, "Approve on the administration device only if it shows the witness code %s\nfor device %s: `meshpass approve --witness %s DEVICE`.\n", p.Witness, p.Device, p.Witness)
		}
		switch {
		case ctx.Err() != nil:
			return fmt.Errorf("no answer within %s; run `meshpass connect` again to keep waiting", *timeout)
		case errors.Is(err, client.ErrRejected):
			if ferr := c.Forget(); ferr != nil {
				return fmt.Errorf("%w (and deleting this device's keys failed: %v)", err, ferr)
			}
			return fmt.Errorf("%w; this device's keys were deleted", err)
		case errors.Is(err, client.ErrTransport):
			fmt.Fprintf(a.stderr, "meshpass: %v; retrying\n", err)
		case err != nil:
			return err
		case ok:
			n := 0
			if list, err := c.List(); err == nil {
				n = len(list)
			}
			fmt.Fprintf(a.stdout, "Connected to profile %s: this device can read the passwords (%d entries).\n", c.Fingerprint(), n)
			return nil
		}
		select {
		case <-ctx.Done():
		case <-time.After(*interval):
		}
	}
}

// ask asks a yes/no question on standard input; only "y" or "yes" is yes.
func (a *app) ask(question string) (bool, error) {
	fmt.Fprint(a.stderr, question)
	line, err := a.reader().ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		if err == io.EOF {
			return false, errEOF
		}
		return false, err
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// pendingRequests lists the pending connection requests, listing again
// (up to wait) while some device has not answered its witness exchange.
func pendingRequests(a *app, c *client.Client, wait time.Duration) ([]client.Request, error) {
	deadline := time.Now().Add(wait)
	for {
		reqs, err := c.PendingRequests(a.ctx)
		if err != nil {
			return nil, err
		}
		waiting := slices.ContainsFunc(reqs, func(r client.Request) bool { return r.Err == nil && r.Waiting })
		if !waiting || time.Now().After(deadline) {
			return reqs, nil
		}
		select {
		case <-a.ctx.Done():
			return reqs, nil
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// resolve finds the one ID in ids that id names: equal, or a unique
// prefix (ignoring case and dashes).
func resolve(what, id string, ids []string) (string, error) {
	norm := func(s string) string { return strings.ToUpper(strings.ReplaceAll(s, "-", "")) }
	want := norm(id)
	if want == "" {
		return "", usagef("empty %s", what)
	}
	var found []string
	for _, x := range ids {
		if norm(x) == want {
			return x, nil
		}
		if strings.HasPrefix(norm(x), want) {
			found = append(found, x)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return "", nil
	}
	return "", fmt.Errorf("%q names %d %ss; give more of it", id, len(found), what)
}

func cmdPending(a *app, args []string) error {
	fs := a.flags("pending", "",
		"List the devices asking to connect to the profile (administration devices only),\n"+
			"with the witness code each one shows. Listing a new request answers its witness\n"+
			"exchange; the code appears once the device has answered too (waited for up to\n"+
			"--wait). With --issue-code, first print a connect code to give the device about\n"+
			"to connect (`meshpass connect --code CODE`): the portal keeps its request however\n"+
			"many other requests arrive.")
	wait := fs.Duration("wait", 10*time.Second, "how long to wait for devices to answer the witness exchange")
	issue := fs.Bool("issue-code", false, "issue a connect code for the device about to connect, and print it")
	c, err := a.start(fs, args, 0, needUnlocked, nil)
	if err != nil {
		return err
	}
	if *issue {
		code, err := c.IssueConnectCode(a.ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "Connect code: %s\nOn the new device: meshpass connect --code %s ACCOUNT (or paste it in the popup's connect screen). It works once, for a day.\n", code, code)
	}
	reqs, err := pendingRequests(a, c, *wait)
	if err != nil {
		return err
	}
	if len(reqs) == 0 {
		fmt.Fprintln(a.stdout, "No pending connection requests.")
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DEVICE\tWITNESS\tNAME\tREQUESTED")
	waiting := false
	for _, r := range reqs {
		switch {
		case r.Err != nil:
			fmt.Fprintf(tw, "%s\tREFUSED\t%s\t(%v)\n", r.Device, r.Description, r.Err)
		case r.Waiting:
			waiting = true
			fmt.Fprintf(tw, "%s\twaiting\t%s\t%s\n", r.Device, r.Description, r.Time.Local().Format(time.DateTime))
		default:
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Device, r.Witness, r.Description, r.Time.Local().Format(time.DateTime))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if waiting {
		fmt.Fprintln(a.stdout, "waiting: the device has not answered yet (is `meshpass connect` or its popup still open?); run `meshpass pending` again.")
	}
	return nil
}

// answer approves or rejects a pending request.
func answer(a *app, args []string, approve bool) error {
	name, verb := "reject", "Reject"
	if approve {
		name, verb = "approve", "Approve"
	}
	fs := a.flags(name, "DEVICE",
		verb+" the connection request of DEVICE (its Identifier, as `meshpass pending`\n"+
			"lists it, or a unique prefix). Only on an administration device. Approving asks\n"+
			"whether the device shows the request's witness code, unless --witness gives it.")
	witness := fs.String("witness", "", "the witness `code` the device shows; refuse if it differs")
	yes := fs.Bool("yes", false, "approve without asking whether the device shows the witness code")
	wait := fs.Duration("wait", 10*time.Second, "how long to wait for the device to answer the witness exchange")
	c, err := a.start(fs, args, 1, needUnlocked, nil)
	if err != nil {
		return err
	}
	reqs, err := pendingRequests(a, c, *wait)
	if err != nil {
		return err
	}
	var ids []string
	for _, r := range reqs {
		ids = append(ids, r.Device)
	}
	dev, err := resolve("device", fs.Arg(0), ids)
	if err != nil {
		return err
	}
	if dev == "" {
		return fmt.Errorf("%w: device %s", client.ErrNoRequest, fs.Arg(0))
	}
	if approve {
		i := slices.IndexFunc(reqs, func(r client.Request) bool { return r.Device == dev })
		r := reqs[i]
		switch {
		case r.Err != nil:
			return r.Err
		case r.Waiting:
			return fmt.Errorf("%w: device %s has not answered the witness exchange yet; run `meshpass approve` again", client.ErrWitnessPending, dev)
		case *witness != "":
			if !strings.EqualFold(strings.ReplaceAll(r.Witness, "-", ""), strings.ReplaceAll(*witness, "-", "")) {
				return fmt.Errorf("%w: the request's witness code is %s, not %s: do not approve it", errVerification, r.Witness, *witness)
			}
		case !*yes:
			ok, err := a.ask(fmt.Sprintf("Device %s (%s) shows the witness code %s? [y/N] ", dev, r.Description, r.Witness))
			if err != nil {
				return fmt.Errorf("not approved (%v): compare the witness code on a terminal, or give it with --witness", err)
			}
			if !ok {
				return fmt.Errorf("%w: the witness codes differ: not approved (reject it: `meshpass reject %s`)", errVerification, dev)
			}
		}
		if err := c.Approve(a.ctx, dev); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "Approved %s: it can now read and write the passwords.\n", dev)
		return nil
	}
	if err := c.Reject(a.ctx, dev); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Rejected %s.\n", dev)
	return nil
}

func cmdApprove(a *app, args []string) error { return answer(a, args, true) }
func cmdReject(a *app, args []string) error  { return answer(a, args, false) }

func cmdDevices(a *app, args []string) error {
	fs := a.flags("devices", "", "List the devices of the last verified profile.")
	doSync := fs.Bool("sync", false, "sync with the portal first (asks for the passphrase)")
	c, err := a.start(fs, args, 0, needDevice, nil)
	if err == nil && *doSync {
		if err = a.unlock(c); err == nil {
			err = syncClient(a, c)
		}
	}
	if err != nil {
		return err
	}
	devs, err := c.Devices()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DEVICE\tNAME\tROLES")
	for _, d := range devs {
		var roles []string
		if d.Administrator {
			roles = append(roles, "admin")
		}
		if d.Passwords {
			roles = append(roles, "passwords")
		}
		if d.This {
			roles = append(roles, "this device")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", d.ID, d.Description, strings.Join(roles, ","))
	}
	return tw.Flush()
}

func cmdRemoveDevice(a *app, args []string) error {
	fs := a.flags("remove-device", "DEVICE",
		"Remove DEVICE (its Identifier as `meshpass devices` lists it, or a unique prefix)\n"+
			"from the profile and re-encrypt the passwords under a fresh key without it.\n"+
			"Only on an administration device; a device cannot remove itself.")
	c, err := a.start(fs, args, 1, needUnlocked, nil)
	if err != nil {
		return err
	}
	devs, err := c.Devices()
	if err != nil {
		return err
	}
	var ids []string
	for _, d := range devs {
		ids = append(ids, d.ID)
	}
	dev, err := resolve("device", fs.Arg(0), ids)
	if err != nil {
		return err
	}
	if dev == "" {
		dev = fs.Arg(0) // let the client say it is not a device of the profile
	}
	if err := c.RemoveDevice(a.ctx, dev); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Removed %s; the passwords are re-encrypted without it.\n", dev)
	return nil
}

// siteHelp is the help of the --site flags.
const siteHelp = "a `site` the login is for: a host (example.com), a wildcard for its subdomains\n" +
	"(*.example.com), an IP address (192.0.2.1, [::1]), each with an optional :port, or an\n" +
	"http(s) URL of which the host and port are kept; stored in canonical form (repeat or\n" +
	"comma-separate for several)"

// siteList is a repeatable --site flag; each value may hold several
// sites separated by commas. They are checked with policy.CheckSites
// before the passphrase is asked.
type siteList []string

func (s *siteList) String() string { return strings.Join(*s, ",") }
func (s *siteList) Set(v string) error {
	for _, x := range strings.Split(v, ",") {
		if x = strings.TrimSpace(x); x != "" {
			*s = append(*s, x)
		}
	}
	return nil
}

// newPassword asks for a new password: twice on a terminal, else one line
// of standard input.
func (a *app) newPassword() (string, error) {
	p, err := a.secret("Password: ")
	if errors.Is(err, errEOF) {
		return "", usagef("no password: give --password or --generate N, or type it on a terminal")
	}
	if err != nil {
		return "", err
	}
	if _, ok := a.terminal(); ok {
		q, err := a.secret("Repeat the password: ")
		if err != nil {
			return "", err
		}
		if p != q {
			return "", errors.New("the two passwords differ")
		}
	}
	if p == "" {
		return "", usagef("the password is empty")
	}
	return p, nil
}

// passwordFlags are the flags that set a password.
type passwordFlags struct {
	password *string
	generate *int
	// no are the classes left out of a generated password.
	noLower, noUpper, noDigits, noSymbols *bool
	avoidAmbiguous                        *bool
}

func addPasswordFlags(fs *flag.FlagSet) passwordFlags {
	return passwordFlags{
		password: fs.String("password", "", "the `password` (visible to other local users in the process list; prefer the prompt)"),
		generate: fs.Int("generate", 0, fmt.Sprintf("generate a random password of `N` characters (%d to %d; %d is a good length)",
			passgen.MinLength, passgen.MaxLength, passgen.DefaultLength)),
		noLower:        fs.Bool("no-lower", false, "with --generate: no lowercase letters"),
		noUpper:        fs.Bool("no-upper", false, "with --generate: no uppercase letters"),
		noDigits:       fs.Bool("no-digits", false, "with --generate: no digits"),
		noSymbols:      fs.Bool("no-symbols", false, "with --generate: no symbols (else from "+passgen.Symbols+")"),
		avoidAmbiguous: fs.Bool("avoid-ambiguous", false, "with --generate: none of the look-alikes "+passgen.Ambiguous),
	}
}

// options returns the generator options the flags ask for.
func (p passwordFlags) options() passgen.Options {
	return passgen.Options{
		Length: *p.generate,
		Lower:  !*p.noLower, Upper: !*p.noUpper, Digits: !*p.noDigits, Symbols: !*p.noSymbols,
		AvoidAmbiguous: *p.avoidAmbiguous,
	}
}

// get returns the password given or generated (package passgen), or "" if
// neither flag was used.
func (p passwordFlags) get() (string, error) {
	if *p.password != "" && *p.generate != 0 {
		return "", usagef("give --password or --generate, not both")
	}
	if *p.generate != 0 {
		return passgen.Generate(p.options())
	}
	if *p.noLower || *p.noUpper || *p.noDigits || *p.noSymbols || *p.avoidAmbiguous {
		return "", usagef("--no-lower, --no-upper, --no-digits, --no-symbols and --avoid-ambiguous go with --generate N")
	}
	return *p.password, nil
}

// fieldFlag is a repeatable --field or --hidden-field NAME=VALUE; both
// append to one list, so the fields keep the order they were given in.
type fieldFlag struct {
	list   *[]vault.Field
	hidden bool
}

func (f fieldFlag) String() string { return "" }
func (f fieldFlag) Set(v string) error {
	name, value, ok := strings.Cut(v, "=")
	if name = strings.TrimSpace(name); !ok || name == "" {
		return fmt.Errorf("%q is not NAME=VALUE", v)
	}
	*f.list = append(*f.list, vault.Field{Name: name, Value: value, Hidden: f.hidden})
	return nil
}

// tagList is a repeatable --tag; an empty value (--tag "") stands for no
// tags.
type tagList []string

func (t *tagList) String() string { return strings.Join(*t, ",") }
func (t *tagList) Set(v string) error {
	if v = strings.TrimSpace(v); v != "" && !slices.Contains(*t, v) {
		*t = append(*t, v)
	}
	return nil
}

// entryFlags are the fields of an entry beside its sites and credential,
// as add and edit take them.
type entryFlags struct {
	name, notes, totp, folder *string
	tags                      tagList
	fields                    []vault.Field
	removeFields              *[]string
}

func addEntryFlags(fs *flag.FlagSet, edit bool) *entryFlags {
	f := &entryFlags{
		name:   fs.String("name", "", "the entry's `name` (\"Bank\")"),
		notes:  fs.String("notes", "", "free-form `notes`, stored encrypted"),
		totp:   fs.String("totp", "", "the `otpauth://` URI of its one-time codes (from the site's QR code; visible in the process list)"),
		folder: fs.String("folder", "", "the `folder` to file it in"),
	}
	tagHelp := "a `tag` (repeat for several)"
	fieldHelp := "a custom field `NAME=VALUE` (repeat for several)"
	if edit {
		tagHelp = "replace the tags with these `tag`s (repeat for several; --tag \"\" for none)"
		fieldHelp = "set the custom field `NAME=VALUE`, replacing one of that name (repeat for several)"
		f.removeFields = &[]string{}
		fs.Func("remove-field", "remove the custom field `NAME` (repeat for several)", func(v string) error {
			*f.removeFields = append(*f.removeFields, v)
			return nil
		})
	}
	fs.Var(&f.tags, "tag", tagHelp)
	fs.Var(fieldFlag{list: &f.fields}, "field", fieldHelp)
	fs.Var(fieldFlag{list: &f.fields, hidden: true}, "hidden-field", fieldHelp+"; its value is masked unless --reveal (visible in the process list)")
	return f
}

// apply sets the fields of e that set names (the flags given).
func (f *entryFlags) apply(e *vault.Entry, set map[string]bool) {
	if set["name"] {
		e.Name = strings.TrimSpace(*f.name)
	}
	if set["notes"] {
		e.Notes = *f.notes
	}
	if set["totp"] {
		e.TOTP = strings.TrimSpace(*f.totp)
	}
	if set["folder"] {
		e.Folder = strings.TrimSpace(*f.folder)
	}
	if set["tag"] {
		e.Tags = slices.Clone([]string(f.tags))
	}
	if f.removeFields != nil {
		e.Fields = slices.DeleteFunc(e.Fields, func(x vault.Field) bool { return slices.Contains(*f.removeFields, x.Name) })
	}
	for _, nf := range f.fields {
		if i := slices.IndexFunc(e.Fields, func(x vault.Field) bool { return x.Name == nf.Name }); i >= 0 {
			e.Fields[i] = nf
		} else {
			e.Fields = append(e.Fields, nf)
		}
	}
}

// check refuses a one-time code URI the rules refuse (policy.CheckTOTP).
func (f *entryFlags) check() error {
	_, err := policy.CheckTOTP(*f.totp)
	return err
}

// saved turns an error wrapping client.ErrPending into a notice on
// standard error and success: the change is kept on this device and the
// next sync publishes it.
func (a *app) saved(err error) error {
	if !errors.Is(err, client.ErrPending) {
		return err
	}
	fmt.Fprintf(a.stderr, "meshpass: saved on this device; published at the next sync (`meshpass sync`): %s\n", pendingWhy(err))
	return nil
}

// pendingWhy is why a write stayed pending: the error without the
// ErrPending text.
func pendingWhy(err error) string {
	why := strings.TrimPrefix(err.Error(), client.ErrPending.Error())
	why = strings.TrimPrefix(why, ": ")
	if why == "" {
		return "the portal could not be reached"
	}
	return strings.TrimPrefix(why, "client: ")
}

func cmdAdd(a *app, args []string) error {
	fs := a.flags("add", "",
		"Add a password entry and publish it. Without --password or --generate the\n"+
			"password is asked for (twice, without echo). Prints the new entry's Id. If the\n"+
			"portal cannot be reached, the entry is saved on this device and published at\n"+
			"the next sync (a notice says so; the exit code is 0).")
	var sites siteList
	fs.Var(&sites, "site", siteHelp)
	username := fs.String("username", "", "the `username`")
	ef := addEntryFlags(fs, false)
	pf := addPasswordFlags(fs)
	var pw string
	set := map[string]bool{}
	c, err := a.start(fs, args, 0, needUnlocked, func() error {
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if len(sites) == 0 {
			return usagef("add: give at least one --site")
		}
		if _, err := policy.CheckSites(sites); err != nil {
			return err
		}
		if err := ef.check(); err != nil {
			return err
		}
		var err error
		pw, err = pf.get()
		return err
	})
	if err != nil {
		return err
	}
	if pw == "" {
		if pw, err = a.newPassword(); err != nil {
			return err
		}
	}
	e := vault.Entry{Sites: sites, Username: *username, Password: pw}
	ef.apply(&e, set)
	e, err = c.Add(a.ctx, e)
	if err != nil && !errors.Is(err, client.ErrPending) {
		return err
	}
	fmt.Fprintln(a.stdout, e.ID)
	return a.saved(err)
}

// entryID resolves an entry Id (or a unique prefix of one).
func entryID(c *client.Client, id string) (string, error) {
	list, err := c.List()
	if err != nil {
		return "", err
	}
	var ids []string
	for _, e := range list {
		if e.ID == id {
			return id, nil
		}
		if strings.HasPrefix(e.ID, strings.ToLower(id)) {
			ids = append(ids, e.ID)
		}
	}
	switch len(ids) {
	case 1:
		return ids[0], nil
	case 0:
		return "", fmt.Errorf("%w: %q", client.ErrNoEntry, id)
	}
	return "", fmt.Errorf("%q names %d entries; give more of the Id", id, len(ids))
}

// syncClient syncs, repairing a password vault left encrypted to the
// wrong devices by a half-done administration step.
func syncClient(a *app, c *client.Client) error {
	err := c.Sync(a.ctx)
	if errors.Is(err, profile.ErrRecipients) {
		fmt.Fprintln(a.stderr, "meshpass: the passwords are not encrypted to exactly the profile's devices; re-encrypting them")
		err = c.Repair(a.ctx)
	}
	var ue *client.UnapprovedError
	if errors.As(err, &ue) {
		fmt.Fprintln(a.stderr, "meshpass: the profile lets these devices read the passwords, but this device never approved them:")
		var ids []string
		for _, d := range ue.Devices {
			fmt.Fprintf(a.stderr, "  %s  %s\n", d.ID, d.Description)
			ids = append(ids, d.ID)
		}
		fmt.Fprintf(a.stderr, "meshpass: if you know them, re-encrypt the passwords to them with `meshpass repair --confirm %s`;\nif not, remove them from an administration device (`meshpass remove-device`).\n", strings.Join(ids, ","))
	}
	explainLog(a, err)
	return err
}

func cmdRepair(a *app, args []string) error {
	fs := a.flags("repair", "",
		"Re-encrypt the passwords to exactly the devices the profile lets read them, for\n"+
			"when sync finds them encrypted otherwise. Devices this device never approved are\n"+
			"added only when named in --confirm (as sync lists them).")
	confirm := fs.String("confirm", "", "comma-separated `devices` (Identifiers) you confirm may read the passwords")
	c, err := a.start(fs, args, 0, needUnlocked, nil)
	if err != nil {
		return err
	}
	var ids []string
	for _, id := range strings.Split(*confirm, ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	if err := c.Repair(a.ctx, ids...); err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, "The passwords are encrypted to exactly the profile's devices.")
	return nil
}

func cmdList(a *app, args []string) error {
	fs := a.flags("list", "",
		"List the password entries: Id, name, sites and username (never the passwords);\n"+
			"\"pending\" marks an entry changed on this device and not yet published.")
	doSync := fs.Bool("sync", false, "sync with the portal first")
	asJSON := fs.Bool("json", false, "print JSON: every entry's fields but its secrets (password, one-time code URI, hidden values)")
	c, err := a.start(fs, args, 0, needUnlocked, nil)
	if err != nil {
		return err
	}
	if *doSync {
		if err := syncClient(a, c); err != nil {
			return err
		}
	}
	list, err := c.List()
	if err != nil {
		return err
	}
	if *asJSON {
		pending, err := c.Pending()
		if err != nil {
			return err
		}
		return listJSON(a.stdout, list, pending)
	}
	if len(list) == 0 {
		fmt.Fprintln(a.stdout, "No passwords saved.")
		return nil
	}
	pending, err := c.Pending()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	status := ""
	if len(pending) > 0 {
		status = "\tSTATUS"
	}
	fmt.Fprintf(tw, "ID\tNAME\tSITES\tUSERNAME%s\n", status)
	for _, e := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s", e.ID, e.Name, strings.Join(e.Sites, ","), e.Username)
		if slices.Contains(pending, e.ID) {
			fmt.Fprint(tw, "\tpending")
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	printPending(a, pending)
	return nil
}

// printPending says how many entries have changes not yet published, if
// any (deleted entries included).
func printPending(a *app, pending []string) {
	switch len(pending) {
	case 0:
	case 1:
		fmt.Fprintln(a.stdout, "1 entry has changes saved on this device only, published at the next sync (`meshpass sync`).")
	default:
		fmt.Fprintf(a.stdout, "%d entries have changes saved on this device only, published at the next sync (`meshpass sync`).\n", len(pending))
	}
}

func cmdShow(a *app, args []string) error {
	fs := a.flags("show", "ENTRY",
		"Show one entry: every field, and its earlier passwords with the dates they were\n"+
			"set. ENTRY is an Id (or a unique prefix of one), a name, or a site (a host such\n"+
			"as github.com, or a URL): the entries that may fill that site, as the popup\n"+
			"matches a page; several are listed (exit 1) to choose one by Id. Passwords,\n"+
			"the one-time code URI and hidden fields are masked unless --reveal. --field\n"+
			"prints one field only, for scripts: password, username, totp (the current\n"+
			"code), otpauth (the URI), notes, name, site, sites, folder, tags, id or a\n"+
			"custom field's name.")
	reveal := fs.Bool("reveal", false, "print the passwords, the one-time code URI and the hidden fields too")
	history := fs.Int("history", 10, "how many earlier passwords to list (`N`; 0 for none)")
	doSync := fs.Bool("sync", false, "sync with the portal first")
	asJSON := fs.Bool("json", false, "print JSON (the secrets only with --reveal)")
	field := fs.String("field", "", "print only this `FIELD` (its value and a newline; secrets unmasked)")
	c, err := a.start(fs, args, 1, needUnlocked, func() error {
		if *history < 0 {
			return usagef("--history must not be negative")
		}
		if *field != "" && *asJSON {
			return usagef("show: give --field or --json, not both")
		}
		return nil
	})
	if err != nil {
		return err
	}
	if *doSync {
		if err := syncClient(a, c); err != nil {
			return err
		}
	}
	found, err := findEntries(c, fs.Arg(0))
	if err != nil {
		return err
	}
	pending, err := c.Pending()
	if err != nil {
		return err
	}
	if len(found) > 1 {
		if *asJSON {
			if err := listJSON(a.stdout, found, pending); err != nil {
				return err
			}
		} else if err := printEntries(a.stdout, found); err != nil {
			return err
		}
		return fmt.Errorf("%q names %d entries; give one's Id", fs.Arg(0), len(found))
	}
	e, err := c.Entry(found[0].ID)
	if err != nil {
		return err
	}
	if *field != "" {
		v, err := fieldValue(e, *field)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(a.stdout, v)
		return err
	}
	if *asJSON {
		return printJSON(a.stdout, toJSON(e, slices.Contains(pending, e.ID), *reveal, *history))
	}
	secret := func(s string) string {
		if *reveal {
			return s
		}
		return "******** (--reveal to show)"
	}
	when := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.Local().Format(time.DateTime)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 1, ' ', 0)
	line := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, v) }
	line("Id", e.ID)
	if e.Name != "" {
		line("Name", e.Name)
	}
	line("Sites", strings.Join(e.Sites, ", "))
	line("Username", e.Username)
	line("Password", secret(e.Password))
	if e.TOTP != "" {
		line("TOTP", secret(e.TOTP))
	}
	if e.Notes != "" {
		line("Notes", strings.ReplaceAll(e.Notes, "\n", "\n\t"))
	}
	if e.Folder != "" {
		line("Folder", e.Folder)
	}
	if len(e.Tags) > 0 {
		line("Tags", strings.Join(e.Tags, ", "))
	}
	for _, f := range e.Fields {
		v := f.Value
		if f.Hidden {
			v = secret(v)
		}
		line("Field "+f.Name, v)
	}
	line("Created", when(e.Created))
	line("Updated", when(e.Updated))
	if slices.Contains(pending, e.ID) {
		line("Status", "pending: changed on this device, published at the next sync")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if old := e.PasswordHistory(*history); len(old) > 0 {
		fmt.Fprintf(a.stdout, "Earlier passwords (newest first; each was set on the date shown):\n")
		tw = tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
		for _, c := range old {
			fmt.Fprintf(tw, "  %s\t%s\n", when(c.Time), secret(c.Value))
		}
		return tw.Flush()
	}
	return nil
}

func cmdEdit(a *app, args []string) error {
	fs := a.flags("edit", "ID",
		"Change the entry with Id ID (or a unique prefix): only the fields given change\n"+
			"(an empty value clears a field: --notes \"\", --totp \"\"). The password it had\n"+
			"stays in its history (`meshpass show`). If the portal cannot be reached, the\n"+
			"change is saved on this device and published at the next sync (exit code 0).")
	var sites siteList
	fs.Var(&sites, "site", "replace the sites with these: "+siteHelp)
	username := fs.String("username", "", "the new `username`")
	ef := addEntryFlags(fs, true)
	pf := addPasswordFlags(fs)
	ask := fs.Bool("ask-password", false, "ask for a new password (twice, without echo)")
	set := map[string]bool{}
	var pw string
	c, err := a.start(fs, args, 1, needUnlocked, func() error {
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		changes := false
		for _, name := range []string{"site", "username", "password", "generate", "ask-password", "name", "notes", "totp", "folder", "tag", "field", "hidden-field", "remove-field"} {
			changes = changes || set[name]
		}
		if !changes {
			return usagef("edit: nothing to change; give --site, --username, --password, --generate, --ask-password, --name, --notes, --totp, --folder, --tag, --field, --hidden-field or --remove-field")
		}
		if set["site"] && len(sites) == 0 {
			return usagef("edit: an entry needs at least one --site")
		}
		if _, err := policy.CheckSites(sites); err != nil {
			return err
		}
		if err := ef.check(); err != nil {
			return err
		}
		var err error
		if pw, err = pf.get(); err != nil {
			return err
		}
		if *ask && pw != "" {
			return usagef("give --ask-password or a password flag, not both")
		}
		return nil
	})
	if err != nil {
		return err
	}
	id, err := entryID(c, fs.Arg(0))
	if err != nil {
		return err
	}
	if *ask {
		if pw, err = a.newPassword(); err != nil {
			return err
		}
	}
	err = c.Edit(a.ctx, id, func(e *vault.Entry) {
		if set["site"] {
			e.Sites = sites
		}
		if set["username"] {
			e.Username = *username
		}
		if pw != "" {
			e.Password = pw
		}
		ef.apply(e, set)
	})
	if err != nil && !errors.Is(err, client.ErrPending) {
		return err
	}
	fmt.Fprintf(a.stdout, "Updated %s.\n", id)
	return a.saved(err)
}

func cmdRm(a *app, args []string) error {
	fs := a.flags("rm", "ID",
		"Delete the entry with Id ID (or a unique prefix) on every device, after asking\n"+
			"(--yes does not ask). It stays in the trash: `meshpass trash` lists the deleted\n"+
			"entries and `meshpass restore ID` brings one back. If the portal cannot be\n"+
			"reached, the deletion is saved on this device and published at the next sync\n"+
			"(exit code 0).")
	yes := fs.Bool("yes", false, "delete without asking")
	c, err := a.start(fs, args, 1, needUnlocked, nil)
	if err != nil {
		return err
	}
	id, err := entryID(c, fs.Arg(0))
	if err != nil {
		return err
	}
	e, err := c.Entry(id)
	if err != nil {
		return err
	}
	if !*yes && !a.confirm(fmt.Sprintf("Delete %s (%s)?", describe(e), id)) {
		return errors.New("not confirmed; nothing deleted (--yes deletes without asking)")
	}
	err = c.Delete(a.ctx, id)
	if err != nil && !errors.Is(err, client.ErrPending) {
		return err
	}
	fmt.Fprintf(a.stdout, "Deleted %s; `meshpass restore %s` brings it back.\n", id, id)
	return a.saved(err)
}

func cmdSync(a *app, args []string) error {
	fs := a.flags("sync", "",
		"Fetch the profile and the passwords from the portal and verify them: every\n"+
			"signature up to the pinned profile fingerprint, no rollback, the log inclusion\n"+
			"proofs and the new checkpoint's consistency with the last one; then publish the\n"+
			"changes saved on this device while the portal was unreachable. On failure the\n"+
			"last good state is kept.")
	snapshot := fs.Bool("snapshot", false, "then publish a signed snapshot of the vault, which new devices read instead of\nevery record (a sync does so by itself every 1,000 records)")
	c, err := a.start(fs, args, 0, needUnlocked, nil)
	if err != nil {
		return err
	}
	if err := syncClient(a, c); err != nil {
		return err
	}
	if *snapshot {
		if err := c.PublishSnapshot(a.ctx); err != nil {
			return err
		}
		fmt.Fprintln(a.stdout, "Published a snapshot of the vault.")
	}
	list, err := c.List()
	if err != nil {
		return err
	}
	devs, err := c.Devices()
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Synced and verified: %d entries, %d devices.\n", len(list), len(devs))
	warnStale(a, c.Log())
	warnQuiet(a, c)
	pending, err := c.Pending()
	if err != nil {
		return err
	}
	printPending(a, pending)
	return nil
}

func cmdFingerprint(a *app, args []string) error {
	fs := a.flags("fingerprint", "",
		"Show the profile fingerprint this device is pinned to (compare it with your other\n"+
			"devices), the account, the portal and this device's Identifier.")
	c, err := a.start(fs, args, 0, needDevice, nil)
	if err != nil {
		return err
	}
	acct, portal := c.Account()
	fmt.Fprintf(a.stdout, "Profile fingerprint: %s\nAccount:             %s\nPortal:              %s\nThis device:         %s\n",
		c.Fingerprint(), acct, portal, c.DeviceID())
	if c.PendingConnect() != nil {
		fmt.Fprintln(a.stdout, "Status:              connection request pending")
	}
	return nil
}

func cmdAudit(a *app, args []string) error {
	fs := a.flags("audit", "",
		"Verify the portal's transparency log: its latest checkpoint must be signed by the\n"+
			"log key this device pinned and extend the last checkpoint it verified (checked\n"+
			"with a consistency proof). Needs no passphrase.")
	c, err := a.start(fs, args, 0, needDevice, nil)
	if err != nil {
		return err
	}
	n, err := c.CheckLog(a.ctx)
	if err != nil {
		explainLog(a, err)
		return err
	}
	fmt.Fprintf(a.stdout, "Log verified: %d entries, signed by the pinned log key and consistent with the last checkpoint seen.\n", n)
	printLog(a, c)
	warnQuiet(a, c)
	return nil
}
