//go:build !js

package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/meshpass/meshpass/portal-worker/sqlitestore"
)

// metrics counts requests and serves them, with storage figures, in the
// Prometheus text format (no client library: a handful of series).
type metrics struct {
	store  *sqlitestore.Store
	dbPath string
	start  time.Time

	mu       sync.Mutex
	requests map[reqKey]uint64
	duration map[string]*histogram
}

type reqKey struct {
	typ    string
	status int
}

// Buckets of request duration, seconds.
var buckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

type histogram struct {
	counts []uint64 // per bucket, cumulative when written
	sum    float64
	n      uint64
}

func newMetrics(store *sqlitestore.Store, dbPath string) *metrics {
	return &metrics{store: store, dbPath: dbPath, start: time.Now(), requests: map[reqKey]uint64{}, duration: map[string]*histogram{}}
}

func (m *metrics) observe(typ string, status int, d time.Duration) {
	if typ == "" {
		typ = "none"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[reqKey{typ, status}]++
	h := m.duration[typ]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(buckets))}
		m.duration[typ] = h
	}
	s := d.Seconds()
	for i, b := range buckets {
		if s <= b {
			h.counts[i]++
		}
	}
	h.sum += s
	h.n++
}

func (m *metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	m.mu.Lock()
	keys := make([]reqKey, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b reqKey) int {
		if a.typ != b.typ {
			if a.typ < b.typ {
				return -1
			}
			return 1
		}
		return a.status - b.status
	})
	fmt.Fprintln(w, "# HELP meshpass_requests_total Requests answered, by message type and status.")
	fmt.Fprintln(w, "# TYPE meshpass_requests_total counter")
	for _, k := range keys {
		fmt.Fprintf(w, "meshpass_requests_total{type=%q,status=\"%d\"} %d\n", k.typ, k.status, m.requests[k])
	}
	types := make([]string, 0, len(m.duration))
	for t := range m.duration {
		types = append(types, t)
	}
	slices.Sort(types)
	fmt.Fprintln(w, "# HELP meshpass_request_duration_seconds Time to answer, by message type.")
	fmt.Fprintln(w, "# TYPE meshpass_request_duration_seconds histogram")
	for _, t := range types {
		h := m.duration[t]
		for i, b := range buckets {
			fmt.Fprintf(w, "meshpass_request_duration_seconds_bucket{type=%q,le=%q} %d\n", t, strconv.FormatFloat(b, 'g', -1, 64), h.counts[i])
		}
		fmt.Fprintf(w, "meshpass_request_duration_seconds_bucket{type=%q,le=\"+Inf\"} %d\n", t, h.n)
		fmt.Fprintf(w, "meshpass_request_duration_seconds_sum{type=%q} %g\n", t, h.sum)
		fmt.Fprintf(w, "meshpass_request_duration_seconds_count{type=%q} %d\n", t, h.n)
	}
	m.mu.Unlock()

	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	gauge := func(name, help string, v float64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %g\n", name, help, name, name, v)
	}
	if bytes, leaves, accounts, err := m.store.Totals(ctx); err == nil {
		gauge("meshpass_storage_charged_bytes", "Bytes charged against the storage watermark (-max-storage).", float64(bytes))
		gauge("meshpass_log_leaves", "Leaves in the transparency log.", float64(leaves))
		gauge("meshpass_accounts", "Accounts.", float64(accounts))
	}
	var files int64
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if fi, err := os.Stat(m.dbPath + suffix); err == nil {
			files += fi.Size()
		}
	}
	gauge("meshpass_database_file_bytes", "Size of the SQLite database, WAL included.", float64(files))
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	gauge("go_memstats_heap_inuse_bytes", "Go heap in use.", float64(ms.HeapInuse))
	gauge("go_memstats_sys_bytes", "Memory obtained from the OS by Go.", float64(ms.Sys))
	gauge("go_goroutines", "Goroutines.", float64(runtime.NumGoroutine()))
	gauge("process_uptime_seconds", "Seconds since start.", time.Since(m.start).Seconds())
}
