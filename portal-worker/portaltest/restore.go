//go:build !js

package portaltest

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
)

// backupName is where POST /backup/{id} keeps a portal's backup, in the
// portal's directory.
const backupName = "backup.db"

// backup copies portal id's database as the native store backs it up
// (VACUUM INTO), replacing the previous backup, and answers {}.
func (s *Portals) backup(w http.ResponseWriter, r *http.Request) {
	p := s.lookup(w, r)
	if p == nil {
		return
	}
	path := filepath.Join(p.dir, backupName)
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if _, err := p.store.Backup(context.Background(), path); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte("{}\n"))
}

// restore puts portal id's last backup in place of its database, as an
// operator restores one: the portal is closed, its database files
// replaced by the backup, and it is opened again at the same URL with the
// same log key and witnesses. It answers {}, or 409 without a backup.
func (s *Portals) restore(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.live[id]
	if p == nil {
		http.Error(w, "no portal "+id, http.StatusNotFound)
		return
	}
	backup, err := os.ReadFile(filepath.Join(p.dir, backupName))
	if err != nil {
		http.Error(w, "no backup of portal "+id+": "+err.Error(), http.StatusConflict)
		return
	}
	if err := p.store.Close(); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	db := filepath.Join(p.dir, "portal.db")
	for _, f := range []string{db + "-wal", db + "-shm", db + "-journal"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	if err := os.WriteFile(db, backup, 0o600); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	handler, store, err := newPortal(p.dir, p.cfg)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	s.live[id] = &served{handler: handler, store: store, dir: p.dir, cfg: p.cfg}
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte("{}\n"))
}
