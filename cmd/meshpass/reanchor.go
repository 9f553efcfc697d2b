package main

import (
	"errors"
	"fmt"

	"github.com/meshpass/meshpass/shared/client"
)

// cmdReanchor re-anchors this device on the portal's current log after a
// restore (shared/client/reanchor.go).
func cmdReanchor(a *app, args []string) error {
	fs := a.flags("reanchor", "",
		"After the portal was restored from a backup: show the log this device verified\n"+
			"and the portal's current one (sizes and log codes), and on confirmation publish\n"+
			"again what this device holds that the restored portal lacks (newer profiles,\n"+
			"vault records), then take the portal's current log as the one to extend. Do it\n"+
			"only when the portal's operator confirms a restore and your other devices show\n"+
			"the same new log code: a portal that lies also shows a shorter or other log.")
	yes := fs.Bool("yes", false, "re-anchor without asking (scripts that compared the log codes themselves)")
	c, err := a.start(fs, args, 0, needUnlocked, nil)
	if err != nil {
		return err
	}
	plan, err := c.PlanReanchor(a.ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Log this device verified: %d entries, log code %s.\n", plan.OldSize, plan.OldCode)
	fmt.Fprintf(a.stdout, "The portal's log now:     %d entries, log code %s.\n", plan.NewSize, plan.NewCode)
	if plan.Extends {
		fmt.Fprintln(a.stdout, "The portal's log extends the one this device verified: nothing to re-anchor; `meshpass sync` goes on.")
		return nil
	}
	fmt.Fprintln(a.stdout, "The portal's log does not extend the one this device verified: the portal was restored from a\n"+
		"backup (or it shows this device another history). Re-anchoring publishes again what this device\n"+
		"holds that the portal lacks and takes the portal's current log from now on.")
	if !*yes {
		ok, err := a.ask(fmt.Sprintf("Has the portal's operator confirmed a restore, and do your other devices show log code %s? [y/N] ", plan.NewCode))
		if err != nil {
			return fmt.Errorf("not re-anchored (%v): confirm on a terminal, or with --yes", err)
		}
		if !ok {
			return errors.New("not re-anchored: compare the log codes with your other devices and ask the portal's operator first")
		}
	}
	rep, err := c.Reanchor(a.ctx, plan.NewCode)
	if rep != nil {
		printRepublished(a, rep)
	}
	if err != nil {
		explainLog(a, err)
		return err
	}
	s := c.Log()
	fmt.Fprintf(a.stdout, "Re-anchored: the log now has %d entries, log code %s.\n", s.Size, s.Code)
	return nil
}

// printRepublished says what a re-anchor gave back to the portal.
func printRepublished(a *app, rep *client.Republished) {
	if rep.Personal {
		fmt.Fprintln(a.stdout, "Published again: this device's newer personal profile.")
	}
	if rep.Password {
		fmt.Fprintln(a.stdout, "Published again: this device's newer password profile.")
	}
	fmt.Fprintf(a.stdout, "Published again: %d vault records the portal lacked.\n", rep.Records)
	if rep.Refused > 0 {
		fmt.Fprintf(a.stderr, "meshpass: warning: the portal refused %d records of an earlier key epoch; save those entries again on this device\n", rep.Refused)
	}
}

// explainLog adds to a failed sync or audit what the person can do: the
// fork proof of a forked log, and re-anchoring after a restore.
func explainLog(a *app, err error) {
	var fe *client.ForkError
	if errors.As(err, &fe) {
		fmt.Fprintf(a.stderr, "meshpass: the portal showed two histories of its log. Fork proof (both checkpoints are signed by the portal's log key; keep it):\n%s\n", fe.Proof())
	}
	if client.NeedsReanchor(err) {
		fmt.Fprintln(a.stderr, "meshpass: this device keeps what it verified. If the portal's operator restored a backup, `meshpass reanchor`\n"+
			"shows the old and new log codes and, once you confirm, publishes again what this device holds.")
	}
}

// warnQuiet warns when the profile's other devices have not been heard
// from within the quiet window (sync, audit).
func warnQuiet(a *app, c *client.Client) {
	if err := c.Quiet(); err != nil {
		fmt.Fprintf(a.stderr, "meshpass: warning: %v; if you used another device since, the portal may be hiding its changes from this device\n", err)
	}
}
