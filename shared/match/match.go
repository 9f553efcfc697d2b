// Package match decides which password entries may fill a web page.
//
// A password entry lists Sites. A site is one of
//
//   - a host name: "example.com", "login.example.com", "bücher.de";
//   - a wildcard: "*.example.com", meaning any subdomain of example.com at
//     any depth ("a.example.com", "a.b.example.com") but NOT the bare
//     "example.com" itself: an entry that is for both lists both sites;
//   - an IP address: "192.0.2.1", "::1" or "[::1]";
//
// each optionally followed by ":port" ("localhost:8443", "[::1]:8443",
// "*.example.com:8443"). For convenience when importing from other password
// managers a site may also be written as an http or https URL
// ("https://example.com/login"): only its host and port are used.
//
// An entry's site fills a page when, in order of strength:
//
//   - Exact: the page's host is the site's host;
//   - Wildcard: the site is "*.D" and the page's host ends in "." + D;
//   - RegistrableDomain: the site's host and the page's host have the same
//     registrable domain (eTLD+1 by the public suffix list), so an entry for
//     "example.com" fills "login.example.com".
//
// A match never crosses registrable domains: "example.com.evil.io",
// "evil-example.com", "example.co" and punycode lookalikes get nothing from
// an entry for example.com. Public suffixes, including private ones such as
// "github.io", never act as wildcards or registrable domains: "*.com" and
// "*.github.io" match nothing, and "alice.github.io" does not fill
// "bob.github.io". A site that is itself a public suffix ("github.io",
// "localhost", any single-label name) fills only that exact host. IP
// addresses match only the exact same address.
//
// Ports: a site with a port fills only pages on that port (the page's port
// is the explicit one or the scheme's default, 443 or 80). A site without a
// port ignores the page's port, as cookies do: "example.com" fills
// "https://example.com:8443/" — except on loopback hosts and IP addresses,
// where every port is likely another program (a development server, a
// router's page): there a site without a port fills only the scheme's
// default port, and "localhost:3000" must be written out.
//
// Schemes: by default only https pages are filled. With Options.AllowHTTP,
// http pages are filled too, and the Match says so (Scheme "http", and
// Insecure when the host is not loopback) so that the extension can ask the
// person before filling a form whose contents cross the network in clear.
// Every other scheme (javascript:, data:, file:, blob:, about:, ...) gets
// nothing.
//
// Host names compare case-insensitively, without a trailing dot, and in
// their ASCII (punycode) form after UTS #46 mapping, so "Bücher.de.",
// "bücher.de" and "xn--bcher-kva.de" are the same host.
package match

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"

	"github.com/meshpass/meshpass/shared/vault"
)

// Kind says how a site matched a page. A larger Kind is a stronger match.
type Kind int

const (
	// None means the site does not fill the page.
	None Kind = iota
	// RegistrableDomain means the site's host and the page's host differ
	// but share a registrable domain (eTLD+1).
	RegistrableDomain
	// Wildcard means a "*.D" site matched a page on a subdomain of D.
	Wildcard
	// Exact means the page's host is the site's host.
	Exact
)

