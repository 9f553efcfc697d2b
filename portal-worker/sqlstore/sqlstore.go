// Package sqlstore is the portal's Store written once in SQL, for any
// database that can run a query and commit a batch of statements
// atomically: SQLite in a transaction (portal-worker/sqlitestore) and
// Cloudflare D1 with batch() (portal-worker/workers/d1). The schema is
// portal-worker/migrations.
//
// D1 has no BEGIN/COMMIT, so no write reads inside its transaction: every
// precondition is a guard statement at the head of the batch, which fails
// (and so rolls back the whole batch) when the precondition does not hold.
package sqlstore

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/meshpass/meshpass/portal-worker/portal"
	"github.com/meshpass/meshpass/shared/vault"
)

// MaxParams is the most parameters a statement binds (D1's limit).
const MaxParams = 100

// Stmt is one SQL statement with its parameters.
type Stmt struct {
	SQL  string
	Args []any
}

// DB runs SQL for the Store.
type DB interface {
	// Query runs one statement and returns its rows, each the column
	// values in order: int64 or float64, string, []byte, or nil.
	Query(ctx context.Context, sql string, args ...any) ([][]any, error)
	// Batch runs the statements as one transaction: all or nothing. A
	// failing statement's error is returned.
	Batch(ctx context.Context, stmts []Stmt) error
}

// Store is a portal.Store over a DB.
type Store struct {
	db DB
}

var _ portal.Store = (*Store)(nil)

// New returns a Store over db, whose schema must be migrated.
func New(db DB) *Store { return &Store{db: db} }

// Classify turns the error of a failed batch into a portal error: a guard
// or a uniqueness constraint is a precondition that did not hold.
func Classify(err error) error { return classify(err) }

func classify(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "meshpass_log"):
		return fmt.Errorf("%w (%v)", portal.ErrLogMoved, err)
	case strings.Contains(msg, "meshpass_moved"):
		return fmt.Errorf("%w (%v)", portal.ErrCatalogMoved, err)
	case strings.Contains(msg, "meshpass_conflict"), strings.Contains(msg, "UNIQUE constraint failed"):
		return fmt.Errorf("%w (%v)", portal.ErrConflict, err)
	case strings.Contains(msg, "meshpass_limit"):
		return fmt.Errorf("%w (%v)", portal.ErrLimit, err)
	case strings.Contains(msg, "meshpass_missing"):
		return fmt.Errorf("%w (%v)", portal.ErrNotFound, err)
	case strings.Contains(msg, "meshpass_quota"):
		return fmt.Errorf("%w (%v)", portal.ErrQuota, err)
	case strings.Contains(msg, "meshpass_full"):
		return fmt.Errorf("%w (%v)", portal.ErrFull, err)
	case strings.Contains(msg, "meshpass_invitation"):
		return fmt.Errorf("%w (%v)", portal.ErrInvitation, err)
	}
	return err
}

// guard fails the batch with the named guard when cond (SQL) is true.
func guard(table, cond string, args ...any) Stmt {
	return Stmt{SQL: "INSERT INTO " + table + " (x) SELECT 1 WHERE " + cond, Args: args}
}

func millis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(v any) time.Time { return time.UnixMilli(toInt(v)).UTC() }

func toInt(v any) int64 {
	switch v := v.(type) {
	case int64:
		return v
	case float64:
		return int64(v)
	case int:
		return int64(v)
	}
	return 0
}

func toString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	}
	return ""
}

func toBytes(v any) []byte {
	switch v := v.(type) {
	case []byte:
		return v
	case string:
		return []byte(v)
	}
	return nil
}

// one returns the single row of a query, or ErrNotFound.
func (s *Store) one(ctx context.Context, sql string, args ...any) ([]any, error) {
	rows, err := s.db.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, portal.ErrNotFound
	}
	return rows[0], nil
}

// Account implements portal.Store.
func (s *Store) Account(ctx context.Context, account string) (string, error) {
	row, err := s.one(ctx, `SELECT profile FROM accounts WHERE name = ?`, account)
	if err != nil {
		return "", err
	}
	return toString(row[0]), nil
}

