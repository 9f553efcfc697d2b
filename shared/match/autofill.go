package match

// Automatic fills and the site a password belongs to: the rules the
// extension applies before it fills without a click that names the
// entry, and before it offers to save a login typed on a page.

// Automatic reports whether the match lets an entry fill a page without
// the person choosing that entry for that host: on page load, on the next
// step of a login in two steps, and for the keyboard shortcut's silent
// best match. Only an Exact host or a Wildcard the person wrote into the
// entry qualifies, and on a page on another port than its scheme's
// default only a site that names that port ("bank.example" fills
// https://bank.example:8443 only from a click: another port is another
// origin, often another program). A RegistrableDomain match
// ("example.com" on "user-content.example.com", or on a taken-over
// subdomain) fills only from a click that names the entry's site.
func (m Match) Automatic() bool {
	return (m.Kind == Exact || m.Kind == Wildcard) && (m.Port || !m.pageOtherPort)
}

// SameSite reports whether site belongs to the page's site: its host has
// the page's registrable domain (eTLD+1), or, for an IP address or a host
// that has no registrable domain (a public suffix such as "github.io",
// "localhost", a single label), it is the page's host. Scheme and port are
// ignored: "localhost:3000" and "http://localhost:4000/" are one site, so
// are "login.example.com" and "https://www.example.com/". A malformed
// site belongs to no site.
//
// It is the boundary of the phishing warning: a password the vault holds
// only for sites that are not the page's site, typed into the page, is
// the password of another site.
func (p *Page) SameSite(site string) bool {
	s, err := parseSite(site)
	if err != nil {
		return false
	}
	switch {
	case s.h.ip.IsValid() || p.h.ip.IsValid():
		return s.h.ip == p.h.ip
	case s.h.etld1 != "" && p.h.etld1 != "":
		return s.h.etld1 == p.h.etld1
	default:
		return s.h.name == p.h.name
	}
}
