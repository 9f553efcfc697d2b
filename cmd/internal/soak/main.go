//go:build !js

// Command soak grows the native portal's log to -leaves leaves and
// measures Publish, Get and Audit at 1k, 100k and 1M leaves (or the
// milestones up to -leaves), and the database bytes each publish adds.
//
//	go run ./cmd/internal/soak [-leaves 1000000]
//
// The log is filled in bulk between milestones (leaves of 700 bytes, their
// tlog hashes and a signed checkpoint per transaction, written straight
// into the database: filling it through the handler would take hours);
// the measurements are real requests to the portal handler over HTTP on
// 127.0.0.1, on the same database. `make soak` runs it; so does `make
// bench`.
package main

import (
	"bytes"
	"crypto/rand"
	"database/sql"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
	_ "modernc.org/sqlite"

	"github.com/meshpass/meshpass/portal-worker/portal"
	"github.com/meshpass/meshpass/portal-worker/sqlitestore"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile/profiletest"
	"github.com/meshpass/meshpass/shared/translog"
)

var leaves = flag.Int64("leaves", 1000000, "log size to reach")

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

// filler appends leaves in bulk, keeping every stored hash in memory.
type filler struct {
	db     *sql.DB
	signer note.Signer
	hashes []tlog.Hash
	n      int64
}

func (f *filler) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x >= int64(len(f.hashes)) {
			return nil, fmt.Errorf("hash %d not stored", x)
		}
		out[i] = f.hashes[x]
	}
	return out, nil
}

// load reads the hashes the portal stored so far.
func (f *filler) load() {
	rows, err := f.db.Query(`SELECT hash FROM hashes ORDER BY idx`)
	check(err)
	defer rows.Close()
	f.hashes = f.hashes[:0]
	for rows.Next() {
		var b []byte
		check(rows.Scan(&b))
		var h tlog.Hash
		copy(h[:], b)
		f.hashes = append(f.hashes, h)
	}
	check(f.db.QueryRow(`SELECT COUNT(*) FROM leaves`).Scan(&f.n))
}

func (f *filler) fill(to int64) {
	leaf := make([]byte, 700)
	for f.n < to {
		tx, err := f.db.Begin()
		check(err)
		insLeaf, _ := tx.Prepare(`INSERT INTO leaves (idx, data) VALUES (?, ?)`)
		insHash, _ := tx.Prepare(`INSERT INTO hashes (idx, hash) VALUES (?, ?)`)
		end := min(to, f.n+20000)
		var bytes int64
		for ; f.n < end; f.n++ {
			rand.Read(leaf)
			data := fmt.Appendf(nil, `{"Filler":%q}`, leaf[:500])
			hs, err := tlog.StoredHashes(f.n, data, f)
			check(err)
			for _, h := range hs {
				_, err := insHash.Exec(int64(len(f.hashes)), h[:])
				check(err)
				f.hashes = append(f.hashes, h)
			}
			_, err = insLeaf.Exec(f.n, data)
			check(err)
			bytes += int64(len(data)) + 512
		}
		th, err := tlog.TreeHash(f.n, f)
		check(err)
		cp, err := translog.SignCheckpoint(f.signer, tlog.Tree{N: f.n, Hash: th})
		check(err)
		_, err = tx.Exec(`INSERT INTO checkpoints (size, checkpoint) VALUES (?, ?)`, f.n, cp)
		check(err)
		_, err = tx.Exec(`UPDATE totals SET bytes = bytes + ?, leaves = ? WHERE id = 1`, bytes, f.n)
		check(err)
		check(tx.Commit())
	}
}

func call(url string, req mmm.Request, resp mmm.Response) time.Duration {
	body, err := mmm.Encode(req)
	check(err)
	start := time.Now()
	r, err := http.Post(url, "application/json", bytes.NewReader(body))
	check(err)
	defer r.Body.Close()
	check(mmm.DecodeResponse(r.Body, resp))
	d := time.Since(start)
	check(resp.Outcome().Err())
	return d
}

func pct(d []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(float64(len(s))*p))].Round(time.Microsecond)
}

func fileSize(db string) int64 {
	var n int64
	for _, s := range []string{"", "-wal"} {
		if fi, err := os.Stat(db + s); err == nil {
			n += fi.Size()
		}
	}
	return n
}

func main() {
	flag.Parse()
	dir, err := os.MkdirTemp("", "meshpass-soak-")
	check(err)
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "portal.db")
	store, err := sqlitestore.Open(path)
	check(err)
	defer store.Close()
	skey, vkey, err := translog.GenerateKey("soak/log")
	check(err)
	signer, err := translog.NewSigner(skey)
	check(err)
	srv := httptest.NewServer(portal.New(store, portal.Options{Signer: signer, VerifierKey: vkey}))
	defer srv.Close()
	url := srv.URL + mmm.Path

	p, err := profiletest.NewPerson(1)
	check(err)
	call(url, &mmm.CreateRequest{Account: "soak", Profile: mmm.Entry{SignedPersonalProfile: p.SignedPersonal}}, &mmm.CreateResponse{})
	call(url, &mmm.PublishRequest{Entry: mmm.Entry{SignedApplicationProfile: p.SignedPasswords}}, &mmm.PublishResponse{})

	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=synchronous(OFF)")
	check(err)
	raw.SetMaxOpenConns(1)
	defer raw.Close()
	f := &filler{db: raw, signer: signer}
	f.load()

	fmt.Printf("soak: the native portal (SQLite, synchronous=FULL) with a log grown to %d leaves\n", *leaves)
	fmt.Printf("%-9s %-22s %-22s %-22s %-16s %s\n", "leaves", "Publish p50/p99", "Get p50/p99", "Audit p50/p99", "bytes/publish", "db bytes/leaf")
	for _, milestone := range []int64{1000, 100000, 1000000} {
		if milestone > *leaves {
			break
		}
		t0 := time.Now()
		f.fill(milestone)
		_, err := raw.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
		check(err)
		fillTime := time.Since(t0)
		before := fileSize(path)
		var pub, get, audit []time.Duration
		const publishes = 50
		for range publishes {
			p.PasswordProfile.Versioned = p.PasswordProfile.Next()
			check(p.Seal())
			pub = append(pub, call(url, &mmm.PublishRequest{Entry: mmm.Entry{SignedApplicationProfile: p.SignedPasswords}, Previous: p.PasswordProfile.Version - 1}, &mmm.PublishResponse{}))
		}
		_, err = raw.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
		check(err)
		perPublish := (fileSize(path) - before) / publishes
		var st mmm.StatusResponse
		call(url, &mmm.StatusRequest{}, &st)
		_, tree, err := translog.ParseCheckpoint([]byte(st.Checkpoint))
		check(err)
		for range 100 {
			get = append(get, call(url, &mmm.GetRequest{Account: "soak", Multiple: true}, &mmm.GetResponse{}))
		}
		for i := range 50 {
			start := max(0, tree.N-100-int64(i)*7)
			audit = append(audit, call(url, &mmm.AuditRequest{Start: start, End: start + 100, OldSize: tree.N / 2, NewSize: tree.N}, &mmm.AuditResponse{}))
		}
		fmt.Printf("%-9d %-22s %-22s %-22s %-16d %d   (filled in %s)\n", tree.N,
			fmt.Sprint(pct(pub, .5), " / ", pct(pub, .99)), fmt.Sprint(pct(get, .5), " / ", pct(get, .99)), fmt.Sprint(pct(audit, .5), " / ", pct(audit, .99)),
			perPublish, fileSize(path)/tree.N, fillTime.Round(time.Second))
		f.load() // the portal appended leaves since
	}
}