// String returns the name of the kind ("exact", "wildcard",
// "registrable-domain" or "none").
func (k Kind) String() string {
	switch k {
	case Exact:
		return "exact"
	case Wildcard:
		return "wildcard"
	case RegistrableDomain:
		return "registrable-domain"
	case None:
		return "none"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Options adjust what pages may be filled.
type Options struct {
	// AllowHTTP lets http pages be filled (the Match reports the scheme so
	// the UI can ask first). Without it only https pages are filled.
	AllowHTTP bool
}

// Match describes how a site matched a page.
type Match struct {
	// Kind is how the site matched; never None in a returned match.
	Kind Kind `json:"kind"`
	// Site is the site, as written in the entry, that matched.
	Site string `json:"site"`
	// Scheme is the page's scheme, "https" or "http".
	Scheme string `json:"scheme"`
	// Insecure is true for an http page whose host is not loopback
	// (localhost, *.localhost, 127.0.0.0/8, ::1): what is filled there
	// crosses the network unencrypted, so the UI should ask first.
	Insecure bool `json:"insecure,omitempty"`
	// Port is true when the site named a port (which then equals the
	// page's).
	Port bool `json:"port,omitempty"`
	// depth is the number of trailing DNS labels the site shares with the
	// page; it ranks matches of the same Kind (more is more specific).
	depth int
	// pageOtherPort: the page is on another port than its scheme's
	// default (Automatic needs the site to name it).
	pageOtherPort bool
}

// better reports whether m ranks strictly before o.
func (m Match) better(o Match) bool {
	if m.Kind != o.Kind {
		return m.Kind > o.Kind
	}
	if m.Port != o.Port {
		return m.Port
	}
	return m.depth > o.depth
}

// Errors from ParsePage, saying why a page cannot be filled at all.
var (
	// ErrScheme means the page is neither https nor (with AllowHTTP) http.
	ErrScheme = errors.New("match: page scheme is not https")
	// ErrHTTP means the page is http and Options.AllowHTTP is not set.
	ErrHTTP = errors.New("match: page is http and AllowHTTP is not set")
	// ErrHost means the page URL has no usable host or port.
	ErrHost = errors.New("match: page URL has no valid host")
)

// Page is a page URL parsed once, to be matched against many sites.
type Page struct {
	scheme   string
	h        host
	port     string // effective port, canonical decimal
	loopback bool
	// otherPort: the page is on another port than its scheme's default.
	otherPort bool
}

// host is a normalized host: an IP address, or a lowercase ASCII DNS name
// without a trailing dot and its registrable domain ("" if it has none).
type host struct {
	ip    netip.Addr // valid if the host is an IP address
	name  string     // ASCII host name, or ip.String() for an address
	etld1 string     // registrable domain of name; "" for IPs and suffixes
}

// ParsePage parses a page URL for matching. It fails for anything that must
// never be filled: another scheme than https (or http with
// opts.AllowHTTP), no host, a malformed host or port.
func ParsePage(pageURL string, opts Options) (*Page, error) {
	u, err := url.Parse(pageURL)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrHost, err)
	}
	p := &Page{scheme: strings.ToLower(u.Scheme)}
	switch p.scheme {
	case "https":
	case "http":
		if !opts.AllowHTTP {
			return nil, ErrHTTP
		}
	default:
		return nil, fmt.Errorf("%w: %q", ErrScheme, u.Scheme)
	}
	if u.Opaque != "" || u.Host == "" {
		return nil, ErrHost
	}
	hostname := u.Hostname()
	if strings.HasPrefix(u.Host, "[") != (strings.Contains(hostname, ":")) {
		return nil, ErrHost // brackets only and always around IPv6
	}
	p.h, err = parseHost(hostname)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrHost, err)
	}
	p.port = u.Port()
	if p.port == "" { // none, or "host:" which browsers read as the default
		p.port = map[string]string{"https": "443", "http": "80"}[p.scheme]
	} else if p.port, err = parsePort(p.port); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrHost, err)
	}
	p.loopback = p.h.ip.IsLoopback() || p.h.name == "localhost" ||
		strings.HasSuffix(p.h.name, ".localhost")
	p.otherPort = p.port != map[string]string{"https": "443", "http": "80"}[p.scheme]
	return p, nil
}

// Host returns the page's normalized host: lowercase ASCII (punycode) for a
// name, the canonical text form for an IP address.
func (p *Page) Host() string { return p.h.name }

// Scheme returns the page's scheme, "https" or "http".
func (p *Page) Scheme() string { return p.scheme }

// Insecure reports a page that crosses the network in clear: plain http on
// a host that is not loopback. It is the one rule for "not secure": fills
// ask first there (Match.Insecure), and logins typed there are not offered
// for saving.
func (p *Page) Insecure() bool { return p.scheme != "https" && !p.loopback }

// HostPort returns the page's host as a URL writes it: Host, in brackets
// for an IPv6 address, with ":port" unless the port is the scheme's
// default ("example.com", "[::1]:8443").
func (p *Page) HostPort() string {
	h := p.h.name
	if p.h.ip.Is6() {
		h = "[" + h + "]"
	}
	if p.otherPort {
		h += ":" + p.port
	}
	return h
}

// Origin returns the page's origin as package match normalizes it: scheme
// "://" HostPort ("https://example.com", "http://127.0.0.1:8787"). It is
// for display and for the core's own decisions; it can differ from a
// browser's origin in rare spellings (a trailing dot, which match drops;
// an IPv4-mapped IPv6 address), so never compare it with one.
func (p *Page) Origin() string { return p.scheme + "://" + p.HostPort() }

