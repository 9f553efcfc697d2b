//go:build !js

package portaltest

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"github.com/meshpass/meshpass/portal-worker/portal"
	"github.com/meshpass/meshpass/shared/translog"
)

// config is what a portal is made with.
type config struct {
	skey, vkey string
	witnesses  []portal.Witness
	quorum     int
	// signUp and invitations: who may create an account, and the
	// invitation codes the operator gave out.
	signUp      string
	invitations []string
	// maxAnswer caps the bytes of one Get or Audit answer (0: the default).
	maxAnswer int
}

// newConfig reads a new portal's settings from r's query — its witnesses
// (witness=URL=KEY, repeated; quorum=K), its sign-ups (signup=open,
// invitation or closed; invitation=CODE, repeated) and the bytes one
// answer carries (max-answer=N) — and makes it a fresh log key.
func newConfig(r *http.Request) (*config, error) {
	skey, vkey, err := translog.GenerateKey("portal.test/log")
	if err != nil {
		return nil, err
	}
	cfg := &config{skey: skey, vkey: vkey}
	q := r.URL.Query()
	for _, s := range q["witness"] {
		w, err := portal.ParseWitness(s)
		if err != nil {
			return nil, err
		}
		cfg.witnesses = append(cfg.witnesses, w)
	}
	if k := q.Get("quorum"); k != "" {
		if cfg.quorum, err = strconv.Atoi(k); err != nil {
			return nil, err
		}
	}
	if err := portal.CheckWitnesses(cfg.witnesses, cfg.quorum); err != nil {
		return nil, err
	}
	cfg.signUp, cfg.invitations = q.Get("signup"), q["invitation"]
	if n := q.Get("max-answer"); n != "" {
		if cfg.maxAnswer, err = strconv.Atoi(n); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// fork makes a portal with portal id's log key and witnesses over a copy
// of its database.
func (s *Portals) fork(w http.ResponseWriter, r *http.Request) {
	p := s.lookup(w, r)
	if p == nil {
		return
	}
	dir, err := os.MkdirTemp(s.dir, "fork-")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if _, err := p.store.Backup(context.Background(), filepath.Join(dir, "portal.db")); err != nil {
		os.RemoveAll(dir)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	handler, store, err := newPortal(dir, p.cfg)
	if err != nil {
		os.RemoveAll(dir)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	s.mu.Lock()
	s.next++
	id := strconv.Itoa(s.next)
	s.live[id] = &served{handler: handler, store: store, dir: dir, cfg: p.cfg}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(newAnswer{URL: "http://" + r.Host + "/p/" + id, ID: id})
}
