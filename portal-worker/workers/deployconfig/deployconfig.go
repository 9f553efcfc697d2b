// Package deployconfig reads the operator's settings for a Workers
// deployment (portal-worker/workers/deploy.toml, not tracked by git) and
// writes the wrangler configuration `make deploy` deploys with: the
// tracked wrangler.toml with the operator's D1 database id and [vars].
// It refuses a file that is not valid TOML (the line and column say
// where), a missing or placeholder database id, a LOG_VERIFIER_KEY that is
// not a note verifier key, and settings the worker would refuse.
package deployconfig

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/meshpass/meshpass/portal-worker/portal"
	"github.com/meshpass/meshpass/shared/translog"
)

// Settings is deploy.toml.
type Settings struct {
	// DatabaseID is the id `wrangler d1 create meshpass-portal` printed.
	DatabaseID string `toml:"database_id"`
	// Vars are the worker's variables: LOG_VERIFIER_KEY (required),
	// SIGN_UP, MAX_STORAGE_BYTES, … (docs/deploy.md). LOG_SIGNING_KEY is a
	// secret and may not be here.
	Vars map[string]string `toml:"vars"`
}

var uuid = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// Known variables and whether each is a number.
var known = map[string]bool{
	"LOG_VERIFIER_KEY": false, "SIGN_UP": false,
	"RATE_PER_IP": true, "BURST_PER_IP": true, "RATE_PER_ACCOUNT": true, "BURST_PER_ACCOUNT": true,
	"PENDING_EXPIRY_SECONDS": true, "CREATES_PER_HOUR": true, "CREATES_BURST": true,
	"ACCOUNT_BYTES": true, "ACCOUNT_RECORDS": true, "MAX_STORAGE_BYTES": true, "MAX_ANSWER": true,
	"WITNESSES": false, "WITNESS_QUORUM": true, "COSIGN_REFRESH_SECONDS": true,
}

// Parse reads and checks deploy.toml.
func Parse(text string) (*Settings, error) {
	var s Settings
	md, err := toml.Decode(text, &s)
	if err != nil {
		return nil, fmt.Errorf("deploy.toml is not valid TOML: %v (values are quoted: LOG_VERIFIER_KEY = \"…\")", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("deploy.toml: unknown setting %s (database_id, and variables under [vars])", und[0])
	}
	if s.DatabaseID == "" || strings.Trim(s.DatabaseID, "0-") == "" || !uuid.MatchString(s.DatabaseID) {
		return nil, fmt.Errorf("deploy.toml: database_id %q is not the id `wrangler d1 create meshpass-portal` printed", s.DatabaseID)
	}
	vkey := s.Vars["LOG_VERIFIER_KEY"]
	if vkey == "" {
		return nil, fmt.Errorf("deploy.toml: [vars] needs LOG_VERIFIER_KEY (from `meshpass-portal keygen`)")
	}
	if _, err := translog.NewVerifiers(vkey); err != nil {
		return nil, fmt.Errorf("deploy.toml: LOG_VERIFIER_KEY: %v", err)
	}
	for k, v := range s.Vars {
		number, ok := known[k]
		switch {
		case k == "LOG_SIGNING_KEY":
			return nil, fmt.Errorf("deploy.toml: LOG_SIGNING_KEY is a secret: remove it here and run `npx wrangler secret put LOG_SIGNING_KEY`")
		case !ok:
			return nil, fmt.Errorf("deploy.toml: unknown variable %s", k)
		case number:
			if f, err := strconv.ParseFloat(v, 64); err != nil || f < 0 {
				return nil, fmt.Errorf("deploy.toml: %s = %q is not a number", k, v)
			}
		}
	}
	if err := portal.CheckSignUp(s.Vars["SIGN_UP"]); err != nil {
		return nil, fmt.Errorf("deploy.toml: SIGN_UP: %v", err)
	}
	var ws []portal.Witness
	for _, w := range strings.Fields(s.Vars["WITNESSES"]) {
		pw, err := portal.ParseWitness(w)
		if err != nil {
			return nil, fmt.Errorf("deploy.toml: WITNESSES: %v", err)
		}
		ws = append(ws, pw)
	}
	k, _ := strconv.Atoi(s.Vars["WITNESS_QUORUM"])
	if err := portal.CheckWitnesses(ws, k); err != nil {
		return nil, fmt.Errorf("deploy.toml: WITNESSES, WITNESS_QUORUM: %v", err)
	}
	return &s, nil
}

// Wrangler returns the tracked wrangler.toml with the settings in place:
// its database_id replaced and the variables appended to its last table,
// [vars].
func Wrangler(tracked string, s *Settings) (string, error) {
	const placeholder = `database_id = "00000000-0000-0000-0000-000000000000"`
	if !strings.Contains(tracked, placeholder) {
		return "", fmt.Errorf("wrangler.toml: no %s line to fill in", placeholder)
	}
	out := strings.Replace(tracked, placeholder, fmt.Sprintf("database_id = %q", s.DatabaseID), 1)
	idx := strings.LastIndex(out, "\n[")
	if idx < 0 || !strings.HasPrefix(out[idx+1:], "[vars]") {
		return "", fmt.Errorf("wrangler.toml: [vars] must be its last table")
	}
	names := make([]string, 0, len(s.Vars))
	for k := range s.Vars {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(strings.TrimRight(out, "\n"))
	b.WriteString("\n# From deploy.toml:\n")
	for _, k := range names {
		fmt.Fprintf(&b, "%s = %q\n", k, s.Vars[k])
	}
	// The result must still parse.
	var check map[string]any
	if _, err := toml.Decode(b.String(), &check); err != nil {
		return "", fmt.Errorf("the generated configuration does not parse: %v", err)
	}
	return b.String(), nil
}
