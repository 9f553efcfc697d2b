//go:build !js

package clienttest

import (
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
)

// Witness is a witness a portal of NewWitnessed asks for cosignatures:
// its URL prefix (reachable from the test portal server) and its
// cosignature verifier key.
type Witness struct {
	URL, VerifierKey string
}

// NewWitnessed is New for a portal whose checkpoints the witnesses
// cosign, k of them required (0: the portal's default, a majority).
func NewWitnessed(t testing.TB, witnesses []Witness, k int) *Portal {
	t.Helper()
	q := url.Values{}
	for _, w := range witnesses {
		q.Add("witness", w.URL+"="+w.VerifierKey)
	}
	if k > 0 {
		q.Set("quorum", strconv.Itoa(k))
	}
	return NewWith(t, q)
}

// NewWith is New for a portal made with the settings q that the test
// portal server takes (portaltest.Portals: witness and quorum, signup and
// invitation, max-answer).
func NewWith(t testing.TB, q url.Values) *Portal {
	t.Helper()
	return served(t, serverURL(t), "/new?"+q.Encode())
}

// Fork returns a fork of p: a portal with p's log key and witnesses and
// a copy of its database as it is now, which then diverges from p (a
// portal that shows two histories of its log).
func (p *Portal) Fork(t testing.TB) *Portal {
	t.Helper()
	return served(t, p.server, "/fork/"+p.id)
}

// served takes a portal made by path at the test portal server, with an
// httptest server in front of it.
func served(t testing.TB, server, path string) *Portal {
	t.Helper()
	p := takeRemote(t, server, path)
	p.Server = httptest.NewServer(p)
	p.URL = p.Server.URL
	t.Cleanup(p.Server.Close)
	return p
}
