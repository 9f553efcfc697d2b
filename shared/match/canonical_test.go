package match

import (
	"strings"
	"testing"
)

func TestCanonicalSite(t *testing.T) {
	ok := []struct{ in, want string }{
		{"example.com", "example.com"},
		{"  Example.COM.  ", "example.com"},
		{"Bücher.de", "xn--bcher-kva.de"},
		{"xn--bcher-kva.de", "xn--bcher-kva.de"},
		{"*.Example.com", "*.example.com"},
		{"*.example.com:08443", "*.example.com:8443"},
		{"localhost", "localhost"},
		{"localhost:3000", "localhost:3000"},
		{"github.io", "github.io"},
		{"192.0.2.1", "192.0.2.1"},
		{"192.0.2.1:8080", "192.0.2.1:8080"},
		{"::1", "[::1]"},
		{"[::1]", "[::1]"},
		{"[0:0::1]:8443", "[::1]:8443"},
		{"https://example.com/login?x=1#y", "example.com"},
		{"HTTP://Example.com:8080/path", "example.com:8080"},
		{"https://[2001:db8::1]/", "[2001:db8::1]"},
		{"https://bücher.de/", "xn--bcher-kva.de"},
		{"r3---sn-x.googlevideo.com", "r3---sn-x.googlevideo.com"},
	}
	for _, c := range ok {
		got, err := CanonicalSite(c.in)
		if err != nil || got != c.want {
			t.Errorf("CanonicalSite(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	bad := []struct{ in, why string }{
		{"", "empty"},
		{"   ", "empty"},
		{"not a url", "spaces"},
		{"example .com", "spaces"},
		{"*.com", "public suffix"},
		{"*.github.io", "public suffix"},
		{"*.localhost", "public suffix"},
		{"*.192.0.2.1", ""},
		{"ftp://example.com/", "scheme"},
		{"javascript:alert(1)", ""},
		{"https://user:pw@example.com/", "user info"},
		{"https:///path", "empty host"},
		{"example.com:0", "port"},
		{"example.com:65536", "port"},
		{"example.com:", "port"},
		{"example.com/login", ""},
		{"127.1", "numeric"},
		{"[example.com]", "brackets"},
		{"fe80::1%eth0", "zone"},
		{"a..b", ""},
		{strings.Repeat("a", 64) + ".com", ""},
	}
	for _, c := range bad {
		got, err := CanonicalSite(c.in)
		if err == nil {
			t.Errorf("CanonicalSite(%q) = %q, want an error", c.in, got)
		} else if !strings.Contains(err.Error(), c.why) {
			t.Errorf("CanonicalSite(%q): %v; want it to say %q", c.in, err, c.why)
		}
	}
}

// canonicalPages are pages a site and its canonical form must match alike.
var canonicalPages = []string{
	"https://example.com/", "https://login.example.com/", "https://a.b.example.com:8443/",
	"https://example.com:8443/", "http://example.com/", "https://xn--bcher-kva.de/",
	"https://www.bücher.de/", "https://localhost/", "https://localhost:3000/",
	"http://127.0.0.1/", "http://192.0.2.1:8080/", "https://[::1]/", "https://[::1]:8443/",
	"https://[2001:db8::1]/", "https://github.io/", "https://alice.github.io/",
}

// sameMatches fails unless site and canon match every page alike.
func sameMatches(t *testing.T, site, canon string) {
	t.Helper()
	for _, page := range canonicalPages {
		p, err := ParsePage(page, Options{AllowHTTP: true})
		if err != nil {
			t.Fatal(err)
		}
		m1, ok1 := p.Match(site)
		m2, ok2 := p.Match(canon)
		m1.Site, m2.Site = "", ""
		if ok1 != ok2 || m1 != m2 {
			t.Fatalf("on %s: site %q matches %v %+v, its canonical form %q %v %+v", page, site, ok1, m1, canon, ok2, m2)
		}
	}
}

func FuzzCanonicalSite(f *testing.F) {
	for _, s := range []string{
		"example.com", "*.example.com:8443", "Bücher.de.", "[::1]:8443", "::1", "192.0.2.1",
		"https://example.com/login", "not a url", "*.com", "localhost:3000", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, site string) {
		canon, err := CanonicalSite(site)
		if err != nil {
			return
		}
		again, err := CanonicalSite(canon)
		if err != nil || again != canon {
			t.Fatalf("CanonicalSite(%q) = %q, but CanonicalSite(%q) = %q, %v", site, canon, canon, again, err)
		}
		sameMatches(t, site, canon)
	})
}

func TestCanonicalSiteMatchesAlike(t *testing.T) {
	for _, site := range []string{
		"example.com", "EXAMPLE.com.", "*.example.com", "*.example.com:8443", "Bücher.de",
		"https://www.bücher.de/x", "localhost:3000", "0:0::1", "[::1]:8443", "https://[::1]:8443/",
		"192.0.2.1:8080", "https://example.com:8443/", "github.io",
	} {
		canon, err := CanonicalSite(site)
		if err != nil {
			t.Fatalf("CanonicalSite(%q): %v", site, err)
		}
		sameMatches(t, site, canon)
	}
}
