//go:build !js

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meshpass/meshpass/shared/mmm"
)

// TestStaticBuild builds the program as the Dockerfile does (CGO_ENABLED=0)
// and runs it: it needs no C library.
func TestStaticBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the portal")
	}
	bin := filepath.Join(t.TempDir(), "meshpass-portal")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("static build: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "keygen").Output(); err != nil || !strings.Contains(string(out), "LOG_VERIFIER_KEY") {
		t.Fatalf("static binary: %v %s", err, out)
	}
}

// TestDockerImage builds the image from cmd/meshpass-portal/Dockerfile,
// runs it and says Hello; it skips where no Docker engine answers.
func TestDockerImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Docker image")
	}
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("skipped: no docker command on this machine (the image is not tested here)")
	}
	if out, err := exec.Command("docker", "info").CombinedOutput(); err != nil {
		t.Skipf("skipped: no Docker engine answers (the image is not tested here): %s", strings.TrimSpace(string(out)))
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	tag := fmt.Sprintf("meshpass-portal-test:%d", time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "docker", "build", "-f", filepath.Join(root, "cmd/meshpass-portal/Dockerfile"), "-t", tag, root).CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	defer exec.Command("docker", "rmi", "-f", tag).Run()
	out, err := exec.Command("docker", "run", "-d", "--rm", "-p", "127.0.0.1::8787", tag).Output()
	if err != nil {
		t.Fatalf("docker run: %v", err)
	}
	id := strings.TrimSpace(string(out))
	defer exec.Command("docker", "stop", id).Run()
	if user, _ := exec.Command("docker", "exec", id, "/usr/local/bin/meshpass-portal", "keygen").Output(); len(user) == 0 {
		t.Log("docker exec gave nothing (distroless); the user is checked by inspect below")
	}
	if u, _ := exec.Command("docker", "inspect", "-f", "{{.Config.User}}", tag).Output(); strings.TrimSpace(string(u)) != "65532:65532" {
		t.Fatalf("image user %q, want the non-root 65532:65532", u)
	}
	port, err := exec.Command("docker", "port", id, "8787/tcp").Output()
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + strings.TrimSpace(strings.Split(string(port), "\n")[0]) + mmm.Path
	var hello mmm.HelloResponse
	for i := 0; ; i++ {
		if err = call(url, &mmm.HelloRequest{}, &hello); err == nil || i > 50 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil || hello.LogKey == "" {
		logs, _ := exec.Command("docker", "logs", id).CombinedOutput()
		t.Fatalf("Hello to the container: %v\n%s", err, logs)
	}
}
