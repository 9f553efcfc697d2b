package main

import "fmt"

func cmdPortal(a *app, args []string) error {
	fs := a.flags("portal", "[set URL]",
		"Show the portal this device uses, or, with `set URL`, move the device to the same\n"+
			"portal at a new address (its operator moved it, or it is reached by another name).\n"+
			"The move is checked before anything changes: URL must sign its log with the key\n"+
			"this device pinned, its log must extend the one verified here, and it must serve\n"+
			"this account's profile with the pinned fingerprint. Another portal is refused:\n"+
			"moving to another log is not a move. Needs no passphrase.")
	c, err := a.start(fs, args, -1, needDevice, func() error {
		switch {
		case fs.NArg() == 0:
			return nil
		case fs.NArg() == 2 && fs.Arg(0) == "set":
			return nil
		}
		return usagef("portal takes nothing, or `set URL`")
	})
	if err != nil {
		return err
	}
	account, url := c.Account()
	if fs.NArg() == 0 {
		fmt.Fprintf(a.stdout, "Portal:  %s\nAccount: %s\n", url, account)
		return nil
	}
	if err := c.MovePortal(a.ctx, fs.Arg(1)); err != nil {
		return err
	}
	_, moved := c.Account()
	fmt.Fprintf(a.stdout, "This device now uses %s (was %s): same log, its log extends the one verified here, and it serves profile %s.\n", moved, url, c.Fingerprint())
	return nil
}
