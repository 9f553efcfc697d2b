package main

import (
	"fmt"
	"time"

	"github.com/meshpass/meshpass/shared/client"
)

// printLog prints the log code of the last verified checkpoint, the
// witnesses' quorum and how fresh their cosignatures are (audit).
func printLog(a *app, c *client.Client) {
	s := c.Log()
	if s.Code != "" {
		fmt.Fprintf(a.stdout, "Log code: %s (tree of %d entries); another device shows the same code for the same tree.\n", s.Code, s.Size)
	}
	if s.Others > 0 && !s.Heard.IsZero() {
		fmt.Fprintf(a.stdout, "Check-ins: the profile's %d other devices check in their view of the log; this device last heard something new from them %s ago.\n", s.Others, ago(s.QuietFor))
	}
	if s.Witnesses == 0 {
		fmt.Fprintln(a.stdout, "Witnesses: none (the portal has none; a portal showing devices different logs is caught only when they meet).")
		return
	}
	fmt.Fprintf(a.stdout, "Witnesses: %d of %d pinned witnesses cosign every checkpoint; they last vouched for this log %s ago.\n", s.Quorum, s.Witnesses, ago(s.Age))
	warnStale(a, s)
}

// warnStale warns when the witnesses vouched for the newest checkpoint
// this device verified longer ago than the freshness window: the portal
// answers, but with an old view of the log (sync, audit).
func warnStale(a *app, s client.LogStatus) {
	if s.Stale {
		fmt.Fprintf(a.stderr, "meshpass: warning: the log looks frozen: the witnesses last vouched for what the portal shows this device %s ago; the portal may be hiding newer changes from it\n", ago(s.Age))
	}
}

func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "less than a minute"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 72*time.Hour:
		return fmt.Sprintf("%d h", int(d/time.Hour))
	}
	return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
}
