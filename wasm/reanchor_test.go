package main

import (
	"context"
	"errors"
	"testing"

	"github.com/meshpass/meshpass/shared/client"
	"github.com/meshpass/meshpass/wasm/api"
	"github.com/meshpass/meshpass/wasm/bridge"
)

// TestReanchorAPI: on a portal restored from a backup, sync fails with
// verification_failed and check log_shrank; planReanchor shows both logs;
// reanchor with another code is refused, with the planned one publishes
// again the entry only this device held.
func TestReanchorAPI(t *testing.T) {
	p, a, mustCall := portalApp(t)
	mustCall("create", map[string]string{"portal": p.URL, "account": "alice", "passphrase": "correct horse battery"}, nil)
	mustCall("add", map[string]any{"sites": []string{"before.example"}, "username": "before", "password": "p1"}, nil)
	p.Backup(t)
	mustCall("add", map[string]any{"sites": []string{"after.example"}, "username": "after", "password": "p2"}, nil)
	p.Restore(t)

	funcs, err := bind(a.handlers())
	if err != nil {
		t.Fatal(err)
	}
	_, err = bridge.Call(context.Background(), funcs["sync"], nil)
	if bridge.Code(err) != api.CodeVerificationFailed || bridge.Check(err) != api.CheckLogShrank || !errors.Is(err, client.ErrLogShrank) {
		t.Fatalf("sync on the restored portal: %v (code %s, check %s)", err, bridge.Code(err), bridge.Check(err))
	}
	var plan api.Anchor
	mustCall("planReanchor", api.Empty{}, &plan)
	if plan.Extends || plan.OldSize <= plan.NewSize || plan.OldCode == plan.NewCode || plan.NewCode == "" {
		t.Fatalf("plan %+v", plan)
	}
	if out, code := call(t, a, "reanchor", `{"code":"AAAA-AAAA-AAAA-AAAA"}`); code != api.CodeState {
		t.Fatalf("reanchor to another code: %s %s", out, code)
	}
	var rep api.Republished
	mustCall("reanchor", api.AnchorCode{Code: plan.NewCode}, &rep)
	if rep.Records != 1 || rep.LogSize < plan.NewSize || rep.LogCode == "" {
		t.Fatalf("republished %+v", rep)
	}
	var list []api.Entry
	mustCall("list", api.Empty{}, &list)
	if len(list) != 2 {
		t.Fatalf("entries after re-anchoring: %+v", list)
	}
	var st api.Status
	mustCall("status", api.Empty{}, &st)
	if st.LogCode != rep.LogCode || st.ForkProof != "" || st.PeersQuiet {
		t.Fatalf("status %+v", st)
	}
}
