//go:build !js

// Package sqlitestore is the portal's Store on an embedded SQLite database
// (modernc.org/sqlite, pure Go): the SQL of portal-worker/sqlstore, the
// same statements the worker runs on D1, with each write batch in one
// transaction. The schema is portal-worker/migrations, applied on Open. The
// database runs in WAL mode with synchronous=FULL, so an acknowledged write
// survives a crash and writes that belong together commit together.
package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"time"

	_ "modernc.org/sqlite"

	"github.com/meshpass/meshpass/portal-worker/migrations"
	"github.com/meshpass/meshpass/portal-worker/portal"
	"github.com/meshpass/meshpass/portal-worker/sqlstore"
)

// Store is a portal.Store on SQLite.
type Store struct {
	*sqlstore.Store
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
	s := &Store{Store: sqlstore.New(executor{db}), db: db}
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

// executor runs sqlstore's statements on SQLite.
type executor struct {
	db *sql.DB
}

// Query implements sqlstore.DB.
func (x executor) Query(ctx context.Context, query string, args ...any) ([][]any, error) {
	rows, err := x.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, vals)
	}
	return out, rows.Err()
}

// Batch implements sqlstore.DB with one transaction.
func (x executor) Batch(ctx context.Context, stmts []sqlstore.Stmt) error {
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for _, st := range stmts {
		if _, err := tx.ExecContext(ctx, st.SQL, st.Args...); err != nil {
			tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}
