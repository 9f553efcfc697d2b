package deployconfig

import (
	"os"
	"strings"
	"testing"

	"github.com/meshpass/meshpass/shared/translog"
)

func TestParse(t *testing.T) {
	_, vkey, err := translog.GenerateKey("portal.example.com/log")
	if err != nil {
		t.Fatal(err)
	}
	good := "database_id = \"0b5e7c9a-1234-4def-8abc-0123456789ab\"\n[vars]\nLOG_VERIFIER_KEY = \"" + vkey + "\"\nSIGN_UP = \"invitation\"\n"
	s, err := Parse(good)
	if err != nil {
		t.Fatal(err)
	}
	tracked, err := os.ReadFile("../wrangler.toml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Wrangler(string(tracked), s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `database_id = "0b5e7c9a-1234-4def-8abc-0123456789ab"`) || !strings.Contains(out, `LOG_VERIFIER_KEY = "`+vkey+`"`) {
		t.Fatalf("generated:\n%s", out)
	}
	for name, bad := range map[string]string{
		// The line docs/deploy.md once had people paste: not TOML.
		"unquoted key line": "database_id = \"0b5e7c9a-1234-4def-8abc-0123456789ab\"\n[vars]\nLOG_VERIFIER_KEY=" + vkey + "\n",
		"placeholder id":    strings.Replace(good, "0b5e7c9a-1234-4def-8abc-0123456789ab", "00000000-0000-0000-0000-000000000000", 1),
		"no key":            "database_id = \"0b5e7c9a-1234-4def-8abc-0123456789ab\"\n",
		"bad key":           strings.Replace(good, vkey, "nonsense", 1),
		"signing key":       good + "LOG_SIGNING_KEY = \"PRIVATE+KEY+x\"\n",
		"bad sign-up":       strings.Replace(good, "invitation", "sometimes", 1),
		"unknown var":       good + "FROB = \"1\"\n",
		"not a number":      good + "MAX_STORAGE_BYTES = \"lots\"\n",
	} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("%s: accepted", name)
		} else if name == "unquoted key line" && !strings.Contains(err.Error(), "not valid TOML") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
