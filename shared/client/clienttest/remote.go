package clienttest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// NewRemote takes a fresh portal (its own SQLite database and log key)
// from the test portal server at server (portal-worker/portaltest, run by
// cmd/internal/testportal), released when the test ends. Requests to it go from the test
// process over HTTP (on js/wasm the browser's fetch, so the portal's CORS
// answers matter), through the rewrite in Client's RoundTripper.
func NewRemote(t testing.TB, server string) *Portal {
	t.Helper()
	return takeRemote(t, strings.TrimRight(server, "/"), "/new")
}

// takeRemote takes the portal that path (/new, /fork/ID…) makes at the
// test portal server, released when the test ends.
func takeRemote(t testing.TB, server, path string) *Portal {
	t.Helper()
	var made newAnswer
	if err := callServer(server+path, &made); err != nil {
		t.Fatalf("clienttest: a portal from the test portal server %s (%s): %v", server, EnvServer, err)
	}
	t.Cleanup(func() {
		if err := callServer(server+"/close/"+made.ID, nil); err != nil {
			t.Logf("clienttest: releasing portal %s: %v", made.URL, err)
		}
	})
	return &Portal{URL: made.URL, origin: made.URL, server: server, id: made.ID, upstream: http.DefaultTransport.RoundTrip}
}

// Backup backs p's portal database up at its test portal server, as the
// native store's Backup does (VACUUM INTO), replacing its last backup.
func (p *Portal) Backup(t testing.TB) {
	t.Helper()
	if err := callServer(p.server+"/backup/"+p.id, nil); err != nil {
		t.Fatalf("clienttest: backing up %s: %v", p.origin, err)
	}
}

// Restore puts p's last Backup in place of its database, as an operator
// restores one: the portal answers at the same URL, with the same log key
// and witnesses, from the backed-up state.
func (p *Portal) Restore(t testing.TB) {
	t.Helper()
	if err := callServer(p.server+"/restore/"+p.id, nil); err != nil {
		t.Fatalf("clienttest: restoring %s: %v", p.origin, err)
	}
}

// newAnswer is the test portal server's answer to POST /new.
type newAnswer struct {
	// URL is the new portal's base URL.
	URL string
	// ID names it in POST /close/ID and POST /stored/ID.
	ID string
}

var serverClient = &http.Client{Timeout: time.Minute}

// StoredBytes returns every byte p's portal holds on disk (its SQLite
// database, WAL and journal files, concatenated), from its test portal
// server: a test looks there for secrets that must never reach a portal.
func StoredBytes(t testing.TB, p *Portal) []byte {
	t.Helper()
	var out []byte
	if err := callServerRaw(p.server+"/stored/"+p.id, &out); err != nil {
		t.Fatalf("clienttest: the stored bytes of %s: %v", p.origin, err)
	}
	return out
}

// callServer posts an empty body to a test portal server (a CORS-safe
// "simple" request, so a browser sends no preflight) and decodes its JSON
// answer into v unless v is nil.
func callServer(url string, v any) error {
	var body []byte
	if err := callServerRaw(url, &body); err != nil || v == nil {
		return err
	}
	return json.Unmarshal(body, v)
}

// callServerRaw posts an empty body to a test portal server and sets
// *answer to its answer.
func callServerRaw(url string, answer *[]byte) error {
	req, err := http.NewRequest(http.MethodPost, url, nil)
	if err != nil {
		return err
	}
	resp, err := serverClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	*answer = body
	return nil
}
