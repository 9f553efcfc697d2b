package match

import (
	"slices"

	"github.com/meshpass/meshpass/shared/vault"
)

// Index finds the entries that may fill a page without parsing every
// entry's sites each time: a site can only match a page of its own
// registrable domain (or its own IP address, or its own name when the host
// has no registrable domain), so each site is parsed once and filed under
// that key.
type Index struct {
	byKey map[string][]int
}

// key is where a parsed host is filed.
func (h host) key() string {
	switch {
	case h.ip.IsValid():
		return "ip:" + h.ip.String()
	case h.etld1 != "":
		return "d:" + h.etld1
	}
	return "n:" + h.name
}

// NewIndex files entries' sites. Index values refer to positions in
// entries; a malformed site is left out (it matches nothing).
func NewIndex(entries []vault.Entry) *Index {
	ix := &Index{byKey: map[string][]int{}}
	for i, e := range entries {
		for _, s := range e.Sites {
			parsed, err := parseSite(s)
			if err != nil {
				continue
			}
			k := parsed.h.key()
			if l := ix.byKey[k]; len(l) == 0 || l[len(l)-1] != i {
				ix.byKey[k] = append(l, i)
			}
		}
	}
	return ix
}

// Rank is Rank(entries, pageURL, opts) for the entries ix was made of,
// looking only at those filed under the page's key.
func (ix *Index) Rank(entries []vault.Entry, pageURL string, opts Options) []Ranked {
	p, err := ParsePage(pageURL, opts)
	if err != nil {
		return nil
	}
	var out []Ranked
	for _, i := range ix.byKey[p.h.key()] {
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

// SiteKeys returns the keys NewIndex files sites under, each once, in the
// order of sites; a malformed site has none. A page is matched only by
// entries with a site of its key (PageKey): a store of entries split by
// key (the extension's sealed per-site index) needs only the page's part.
func SiteKeys(sites []string) []string {
	var out []string
	for _, s := range sites {
		parsed, err := parseSite(s)
		if err != nil {
			continue
		}
		if k := parsed.h.key(); !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// PageKey returns the key under which Index looks up the entries that may
// fill pageURL, or an error if the page is not one entries can fill.
func PageKey(pageURL string, opts Options) (string, error) {
	p, err := ParsePage(pageURL, opts)
	if err != nil {
		return "", err
	}
	return p.h.key(), nil
}