// Match reports whether site may fill the page, and how. A malformed site
// matches nothing.
func (p *Page) Match(site string) (Match, bool) {
	s, err := parseSite(site)
	if err != nil {
		return Match{}, false
	}
	if s.port != "" && s.port != p.port {
		return Match{}, false
	}
	if s.port == "" && p.otherPort && (p.loopback || p.h.ip.IsValid()) {
		return Match{}, false
	}
	m := Match{
		Site:          site,
		Scheme:        p.scheme,
		Insecure:      p.Insecure(),
		Port:          s.port != "",
		pageOtherPort: p.otherPort,
	}
	switch {
	case s.h.ip.IsValid() || p.h.ip.IsValid():
		if s.h.ip != p.h.ip {
			return Match{}, false
		}
		m.Kind, m.depth = Exact, 1
	case s.wildcard:
		// "*.D": D must not be a public suffix, and the page must be a
		// proper subdomain of D in the same registrable domain (a
		// private suffix below D, like s3.amazonaws.com under
		// "*.amazonaws.com", starts other registrable domains).
		if s.h.etld1 == "" || s.h.etld1 != p.h.etld1 ||
			!strings.HasSuffix(p.h.name, "."+s.h.name) {
			return Match{}, false
		}
		m.Kind = Wildcard
	case s.h.name == p.h.name:
		m.Kind = Exact
	case s.h.etld1 != "" && s.h.etld1 == p.h.etld1:
		m.Kind = RegistrableDomain
	default:
		return Match{}, false
	}
	if m.depth == 0 {
		m.depth = sharedLabels(s.h.name, p.h.name)
	}
	return m, true
}

// Best returns the strongest match among sites (the first of equals), and
// whether any site matched.
func (p *Page) Best(sites []string) (Match, bool) {
	var best Match
	found := false
	for _, site := range sites {
		if m, ok := p.Match(site); ok && (!found || m.better(best)) {
			best, found = m, true
		}
	}
	return best, found
}

// Allowed reports whether the entry site may fill the page at pageURL, and
// how. It is ParsePage followed by Page.Match; to match many sites against
// one page, call ParsePage once.
func Allowed(site, pageURL string, opts Options) (Match, bool) {
	p, err := ParsePage(pageURL, opts)
	if err != nil {
		return Match{}, false
	}
	return p.Match(site)
}

// Ranked is one entry that may fill a page.
type Ranked struct {
	// Index is the entry's position in the slice given to Rank.
	Index int `json:"index"`
	// Match is the strongest match among the entry's sites.
	Match Match `json:"match"`
}

// Rank returns the entries that may fill the page at pageURL, strongest
// match first: Exact before Wildcard before RegistrableDomain; then a site
// naming the page's port before one without a port; then the site sharing
// more trailing labels with the page's host; then entry order. Deleted
// entries are skipped. It returns nil if nothing matches or the page may
// not be filled at all.
func Rank(entries []vault.Entry, pageURL string, opts Options) []Ranked {
	p, err := ParsePage(pageURL, opts)
	if err != nil {
		return nil
	}
	var out []Ranked
	for i := range entries {
		if entries[i].Deleted {
			continue
		}
		if m, ok := p.Best(entries[i].Sites); ok {
			out = append(out, Ranked{Index: i, Match: m})
		}
	}
	slices.SortStableFunc(out, compareRanked)
	return out
}

// compareRanked orders the stronger match first.
func compareRanked(a, b Ranked) int {
	switch {
	case a.Match.better(b.Match):
		return -1
	case b.Match.better(a.Match):
		return 1
	}
	return 0
}

// site is a parsed entry site.
type site struct {
	wildcard bool
	h        host
	port     string // canonical decimal, "" for any port
}

// String returns the site's canonical text: "*." for a wildcard, then the
// host (lowercase ASCII, or an IP address in its canonical form, an IPv6
// address always in brackets), then ":port" if the site names one.
func (s site) String() string {
	var b strings.Builder
	if s.wildcard {
		b.WriteString("*.")
	}
	if s.h.ip.Is6() {
		b.WriteString("[" + s.h.name + "]")
	} else {
		b.WriteString(s.h.name)
	}
	if s.port != "" {
		b.WriteString(":" + s.port)
	}
	return b.String()
}

// CanonicalSite parses an entry site written in any form this package
// accepts (see the package comment) and returns its canonical form, which
// matches exactly the pages the site as written matches: a host name in
// lowercase ASCII (punycode) without a trailing dot ("Bücher.de." becomes
// "xn--bcher-kva.de"), a wildcard as "*." and such a name, an IPv4 address
// as four decimals, an IPv6 address in its canonical form within brackets
// ("[::1]"), each with ":port" when the site names a port (as a decimal
// without leading zeros); a URL becomes its host and port, without the
// scheme, path, query or fragment. Surrounding spaces are ignored.
//
// It refuses what Page.Match would never match: a malformed site, and a
// wildcard over a public suffix ("*.com", "*.github.io", "*.localhost"). A
// refused site's error says why; CanonicalSite(CanonicalSite(s)) is
// CanonicalSite(s).
func CanonicalSite(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("empty site")
	}
	if strings.IndexFunc(s, unicode.IsSpace) >= 0 {
		return "", errors.New("a site holds no spaces")
	}
	st, err := parseSite(s)
	if err != nil {
		return "", err
	}
	if st.wildcard && st.h.etld1 == "" {
		return "", fmt.Errorf("a wildcard over the public suffix %q matches nothing", st.h.name)
	}
	return st.String(), nil
}

