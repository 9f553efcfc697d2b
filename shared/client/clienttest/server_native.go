//go:build !js

package clienttest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// New takes a fresh real portal from the test portal server at EnvServer,
// or, when that is unset, from a server this test process starts once
// (cmd/internal/testportal, built from the module's root; it exits when
// the process does). A local httptest server in front of the portal, Server,
// runs the rewrite for every HTTP client; the portal and the server close
// when the test ends.
func New(t testing.TB) *Portal {
	t.Helper()
	p := NewRemote(t, serverURL(t))
	p.Server = httptest.NewServer(p)
	p.URL = p.Server.URL
	t.Cleanup(p.Server.Close)
	return p
}

// serverURL returns the test portal server's URL: EnvServer's, or this
// process's own server's.
func serverURL(t testing.TB) string {
	t.Helper()
	if server := os.Getenv(EnvServer); server != "" {
		return server
	}
	server, err := ownServer()
	if err != nil {
		t.Fatalf("clienttest: %v", err)
	}
	return server
}

var own struct {
	once sync.Once
	url  string
	err  error
	// stdin is the server's standard input, held open (a collected pipe
	// would close) until this process ends.
	stdin io.WriteCloser
}

// ownServer starts this process's test portal server on first use and
// returns its URL.
func ownServer() (string, error) {
	own.once.Do(func() { own.url, own.err = startServer() })
	return own.url, own.err
}

// startServer builds cmd/internal/testportal into a temporary directory
// and starts it with its standard input a pipe that is never closed: when
// this process ends, the pipe closes and the server stops and deletes its
// databases. The binary is deleted as soon as it runs.
func startServer() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "meshpass-clienttest-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "testportal")
	// go test puts its own Go first on PATH. The server is a native
	// program, whatever this test was built for.
	build := exec.Command("go", "build", "-o", bin, "./cmd/internal/testportal")
	build.Dir = root
	build.Env = append(os.Environ(), "GOOS=", "GOARCH=")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the test portal server (go build ./cmd/internal/testportal in %s): %v\n%s", root, err, out)
	}
	cmd := exec.Command(bin)
	// Read only after Wait, when nothing writes to it any more.
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if own.stdin, err = cmd.StdinPipe(); err != nil {
		return "", err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("starting the test portal server: %v", err)
	}
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case url := <-line:
		if strings.HasPrefix(url, "http://") {
			return url, nil
		}
	case <-time.After(time.Minute):
	}
	cmd.Process.Kill()
	cmd.Wait()
	return "", fmt.Errorf("the test portal server did not start; set %s to a running one. Its output:\n%s", EnvServer, stderr.String())
}

// moduleRoot is the directory of go.mod above the working directory (a
// test runs in its package's directory).
func moduleRoot() (string, error) {
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
			return "", errors.New("no go.mod above the working directory: cannot start a test portal server; set " + EnvServer)
		}
		dir = parent
	}
}
