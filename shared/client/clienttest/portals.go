//go:build !js

package clienttest

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/meshpass/meshpass/portal-worker/sqlitestore"
)

// Portals serves fresh real portals on demand, for tests that cannot run
// one themselves (a test in a browser page). The testportal command serves
// it; NewRemote is its client.
//
//	POST /new        makes a portal (its own SQLite database in a new
//	                 directory under Dir, a fresh log key, no rate limits)
//	                 and answers {"URL": base URL, "ID": id}
//	POST /close/{id} closes portal id and deletes its database
//	/p/{id}/…        portal id: its mmm endpoint is /p/{id}/.well-known/mmm/
//
// Every answer carries Access-Control-Allow-Origin: * (the portals' own
// CORS answers are the portal handler's), so a page on any origin may use
// it. It is for tests only: anyone who can reach it can make portals.
type Portals struct {
	dir  string
	mux  *http.ServeMux
	mu   sync.Mutex
	next int
	live map[string]*served
}

type served struct {
	handler http.Handler
	store   *sqlitestore.Store
	dir     string
}

// NewPortals returns a Portals keeping its databases under dir.
func NewPortals(dir string) *Portals {
	s := &Portals{dir: dir, mux: http.NewServeMux(), live: map[string]*served{}}
	s.mux.HandleFunc("POST /new", s.create)
	s.mux.HandleFunc("POST /close/{id}", s.release)
	s.mux.HandleFunc("/p/{id}/", s.portal)
	return s
}

// ServeHTTP answers POST /new (a fresh portal: {"URL", "ID"}), POST
// /close/{id} (frees it) and the portals themselves under /p/{id}/, with
// CORS so that tests in a browser page can call it.
func (s *Portals) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	if r.Method == http.MethodOptions && !strings.HasPrefix(r.URL.Path, "/p/") {
		w.Header().Set("Access-Control-Allow-Methods", "POST, OPTIONS")
		w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Portals) create(w http.ResponseWriter, r *http.Request) {
	dir, err := os.MkdirTemp(s.dir, "portal-")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	handler, store, err := newPortal(dir)
	if err != nil {
		os.RemoveAll(dir)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	s.mu.Lock()
	s.next++
	id := strconv.Itoa(s.next)
	s.live[id] = &served{handler: handler, store: store, dir: dir}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(newAnswer{URL: "http://" + r.Host + "/p/" + id, ID: id})
}

func (s *Portals) release(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	p := s.live[id]
	delete(s.live, id)
	s.mu.Unlock()
	if p == nil {
		http.Error(w, "no portal "+id, http.StatusNotFound)
		return
	}
	if err := p.close(); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte("{}\n"))
}

func (s *Portals) portal(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	p := s.live[id]
	s.mu.Unlock()
	if p == nil {
		http.Error(w, "no portal "+id, http.StatusNotFound)
		return
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = strings.TrimPrefix(r.URL.Path, "/p/"+id)
	r2.URL.RawPath = ""
	p.handler.ServeHTTP(w, r2)
}

// Len returns how many portals are open.
func (s *Portals) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.live)
}

// Close closes every portal and deletes their databases.
func (s *Portals) Close() error {
	s.mu.Lock()
	live := s.live
	s.live = map[string]*served{}
	s.mu.Unlock()
	var errs []error
	for _, p := range live {
		errs = append(errs, p.close())
	}
	return errors.Join(errs...)
}

func (p *served) close() error {
	return errors.Join(p.store.Close(), os.RemoveAll(p.dir))
}
