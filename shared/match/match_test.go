package match

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"

	"github.com/meshpass/meshpass/shared/vault"
)

var (
	https = Options{}
	http  = Options{AllowHTTP: true}
)

func TestAllowed(t *testing.T) {
	tests := []struct {
		name     string
		site     string
		page     string
		opts     Options
		kind     Kind // None: must not match
		insecure bool
	}{
		// Exact, case, trailing dot, paths, user info.
		{"exact", "example.com", "https://example.com/login", https, Exact, false},
		{"exact sub", "login.example.com", "https://login.example.com/", https, Exact, false},
		{"case site", "EXAMPLE.com", "https://example.COM/", https, Exact, false},
		{"trailing dot page", "example.com", "https://example.com./", https, Exact, false},
		{"trailing dot site", "example.com.", "https://example.com/", https, Exact, false},
		{"userinfo ignored", "example.com", "https://user:pw@example.com/", https, Exact, false},
		{"userinfo trick", "example.com", "https://example.com@evil.io/", https, None, false},
		{"site as URL", "https://example.com/login?x=1", "https://example.com/", https, Exact, false},
		{"site as javascript URL", "javascript://example.com/", "https://example.com/", https, None, false},

		// Registrable domain.
		{"parent fills child", "example.com", "https://login.example.com/", https, RegistrableDomain, false},
		{"child fills parent", "login.example.com", "https://example.com/", https, RegistrableDomain, false},
		{"sibling", "login.example.com", "https://www.example.com/", https, RegistrableDomain, false},
		{"co.uk", "example.co.uk", "https://www.example.co.uk/", https, RegistrableDomain, false},
		{"co.uk other", "example.co.uk", "https://other.co.uk/", https, None, false},

		// Attacks across registrable domains.
		{"suffix append", "example.com", "https://example.com.evil.io/", https, None, false},
		{"prefix hyphen", "example.com", "https://evil-example.com/", https, None, false},
		{"prefix glued", "example.com", "https://evilexample.com/", https, None, false},
		{"other tld", "example.com", "https://example.co/", https, None, false},
		{"punycode lookalike", "example.com", "https://xn--exmple-cua.com/", https, None, false},
		{"unicode lookalike", "example.com", "https://exämple.com/", https, None, false},
		{"cyrillic a", "example.com", "https://ex\u0430mple.com/", https, None, false},
		{"wildcard suffix append", "*.example.com", "https://a.example.com.evil.io/", https, None, false},
		{"wildcard glued", "*.example.com", "https://aexample.com/", https, None, false},

		// Public suffixes.
		{"wildcard com", "*.com", "https://example.com/", https, None, false},
		{"site com", "com", "https://example.com/", https, None, false},
		{"wildcard co.uk", "*.co.uk", "https://example.co.uk/", https, None, false},
		{"wildcard github.io", "*.github.io", "https://alice.github.io/", https, None, false},
		{"github.io private suffix", "alice.github.io", "https://bob.github.io/", https, None, false},
		{"github.io same user", "alice.github.io", "https://www.alice.github.io/", https, RegistrableDomain, false},
		{"github.io exact", "github.io", "https://github.io/", https, Exact, false},
		{"github.io no children", "github.io", "https://alice.github.io/", https, None, false},
		{"private suffix below wildcard", "*.amazonaws.com", "https://bucket.s3.amazonaws.com/", https, None, false},

		// Wildcards.
		{"wildcard one level", "*.example.com", "https://a.example.com/", https, Wildcard, false},
		{"wildcard two levels", "*.example.com", "https://a.b.example.com/", https, Wildcard, false},
		{"wildcard not bare", "*.example.com", "https://example.com/", https, None, false},
		{"wildcard deep domain", "*.corp.example.com", "https://x.corp.example.com/", https, Wildcard, false},
		{"wildcard deep no sibling", "*.corp.example.com", "https://www.example.com/", https, None, false},
		{"wildcard middle", "a.*.example.com", "https://a.b.example.com/", https, None, false},
		{"wildcard star only", "*", "https://example.com/", https, None, false},
		{"wildcard glued star", "*example.com", "https://www.example.com/", https, None, false},
		{"wildcard IP", "*.0.0.1", "https://127.0.0.1/", https, None, false},

		// Schemes.
		{"http refused by default", "example.com", "http://example.com/", https, None, false},
		{"http allowed", "example.com", "http://example.com/", http, Exact, true},
		{"http registrable", "example.com", "http://www.example.com/", http, RegistrableDomain, true},
		{"http localhost", "localhost", "http://localhost/", http, Exact, false},
		{"http localhost refused", "localhost", "http://localhost/", https, None, false},
		{"http loopback v4", "127.0.0.1", "http://127.0.0.1/", http, Exact, false},
		{"http loopback v6", "::1", "http://[::1]/", http, Exact, false},
		{"http sub.localhost", "app.localhost", "http://app.localhost/", http, Exact, false},
		{"scheme case", "example.com", "HTTPS://example.com/", https, Exact, false},
		{"javascript", "example.com", "javascript:alert(1)", http, None, false},
		{"javascript host", "example.com", "javascript://example.com/%0aalert(1)", http, None, false},
		{"data", "example.com", "data:text/html,<form>", http, None, false},
		{"file", "example.com", "file:///etc/passwd", http, None, false},
		{"file host", "example.com", "file://example.com/x", http, None, false},
		{"about blank", "example.com", "about:blank", http, None, false},
		{"blob", "example.com", "blob:https://example.com/1234", http, None, false},
		{"ftp", "example.com", "ftp://example.com/", http, None, false},
		{"ws", "example.com", "wss://example.com/", http, None, false},
		{"empty", "example.com", "", http, None, false},
		{"no scheme", "example.com", "example.com", http, None, false},
		{"opaque https", "example.com", "https:example.com", http, None, false},
		{"no host", "example.com", "https:///example.com", http, None, false},
		{"bad escape", "example.com", "https://exa%zzmple.com/", http, None, false},
		{"empty site", "", "https://example.com/", https, None, false},
		{"space site", "   ", "https://example.com/", https, None, false},

		// Ports.
		{"port exact", "localhost:8443", "https://localhost:8443/", https, Exact, false},
		{"port differs", "localhost:8443", "https://localhost:9443/", https, None, false},
		{"port default page", "localhost:8443", "https://localhost/", https, None, false},
		{"port 443 is default", "example.com:443", "https://example.com/", https, Exact, false},
		{"port 443 explicit page", "example.com", "https://example.com:443/", https, Exact, false},
		{"port 80 http", "example.com:80", "http://example.com/", http, Exact, true},
		{"port 443 vs http", "example.com:443", "http://example.com/", http, None, false},
		{"portless site any port", "example.com", "https://example.com:8443/", https, Exact, false},
		{"portless localhost default port", "localhost", "https://localhost/", https, Exact, false},
		{"portless localhost other port", "localhost", "https://localhost:3000/", https, None, false},
		{"portless sub.localhost other port", "app.localhost", "http://app.localhost:8080/", http, None, false},
		{"portless IP other port", "192.0.2.1", "https://192.0.2.1:8443/", https, None, false},
		{"portless loopback IP other port", "127.0.0.1", "http://127.0.0.1:8787/", http, None, false},
		{"port loopback IP", "127.0.0.1:8787", "http://127.0.0.1:8787/", http, Exact, false},
		{"port leading zero", "localhost:08443", "https://localhost:8443/", https, Exact, false},
		{"port with registrable", "example.com:8443", "https://www.example.com:8443/", https, RegistrableDomain, false},
		{"port with wildcard", "*.example.com:8443", "https://a.example.com:8443/", https, Wildcard, false},
		{"port with wildcard other", "*.example.com:8443", "https://a.example.com/", https, None, false},
		{"port out of range page", "example.com", "https://example.com:70000/", https, None, false},
		{"port out of range site", "example.com:70000", "https://example.com/", https, None, false},
		{"port zero site", "example.com:0", "https://example.com/", https, None, false},
		{"port empty site", "example.com:", "https://example.com/", https, None, false},
		{"port empty page", "example.com", "https://example.com:/", https, Exact, false},

		// IP addresses.
		{"ipv4 exact", "192.0.2.1", "https://192.0.2.1/", https, Exact, false},
		{"ipv4 other", "192.0.2.1", "https://192.0.2.2/", https, None, false},
		{"ipv4 same last labels", "10.1.2.3", "https://10.9.2.3/", https, None, false},
		{"ipv4 site vs name", "192.0.2.1", "https://example.com/", https, None, false},
		{"ipv4 port", "192.0.2.1:8443", "https://192.0.2.1:8443/", https, Exact, false},
		{"ipv4 odd form", "127.0.0.1", "https://127.1/", https, None, false},
		{"ipv4 hex form", "127.0.0.1", "https://0x7f.0.0.1/", https, None, false},
		{"numeric tld site", "1.2.3", "https://1.2.3/", https, None, false},
		{"ipv6 exact", "2001:db8::1", "https://[2001:db8::1]/", https, Exact, false},
		{"ipv6 bracketed site", "[2001:db8::1]", "https://[2001:db8:0::1]/", https, Exact, false},
		{"ipv6 port", "[2001:db8::1]:8443", "https://[2001:db8::1]:8443/", https, Exact, false},
		{"ipv6 port differs", "[2001:db8::1]:8443", "https://[2001:db8::1]/", https, None, false},
		{"ipv6 other", "2001:db8::1", "https://[2001:db8::2]/", https, None, false},
		{"ipv6 zone", "fe80::1", "https://[fe80::1%25eth0]/", https, None, false},
		{"ipv4 mapped", "1.2.3.4", "https://[::ffff:1.2.3.4]/", https, None, false},

		// IDN.
		{"idn unicode site, puny page", "bücher.de", "https://xn--bcher-kva.de/", https, Exact, false},
		{"idn puny site, unicode page", "xn--bcher-kva.de", "https://bücher.de/", https, Exact, false},
		{"idn escaped page", "bücher.de", "https://b%C3%BCcher.de/", https, Exact, false},
		{"idn upper", "BÜCHER.de", "https://bücher.de/", https, Exact, false},
		{"idn wildcard", "*.bücher.de", "https://shop.xn--bcher-kva.de/", https, Wildcard, false},
		{"idn registrable", "bücher.de", "https://www.bücher.de/", https, RegistrableDomain, false},
		{"idn different", "bücher.de", "https://bucher.de/", https, None, false},
		{"fullwidth dot", "example.com", "https://example\u3002com/", https, Exact, false},
		{"bad punycode", "xn--zz.com", "https://xn--zz.com/", https, None, false},
		{"hyphens allowed", "r3---sn-ab.googlevideo.com", "https://r3---sn-ab.googlevideo.com/", https, Exact, false},

		// Single-label and odd hosts.
		{"localhost https", "localhost", "https://localhost/", https, Exact, false},
		{"localhost not sub", "localhost", "https://app.localhost/", https, None, false},
		{"intranet exact", "intranet", "https://intranet/", https, Exact, false},
		{"unlisted tld", "a.corp.internal", "https://b.corp.internal/", https, RegistrableDomain, false},
		{"underscore", "a_b.example.com", "https://a_b.example.com/", https, None, false},
		{"empty label", "a..example.com", "https://a.example.com/", https, None, false},
		{"leading dot", ".example.com", "https://example.com/", https, None, false},
		{"brackets non-ip", "[example.com]", "https://example.com/", https, None, false},
		{"brackets page non-ip", "example.com", "https://[example.com]/", https, None, false},
		{"long label", strings.Repeat("a", 64) + ".com", "https://" + strings.Repeat("a", 64) + ".com/", https, None, false},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		if seen[tc.name] {
			t.Fatalf("duplicate case name %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			m, ok := Allowed(tc.site, tc.page, tc.opts)
			if ok != (tc.kind != None) {
				t.Fatalf("Allowed(%q, %q) = %+v, %v; want kind %v", tc.site, tc.page, m, ok, tc.kind)
			}
			if !ok {
				if m != (Match{}) {
					t.Errorf("no match but non-zero Match %+v", m)
				}
				return
			}
			if m.Kind != tc.kind {
				t.Errorf("kind = %v, want %v", m.Kind, tc.kind)
			}
			if m.Insecure != tc.insecure {
				t.Errorf("insecure = %v, want %v", m.Insecure, tc.insecure)
			}
			if m.Site != tc.site {
				t.Errorf("site = %q, want %q", m.Site, tc.site)
			}
			wantScheme := strings.ToLower(tc.page[:strings.Index(tc.page, ":")])
			if m.Scheme != wantScheme {
				t.Errorf("scheme = %q, want %q", m.Scheme, wantScheme)
			}
			checkSameRegistrableDomain(t, tc.site, tc.page, m)
		})
	}
	if len(tests) < 40 {
		t.Fatalf("only %d cases", len(tests))
	}
}