// Entry implements portal.Store.
func (s *Store) Entry(ctx context.Context, id string) (*portal.Entry, error) {
	row, err := s.one(ctx, `SELECT kind, account, version, data, leaf FROM entries WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	return &portal.Entry{
		Identifier: id, Kind: toString(row[0]), Account: toString(row[1]),
		Version: uint64(toInt(row[2])), Data: toBytes(row[3]), Index: toInt(row[4]),
	}, nil
}

// ApplicationOwner implements portal.Store.
func (s *Store) ApplicationOwner(ctx context.Context, id string) (string, error) {
	row, err := s.one(ctx, `SELECT account FROM applications WHERE id = ?`, id)
	if err != nil {
		return "", err
	}
	return toString(row[0]), nil
}

// Latest implements portal.Store.
func (s *Store) Latest(ctx context.Context) (int64, string, error) {
	row, err := s.one(ctx, `SELECT size, checkpoint FROM checkpoints ORDER BY size DESC LIMIT 1`)
	if errors.Is(err, portal.ErrNotFound) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", err
	}
	return toInt(row[0]), toString(row[1]), nil
}

// Cosign implements portal.Store.
func (s *Store) Cosign(ctx context.Context, size int64, checkpoint string) error {
	return classify(s.db.Batch(ctx, []Stmt{{`UPDATE checkpoints SET checkpoint = ? WHERE size = ?`, []any{checkpoint, size}}}))
}

// ReadHashes implements portal.Store. Stored hashes never change, so
// reading them in several queries is consistent.
func (s *Store) ReadHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for start := 0; start < len(indexes); start += MaxParams {
		chunk := indexes[start:min(start+MaxParams, len(indexes))]
		args := make([]any, len(chunk))
		for i, x := range chunk {
			args[i] = x
		}
		rows, err := s.db.Query(ctx, `SELECT idx, hash FROM hashes WHERE idx IN (`+placeholders(len(chunk))+`)`, args...)
		if err != nil {
			return nil, err
		}
		found := make(map[int64][]byte, len(rows))
		for _, r := range rows {
			found[toInt(r[0])] = toBytes(r[1])
		}
		for i, x := range chunk {
			h, ok := found[x]
			if !ok {
				return nil, fmt.Errorf("%w: hash %d", portal.ErrNotFound, x)
			}
			if len(h) != tlog.HashSize {
				return nil, fmt.Errorf("sqlstore: hash %d is %d bytes", x, len(h))
			}
			copy(out[start+i][:], h)
		}
	}
	return out, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// Leaves implements portal.Store: it reads the leaves' sizes first, then
// only the leaves that fit in maxBytes.
func (s *Store) Leaves(ctx context.Context, start, end int64, maxBytes int) ([][]byte, error) {
	return s.numbered(ctx, "leaves", "idx", "", nil, start, end, maxBytes)
}

// numbered reads the blobs (column data) numbered [start, end) by column
// col of table, among the rows that filter (an SQL condition followed by
// AND, with its args) selects: all of them, or only the first ones up to
// maxBytes in all (at least one). It reads their sizes first, then the
// blobs in pages, so that no query answer is much larger than maxBytes. A
// number missing in the range is ErrNotFound.
func (s *Store) numbered(ctx context.Context, table, col, filter string, args []any, start, end int64, maxBytes int) ([][]byte, error) {
	where := ` FROM ` + table + ` WHERE ` + filter + col + ` >= ? AND ` + col + ` < ? ORDER BY ` + col
	rows, err := s.db.Query(ctx, `SELECT `+col+`, length(data)`+where, append(slices.Clone(args), start, end)...)
	if err != nil {
		return nil, err
	}
	if int64(len(rows)) != end-start {
		return nil, portal.ErrNotFound
	}
	total, cut := int64(0), start
	for i, r := range rows {
		if toInt(r[0]) != start+int64(i) {
			return nil, portal.ErrNotFound
		}
		total += toInt(r[1])
		if cut > start && total > int64(maxBytes) {
			break
		}
		cut++
	}
	out := make([][]byte, 0, cut-start)
	for from := start; from < cut; {
		rows, err := s.db.Query(ctx, `SELECT `+col+`, data`+where+` LIMIT 64`, append(slices.Clone(args), from, cut)...)
		if err != nil {
			return nil, err
		}
		if len(rows) == 0 {
			return nil, portal.ErrNotFound
		}
		for _, r := range rows {
			if toInt(r[0]) != from {
				return nil, portal.ErrNotFound
			}
			out = append(out, toBytes(r[1]))
			from++
		}
	}
	return out, nil
}

// Append implements portal.Store: one batch whose guards check the log
// size, the account, the invitation and the entry version, then writes
// the account, entry, leaf, hashes, application claims and checkpoint,
// charges the quotas and checks them last (a failed check undoes all).
func (s *Store) Append(ctx context.Context, a *portal.Append) error {
	return classify(s.db.Batch(ctx, AppendStmts(a)))
}

// AppendStmts returns the statements of Append: run as one transaction
// (or savepoint), they write a or fail with the error that Classify maps
// to ErrLogMoved, ErrConflict, … The checkpoint is written only when
// a.Checkpoint is set: a group commit (portal.GroupStore) writes one
// checkpoint for the whole group with CheckpointStmts.
func AppendStmts(a *portal.Append) []Stmt {
	e := a.Entry
	stored := tlog.StoredHashCount(e.Index)
	leaves := int64(1)
	if a.Escrow != nil {
		leaves = 2
	}
	b := []Stmt{
		guard("guard_log", `(SELECT COALESCE(MAX(idx) + 1, 0) FROM leaves) != ? OR (SELECT COALESCE(MAX(idx) + 1, 0) FROM hashes) != ?`, e.Index, stored),
	}
	if a.Account != "" {
		b = append(b,
			guard("guard_conflict", `EXISTS (SELECT 1 FROM accounts WHERE name = ? OR profile = ?)`, a.Account, e.Identifier),
			Stmt{`INSERT INTO accounts (name, profile) VALUES (?, ?)`, []any{a.Account, e.Identifier}})
	}
	if a.Invitation != "" {
		b = append(b,
			guard("guard_invitation", `NOT EXISTS (SELECT 1 FROM invitations WHERE code = ? AND used IS NULL)`, a.Invitation),
			Stmt{`UPDATE invitations SET used = ?, account = ? WHERE code = ?`, []any{millis(time.Now()), a.Account, a.Invitation}})
	}
	if a.Catalog != "" {
		b = append(b, catalogGuard(a.Catalog, a.CatalogSize))
	}
	if a.Previous == 0 {
		b = append(b, guard("guard_conflict", `EXISTS (SELECT 1 FROM entries WHERE id = ?)`, e.Identifier))
	} else {
		b = append(b, guard("guard_conflict", `NOT EXISTS (SELECT 1 FROM entries WHERE id = ? AND version = ?)`, e.Identifier, int64(a.Previous)))
	}
	write := func(e *portal.Entry) {
		b = append(b,
			Stmt{`INSERT INTO entries (id, kind, account, version, data, leaf) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, account = excluded.account, version = excluded.version, data = excluded.data, leaf = excluded.leaf`,
				[]any{e.Identifier, e.Kind, e.Account, int64(e.Version), e.Data, e.Index}},
			Stmt{`INSERT INTO leaves (idx, data) VALUES (?, ?)`, []any{e.Index, e.Data}},
		)
	}
	write(&e)
	if a.Escrow != nil {
		b = append(b, guard("guard_conflict", `EXISTS (SELECT 1 FROM entries WHERE id = ?)`, a.Escrow.Identifier))
		write(a.Escrow)
	}
	b = append(b, hashStmts(stored, a.Hashes)...)
	for _, id := range a.Applications {
		b = append(b, Stmt{`INSERT OR IGNORE INTO applications (id, account) VALUES (?, ?)`, []any{id, e.Account}})
	}
	if a.Checkpoint != "" {
		b = append(b, CheckpointStmts(e.Index+leaves, a.Checkpoint)...)
	}
	// Quotas: charge, then check (the checks fail the whole batch).
	return append(b, chargeStmts(e.Account, a.Cost, a.Records, leaves, a.Quota)...)
}

// CheckpointStmts store the signed checkpoint of the tree of size leaves
// and drop the older ones. Only the latest checkpoint is ever read
// (Latest, and Cosign updates it): an answer carries the checkpoint of
// the tree it was made in, and a client keeps the ones it verified. The
// leaves and hashes are never dropped (portal-worker/README.md, "What the
// portal keeps, and why").
func CheckpointStmts(size int64, checkpoint string) []Stmt {
	return []Stmt{
		{`INSERT INTO checkpoints (size, checkpoint) VALUES (?, ?)`, []any{size, checkpoint}},
		{`DELETE FROM checkpoints WHERE size < ?`, []any{size}},
	}
}

// catalogGuard fails the batch with ErrCatalogMoved unless catalog holds
// exactly size items.
func catalogGuard(catalog string, size int64) Stmt {
	return guard("guard_moved", `COALESCE((SELECT size FROM catalog_heads WHERE catalog = ?), 0) != ?`, catalog, size)
}

// hashStmts inserts the log's new stored hashes from index stored on.
func hashStmts(stored int64, hashes []tlog.Hash) []Stmt {
	return insertRows(`INSERT INTO hashes (idx, hash)`, 2, len(hashes), func(i int) []any { return []any{stored + int64(i), hashes[i][:]} })
}

// insertRows inserts n rows of perRow values each (row(i) gives row i's)
// with into ("INSERT INTO t (a, b)"), as many rows a statement as D1's
// MaxParams allows.
func insertRows(into string, perRow, n int, row func(i int) []any) []Stmt {
	per := MaxParams / perRow
	tuple := "(" + placeholders(perRow) + "),"
	var b []Stmt
	for start := 0; start < n; start += per {
		end := min(start+per, n)
		args := make([]any, 0, (end-start)*perRow)
		for i := start; i < end; i++ {
			args = append(args, row(i)...)
		}
		b = append(b, Stmt{into + ` VALUES ` + strings.TrimSuffix(strings.Repeat(tuple, end-start), ","), args})
	}
	return b
}

// chargeStmts charges cost bytes and records to account (if set) and
// cost bytes and leaves to the portal's totals, then checks the quotas:
// a check that fails undoes the whole batch.
func chargeStmts(account string, cost, records, leaves int64, q portal.Quota) []Stmt {
	var b []Stmt
	if account != "" {
		b = append(b, Stmt{`INSERT INTO usage (account, bytes, records) VALUES (?, ?, ?)
			ON CONFLICT (account) DO UPDATE SET bytes = bytes + excluded.bytes, records = records + excluded.records`,
			[]any{account, cost, records}})
		if q.AccountBytes > 0 || q.AccountRecords > 0 {
			b = append(b, guard("guard_quota", `EXISTS (SELECT 1 FROM usage WHERE account = ? AND ((? > 0 AND bytes > ?) OR (? > 0 AND records > ?)))`,
				account, q.AccountBytes, q.AccountBytes, q.AccountRecords, q.AccountRecords))
		}
	}
	b = append(b, Stmt{`UPDATE totals SET bytes = bytes + ?, leaves = leaves + ? WHERE id = 1`, []any{cost, leaves}})
	if q.TotalBytes > 0 {
		b = append(b, guard("guard_full", `(SELECT bytes FROM totals WHERE id = 1) > ?`, q.TotalBytes))
	}
	return b
}

// Catalog implements portal.Store.
func (s *Store) Catalog(ctx context.Context, id string) (*portal.CatalogHead, error) {
	row, err := s.one(ctx, `SELECT size, head, leaf, account, indexed FROM catalog_heads WHERE catalog = ?`, id)
	if errors.Is(err, portal.ErrNotFound) {
		return &portal.CatalogHead{Catalog: id, Head: vault.EmptyHead, Index: -1}, nil
	}
	if err != nil {
		return nil, err
	}
	return &portal.CatalogHead{Catalog: id, Size: toInt(row[0]), Head: toString(row[1]), Index: toInt(row[2]), Account: toString(row[3]),
		Indexed: toInt(row[4])}, nil
}

// CatalogItems implements portal.Store as Leaves does: sizes first, then
// only the items that fit in maxBytes, in pages.
func (s *Store) CatalogItems(ctx context.Context, id string, start, end int64, maxBytes int) ([][]byte, error) {
	if start >= end {
		return nil, nil
	}
	return s.numbered(ctx, "catalog_items", "position", "catalog = ? AND ", []any{id}, start, end, maxBytes)
}

// ItemHash is how a catalog item is named in its catalog (the unique
// hash that refuses a replay): the base64url SHA-256 of its bytes.
func ItemHash(item []byte) string {
	h := sha256.Sum256(item)
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// AppendRecords implements portal.Store: one batch whose guards check the
// log size, the catalog size and the profile version, then writes the
// items (a replayed one breaks the catalog's unique hash: ErrConflict),
// the head, the leaf, hashes and checkpoint, and charges the quotas.
func (s *Store) AppendRecords(ctx context.Context, a *portal.RecordsAppend) error {
	h := a.Head
	if h.Size != a.Start+int64(len(a.Items)) {
		return fmt.Errorf("sqlstore: a head of %d items after %d + %d", h.Size, a.Start, len(a.Items))
	}
	stored := tlog.StoredHashCount(h.Index)
	b := []Stmt{
		guard("guard_log", `(SELECT COALESCE(MAX(idx) + 1, 0) FROM leaves) != ? OR (SELECT COALESCE(MAX(idx) + 1, 0) FROM hashes) != ?`, h.Index, stored),
		catalogGuard(h.Catalog, a.Start),
		indexGuard(h.Catalog, a.Start),
		guard("guard_moved", `NOT EXISTS (SELECT 1 FROM entries WHERE id = ? AND version = ?)`, a.Profile, int64(a.Version)),
	}
	b = append(b, versionStmts(h.Catalog, a.Versions)...)
	b = append(b, insertRows(`INSERT INTO catalog_items (catalog, position, hash, data)`, 4, len(a.Items), func(i int) []any {
		return []any{h.Catalog, a.Start + int64(i), ItemHash(a.Items[i]), a.Items[i]}
	})...)
	b = append(b,
		Stmt{`INSERT INTO catalog_heads (catalog, size, head, leaf, account, indexed) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (catalog) DO UPDATE SET size = excluded.size, head = excluded.head, leaf = excluded.leaf, account = excluded.account, indexed = excluded.indexed`,
			[]any{h.Catalog, h.Size, h.Head, h.Index, h.Account, h.Size}},
		Stmt{`INSERT INTO leaves (idx, data) VALUES (?, ?)`, []any{h.Index, a.Leaf}},
	)
	b = append(b, hashStmts(stored, a.Hashes)...)
	b = append(b, CheckpointStmts(h.Index+1, a.Checkpoint)...)
	b = append(b, chargeStmts(h.Account, a.Cost, a.Records, 1, a.Quota)...)
	return classify(s.db.Batch(ctx, b))
}

// indexGuard fails the batch with ErrCatalogMoved unless catalog has
// exactly n items indexed.
func indexGuard(catalog string, n int64) Stmt {
	return guard("guard_moved", `COALESCE((SELECT indexed FROM catalog_heads WHERE catalog = ?), 0) != ?`, catalog, n)
}

// versionStmts inserts versions of catalog (a version stored already
// breaks the primary key: ErrConflict).
func versionStmts(catalog string, versions []portal.Version) []Stmt {
	return insertRows(`INSERT INTO catalog_versions (catalog, version, entry)`, 3, len(versions), func(i int) []any {
		return []any{catalog, versions[i].Version, versions[i].Entry}
	})
}

// CatalogVersions implements portal.Store, MaxParams-1 versions a query.
func (s *Store) CatalogVersions(ctx context.Context, id string, versions []string) (map[string]string, error) {
	out := map[string]string{}
	for start := 0; start < len(versions); start += MaxParams - 1 {
		chunk := versions[start:min(start+MaxParams-1, len(versions))]
		args := []any{id}
		for _, v := range chunk {
			args = append(args, v)
		}
		rows, err := s.db.Query(ctx, `SELECT version, entry FROM catalog_versions WHERE catalog = ? AND version IN (`+placeholders(len(chunk))+`)`, args...)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			out[toString(r[0])] = toString(r[1])
		}
	}
	return out, nil
}

// IndexVersions implements portal.Store: one batch, guarded by the number
// of items indexed. Duplicate versions in the catalog's history (which
// the portal refused only from migration 0006 on) are kept once.
func (s *Store) IndexVersions(ctx context.Context, id string, from, to int64, versions []portal.Version) error {
	b := []Stmt{indexGuard(id, from)}
	for _, st := range versionStmts(id, versions) {
		st.SQL = strings.Replace(st.SQL, "INSERT INTO", "INSERT OR IGNORE INTO", 1)
		b = append(b, st)
	}
	b = append(b, Stmt{`UPDATE catalog_heads SET indexed = ? WHERE catalog = ?`, []any{to, id}})
	return classify(s.db.Batch(ctx, b))
}

// CatalogHeadAt implements portal.Store from the items' stored hashes,
// read in pages.
func (s *Store) CatalogHeadAt(ctx context.Context, id string, position int64) (string, error) {
	head := vault.EmptyHead
	const page = 5000
	for from := int64(0); from < position; {
		rows, err := s.db.Query(ctx, `SELECT position, hash FROM catalog_items WHERE catalog = ? AND position >= ? AND position < ? ORDER BY position LIMIT ?`,
			id, from, position, page)
		if err != nil {
			return "", err
		}
		if len(rows) == 0 {
			return "", portal.ErrNotFound
		}
		for _, r := range rows {
			h, err := base64.RawURLEncoding.DecodeString(toString(r[1]))
			if toInt(r[0]) != from || err != nil {
				return "", portal.ErrNotFound
			}
			if head, err = vault.ChainHash(head, h); err != nil {
				return "", err
			}
			from++
		}
	}
	return head, nil
}

// PutSnapshotChunk implements portal.Store in one batch: drop the
// catalog's other incomplete snapshot (refunding it), store the chunk and
// charge the snapshot's bytes afresh, check the quotas, then, if every
// chunk is stored, drop the earlier complete snapshot (refunding it) and
// mark this one complete.
func (s *Store) PutSnapshotChunk(ctx context.Context, c *portal.SnapshotChunk) (int, bool, error) {
	sn := c.Snapshot
	id, hash, acct := sn.Catalog, sn.Hash, sn.Account
	// refund subtracts the bytes of the snapshots cond selects (SQL with
	// its args) from the account and the portal's totals.
	refund := func(cond string, args ...any) []Stmt {
		sum := `COALESCE((SELECT SUM(bytes) FROM catalog_snapshots WHERE catalog = ? AND ` + cond + `), 0)`
		a := append([]any{id}, args...)
		return []Stmt{
			{`UPDATE usage SET bytes = bytes - ` + sum + ` WHERE account = ?`, append(slices.Clone(a), acct)},
			{`UPDATE totals SET bytes = bytes - ` + sum + ` WHERE id = 1`, slices.Clone(a)},
		}
	}
	drop := func(cond string, args ...any) []Stmt {
		a := append([]any{id, id}, args...)
		return append(refund(cond, args...),
			Stmt{`DELETE FROM catalog_snapshot_chunks WHERE catalog = ? AND hash IN (SELECT hash FROM catalog_snapshots WHERE catalog = ? AND ` + cond + `)`, a},
			Stmt{`DELETE FROM catalog_snapshots WHERE catalog = ? AND ` + cond, append([]any{id}, args...)})
	}
	done := `(SELECT COUNT(*) FROM catalog_snapshot_chunks WHERE catalog = ? AND hash = ?) = ?`
	b := []Stmt{guard("guard_conflict", `EXISTS (SELECT 1 FROM catalog_snapshots WHERE catalog = ? AND complete = 1 AND position >= ?)`, id, sn.Position)}
	b = append(b, drop(`complete = 0 AND hash != ?`, hash)...)
	b = append(b, Stmt{`INSERT OR IGNORE INTO catalog_snapshots (catalog, hash, manifest, position, chunks, complete, account, bytes) VALUES (?, ?, ?, ?, ?, 0, ?, 0)`,
		[]any{id, hash, sn.Manifest, sn.Position, int64(sn.Chunks), acct}})
	b = append(b, refund(`hash = ?`, hash)...)
	b = append(b,
		Stmt{`INSERT OR REPLACE INTO catalog_snapshot_chunks (catalog, hash, n, data) VALUES (?, ?, ?, ?)`, []any{id, hash, int64(c.N), c.Data}},
		Stmt{`UPDATE catalog_snapshots SET bytes = length(manifest) + 64 + (SELECT COALESCE(SUM(length(data) + 64), 0) FROM catalog_snapshot_chunks WHERE catalog = ? AND hash = ?) WHERE catalog = ? AND hash = ?`,
			[]any{id, hash, id, hash}})
	charged := `(SELECT bytes FROM catalog_snapshots WHERE catalog = ? AND hash = ?)`
	b = append(b,
		Stmt{`INSERT INTO usage (account, bytes, records) VALUES (?, ` + charged + `, 0) ON CONFLICT (account) DO UPDATE SET bytes = bytes + excluded.bytes`, []any{acct, id, hash}},
		Stmt{`UPDATE totals SET bytes = bytes + ` + charged + ` WHERE id = 1`, []any{id, hash}})
	if q := c.Quota; q.AccountBytes > 0 {
		b = append(b, guard("guard_quota", `EXISTS (SELECT 1 FROM usage WHERE account = ? AND bytes > ?)`, acct, q.AccountBytes))
	}
	if q := c.Quota; q.TotalBytes > 0 {
		b = append(b, guard("guard_full", `(SELECT bytes FROM totals WHERE id = 1) > ?`, q.TotalBytes))
	}
	// Complete: the earlier snapshot goes.
	n := int64(sn.Chunks)
	b = append(b, drop(`complete = 1 AND `+done, id, hash, n)...)
	b = append(b, Stmt{`UPDATE catalog_snapshots SET complete = 1 WHERE catalog = ? AND hash = ? AND ` + done, []any{id, hash, id, hash, n}})
	if err := classify(s.db.Batch(ctx, b)); err != nil {
		return 0, false, err
	}
	row, err := s.one(ctx, `SELECT complete, (SELECT COUNT(*) FROM catalog_snapshot_chunks WHERE catalog = ? AND hash = ?) FROM catalog_snapshots WHERE catalog = ? AND hash = ?`, id, hash, id, hash)
	if errors.Is(err, portal.ErrNotFound) {
		return 0, false, nil // replaced meanwhile by another upload
	}
	if err != nil {
		return 0, false, err
	}
	return int(toInt(row[1])), toInt(row[0]) == 1, nil
}

// CatalogSnapshot implements portal.Store.
func (s *Store) CatalogSnapshot(ctx context.Context, id string) (*portal.Snapshot, error) {
	row, err := s.one(ctx, `SELECT hash, manifest, position, chunks, account FROM catalog_snapshots WHERE catalog = ? AND complete = 1`, id)
	if err != nil {
		return nil, err
	}
	return &portal.Snapshot{Catalog: id, Hash: toString(row[0]), Manifest: toBytes(row[1]), Position: toInt(row[2]), Chunks: int(toInt(row[3])), Account: toString(row[4])}, nil
}

// SnapshotData implements portal.Store.
func (s *Store) SnapshotData(ctx context.Context, id, hash string, n int) ([]byte, error) {
	row, err := s.one(ctx, `SELECT data FROM catalog_snapshot_chunks WHERE catalog = ? AND hash = ? AND n = ?`, id, hash, int64(n))
	if err != nil {
		return nil, err
	}
	return toBytes(row[0]), nil
}

// Usage returns what account has written (bytes, as charged by Append) and
// the entries it holds.
func (s *Store) Usage(ctx context.Context, account string) (bytes, records int64, err error) {
	row, err := s.one(ctx, `SELECT bytes, records FROM usage WHERE account = ?`, account)
	if errors.Is(err, portal.ErrNotFound) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	return toInt(row[0]), toInt(row[1]), nil
}

// Totals returns the bytes charged to the whole portal, the log's size and
// the number of accounts.
func (s *Store) Totals(ctx context.Context) (bytes, leaves, accounts int64, err error) {
	row, err := s.one(ctx, `SELECT bytes, leaves, (SELECT COUNT(*) FROM accounts) FROM totals WHERE id = 1`)
	if err != nil {
		return 0, 0, 0, err
	}
	return toInt(row[0]), toInt(row[1]), toInt(row[2]), nil
}

// AddInvitation stores the hash (portal.InvitationHash) of an invitation
// code, which then creates one account on a portal whose sign-ups are by
// invitation.
func (s *Store) AddInvitation(ctx context.Context, hash string, now time.Time) error {
	return classify(s.db.Batch(ctx, []Stmt{{`INSERT INTO invitations (code, created) VALUES (?, ?)`, []any{hash, millis(now)}}}))
}

// InvitationSQL is the statement AddInvitation runs, with its values in
// place, for a database the operator reaches only with SQL (D1: wrangler
// d1 execute). hash is hex, so it needs no quoting beyond the quotes.
func InvitationSQL(hash string, now time.Time) string {
	return fmt.Sprintf("INSERT INTO invitations (code, created) VALUES ('%s', %d)", hash, millis(now))
}

// StartConnection implements portal.Store. Requests with a connect code
// are never pushed out; the others beyond max, oldest first, are.
func (s *Store) StartConnection(ctx context.Context, p *portal.Pending, limit int, now time.Time) error {
	b := []Stmt{
		{`DELETE FROM pending WHERE account = ? AND expires < ?`, []any{p.Account, millis(now)}},
		{`DELETE FROM connect_codes WHERE account = ? AND expires < ?`, []any{p.Account, millis(now)}},
	}
	reserved := 0
	if p.Code != "" {
		reserved = 1
		b = append(b,
			guard("guard_invitation", `NOT EXISTS (SELECT 1 FROM connect_codes WHERE account = ? AND code = ?)`, p.Account, p.Code),
			Stmt{`DELETE FROM connect_codes WHERE account = ? AND code = ?`, []any{p.Account, p.Code}})
	}
	b = append(b,
		Stmt{`INSERT INTO pending (account, device, request, expires, reserved) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (account, device) DO UPDATE SET request = excluded.request, expires = excluded.expires, reserved = MAX(reserved, excluded.reserved),
				contribution = NULL, reveal = NULL`,
			[]any{p.Account, p.Device, p.Request, millis(p.Expires), reserved}},
		// Keep the newest max-1 others that hold no code, and this one.
		Stmt{`DELETE FROM pending WHERE account = ? AND device != ? AND reserved = 0 AND device NOT IN
			(SELECT device FROM pending WHERE account = ? AND device != ? AND reserved = 0 ORDER BY expires DESC, rowid DESC LIMIT ?)`,
			[]any{p.Account, p.Device, p.Account, p.Device, max(0, limit-1)}},
	)
	return classify(s.db.Batch(ctx, b))
}

// AddConnectCode implements portal.Store.
func (s *Store) AddConnectCode(ctx context.Context, account, code string, expires time.Time, limit int, now time.Time) error {
	return classify(s.db.Batch(ctx, []Stmt{
		{`DELETE FROM connect_codes WHERE account = ? AND expires < ?`, []any{account, millis(now)}},
		guard("guard_limit", `(SELECT COUNT(*) FROM connect_codes WHERE account = ?) >= ?`, account, limit),
		{`INSERT INTO connect_codes (account, code, expires) VALUES (?, ?, ?)
			ON CONFLICT (account, code) DO UPDATE SET expires = excluded.expires`, []any{account, code, millis(expires)}},
	}))
}

// SetContribution implements portal.Store.
func (s *Store) SetContribution(ctx context.Context, account, device string, contribution []byte, now time.Time) error {
	return classify(s.db.Batch(ctx, []Stmt{
		guard("guard_missing", `NOT EXISTS (SELECT 1 FROM pending WHERE account = ? AND device = ? AND expires >= ?)`, account, device, millis(now)),
		guard("guard_conflict", `EXISTS (SELECT 1 FROM pending WHERE account = ? AND device = ? AND contribution IS NOT NULL)`, account, device),
		{`UPDATE pending SET contribution = ? WHERE account = ? AND device = ?`, []any{contribution, account, device}},
	}))
}

// SetReveal implements portal.Store.
func (s *Store) SetReveal(ctx context.Context, account, device string, reveal []byte, now time.Time) error {
	return classify(s.db.Batch(ctx, []Stmt{
		guard("guard_missing", `NOT EXISTS (SELECT 1 FROM pending WHERE account = ? AND device = ? AND expires >= ? AND contribution IS NOT NULL)`,
			account, device, millis(now)),
		guard("guard_conflict", `EXISTS (SELECT 1 FROM pending WHERE account = ? AND device = ? AND reveal IS NOT NULL)`, account, device),
		{`UPDATE pending SET reveal = ? WHERE account = ? AND device = ?`, []any{reveal, account, device}},
	}))
}

// PendingConnections implements portal.Store.
func (s *Store) PendingConnections(ctx context.Context, account string, now time.Time) ([]*portal.Pending, error) {
	rows, err := s.db.Query(ctx, `SELECT device, request, expires, contribution, reveal FROM pending WHERE account = ? AND expires >= ? ORDER BY device`, account, millis(now))
	if err != nil {
		return nil, err
	}
	out := make([]*portal.Pending, len(rows))
	for i, r := range rows {
		out[i] = &portal.Pending{Account: account, Device: toString(r[0]), Request: toBytes(r[1]), Expires: fromMillis(r[2]),
			Contribution: optBytes(r[3]), Reveal: optBytes(r[4])}
	}
	return out, nil
}

// optBytes is toBytes, keeping NULL nil.
func optBytes(v any) []byte {
	if v == nil {
		return nil
	}
	return toBytes(v)
}

// CompleteConnection implements portal.Store.
func (s *Store) CompleteConnection(ctx context.Context, account, device string, result []byte, now time.Time) error {
	return classify(s.db.Batch(ctx, []Stmt{
		guard("guard_missing", `NOT EXISTS (SELECT 1 FROM pending WHERE account = ? AND device = ? AND expires >= ?)`, account, device, millis(now)),
		{`INSERT INTO results (account, device, request, expires, result)
			SELECT account, device, request, expires, ? FROM pending WHERE account = ? AND device = ?
			ON CONFLICT (account, device) DO UPDATE SET request = excluded.request, expires = excluded.expires, result = excluded.result`,
			[]any{result, account, device}},
		{`DELETE FROM pending WHERE account = ? AND device = ?`, []any{account, device}},
	}))
}

// Connection implements portal.Store. It reads the pending request before
// the answer: CompleteConnection moves a request from one to the other in
// one batch, so this order never misses it.
func (s *Store) Connection(ctx context.Context, account, device string, now time.Time) (*portal.Pending, []byte, error) {
	var p *portal.Pending
	row, err := s.one(ctx, `SELECT request, expires, contribution, reveal FROM pending WHERE account = ? AND device = ? AND expires >= ?`, account, device, millis(now))
	switch {
	case err == nil:
		p = &portal.Pending{Account: account, Device: device, Request: toBytes(row[0]), Expires: fromMillis(row[1]),
			Contribution: optBytes(row[2]), Reveal: optBytes(row[3])}
	case !errors.Is(err, portal.ErrNotFound):
		return nil, nil, err
	}
	row, err = s.one(ctx, `SELECT request, expires, result FROM results WHERE account = ? AND device = ?`, account, device)
	switch {
	case err == nil:
		if p == nil {
			p = &portal.Pending{Account: account, Device: device, Request: toBytes(row[0]), Expires: fromMillis(row[1])}
		}
		return p, toBytes(row[2]), nil
	case !errors.Is(err, portal.ErrNotFound):
		return nil, nil, err
	case p == nil:
		return nil, nil, portal.ErrNotFound
	}
	return p, nil, nil
}

// UseNonce implements portal.Store: a nonce seen before breaks the
// primary key, and the batch fails with ErrConflict.
func (s *Store) UseNonce(ctx context.Context, device, nonce string, expires, now time.Time) error {
	return classify(s.db.Batch(ctx, []Stmt{
		{`DELETE FROM nonces WHERE expires < ?`, []any{millis(now)}},
		{`INSERT INTO nonces (device, nonce, expires) VALUES (?, ?, ?)`, []any{device, nonce, millis(expires)}},
	}))
}
