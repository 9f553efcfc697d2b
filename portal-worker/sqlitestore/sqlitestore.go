//go:build !js

// Package sqlitestore is the portal's Store on an embedded SQLite database
// (modernc.org/sqlite, pure Go): the SQL of portal-worker/sqlstore, the
// same statements the worker runs on D1, each prepared once and kept, with
// each write batch in one transaction, and concurrent log appends grouped
// into one transaction (portal.GroupStore: group commit). The schema is
// portal-worker/migrations, applied on Open. The database runs in WAL mode
// with synchronous=FULL, so an acknowledged write survives a crash and
// writes that belong together commit together.
package sqlitestore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net/url"
	"os"
	"sync"
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
	x   executor
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
	// keeps every transaction free of SQLITE_BUSY. Once migrated, the
	// writer holds it for good (writer).
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
	rdb.SetMaxIdleConns(4)
	s.rdb = rdb
	conn, err := db.Conn(context.Background())
	if err != nil {
		db.Close()
		rdb.Close()
		return nil, err
	}
	// The writer keeps that connection; a second one serves Backup,
	// Ping and Size, which only read.
	db.SetMaxOpenConns(2)
	s.x = executor{w: &writer{conn: conn, stmts: map[string]driver.Stmt{}}, rdb: rdb, stmts: newStmtCache()}
	s.Store = sqlstore.New(s.x)
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.x.stmts.close()
	s.x.w.close()
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

// Size returns the bytes of database pages in use (page count less free
// pages, times the page size), as the last commit left them: the WAL's
// committed pages count, free pages do not.
func (s *Store) Size(ctx context.Context) (int64, error) {
	var pages, free, size int64
	err := s.db.QueryRowContext(ctx, `SELECT (SELECT page_count FROM pragma_page_count()), (SELECT freelist_count FROM pragma_freelist_count()), (SELECT page_size FROM pragma_page_size())`).Scan(&pages, &free, &size)
	if err != nil {
		return 0, fmt.Errorf("database size: %w", err)
	}
	return (pages - free) * size, nil
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

// executor runs sqlstore's statements on SQLite, each prepared once per
// connection and kept (stmts).
type executor struct {
	w     *writer
	rdb   *sql.DB
	stmts *stmtCache // the readers'
}

// Query implements sqlstore.DB, on a reader.
func (x executor) Query(ctx context.Context, query string, args ...any) ([][]any, error) {
	st, err := x.stmts.get(ctx, x.rdb, query)
	if err != nil {
		return nil, err
	}
	var rows *sql.Rows
	if st != nil {
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = x.rdb.QueryContext(ctx, query, args...)
	}
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
	return x.w.run(ctx, func(t *wtx) error { return t.exec(ctx, stmts) })
}

// writer is the one connection that writes (SQLite has one writer), used
// through its driver so that its statements are prepared once and kept:
// database/sql can keep a statement only outside a transaction, on a
// connection it is free to take.
type writer struct {
	mu    sync.Mutex // one transaction at a time
	conn  *sql.Conn
	stmts map[string]driver.Stmt
}

// run runs fn in one IMMEDIATE transaction on the writer, committing if
// fn returns nil, rolling back otherwise.
func (w *writer) run(ctx context.Context, fn func(t *wtx) error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	// A panic in fn rolls the transaction back and goes on up once the
	// connection is handed back (Raw would otherwise discard it, and the
	// writer with it).
	var panicked any
	err := w.conn.Raw(func(dc any) error {
		c, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return fmt.Errorf("sqlitestore: the driver's connection cannot prepare statements")
		}
		t := &wtx{w: w, c: c}
		if err := t.run(ctx, `BEGIN IMMEDIATE`); err != nil {
			return err
		}
		err := func() (err error) {
			defer func() {
				if v := recover(); v != nil {
					panicked, err = v, fmt.Errorf("sqlitestore: panic in a transaction: %v", v)
				}
			}()
			return fn(t)
		}()
		if err == nil {
			err = t.run(ctx, `COMMIT`)
		}
		if err != nil {
			t.run(ctx, `ROLLBACK`)
		}
		return err
	})
	if panicked != nil {
		panic(panicked)
	}
	return err
}

// close closes the kept statements and the connection.
func (w *writer) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, st := range w.stmts {
		st.Close()
	}
	w.stmts = nil
	return w.conn.Close()
}