func TestParsePageErrors(t *testing.T) {
	for _, tc := range []struct {
		page string
		opts Options
		want error
	}{
		{"http://example.com/", https, ErrHTTP},
		{"javascript:alert(1)", http, ErrScheme},
		{"about:blank", http, ErrScheme},
		{"", http, ErrScheme},
		{"https:///x", http, ErrHost},
		{"https://exa mple.com/", http, ErrHost},
		{"https://example.com:99999/", http, ErrHost},
	} {
		p, err := ParsePage(tc.page, tc.opts)
		if p != nil || err == nil || !errors.Is(err, tc.want) {
			t.Errorf("ParsePage(%q) = %v, %v; want %v", tc.page, p, err, tc.want)
		}
	}
	p, err := ParsePage("https://Bücher.DE.:8443/x", https)
	if err != nil || p.Host() != "xn--bcher-kva.de" {
		t.Fatalf("ParsePage: %v, %v", p, err)
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{None: "none", RegistrableDomain: "registrable-domain",
		Wildcard: "wildcard", Exact: "exact", Kind(9): "Kind(9)"} {
		if got := k.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(k), got, want)
		}
	}
}

func TestBest(t *testing.T) {
	p, err := ParsePage("https://login.example.com:8443/", https)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		sites []string
		want  string
	}{
		{[]string{"example.com", "*.example.com", "login.example.com"}, "login.example.com"},
		{[]string{"example.com", "*.example.com"}, "*.example.com"},
		{[]string{"login.example.com", "login.example.com:8443"}, "login.example.com:8443"},
		{[]string{"example.com", "a.login.example.com"}, "a.login.example.com"},
		{[]string{"evil.io", "example.com"}, "example.com"},
		{[]string{"evil.io", "login.example.com:443"}, ""},
		{nil, ""},
	} {
		m, ok := p.Best(tc.sites)
		if ok != (tc.want != "") || m.Site != tc.want {
			t.Errorf("Best(%q) = %+v, %v; want %q", tc.sites, m, ok, tc.want)
		}
	}
}

