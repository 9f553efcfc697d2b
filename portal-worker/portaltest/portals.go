//go:build !js

// Package portaltest serves real meshpass portals on demand to tests that
// cannot, or should not, run a portal themselves: the client's tests,
// natively and in a browser page. The client side of it is
// shared/client/clienttest; cmd/internal/testportal runs it as a server.
// It sits above both the portal and the client, so that the protocol and
// client packages under shared/ depend on nothing of the portal.
package portaltest

import (
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/meshpass/meshpass/portal-worker/portal"
	"github.com/meshpass/meshpass/portal-worker/sqlitestore"
	"github.com/meshpass/meshpass/shared/translog"
)

// Portals serves fresh real portals on demand. The testportal command
// serves it; clienttest.New is its client.
//
//	POST /new         makes a portal (its own SQLite database in a new
//	                  directory under dir, a fresh log key, no rate limits)
//	                  and answers {"URL": base URL, "ID": id}; with
//	                  ?witness=URL=KEY (repeated) and ?quorum=K, one whose
//	                  checkpoints those witnesses cosign (witness.go);
//	                  ?signup=invitation&invitation=CODE (repeated) or
//	                  ?signup=closed for its sign-ups; ?max-answer=N to
//	                  cap one Get or Audit answer at N bytes
//	POST /fork/{id}   makes a fork of portal id: a new portal with its log
//	                  key, witnesses and a copy of its database, which then
//	                  diverges (a portal showing two histories)
//	POST /backup/{id} backs portal id's database up (VACUUM INTO, as
//	                  the native store's Backup), replacing its last backup
//	POST /restore/{id} puts the last backup in place of portal id's
//	                  database and opens it again at the same URL (an
//	                  operator restoring a backup; restore.go)
//	POST /close/{id}  closes portal id and deletes its database
//	POST /stored/{id} answers every byte portal id holds on disk (its
//	                  database, WAL and journal files, concatenated), for
//	                  tests that a secret never reaches the portal's storage
//	/p/{id}/…         portal id: its mmm endpoint is /p/{id}/.well-known/mmm/
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
	// cfg made it (fork makes another with it).
	cfg *config
}

// NewPortals returns a Portals keeping its databases under dir.
func NewPortals(dir string) *Portals {
	s := &Portals{dir: dir, mux: http.NewServeMux(), live: map[string]*served{}}
	s.mux.HandleFunc("POST /new", s.create)
	s.mux.HandleFunc("POST /close/{id}", s.release)
	s.mux.HandleFunc("POST /stored/{id}", s.stored)
	s.mux.HandleFunc("POST /fork/{id}", s.fork)
	s.mux.HandleFunc("POST /backup/{id}", s.backup)
	s.mux.HandleFunc("POST /restore/{id}", s.restore)
	s.mux.HandleFunc("/p/{id}/", s.portal)
	return s
}

// ServeHTTP answers POST /new (a fresh portal: {"URL", "ID"}), POST
// /close/{id} (frees it), POST /stored/{id} (its bytes on disk) and the
// portals themselves under /p/{id}/, with CORS so that tests in a browser
// page can call it.
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
	cfg, err := newConfig(r)
	if err != nil {
		os.RemoveAll(dir)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	handler, store, err := newPortal(dir, cfg)
	if err != nil {
		os.RemoveAll(dir)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	// The operator's invitation codes (a fork has them in its copy).
	for _, code := range cfg.invitations {
		if err := store.AddInvitation(r.Context(), portal.InvitationHash(code), time.Now()); err != nil {
			store.Close()
			os.RemoveAll(dir)
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	s.mu.Lock()
	s.next++
	id := strconv.Itoa(s.next)
	s.live[id] = &served{handler: handler, store: store, dir: dir, cfg: cfg}
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

// lookup returns the portal the request's {id} names, or answers 404 and
// returns nil.
func (s *Portals) lookup(w http.ResponseWriter, r *http.Request) *served {
	id := r.PathValue("id")
	s.mu.Lock()
	p := s.live[id]
	s.mu.Unlock()
	if p == nil {
		http.Error(w, "no portal "+id, http.StatusNotFound)
	}
	return p
}

func (s *Portals) stored(w http.ResponseWriter, r *http.Request) {
	p := s.lookup(w, r)
	if p == nil {
		return
	}
	var out []byte
	err := filepath.WalkDir(p.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		out = append(out, b...)
		return err
	})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Write(out)
}

func (s *Portals) portal(w http.ResponseWriter, r *http.Request) {
	p := s.lookup(w, r)
	if p == nil {
		return
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = strings.TrimPrefix(r.URL.Path, "/p/"+r.PathValue("id"))
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

// newAnswer is the answer to POST /new.
type newAnswer struct {
	// URL is the new portal's base URL.
	URL string
	// ID names it in POST /close/ID and POST /stored/ID.
	ID string
}

// newPortal makes a portal handler with cfg's log key and witnesses over
// the SQLite database in dir (a new one, or a copy), on the real clock
// (clients sign requests with it) and without rate limits.
func newPortal(dir string, cfg *config) (http.Handler, *sqlitestore.Store, error) {
	signer, err := translog.NewSigner(cfg.skey)
	if err != nil {
		return nil, nil, err
	}
	store, err := sqlitestore.Open(filepath.Join(dir, "portal.db"))
	if err != nil {
		return nil, nil, err
	}
	opts := portal.Options{Signer: signer, VerifierKey: cfg.vkey, Witnesses: cfg.witnesses, WitnessQuorum: cfg.quorum,
		SignUp: cfg.signUp, MaxAnswer: cfg.maxAnswer}
	return portal.New(store, opts), store, nil
}
