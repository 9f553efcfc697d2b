// Package sqlitestore is the portal's Store on an embedded SQLite database
// (modernc.org/sqlite, pure Go). The schema is portal-worker/migrations,
// applied on Open. The database runs in WAL mode with synchronous=FULL, and
// every write is one transaction, so an acknowledged write survives a
// crash and writes that belong together commit together.
package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"

	"golang.org/x/mod/sumdb/tlog"
	_ "modernc.org/sqlite"

	"github.com/meshpass/meshpass/portal-worker/migrations"
	"github.com/meshpass/meshpass/portal-worker/portal"
)

// Store is a portal.Store on SQLite.
type Store struct {
	db *sql.DB
}

var _ portal.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path and applies the
// migrations it lacks.
func Open(path string) (*Store, error) {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	// One connection: SQLite has one writer anyway, and this keeps every
	// transaction free of SQLITE_BUSY.
	db.SetMaxOpenConns(1)
	s := &Store{db: db}
	if err := s.migrate(context.Background()); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) migrate(ctx context.Context) error {
	all, err := migrations.All()
	if err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied INTEGER NOT NULL)`); err != nil {
		return err
	}
	for _, m := range all {
		err := s.tx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE name = ?`, m.Name).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied) VALUES (?, ?)`, m.Name, time.Now().Unix())
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// tx runs fn in one transaction, committing if it returns nil.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return portal.ErrNotFound
	}
	return err
}

// Account implements portal.Store.
func (s *Store) Account(ctx context.Context, account string) (string, error) {
	var id string
	err := s.db.QueryRowContext(ctx, `SELECT profile FROM accounts WHERE name = ?`, account).Scan(&id)
	return id, notFound(err)
}

// Entry implements portal.Store.
func (s *Store) Entry(ctx context.Context, id string) (*portal.Entry, error) {
	e := &portal.Entry{Identifier: id}
	var version int64
	err := s.db.QueryRowContext(ctx, `SELECT kind, account, version, data, leaf FROM entries WHERE id = ?`, id).
		Scan(&e.Kind, &e.Account, &version, &e.Data, &e.Index)
	if err != nil {
		return nil, notFound(err)
	}
	e.Version = uint64(version)
	return e, nil
}

// ApplicationOwner implements portal.Store.
func (s *Store) ApplicationOwner(ctx context.Context, id string) (string, error) {
	var a string
	err := s.db.QueryRowContext(ctx, `SELECT account FROM applications WHERE id = ?`, id).Scan(&a)
	return a, notFound(err)
}

// Latest implements portal.Store.
func (s *Store) Latest(ctx context.Context) (int64, string, error) {
	var n int64
	var cp string
	err := s.db.QueryRowContext(ctx, `SELECT size, checkpoint FROM checkpoints ORDER BY size DESC LIMIT 1`).Scan(&n, &cp)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	return n, cp, err
}

// ReadHashes implements portal.Store.
func (s *Store) ReadHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	if len(indexes) == 0 {
		return out, nil
	}
	// Proofs read a few dozen hashes spread over the log: read them one
	// by one inside one read transaction for a consistent view.
	err := s.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `SELECT hash FROM hashes WHERE idx = ?`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for k, i := range indexes {
			var b []byte
			if err := stmt.QueryRowContext(ctx, i).Scan(&b); err != nil {
				return notFound(err)
			}
			if len(b) != tlog.HashSize {
				return fmt.Errorf("sqlitestore: hash %d is %d bytes", i, len(b))
			}
			copy(out[k][:], b)
		}
		return nil
	})
	return out, err
}

// Leaves implements portal.Store.
func (s *Store) Leaves(ctx context.Context, start, end int64) ([][]byte, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT idx, data FROM leaves WHERE idx >= ? AND idx < ? ORDER BY idx`, start, end)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var i int64
		var b []byte
		if err := rows.Scan(&i, &b); err != nil {
			return nil, err
		}
		if i != start+int64(len(out)) {
			return nil, portal.ErrNotFound
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if int64(len(out)) != end-start {
		return nil, portal.ErrNotFound
	}
	return out, nil
}