func TestRank(t *testing.T) {
	now := time.Now()
	entries := []vault.Entry{
		{ID: "0", Sites: []string{"example.com"}, Updated: now},
		{ID: "1", Sites: []string{"evil.io", "example.com.evil.io"}},
		{ID: "2", Sites: []string{"login.example.com"}},
		{ID: "3", Sites: []string{"login.example.com"}, Deleted: true},
		{ID: "4", Sites: []string{"*.example.com"}},
		{ID: "5", Sites: []string{"other.example.com", "login.example.com:443"}},
		{ID: "6", Sites: nil},
		{ID: "7", Sites: []string{"*.com", "com", "example.co"}},
		{ID: "8", Sites: []string{"example.com"}},
	}
	got := Rank(entries, "https://login.example.com/", https)
	var ids []string
	var kinds []Kind
	for _, r := range got {
		ids = append(ids, entries[r.Index].ID)
		kinds = append(kinds, r.Match.Kind)
	}
	// 5 names the port, so it ranks before 2; 0 and 8 tie and keep their order.
	want := "5 2 4 0 8"
	if strings.Join(ids, " ") != want {
		t.Fatalf("Rank order = %v (%v), want %s", ids, kinds, want)
	}
	wantKinds := []Kind{Exact, Exact, Wildcard, RegistrableDomain, RegistrableDomain}
	for i := range wantKinds {
		if kinds[i] != wantKinds[i] {
			t.Errorf("kind %d = %v, want %v", i, kinds[i], wantKinds[i])
		}
	}
	if r := Rank(entries, "http://login.example.com/", https); r != nil {
		t.Errorf("http page without AllowHTTP: %v", r)
	}
	if r := Rank(entries, "https://example.com.evil.io/", https); len(r) != 1 || entries[r[0].Index].ID != "1" {
		t.Errorf("evil page: %v", r)
	}
}

