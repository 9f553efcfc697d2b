// Command deployconfig checks portal-worker/workers/deploy.toml and writes
// the configuration `make deploy` deploys with (package deployconfig):
//
//	go run ./cmd/internal/deployconfig DEPLOY_TOML WRANGLER_TOML OUT
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/meshpass/meshpass/portal-worker/workers/deployconfig"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: deployconfig DEPLOY_TOML WRANGLER_TOML OUT")
		os.Exit(2)
	}
	settings, err := os.ReadFile(os.Args[1])
	if errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(os.Stderr, "deploy: write %s first (docs/deploy.md): database_id, and LOG_VERIFIER_KEY under [vars]\n", os.Args[1])
		os.Exit(1)
	}
	if err != nil {
		fail(err)
	}
	s, err := deployconfig.Parse(string(settings))
	if err != nil {
		fail(err)
	}
	tracked, err := os.ReadFile(os.Args[2])
	if err != nil {
		fail(err)
	}
	out, err := deployconfig.Wrangler(string(tracked), s)
	if err != nil {
		fail(err)
	}
	if err := os.WriteFile(os.Args[3], []byte(out), 0o644); err != nil {
		fail(err)
	}
	fmt.Printf("deploy: %s checked; deploying with %s\n", os.Args[1], os.Args[3])
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "deploy:", err)
	os.Exit(1)
}
