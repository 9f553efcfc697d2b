package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/meshpass/meshpass/shared/client"
	"github.com/meshpass/meshpass/shared/policy"
	"github.com/meshpass/meshpass/shared/shamir"
)

func cmdEscrow(a *app, args []string) error {
	fs := a.flags("escrow", "",
		"Put the profile's administration keys (master, escrow and online keys) in escrow\n"+
			"on the portal, encrypted under a fresh key that is split into --shares shares, any\n"+
			"--threshold of which recover the profile with `meshpass recover` after every\n"+
			"device is lost. The shares are printed once: write them down. They are never\n"+
			"stored, and the portal never sees them. Escrow first replaces the online and\n"+
			"escrow keys, which voids the shares of every earlier escrow.\n"+
			"Only on the administration device that created the profile (or recovered it).")
	threshold := fs.Int("threshold", client.DefaultEscrowThreshold, fmt.Sprintf("how many shares recover the keys (at least %d)", policy.MinShares))
	shares := fs.Int("shares", client.DefaultEscrowShares, fmt.Sprintf("how many shares to make (at most %d)", policy.MaxShares))
	a.passphraseOnly = true // the new keys are sealed under it
	c, err := a.start(fs, args, 0, needUnlocked, func() error {
		return policy.CheckShares(*threshold, *shares)
	})
	if err != nil {
		return err
	}
	list, err := c.Escrow(a.ctx, a.pass, *threshold, *shares)
	if len(list) > 0 {
		acct, portal := c.Account()
		fmt.Fprintf(a.stdout, "Escrowed the administration keys of profile %s (%s at %s).\n", c.Fingerprint(), acct, portal)
		a.printShares(acct, *threshold, list, err == nil)
	}
	return err
}

// printShares prints the shares of a new escrow once, with the warning;
// voided says whether the earlier shares are void (they are not when the
// last step of the escrow failed).
func (a *app) printShares(account string, threshold int, list []string, voided bool) {
	fmt.Fprintf(a.stdout, "Any %d of these %d shares recover the profile with `meshpass recover %s`:\n\n", threshold, len(list), account)
	for i, s := range list {
		fmt.Fprintf(a.stdout, "  Share %d of %d:  %s\n", i+1, len(list), s)
	}
	fmt.Fprintf(a.stdout, `
WARNING: write these shares down now and keep them in separate safe places.
  - They are shown only this once: they are never stored, on this device or
    on the portal, and cannot be shown again.
  - Anyone who holds %d of them can take over your profile and read every
    password.
`, threshold)
	if voided {
		fmt.Fprint(a.stdout, `  - Shares of any earlier escrow are now void: recover refuses them. Destroy
    them all the same (they still hold the master key, which cannot change).
`)
	} else {
		fmt.Fprint(a.stdout, `  - These shares are valid, but the escrow did not finish (see the error):
    the earlier shares still work too until `+"`meshpass escrow`"+` runs again.
`)
	}
}

func cmdRecover(a *app, args []string) error {
	fs := a.flags("recover", "ACCOUNT [SHARE...]",
		"Recover the profile of ACCOUNT at the portal (--portal) from escrow shares after\n"+
			"its devices are lost, and make this new device an administration device of it:\n"+
			"the shares rebuild the escrow key, which finds and opens the escrow entry; the\n"+
			"recovered keys must be those of the account's profile; the profile is\n"+
			"republished with this device added and every other (lost) device removed\n"+
			"(--keep-others: kept), and the passwords are re-encrypted to the new set of\n"+
			"devices.\n"+
			"Then the online and escrow keys are replaced, so that whoever else holds them\n"+
			"(a stolen device, the holder of the shares) loses them, and escrowed anew: the\n"+
			"shares given are void, and the new shares (same threshold) are printed once.\n"+
			"Give the shares as arguments, or one a line on standard input, ended by an\n"+
			"empty line or the end of input. This device's keys are sealed under a new\n"+
			"passphrase of at least 8 characters (asked twice, or $MESHPASS_PASSPHRASE).")
	name := fs.String("name", hostname(), "this device's `name`, shown to other devices")
	keepOthers := fs.Bool("keep-others", false, "keep the other devices in the profile (remove lost ones later with remove-device)")
	removeFlag := fs.Bool("remove-others", true, "accepted for older scripts: removing the other devices is the default (--remove-others=false is --keep-others)")
	c, err := a.start(fs, args, -1, needFresh, func() error {
		if fs.NArg() < 1 {
			return usagef("recover: give the ACCOUNT to recover")
		}
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if set["remove-others"] && *removeFlag && *keepOthers {
			return usagef("recover: give --keep-others or --remove-others, not both")
		}
		return nil
	})
	if err != nil {
		return err
	}
	removeOthers := !*keepOthers && *removeFlag
	account, shares := fs.Arg(0), fs.Args()[1:]
	if len(shares) == 0 {
		if shares, err = a.readShares(); err != nil {
			return err
		}
	}
	pass, err := a.newPassphrase()
	if err != nil {
		return err
	}
	list, err := c.Recover(a.ctx, a.portal, account, pass, *name, shares, removeOthers)
	if c.DeviceID() == "" {
		if errors.Is(err, client.ErrBadEscrow) || errors.Is(err, client.ErrOtherProfile) {
			err = verificationError{err}
		}
		return err
	}
	n := 0
	if entries, err := c.List(); err == nil {
		n = len(entries)
	}
	fmt.Fprintf(a.stdout, "Recovered profile %s for %s at %s.\n", c.Fingerprint(), account, a.portal)
	fmt.Fprintf(a.stdout, "Profile fingerprint: %s\nThis device:         %s\n", c.Fingerprint(), c.DeviceID())
	fmt.Fprintf(a.stdout, "This device is an administration device and reads the passwords (%d entries).\n", n)
	if removeOthers {
		fmt.Fprintln(a.stdout, "Every other device was removed from the profile.")
	} else {
		fmt.Fprintln(a.stdout, "The other devices were kept: remove lost ones with `meshpass remove-device`.")
	}
	if len(list) > 0 {
		fmt.Fprintln(a.stdout, "\nThe administration keys were replaced and escrowed anew; the new shares follow.")
		threshold := 0
		if sh, perr := shamir.ParseShare(list[0]); perr == nil {
			threshold = sh.Threshold()
		}
		a.printShares(account, threshold, list, err == nil)
	}
	return err
}

// verificationError marks err as a failed verification (exit code 3).
type verificationError struct{ error }

func (e verificationError) Unwrap() []error { return []error{e.error, errVerification} }

// readShares reads shares from standard input, one a line, up to an empty
// line or the end of input. On a terminal each share is checked as it is
// typed, and asked again if it does not parse.
func (a *app) readShares() ([]string, error) {
	_, term := a.terminal()
	if term {
		fmt.Fprintln(a.stderr, "Type the shares, one a line; an empty line ends.")
	}
	var out []string
	for {
		if term {
			fmt.Fprintf(a.stderr, "Share %d: ", len(out)+1)
		}
		line, err := a.reader().ReadString('\n')
		line = strings.TrimSpace(line)
		if line == "" {
			if err != nil || len(out) > 0 || !term {
				break
			}
			continue
		}
		if term {
			if _, perr := shamir.ParseShare(line); perr != nil {
				fmt.Fprintf(a.stderr, "meshpass: share %d: %v; type it again\n", len(out)+1, perr)
				continue
			}
		}
		out = append(out, line)
		if err != nil {
			break
		}
	}
	if len(out) == 0 {
		return nil, usagef("recover: no shares given: give them as arguments or one a line on standard input")
	}
	return out, nil
}
