// Command seedvectors extracts the RSA public keys printed in full in
// draft-hallambaker-mesh-architecture-01 (each kid with its n and e) and
// writes them as JSON test vectors for shared/udf.
//
//	go run ./cmd/internal/seedvectors ../shared/seed/draft-hallambaker-mesh-architecture-01.txt > shared/udf/testdata/seed-keys.json
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// vector is one key of the seed: its printed kid and RSA parameters.
type vector struct {
	Line int    `json:"line"`
	Kid  string `json:"kid"`
	N    string `json:"n"`
	E    string `json:"e"`
}

var (
	kidLine   = regexp.MustCompile(`"kid": "([A-Z0-9-]+)"`)
	fieldLine = regexp.MustCompile(`^\s*"(n|e)": "$`)
	dataLine  = regexp.MustCompile(`^\s*([A-Za-z0-9_-]+)("[,}\]]*)?$`)
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: seedvectors SEED.txt")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()

	var (
		out     []vector
		cur     *vector
		field   string
		lineNum int
	)
	scan := bufio.NewScanner(f)
	for scan.Scan() {
		lineNum++
		line := scan.Text()
		if m := kidLine.FindStringSubmatch(line); m != nil {
			out = append(out, vector{Line: lineNum, Kid: m[1]})
			cur, field = &out[len(out)-1], ""
			continue
		}
		if cur == nil {
			continue
		}
		if m := fieldLine.FindStringSubmatch(line); m != nil {
			field = m[1]
			continue
		}
		if field == "" {
			continue
		}
		m := dataLine.FindStringSubmatch(line)
		if m == nil {
			continue // page breaks and blank lines inside a value
		}
		if field == "n" {
			cur.N += m[1]
		} else {
			cur.E += m[1]
		}
		if m[2] != "" { // closing quote: value done
			if field == "e" {
				cur = nil
			}
			field = ""
		}
	}
	if err := scan.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var full []vector
	for _, v := range out {
		if v.N != "" && v.E != "" && !strings.Contains(v.N, "...") {
			full = append(full, v)
		}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(full); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