// checkSameRegistrableDomain asserts, independently of the package's own
// normalization, that a non-exact match stays inside one registrable domain
// and an exact match is between equal hosts.
func checkSameRegistrableDomain(t *testing.T, site, page string, m Match) {
	t.Helper()
	u, err := url.Parse(page)
	if err != nil {
		t.Fatalf("matched unparsable page %q", page)
	}
	ph := norm(u.Hostname())
	s := strings.TrimSpace(site)
	if su, err := url.Parse(s); err == nil && su.Host != "" && strings.Contains(s, "://") {
		s = su.Host
	}
	if h, _, ok := strings.Cut(s, "]"); ok {
		s = strings.TrimPrefix(h, "[")
	} else if strings.Count(s, ":") == 1 {
		s, _, _ = strings.Cut(s, ":")
	}
	sh := norm(strings.TrimPrefix(s, "*."))
	if m.Kind == Exact {
		if sh != ph && !strings.Contains(sh, ":") {
			t.Fatalf("exact match between %q and %q", sh, ph)
		}
		return
	}
	pe, err1 := publicsuffix.EffectiveTLDPlusOne(ph)
	se, err2 := publicsuffix.EffectiveTLDPlusOne(sh)
	if err1 != nil || err2 != nil || pe != se {
		t.Fatalf("%v match of site %q (%q: %v) and page %q (%q: %v) crosses registrable domains",
			m.Kind, site, se, err2, page, pe, err1)
	}
	if m.Kind == Wildcard && !strings.HasSuffix(ph, "."+sh) {
		t.Fatalf("wildcard %q matched %q", site, page)
	}
}