// parseSite parses "host", "host:port", "*.domain[:port]", "[v6][:port]",
// a bare IPv6 address, or an http(s) URL.
func parseSite(s string) (site, error) {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "://"); i >= 0 {
		u, err := url.Parse(s)
		if err != nil {
			return site{}, err
		}
		if sc := strings.ToLower(u.Scheme); sc != "https" && sc != "http" {
			return site{}, fmt.Errorf("site URL scheme %q", u.Scheme)
		}
		if u.User != nil {
			return site{}, errors.New("site URL has user info")
		}
		s = u.Host
	}
	var out site
	hostPart := s
	if a, err := netip.ParseAddr(s); err == nil && a.Is6() {
		hostPart = s // bare IPv6 address, no port
	} else if strings.HasPrefix(s, "[") || strings.Count(s, ":") == 1 {
		h, port, err := net.SplitHostPort(s)
		if err != nil {
			if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
				h = s[1 : len(s)-1] // "[v6]" without a port
				if !strings.Contains(h, ":") {
					return site{}, errors.New("brackets around a non-IPv6 host")
				}
			} else {
				return site{}, err
			}
		} else {
			if strings.HasPrefix(s, "[") != strings.Contains(h, ":") {
				return site{}, errors.New("brackets only around IPv6")
			}
			if out.port, err = parsePort(port); err != nil {
				return site{}, err
			}
		}
		hostPart = h
	}
	if rest, ok := strings.CutPrefix(hostPart, "*."); ok {
		out.wildcard = true
		hostPart = rest
	}
	h, err := parseHost(hostPart)
	if err != nil {
		return site{}, err
	}
	if out.wildcard && h.ip.IsValid() {
		return site{}, errors.New("wildcard IP address")
	}
	out.h = h
	return out, nil
}

// lookup maps host names the way browsers do (UTS #46 non-transitional,
// without CheckHyphens, so "r3---sn-x.googlevideo.com" is valid).
var lookup = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.Transitional(false),
	idna.CheckHyphens(false),
)

// parseHost normalizes an IP address or a host name.
func parseHost(s string) (host, error) {
	if s == "" {
		return host{}, errors.New("empty host")
	}
	if a, err := netip.ParseAddr(s); err == nil {
		if a.Zone() != "" {
			return host{}, errors.New("IPv6 zone")
		}
		return host{ip: a, name: a.String()}, nil
	}
	s = strings.TrimSuffix(s, ".")
	name, err := lookup.ToASCII(strings.ToLower(s))
	if err != nil {
		return host{}, err
	}
	if name == "" || len(name) > 253 {
		return host{}, errors.New("host name length")
	}
	labels := strings.Split(name, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return host{}, fmt.Errorf("host label %q", l)
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return host{}, fmt.Errorf("host label %q", l)
			}
		}
	}
	// A name whose last label is a number is an (odd) IPv4 address to a
	// browser ("127.1", "0x7f.0.0.1"): never treat it as a domain.
	last := labels[len(labels)-1]
	if strings.Trim(last, "0123456789") == "" ||
		strings.HasPrefix(last, "0x") && strings.Trim(last[2:], "0123456789abcdef") == "" {
		return host{}, errors.New("numeric top-level label")
	}
	h := host{name: name}
	if e, err := publicsuffix.EffectiveTLDPlusOne(name); err == nil {
		h.etld1 = e
	}
	return h, nil
}

// parsePort checks a decimal port in 1..65535 and returns it canonically.
func parsePort(s string) (string, error) {
	if s == "" || len(s) > 5 || strings.Trim(s, "0123456789") != "" {
		return "", fmt.Errorf("port %q", s)
	}
	n, _ := strconv.Atoi(s)
	if n < 1 || n > 65535 {
		return "", fmt.Errorf("port %q", s)
	}
	return strconv.Itoa(n), nil
}

// sharedLabels counts the trailing DNS labels a and b have in common.
func sharedLabels(a, b string) int {
	n := 0
	for a != "" && b != "" {
		ia, ib := strings.LastIndexByte(a, '.'), strings.LastIndexByte(b, '.')
		if a[ia+1:] != b[ib+1:] {
			break
		}
		n++
		if ia < 0 || ib < 0 {
			break
		}
		a, b = a[:ia], b[:ib]
	}
	return n
}
