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
	"os"
	"time"

	_ "modernc.org/sqlite"

	"github.com/meshpass/meshpass/portal-worker/migrations"
	"github.com/meshpass/meshpass/portal-worker/portal"
	"github.com/meshpass/meshpass/portal-worker/sqlstore"
)

// Store is a portal.Store on SQLite.
type Store struct {
	*sqlstore.Store
	db  *sql.DB // the one writer
	rdb *sql.DB // readers
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
	// One connection for writes: SQLite has one writer anyway, and this
	// keeps every transaction free of SQLITE_BUSY.
	db.SetMaxOpenConns(1)
	s := &Store{db: db}
	if err := s.migrate(context.Background()); err != nil {
		db.Close()
		return nil, err
	}
	// Reads on their own connections (WAL: readers never wait for the
	// writer), so a Get does not queue behind a write's fsync or a long
	// Audit; each sees the last committed state.
	rq := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "query_only(1)"} {
		rq.Add("_pragma", p)
	}
	rdb, err := sql.Open("sqlite", "file:"+path+"?"+rq.Encode())
	if err != nil {
		db.Close()
		return nil, err
	}
	rdb.SetMaxOpenConns(4)
	s.rdb = rdb
	s.Store = sqlstore.New(executor{db: db, rdb: rdb})
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.rdb.Close()
	return s.db.Close()
}

// Backup writes a consistent copy of the database to path, which must not
// exist, while the portal keeps serving (VACUUM INTO: one read
// transaction, so it sees one moment of the log), then checks the copy
// (PRAGMA integrity_check). It returns the log size the copy holds. The
// log key file is not in the database: back it up once, separately.
func (s *Store) Backup(ctx context.Context, path string) (int64, error) {
	if _, err := os.Stat(path); err == nil {
		return 0, fmt.Errorf("backup %s: the file exists", path)
	}
	if _, err := s.db.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return 0, fmt.Errorf("backup %s: %w", path, err)
	}
	c, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return 0, err
	}
	defer c.Close()
	var check string
	if err := c.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		return 0, fmt.Errorf("backup %s does not check: %q %v", path, check, err)
	}
	var n int64
	if err := c.QueryRowContext(ctx, `SELECT COALESCE(MAX(size), 0) FROM checkpoints`).Scan(&n); err != nil {
		return 0, fmt.Errorf("backup %s: %w", path, err)
	}
	return n, nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.db.QueryRowContext(ctx, `SELECT 1`).Scan(&one)
}

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
	db, rdb *sql.DB
}

// Query implements sqlstore.DB, on a reader.
func (x executor) Query(ctx context.Context, query string, args ...any) ([][]any, error) {
	rows, err := x.rdb.QueryContext(ctx, query, args...)
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