// testIDNA is built here rather than shared with the package, so the
// fuzz check does not trust the package's own normalization.
var testIDNA = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.Transitional(false), idna.CheckHyphens(false))

// norm lowercases, drops a trailing dot and converts to punycode.
func norm(h string) string {
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	if a, err := testIDNA.ToASCII(h); err == nil {
		return a
	}
	return h
}

func FuzzAllowed(f *testing.F) {
	for _, s := range [][2]string{
		{"example.com", "https://login.example.com/"},
		{"*.example.com", "https://a.b.example.com:8443/x"},
		{"example.com", "https://example.com.evil.io/"},
		{"*.github.io", "https://alice.github.io/"},
		{"alice.github.io", "https://bob.github.io/"},
		{"bücher.de", "https://xn--bcher-kva.de/"},
		{"[::1]:8443", "http://[::1]:8443/"},
		{"127.0.0.1", "http://127.1/"},
		{"localhost:8443", "https://localhost:8443/"},
		{"https://example.co.uk/login", "https://www.example.co.uk/"},
		{"example.com", "javascript:alert(1)"},
		{"", ""},
	} {
		f.Add(s[0], s[1], true)
		f.Add(s[0], s[1], false)
	}
	f.Fuzz(func(t *testing.T, site, page string, allowHTTP bool) {
		m, ok := Allowed(site, page, Options{AllowHTTP: allowHTTP})
		if !ok {
			if m != (Match{}) {
				t.Fatalf("no match but %+v", m)
			}
			return
		}
		if m.Kind < RegistrableDomain || m.Kind > Exact || m.Site != site {
			t.Fatalf("bad match %+v", m)
		}
		u, err := url.Parse(page)
		if err != nil {
			t.Fatalf("matched unparsable page %q", page)
		}
		switch strings.ToLower(u.Scheme) {
		case "https":
		case "http":
			if !allowHTTP {
				t.Fatalf("http page %q matched without AllowHTTP", page)
			}
		default:
			t.Fatalf("page %q with scheme %q matched", page, u.Scheme)
		}
		if m.Kind == Exact {
			return // equality of hosts is checked by the table test
		}
		// Independently: the page host and the site host (wildcard
		// prefix removed) must have the same, defined, registrable
		// domain.
		pe, err1 := publicsuffix.EffectiveTLDPlusOne(norm(u.Hostname()))
		p, err := ParsePage(page, Options{AllowHTTP: allowHTTP})
		if err != nil {
			t.Fatalf("matched but ParsePage: %v", err)
		}
		if err1 != nil || pe != p.h.etld1 {
			t.Fatalf("page %q: registrable domain %q (%v), package says %q", page, pe, err1, p.h.etld1)
		}
		s, err := parseSite(site)
		if err != nil {
			t.Fatalf("matched but parseSite: %v", err)
		}
		se, err2 := publicsuffix.EffectiveTLDPlusOne(s.h.name)
		if err2 != nil || se != pe {
			t.Fatalf("%v match of site %q (%q) and page %q (%q) crosses registrable domains",
				m.Kind, site, se, page, pe)
		}
		if m.Kind == Wildcard && !strings.HasSuffix(p.h.name, "."+s.h.name) {
			t.Fatalf("wildcard %q matched %q", site, page)
		}
	})
}

