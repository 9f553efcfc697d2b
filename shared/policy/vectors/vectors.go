// Package vectors holds the test vectors of meshpass's input rules:
// inputs and the answer every client must give for them. shared/policy's
// own test, the command line's (cmd/meshpass, through its real code paths)
// and the wasm core's run the same vectors, so that the CLI and the popup
// cannot drift apart again.
//
// The vectors are rules.json in this directory (embedded, so a test in
// the browser needs no file access): one object, a list per rule. Every
// case has
//
//   - "in", a string (for "shares": "threshold" and "shares", numbers; for
//     "generator": "options", an object of passgen.Options with its JSON
//     names "length", "lower", "upper", "digits", "symbols",
//     "avoidAmbiguous");
//   - "repeat" (optional number): the input is "in" repeated that many
//     times, for inputs too long to write out;
//   - "ok" (bool): accepted or refused;
//   - "want" (optional string; "sites" and "accounts"): the canonical form
//     an accepted input is stored as;
//   - "note" (optional): why the case is there.
//
// The lists and the functions they test:
//
//	passphrases  policy.CheckPassphrase
//	shares       policy.CheckShares(threshold, shares)
//	accounts     policy.CheckAccount
//	sites        policy.CheckSite
//	generator    passgen.Generate (accepted: "length" characters)
//
// A refused input is an error wrapping the list's sentinel
// (policy.ErrPassphrase, ErrShares, ErrAccount, ErrSite; for the generator
// passgen.ErrLength or passgen.ErrNoClass). The messages are not part of
// the vectors.
package vectors

import (
	_ "embed"
	"encoding/json"
	"strings"

	"github.com/meshpass/meshpass/shared/passgen"
)

// JSON is rules.json as it is.
//
//go:embed rules.json
var JSON []byte

// Case is a case of a string input.
type Case struct {
	In     string `json:"in"`
	Repeat int    `json:"repeat,omitempty"`
	OK     bool   `json:"ok"`
	Want   string `json:"want,omitempty"`
	Note   string `json:"note,omitempty"`
}

// Input returns In, repeated Repeat times if Repeat is set.
func (c Case) Input() string {
	if c.Repeat > 0 {
		return strings.Repeat(c.In, c.Repeat)
	}
	return c.In
}

// SharesCase is a case of CheckShares.
type SharesCase struct {
	Threshold int    `json:"threshold"`
	Shares    int    `json:"shares"`
	OK        bool   `json:"ok"`
	Note      string `json:"note,omitempty"`
}

// GeneratorCase is a case of passgen.Generate.
type GeneratorCase struct {
	Options passgen.Options `json:"options"`
	OK      bool            `json:"ok"`
	Note    string          `json:"note,omitempty"`
}

// Set is every vector.
type Set struct {
	Passphrases []Case          `json:"passphrases"`
	Shares      []SharesCase    `json:"shares"`
	Accounts    []Case          `json:"accounts"`
	Sites       []Case          `json:"sites"`
	Generator   []GeneratorCase `json:"generator"`
}

// Load parses the embedded rules.json, refusing unknown fields.
func Load() (*Set, error) {
	d := json.NewDecoder(strings.NewReader(string(JSON)))
	d.DisallowUnknownFields()
	var s Set
	if err := d.Decode(&s); err != nil {
		return nil, err
	}
	return &s, nil
}