// wtx is the writer's open transaction.
type wtx struct {
	w *writer
	c driver.ConnPrepareContext
}

// exec runs stmts, stopping at the first that fails.
func (t *wtx) exec(ctx context.Context, stmts []sqlstore.Stmt) error {
	for _, st := range stmts {
		if err := t.run(ctx, st.SQL, st.Args...); err != nil {
			return err
		}
	}
	return nil
}

// run runs one statement, prepared once and kept (up to maxKept).
func (t *wtx) run(ctx context.Context, query string, args ...any) error {
	st, kept := t.w.stmts[query]
	if !kept {
		var err error
		if st, err = t.c.PrepareContext(ctx, query); err != nil {
			return err
		}
		if len(t.w.stmts) < maxKept {
			t.w.stmts[query] = st
		} else {
			defer st.Close()
		}
	}
	named := make([]driver.NamedValue, len(args))
	for i, a := range args {
		v, err := driver.DefaultParameterConverter.ConvertValue(a)
		if err != nil {
			return fmt.Errorf("sqlitestore: argument %d of %.60q: %w", i+1, query, err)
		}
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	ex, ok := st.(driver.StmtExecContext)
	if !ok {
		return fmt.Errorf("sqlitestore: the driver's statement cannot run with a context")
	}
	_, err := ex.ExecContext(ctx, named)
	return err
}

// maxKept is how many distinct statements a stmtCache keeps prepared per
// database: sqlstore's statements are a fixed set, but for lists of
// placeholders (IN (?, ?, …), multi-row VALUES), one per list length.
const maxKept = 512

// stmtCache keeps the statements prepared on a database, by SQL text: a
// kept statement is parsed once per connection instead of on every run.
type stmtCache struct {
	mu   sync.Mutex
	kept map[*sql.DB]map[string]*sql.Stmt
}

func newStmtCache() *stmtCache { return &stmtCache{kept: map[*sql.DB]map[string]*sql.Stmt{}} }

// get returns the kept statement query on db, preparing it if new; nil
// (run it unprepared) once maxKept statements are kept.
func (c *stmtCache) get(ctx context.Context, db *sql.DB, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.kept[db]
	if st, ok := m[query]; ok {
		return st, nil
	}
	if len(m) >= maxKept {
		return nil, nil
	}
	st, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if m == nil {
		m = map[string]*sql.Stmt{}
		c.kept[db] = m
	}
	m[query] = st
	return st, nil
}

// close closes every kept statement.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.kept {
		for _, st := range m {
			st.Close()
		}
	}
	c.kept = map[*sql.DB]map[string]*sql.Stmt{}
}

var _ portal.GroupStore = (*Store)(nil)

// AppendGroup implements portal.GroupStore: one transaction (IMMEDIATE:
// it holds the write lock from the start), each Append in a savepoint,
// one commit and so one fsync of the WAL (synchronous=FULL).
func (s *Store) AppendGroup(ctx context.Context, fn func(g portal.Group) error) error {
	return s.x.w.run(ctx, func(t *wtx) error { return fn(group{t}) })
}

// group is the transaction of one AppendGroup.
type group struct{ t *wtx }

// Append implements portal.Group: the statements of sqlstore's Append,
// without its checkpoint, in a savepoint rolled back when one fails.
func (g group) Append(ctx context.Context, a *portal.Append) error {
	if a.Checkpoint != "" {
		return fmt.Errorf("sqlitestore: a grouped append carries no checkpoint")
	}
	if err := g.t.run(ctx, `SAVEPOINT append`); err != nil {
		return err
	}
	if err := g.t.exec(ctx, sqlstore.AppendStmts(a)); err != nil {
		if err2 := g.t.run(ctx, `ROLLBACK TO append`); err2 != nil {
			return fmt.Errorf("%v; rolling it back: %w", err, err2)
		}
		if err2 := g.t.run(ctx, `RELEASE append`); err2 != nil {
			return fmt.Errorf("%v; releasing its savepoint: %w", err, err2)
		}
		return sqlstore.Classify(err)
	}
	return g.t.run(ctx, `RELEASE append`)
}

// Checkpoint implements portal.Group.
func (g group) Checkpoint(ctx context.Context, size int64, checkpoint string) error {
	return g.t.exec(ctx, sqlstore.CheckpointStmts(size, checkpoint))
}
