//go:build !js

package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/meshpass/meshpass/portal-worker/portal"
	"github.com/meshpass/meshpass/portal-worker/sqlitestore"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/profile/profiletest"
	"github.com/meshpass/meshpass/shared/translog"
)

// start runs the portal binary on db and returns its URL, verifier key
// and process.
func start(t *testing.T, bin, db string) (string, string, *exec.Cmd) {
	t.Helper()
	return startCmd(t, exec.Command(bin, "-listen", "127.0.0.1:0", "-db", db, "-rate-ip", "0", "-rate-account", "0"))
}

// startCmd starts cmd, a portal that prints its URL and verifier key, and
// returns them.
func startCmd(t *testing.T, cmd *exec.Cmd) (string, string, *exec.Cmd) {
	t.Helper()
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
	bin, db := crashSetup(t)
	url, vkey, cmd := start(t, bin, db)
	total, tree := crashAndCheck(t, url, vkey, 4, func() {
		time.Sleep(700 * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Error(err)
		}
	}, cmd, func() string { url, _, _ := start(t, bin, db); return url })
	t.Logf("%d publishes acknowledged before SIGKILL; log of %d leaves after restart", total, tree.N)
}

// crashEnv names the database of the crashing portal TestCrashHelper
// runs; crashAfterGroups how many group commits it lets through first.
const (
	crashEnv         = "MESHPASS_CRASH_HELPER_DB"
	crashAfterGroups = 20
)

// TestCrashInGroup crashes the portal in the middle of a group commit: a
// portal (TestCrashHelper, this test binary run again) kills itself
// (SIGKILL) once a group's first write is written in the group's
// transaction and the next is about to be. After a restart on the same
// database, every acknowledged write is there, nothing of the crashed
// group is, and the log is consistent with every acknowledged checkpoint.
func TestCrashInGroup(t *testing.T) {
	bin, db := crashSetup(t)
	helper := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$")
	helper.Env = append(os.Environ(), crashEnv+"="+db)
	url, vkey, cmd := startCmd(t, helper)
	total, tree := crashAndCheck(t, url, vkey, 8, nil, cmd, func() string { url, _, _ := start(t, bin, db); return url })
	note, err := os.ReadFile(db + ".crashed")
	if err != nil {
		t.Fatalf("the portal did not crash in a group: %v", err)
	}
	var before, size int64
	if _, err := fmt.Sscanf(string(note), "log %d, write %d of a group", &before, &size); err != nil {
		t.Fatalf("crash note %q: %v", note, err)
	}
	if size < 2 {
		t.Fatalf("crashed at write %d of a group, not in its middle", size)
	}
	// The crashed group wrote nothing: the log is as its last commit left it.
	if tree.N != before {
		t.Fatalf("log of %d leaves after the crash, %d before the crashed group", tree.N, before)
	}
	t.Logf("%d publishes acknowledged; crashed at write %d of a group on a log of %d leaves; log of %d after restart", total, size, before, tree.N)
}

// TestCrashHelper is the crashing portal of TestCrashInGroup, run only by
// it (crashEnv set): the portal on the database at crashEnv, whose store
// kills the process in the middle of the first group commit of two writes
// or more after crashAfterGroups commits.
func TestCrashHelper(t *testing.T) {
	db := os.Getenv(crashEnv)
	if db == "" {
		t.Skip("run by TestCrashInGroup")
	}
	store, skey, vkey, err := openKeyAndStore(db, "meshpass-portal/log")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := translog.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("meshpass portal: http://%s%s\nlog verifier key: %s\n", ln.Addr(), mmm.Path, vkey)
	h := portal.New(&crashingStore{Store: store, db: db}, portal.Options{Signer: signer, VerifierKey: vkey})
	t.Fatal(http.Serve(ln, h))
}

// crashingStore kills the process in the middle of a group commit.
type crashingStore struct {
	*sqlitestore.Store
	db     string
	groups int // committed
}

func (s *crashingStore) AppendGroup(ctx context.Context, fn func(g portal.Group) error) error {
	n, _, err := s.Latest(ctx)
	if err != nil {
		return err
	}
	err = s.Store.AppendGroup(ctx, func(g portal.Group) error {
		return fn(&crashingGroup{Group: g, s: s, log: n})
	})
	if err == nil {
		s.groups++
	}
	return err
}

// crashingGroup counts a group's writes and crashes at its second.
type crashingGroup struct {
	portal.Group
	s      *crashingStore
	log    int64
	writes int64
}

func (g *crashingGroup) Append(ctx context.Context, a *portal.Append) error {
	g.writes++
	if g.writes == 2 && g.s.groups >= crashAfterGroups {
		note := fmt.Sprintf("log %d, write %d of a group", g.log, g.writes)
		if err := os.WriteFile(g.s.db+".crashed", []byte(note), 0o600); err == nil {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}
	}
	return g.Group.Append(ctx, a)
}

// crashSetup skips a crash test under -short; else it builds the portal
// binary into a temporary directory and returns its path and that of a
// database beside it.
func crashSetup(t *testing.T) (bin, db string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the portal")
	}
	dir := t.TempDir()
	bin = filepath.Join(dir, "portal")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin, filepath.Join(dir, "data", "portal.db")
}

// crashAndCheck publishes password profile versions from clients
// accounts on the portal at url until it dies (kill, if set, kills it;
// cmd is its process), restarts it (restart) and checks that every
// acknowledged write is there and that the new checkpoint is consistent
// with every acknowledged one. It returns how many publishes were
// acknowledged and the log's tree after the restart.
func crashAndCheck(t *testing.T, url, vkey string, clients int, kill func(), cmd *exec.Cmd, restart func() string) (int, tlog.Tree) {
	t.Helper()
	verifiers, err := translog.NewVerifiers(vkey)
	if err != nil {
		t.Fatal(err)
	}
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
	if kill != nil {
		kill()
	}
	// A portal that never dies fails the test here instead of hanging.
	exited := make(chan struct{})
	go func() { wg.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatal("the portal did not crash within 2 minutes")
	}
	cmd.Wait()

	url = restart()
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
		t.Fatal("no publish was acknowledged before the crash")
	}
	return total, tree
}
