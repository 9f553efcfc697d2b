//go:build !js

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile/profiletest"
)

// lockedBuffer collects a process's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "meshpass-portal")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// TestServe runs the program as an operator would: settings from the
// environment, invitation codes, /healthz and /metrics, an access log
// without account names, an online backup, and a graceful SIGTERM.
func TestServe(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the portal")
	}
	bin := build(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "data", "portal.db")
	cmd := exec.Command(bin, "-listen", "127.0.0.1:0", "-metrics-listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "MESHPASS_DB="+db, "MESHPASS_SIGN_UP=invitation", "MESHPASS_RATE_IP=0")
	stdout, _ := cmd.StdoutPipe()
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	var url, metrics string
	lines := make(chan string, 100)
	for (url == "" || metrics == "") && sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "meshpass portal: "); ok {
			url = strings.TrimSuffix(v, mmm.Path)
		}
		if v, ok := strings.CutPrefix(line, "metrics: "); ok {
			metrics = v
		}
		if line == "sign-ups: open" {
			t.Error("MESHPASS_SIGN_UP not read")
		}
	}
	go func() {
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	if url == "" || metrics == "" {
		t.Fatalf("did not start: %s", stderr.String())
	}
	// An invitation made by the invite command while the portal runs.
	out, err := exec.Command(bin, "invite", "-db", db).Output()
	if err != nil {
		t.Fatal(err)
	}
	code := strings.TrimSpace(string(out))
	p, _ := profiletest.NewPerson(1)
	create := &mmm.CreateRequest{Account: "secret-name", Profile: mmm.Entry{SignedPersonalProfile: p.SignedPersonal}}
	if err := call(url+mmm.Path, create, &mmm.CreateResponse{}); mmm.StatusOf(err) != mmm.StatusForbidden {
		t.Fatalf("create without invitation: %v", err)
	}
	create.Invitation = code
	if err := call(url+mmm.Path, create, &mmm.CreateResponse{}); err != nil {
		t.Fatalf("create with invitation: %v", err)
	}
	get := func(u string) (int, string) {
		r, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return r.StatusCode, string(b)
	}
	if code, body := get(url + "/healthz"); code != 200 || !strings.Contains(body, `"ok"`) {
		t.Fatalf("healthz: %d %s", code, body)
	}
	if code, body := get(metrics); code != 200 || !strings.Contains(body, `meshpass_requests_total{type="CreateRequest",status="201"} 1`) ||
		!strings.Contains(body, "meshpass_log_leaves 1") || !strings.Contains(body, "meshpass_accounts 1") {
		t.Fatalf("metrics: %d %s", code, body)
	}
	// Online backup.
	backup := filepath.Join(dir, "backup.db")
	if out, err := exec.Command(bin, "backup", "-db", db, "-to", backup).CombinedOutput(); err != nil || !strings.Contains(string(out), "up to 1 leaves") {
		t.Fatalf("backup: %v %s", err, out)
	}
	if out, err := exec.Command(bin, "backup", "-db", db, "-to", backup).CombinedOutput(); err == nil {
		t.Fatalf("backup over an existing file: %s", out)
	}
	// Graceful shutdown.
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no exit 10 s after SIGTERM")
	}
	// The access log: one JSON line per request, no account name.
	log := stderr.String()
	if strings.Contains(log, "secret-name") || strings.Contains(log, code) {
		t.Fatalf("the access log holds an account name or a code:\n%s", log)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "request" {
			n++
		}
	}
	if n < 2 {
		t.Fatalf("%d access log lines:\n%s", n, log)
	}
	// The backup serves as the portal's database.
	if err := os.Rename(backup, db); err != nil {
		t.Fatal(err)
	}
	os.Remove(db + "-wal")
	os.Remove(db + "-shm")
	url2, _, _ := start(t, bin, db)
	var g mmm.GetResponse
	if err := call(url2, &mmm.GetRequest{Account: "secret-name"}, &g); err != nil || len(g.Entries) != 1 {
		t.Fatalf("from the backup: %v", err)
	}
}

func TestKeygenTOML(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run([]string{"keygen", "-origin", "portal.example.com/log"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], `LOG_SIGNING_KEY = "PRIVATE+KEY+portal.example.com/log+`) || !strings.HasPrefix(lines[1], `LOG_VERIFIER_KEY = "portal.example.com/log+`) {
		t.Fatalf("keygen output:\n%s", out.String())
	}
	// The old spelling still works.
	out.Reset()
	if err := run([]string{"-keygen", "-origin", "x/log"}, &out, &errb); err != nil || !strings.Contains(out.String(), "LOG_VERIFIER_KEY") {
		t.Fatalf("-keygen: %v %s", err, out.String())
	}
	if err := run([]string{"-sign-up", "sometimes"}, &out, &errb); err == nil {
		t.Fatal("a bad -sign-up accepted")
	}
}