func BenchmarkRank10000(b *testing.B) {
	entries := make([]vault.Entry, 10000)
	for i := range entries {
		entries[i].Sites = []string{"site" + strings.Repeat("x", i%7) + ".example" + string(rune('a'+i%26)) + ".com", "*.corp.example.com"}
	}
	b.ReportAllocs()
	for b.Loop() {
		if r := Rank(entries, "https://login.corp.example.com/", https); len(r) != len(entries) {
			b.Fatalf("%d matches", len(r))
		}
	}
}

func TestPageOrigin(t *testing.T) {
	for _, c := range []struct {
		url, origin, hostport, scheme string
		insecure                      bool
	}{
		{"https://Example.COM/login", "https://example.com", "example.com", "https", false},
		{"https://example.com:443/", "https://example.com", "example.com", "https", false},
		{"https://example.com:8443/x?y", "https://example.com:8443", "example.com:8443", "https", false},
		{"http://example.com/", "http://example.com", "example.com", "http", true},
		{"http://127.0.0.1:8787/", "http://127.0.0.1:8787", "127.0.0.1:8787", "http", false},
		{"http://app.localhost/", "http://app.localhost", "app.localhost", "http", false},
		{"http://[::1]:8080/", "http://[::1]:8080", "[::1]:8080", "http", false},
		{"https://[2001:db8::1]/", "https://[2001:db8::1]", "[2001:db8::1]", "https", false},
		{"http://10.0.0.1/", "http://10.0.0.1", "10.0.0.1", "http", true},
		{"https://bücher.de/", "https://xn--bcher-kva.de", "xn--bcher-kva.de", "https", false},
	} {
		p, err := ParsePage(c.url, Options{AllowHTTP: true})
		if err != nil {
			t.Fatalf("%s: %v", c.url, err)
		}
		if p.Origin() != c.origin || p.HostPort() != c.hostport || p.Scheme() != c.scheme || p.Insecure() != c.insecure {
			t.Errorf("%s: origin %q host %q scheme %q insecure %v; want %q %q %q %v", c.url,
				p.Origin(), p.HostPort(), p.Scheme(), p.Insecure(), c.origin, c.hostport, c.scheme, c.insecure)
		}
	}
}
