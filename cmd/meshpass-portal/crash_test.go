//go:build !js

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/profile/profiletest"
	"github.com/meshpass/meshpass/shared/translog"
)

// start runs the portal binary on db and returns its URL, verifier key
// and process.
func start(t *testing.T, bin, db string) (string, string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(bin, "-listen", "127.0.0.1:0", "-db", db, "-rate-ip", "0", "-rate-account", "0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	var url, key string
	for (url == "" || key == "") && sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "meshpass portal: "); ok {
			url = v
		}
		if v, ok := strings.CutPrefix(line, "log verifier key: "); ok {
			key = v
		}
	}
	if url == "" || key == "" {
		t.Fatalf("portal did not start: %v", sc.Err())
	}
	go func() {
		for sc.Scan() {
		}
	}()
	return url, key, cmd
}

func call(url string, req mmm.Request, resp mmm.Response) error {
	body, err := mmm.Encode(req)
	if err != nil {
		return err
	}
	r, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer r.Body.Close()
	return mmm.DecodeResponse(r.Body, resp)
}

// TestCrash kills the portal (SIGKILL) during a stream of publishes and
// restarts it: every acknowledged write is there, and the new checkpoint
// is consistent with every acknowledged one.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the portal")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "portal")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	db := filepath.Join(dir, "data", "portal.db")
	url, vkey, cmd := start(t, bin, db)
	verifiers, err := translog.NewVerifiers(vkey)
	if err != nil {
		t.Fatal(err)
	}

	const clients = 4
	type state struct {
		person  *profiletest.Person
		account string
		acked   uint64 // last acknowledged password profile version
		proofs  []*mmm.LogProof
	}
	states := make([]*state, clients)
	for i := range states {
		p, err := profiletest.NewPerson(1)
		if err != nil {
			t.Fatal(err)
		}
		s := &state{person: p, account: fmt.Sprintf("crash%d", i)}
		var cr mmm.CreateResponse
		if err := call(url, &mmm.CreateRequest{Account: s.account, Profile: mmm.Entry{SignedPersonalProfile: p.SignedPersonal}}, &cr); err != nil {
			t.Fatal(err)
		}
		s.proofs = append(s.proofs, cr.Log)
		states[i] = s
	}
	var wg sync.WaitGroup
	for _, s := range states {
		wg.Go(func() {
			for v := uint64(1); ; v++ {
				if v > 1 {
					s.person.PasswordProfile.Versioned = s.person.PasswordProfile.Next()
					s.person.PasswordProfile.Version = v
					if err := s.person.Seal(); err != nil {
						return
					}
				}
				var pr mmm.PublishResponse
				if err := call(url, &mmm.PublishRequest{Entry: mmm.Entry{SignedApplicationProfile: s.person.SignedPasswords}, Previous: v - 1}, &pr); err != nil {
					return // the portal is gone
				}
				s.acked = v
				s.proofs = append(s.proofs, pr.Log)
			}
		})
	}
	time.Sleep(700 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	cmd.Wait()

	url, _, _ = start(t, bin, db)
	var st mmm.StatusResponse
	if err := call(url, &mmm.StatusRequest{}, &st); err != nil {
		t.Fatal(err)
	}
	tree, err := translog.OpenCheckpoint(st.Checkpoint, verifiers)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, s := range states {
		total += int(s.acked)
		var g mmm.GetResponse
		if err := call(url, &mmm.GetRequest{Account: s.account, Multiple: true}, &g); err != nil {
			t.Fatal(err)
		}
		if s.acked == 0 {
			continue
		}
		if len(g.Entries) != 2 {
			t.Fatalf("%s: %d entries after restart, acknowledged version %d", s.account, len(g.Entries), s.acked)
		}
		personal, err := profile.VerifyPersonalProfile(g.Entries[0].SignedPersonalProfile)
		if err != nil {
			t.Fatal(err)
		}
		app, err := profile.VerifyApplicationProfile(g.Entries[1].SignedApplicationProfile, personal)
		if err != nil {
			t.Fatal(err)
		}
		if app.Version < s.acked {
			t.Fatalf("%s: version %d after restart, %d was acknowledged", s.account, app.Version, s.acked)
		}
		for i := range g.Entries {
			leaf, _ := translog.LeafData(&g.Entries[i])
			if err := translog.VerifyInclusion(g.Proofs[i], leaf, verifiers); err != nil {
				t.Fatal(err)
			}
		}
		// Every acknowledged checkpoint is a prefix of the new tree.
		for _, p := range s.proofs {
			var au mmm.AuditResponse
			if err := call(url, &mmm.AuditRequest{OldSize: p.TreeSize, NewSize: tree.N}, &au); err != nil {
				t.Fatal(err)
			}
			if err := translog.VerifyConsistency(p.Checkpoint, st.Checkpoint, au.Consistency, verifiers); err != nil {
				t.Fatalf("acknowledged tree %d vs tree %d after restart: %v", p.TreeSize, tree.N, err)
			}
		}
	}
	if total == 0 {
		t.Fatal("no publish was acknowledged before the kill")
	}
	t.Logf("%d publishes acknowledged before SIGKILL; log of %d leaves after restart", total, tree.N)
}
