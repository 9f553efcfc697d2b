package client

// Attack 7, a restored portal backup: devices that saw newer state stop
// with a named error, re-anchor once the person confirms the new log, and
// republish what only they held. Natively and in headless Chromium.

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestReanchorAfterRestore(t *testing.T) {
	ctx := context.Background()
	p, a, b := twoDevices(t)
	p.Backup(t)

	// After the backup: A writes two entries, B one, and A connects a
	// third device; each device holds what the others may not.
	_, err := a.Add(ctx, entry("a.example", "only-a-1", "s1"))
	must(t, err)
	_, err = a.Add(ctx, entry("a.example", "only-a-2", "s2"))
	must(t, err)
	must(t, b.Sync(ctx))
	_, err = b.Add(ctx, entry("b.example", "only-b", "s3"))
	must(t, err)
	c := connect(t, p, a)
	must(t, c.Sync(ctx))
	wantUsers(t, c, "a1", "only-a-1", "only-a-2", "only-b")
	old := a.Log()
	must(t, a.Sync(ctx))

	// The operator restores the backup.
	p.Restore(t)
	err = a.Sync(ctx)
	if !NeedsReanchor(err) {
		t.Fatalf("A on the restored portal: %v", err)
	}
	t.Logf("A on the restored portal: %v", err)
	wantUsers(t, a, "a1", "only-a-1", "only-a-2", "only-b") // kept

	// Re-anchoring needs the plan the person confirmed.
	if _, err := a.Reanchor(ctx, "XXXX-XXXX-XXXX-XXXX"); !errors.Is(err, ErrState) {
		t.Fatalf("Reanchor without a plan: %v", err)
	}
	plan, err := a.PlanReanchor(ctx)
	must(t, err)
	if plan.Extends || plan.OldSize <= plan.NewSize || plan.OldCode == plan.NewCode {
		t.Fatalf("plan %+v (A verified %+v)", plan, old)
	}
	if _, err := a.Reanchor(ctx, "XXXX-XXXX-XXXX-XXXX"); !errors.Is(err, ErrState) {
		t.Fatalf("Reanchor to another code than planned: %v", err)
	}
	rep, err := a.Reanchor(ctx, plan.NewCode)
	must(t, err)
	t.Logf("plan %+v; republished %+v", plan, rep)
	if !rep.Personal || rep.Records < 3 || rep.Refused != 0 {
		t.Fatalf("republished %+v: want the profiles with C and the 3 records A and B wrote after the backup", rep)
	}
	wantUsers(t, a, "a1", "only-a-1", "only-a-2", "only-b")
	must(t, a.Sync(ctx))

	// B, not re-anchored yet, writes: its record reaches the portal, its
	// write fails on the log, and its check-in of the old log makes A
	// report a fork naming B until B re-anchors.
	_, err = b.Add(ctx, entry("b.example", "b-late", "s4"))
	if err == nil {
		t.Fatal("B wrote on the restored portal without re-anchoring")
	}
	if err := a.Sync(ctx); !errors.Is(err, ErrFork) || !strings.Contains(err.Error(), b.DeviceID()) {
		t.Fatalf("A after B wrote on the old log: %v", err)
	}

	// B re-anchors too (it verified the old log); then C, and each reads
	// everything.
	for _, x := range []struct {
		name string
		d    *Client
	}{{"B", b}, {"C", c}} {
		name, d := x.name, x.d
		err := d.Sync(ctx)
		if !NeedsReanchor(err) {
			t.Fatalf("%s on the restored portal: %v", name, err)
		}
		plan, err := d.PlanReanchor(ctx)
		must(t, err)
		if plan.NewCode != a.Log().Code {
			t.Fatalf("%s plans to anchor on %s, A is on %s", name, plan.NewCode, a.Log().Code)
		}
		_, err = d.Reanchor(ctx, plan.NewCode)
		must(t, err)
		wantUsers(t, d, "a1", "only-a-1", "only-a-2", "only-b", "b-late")
	}
	must(t, a.Sync(ctx))
	wantUsers(t, a, "a1", "only-a-1", "only-a-2", "only-b", "b-late")

	// A new device reads everything from the portal alone.
	d := connect(t, p, a)
	must(t, d.Sync(ctx))
	wantUsers(t, d, "a1", "only-a-1", "only-a-2", "only-b", "b-late")
	// And a log that extends the anchored one needs no re-anchor.
	plan, err = b.PlanReanchor(ctx)
	must(t, err)
	if !plan.Extends {
		t.Fatalf("plan on a log that extends B's: %+v", plan)
	}
	if _, err := b.Reanchor(ctx, plan.NewCode); !errors.Is(err, ErrState) {
		t.Fatalf("Reanchor on a log that extends B's: %v", err)
	}
}