// Append implements portal.Store: one transaction that checks every
// precondition and writes the account, entry, leaf, hashes, application
// claims and checkpoint.
func (s *Store) Append(ctx context.Context, a *portal.Append) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var leaves, hashes int64
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM leaves), (SELECT COUNT(*) FROM hashes)`).Scan(&leaves, &hashes); err != nil {
			return err
		}
		if leaves != a.Entry.Index || hashes != tlog.StoredHashCount(a.Entry.Index) {
			return portal.ErrConflict
		}
		if a.Account != "" {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts WHERE name = ? OR profile = ?`, a.Account, a.Entry.Identifier).Scan(&n); err != nil {
				return err
			}
			if n != 0 {
				return portal.ErrConflict
			}
		}
		var version int64
		err := tx.QueryRowContext(ctx, `SELECT version FROM entries WHERE id = ?`, a.Entry.Identifier).Scan(&version)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if a.Previous != 0 {
				return portal.ErrConflict
			}
		case err != nil:
			return err
		case a.Previous == 0 || uint64(version) != a.Previous:
			return portal.ErrConflict
		}
		if a.Account != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO accounts (name, profile) VALUES (?, ?)`, a.Account, a.Entry.Identifier); err != nil {
				return err
			}
		}
		e := a.Entry
		if _, err := tx.ExecContext(ctx, `INSERT INTO entries (id, kind, account, version, data, leaf) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, account = excluded.account, version = excluded.version, data = excluded.data, leaf = excluded.leaf`,
			e.Identifier, e.Kind, e.Account, int64(e.Version), e.Data, e.Index); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO leaves (idx, data) VALUES (?, ?)`, e.Index, e.Data); err != nil {
			return err
		}
		for k, h := range a.Hashes {
			if _, err := tx.ExecContext(ctx, `INSERT INTO hashes (idx, hash) VALUES (?, ?)`, hashes+int64(k), h[:]); err != nil {
				return err
			}
		}
		for _, id := range a.Applications {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO applications (id, account) VALUES (?, ?)`, id, e.Account); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO checkpoints (size, checkpoint) VALUES (?, ?)`, e.Index+1, a.Checkpoint)
		return err
	})
}

// StartConnection implements portal.Store.
func (s *Store) StartConnection(ctx context.Context, p *portal.Pending, max int, now time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM pending WHERE account = ? AND expires < ?`, p.Account, now.UnixNano()); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM pending WHERE account = ? AND device != ?`, p.Account, p.Device).Scan(&n); err != nil {
			return err
		}
		if n >= max {
			return portal.ErrLimit
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO pending (account, device, request, expires) VALUES (?, ?, ?, ?)
			ON CONFLICT (account, device) DO UPDATE SET request = excluded.request, expires = excluded.expires`,
			p.Account, p.Device, p.Request, p.Expires.UnixNano())
		return err
	})
}

// PendingConnections implements portal.Store.
func (s *Store) PendingConnections(ctx context.Context, account string, now time.Time) ([]*portal.Pending, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT device, request, expires FROM pending WHERE account = ? AND expires >= ? ORDER BY device`, account, now.UnixNano())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*portal.Pending
	for rows.Next() {
		p := &portal.Pending{Account: account}
		var exp int64
		if err := rows.Scan(&p.Device, &p.Request, &exp); err != nil {
			return nil, err
		}
		p.Expires = time.Unix(0, exp).UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}

// CompleteConnection implements portal.Store.
func (s *Store) CompleteConnection(ctx context.Context, account, device string, result []byte, now time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var req []byte
		var exp int64
		err := tx.QueryRowContext(ctx, `SELECT request, expires FROM pending WHERE account = ? AND device = ? AND expires >= ?`, account, device, now.UnixNano()).Scan(&req, &exp)
		if err != nil {
			return notFound(err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM pending WHERE account = ? AND device = ?`, account, device); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO results (account, device, request, expires, result) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (account, device) DO UPDATE SET request = excluded.request, expires = excluded.expires, result = excluded.result`,
			account, device, req, exp, result)
		return err
	})
}

// Connection implements portal.Store.
func (s *Store) Connection(ctx context.Context, account, device string, now time.Time) (*portal.Pending, []byte, error) {
	var p *portal.Pending
	var result []byte
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var req, res []byte
		var exp int64
		err := tx.QueryRowContext(ctx, `SELECT request, expires FROM pending WHERE account = ? AND device = ? AND expires >= ?`, account, device, now.UnixNano()).Scan(&req, &exp)
		if err == nil {
			p = &portal.Pending{Account: account, Device: device, Request: req, Expires: time.Unix(0, exp).UTC()}
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		err = tx.QueryRowContext(ctx, `SELECT request, expires, result FROM results WHERE account = ? AND device = ?`, account, device).Scan(&req, &exp, &res)
		if err == nil {
			result = res
			if p == nil {
				p = &portal.Pending{Account: account, Device: device, Request: req, Expires: time.Unix(0, exp).UTC()}
			}
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if p == nil {
			return portal.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return p, result, nil
}

// UseNonce implements portal.Store.
func (s *Store) UseNonce(ctx context.Context, device, nonce string, expires, now time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM nonces WHERE expires < ?`, now.UnixNano()); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO nonces (device, nonce, expires) VALUES (?, ?, ?)`, device, nonce, expires.UnixNano())
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return portal.ErrConflict
		}
		return nil
	})
}
