//go:build !js

// Command localportal runs the portal worker in local workerd (wrangler dev
// --local, with a fresh local D1 database and a fresh log key) for tests in
// other languages, such as the extension's Playwright tests: it builds the
// worker, prints one line of JSON {"url": "http://127.0.0.1:PORT",
// "coldStartMs": N} on stdout when the worker answers, and stops it when
// its standard input closes or it gets SIGINT or SIGTERM.
//
//	go run ./cmd/internal/localportal [-nobuild]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/meshpass/meshpass/portal-worker/workers/workerd"
	"github.com/meshpass/meshpass/shared/translog"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("localportal: ")
	noBuild := flag.Bool("nobuild", false, "use the worker already in portal-worker/workers/build")
	flag.Parse()
	root, err := workerd.RepoRoot()
	if err != nil {
		log.Fatal(err)
	}
	if !*noBuild {
		if err := workerd.Build(root); err != nil {
			log.Fatal(err)
		}
	}
	skey, vkey, err := translog.GenerateKey("localportal.test/log")
	if err != nil {
		log.Fatal(err)
	}
	state, err := os.MkdirTemp("", "meshpass-localportal-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(state)
	w, err := workerd.Start(workerd.Options{
		StateDir: state,
		// Tests make many requests from one address: no rate limits.
		Vars: map[string]string{"LOG_SIGNING_KEY": skey, "LOG_VERIFIER_KEY": vkey, "RATE_PER_IP": "0", "RATE_PER_ACCOUNT": "0"},
	})
	if err != nil {
		log.Fatal(err)
	}
	line, _ := json.Marshal(map[string]any{"url": w.URL, "coldStartMs": w.FirstRequest.Milliseconds()})
	fmt.Println(string(line))

	done := make(chan struct{}, 2)
	go func() {
		io.Copy(io.Discard, os.Stdin)
		done <- struct{}{}
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sig
		done <- struct{}{}
	}()
	<-done
	w.Stop()
	if os.Getenv("LOCALPORTAL_LOG") != "" {
		fmt.Fprintln(os.Stderr, w.Log())
	}
}
