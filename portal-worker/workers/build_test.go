//go:build unix && !js

package workers_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/meshpass/meshpass/portal-worker/workers/workerd"
)

// TestWasmExecPinned: the glue was written for one wasm_exec.js. The Go
// toolchain's must be that one (a Go upgrade that changes it fails here
// and in every build), and a build with another stops with a message
// that says what to check.
func TestWasmExecPinned(t *testing.T) {
	root, err := workerd.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	goroot := strings.TrimSpace(run(t, root, nil, "go", "env", "GOROOT"))
	ours := filepath.Join(goroot, "lib", "wasm", "wasm_exec.js")
	pin, err := os.ReadFile(filepath.Join(root, "portal-worker", "workers", "wasm_exec.js.sha256"))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Fields(run(t, root, nil, "sha256sum", ours))[0]
	if want := strings.Fields(string(pin))[0]; got != want {
		t.Errorf("%s (%s) has sha256 %s, not the pinned %s: see scripts/build-worker.sh", ours, runtime.Version(), got, want)
	}

	changed := filepath.Join(t.TempDir(), "wasm_exec.js")
	b, err := os.ReadFile(ours)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(changed, append(b, "\n// another Go's\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", filepath.Join(root, "scripts", "build-worker.sh"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "WASM_EXEC_JS="+changed)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the build took a wasm_exec.js that is not the pinned one:\n%s", out)
	}
	for _, want := range []string{"is not the wasm_exec.js", "glue.mjs", "sha256 pinned"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the build's message lacks %q:\n%s", want, out)
		}
	}
}

func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return string(out)
}
