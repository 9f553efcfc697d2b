//go:build !js

package portaltest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/meshpass/meshpass/shared/client/clienttest"
	"github.com/meshpass/meshpass/shared/mmm"
)

// exercise checks the rewrite, the record and Forward on p.
func exercise(t *testing.T, p *clienttest.Portal) {
	t.Helper()
	hello := []byte(`{"HelloRequest":{}}`)
	post := func() (int, string, http.Header) {
		t.Helper()
		resp, err := p.Client().Post(strings.TrimRight(p.URL, "/")+mmm.Path, "application/json", bytes.NewReader(hello))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	code, body, h := post()
	if code != mmm.StatusOK || !strings.HasPrefix(body, `{"HelloResponse"`) || h.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("Hello: %d %s %v", code, body, h)
	}
	p.SetRewrite(func(typ string, req, resp []byte) []byte {
		if typ != "HelloRequest" || !bytes.Equal(req, hello) || !bytes.HasPrefix(resp, []byte(`{"HelloResponse"`)) {
			t.Errorf("rewrite saw %q %q %q", typ, req, resp)
		}
		return []byte(`{"HelloResponse":{"Status":201,"StatusDescription":"rewritten"}}`)
	})
	if code, body, _ := post(); code != mmm.StatusOK || !strings.Contains(body, "rewritten") {
		t.Fatalf("rewritten Hello: %d %s", code, body)
	}
	if code, body := p.Forward(hello); code != mmm.StatusOK || strings.Contains(string(body), "rewritten") {
		t.Fatalf("Forward: %d %s", code, body)
	}
	p.SetRewrite(nil)
	if n := p.Count("HelloRequest", mmm.StatusOK); n != 2 || len(p.Exchanges()) != 2 {
		t.Fatalf("recorded %d Hellos, %d exchanges; want 2 (Forward is not recorded)", n, len(p.Exchanges()))
	}
	if last := p.Last("HelloRequest"); last == nil || !strings.Contains(string(last.Response), "rewritten") {
		t.Fatalf("last exchange %+v", last)
	}

	// A preflight passes through unrecorded.
	req, _ := http.NewRequest(http.MethodOptions, strings.TrimRight(p.URL, "/")+mmm.Path, nil)
	req.Header.Set("Origin", "http://page.test")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := p.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Methods") == "" || len(p.Exchanges()) != 2 {
		t.Fatalf("preflight: %d %v, %d exchanges", resp.StatusCode, resp.Header, len(p.Exchanges()))
	}
}

// TestOwnServer: without MESHPASS_TESTPORTAL, clienttest.New starts a
// test portal server of its own (cmd/internal/testportal).
func TestOwnServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts cmd/internal/testportal")
	}
	t.Setenv(clienttest.EnvServer, "")
	p := clienttest.New(t)
	if p.Server == nil || !strings.HasPrefix(p.URL, p.Server.URL) {
		t.Fatalf("New gave no local server in front of the portal: %q", p.URL)
	}
	exercise(t, p)
	if len(clienttest.StoredBytes(t, p)) == 0 {
		t.Fatal("StoredBytes: nothing stored")
	}
}

func TestRemote(t *testing.T) {
	portals := NewPortals(t.TempDir())
	srv := httptest.NewServer(portals)
	defer srv.Close()
	defer portals.Close()
	var urls []string
	for i := range 2 {
		t.Run("portal", func(t *testing.T) {
			p := clienttest.NewRemote(t, srv.URL)
			if p.Server != nil || !strings.HasPrefix(p.URL, srv.URL+"/p/") {
				t.Fatalf("portal %d: not from the server: %q", i, p.URL)
			}
			urls = append(urls, p.URL)
			exercise(t, p)
			stored := clienttest.StoredBytes(t, p)
			if !bytes.Contains(stored, []byte("SQLite format 3")) {
				t.Fatalf("StoredBytes: %d bytes, no SQLite database", len(stored))
			}
			if portals.Len() != 1 {
				t.Fatalf("%d portals open", portals.Len())
			}
		})
	}
	if portals.Len() != 0 {
		t.Fatalf("%d portals left open after the tests", portals.Len())
	}
	if urls[0] == urls[1] {
		t.Fatalf("one portal twice: %s", urls[0])
	}

	// The server's own answers let any origin read them; unknown portals
	// are 404.
	resp, err := http.Post(srv.URL+"/new", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("POST /new: %d %v", resp.StatusCode, resp.Header)
	}
	for _, path := range []string{"/close/99", "/stored/99", "/p/99" + mmm.Path} {
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(`{"HelloRequest":{}}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
}
