//go:build unix && !js

package workers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/meshpass/meshpass/portal-worker/conformance"
	"github.com/meshpass/meshpass/portal-worker/portal"
	"github.com/meshpass/meshpass/portal-worker/sqlitestore"
	"github.com/meshpass/meshpass/portal-worker/workers/workerd"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile/profiletest"
	"github.com/meshpass/meshpass/shared/translog"
	"github.com/meshpass/meshpass/shared/vault"
)

// The portal's benchmarks: Get, Publish and AppendRecords at 1 and 16
// concurrent clients, on the native server (SQLite) and on the worker in
// local workerd (D1), with Hello on both and a plain JavaScript echo
// worker in the same workerd as baselines. Each reports req/s and p50/p99 latency; the
// workerd ones also the isolate's cold start (first request).

var (
	benchOnce    sync.Once
	benchTargets map[string]string // name -> base URL
	benchStops   []func()
	benchErr     error
	// benchStore is the native target's database, for its growth per
	// publish.
	benchStore *sqlitestore.Store
)

var benchWorkers []*workerd.Worker

func TestMain(m *testing.M) {
	code := m.Run()
	if code != 0 {
		for _, w := range benchWorkers {
			fmt.Printf("wrangler log of %s:\n%s\n", w.URL, w.Log())
		}
	}
	for _, stop := range benchStops {
		stop()
	}
	os.Exit(code)
}

func targets(b *testing.B) map[string]string {
	benchOnce.Do(func() {
		benchTargets = map[string]string{}
		dir, err := os.MkdirTemp("", "meshpass-bench-")
		if err != nil {
			benchErr = err
			return
		}
		store, err := sqlitestore.Open(filepath.Join(dir, "portal.db"))
		if err != nil {
			benchErr = err
			return
		}
		skey, vkey, _ := translog.GenerateKey("bench/log")
		signer, _ := translog.NewSigner(skey)
		srv := httptest.NewServer(portal.New(store, portal.Options{Signer: signer, VerifierKey: vkey}))
		benchTargets["native"] = srv.URL
		benchStore = store
		benchStops = append(benchStops, srv.Close, func() { store.Close(); os.RemoveAll(dir) })

		if os.Getenv("MESHPASS_SKIP_WORKERD") == "1" {
			return
		}
		root, err := workerd.RepoRoot()
		if err == nil {
			err = workerd.Build(root)
		}
		if err != nil {
			benchErr = err
			return
		}
		go1, err := workerd.Start(workerd.Options{Vars: map[string]string{
			"LOG_SIGNING_KEY": skey, "LOG_VERIFIER_KEY": vkey, "RATE_PER_IP": "0", "RATE_PER_ACCOUNT": "0", "CREATES_PER_HOUR": "0",
		}})
		if err != nil {
			benchErr = err
			return
		}
		benchStops = append(benchStops, go1.Stop)
		benchWorkers = append(benchWorkers, go1)
		benchTargets["workerd"] = go1.URL
		echo, err := workerd.Start(workerd.Options{Config: "echo/wrangler.toml"})
		if err != nil {
			benchErr = err
			return
		}
		benchStops = append(benchStops, echo.Stop)
		benchTargets["workerd-js-echo"] = echo.URL
		fmt.Printf("cold start (first request): Go worker %v, plain JS echo worker %v\n", go1.FirstRequest.Round(time.Millisecond), echo.FirstRequest.Round(time.Millisecond))
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchTargets
}

// load posts bodies[i] for i in [0, b.N) to url from clients goroutines
// (client c sends bodies c, c+clients, …, in order) and reports
// throughput and latency percentiles.
func load(b *testing.B, url string, clients int, bodies func(i int) []byte) {
	b.Helper()
	loadRouted(b, func(int) string { return url }, clients, bodies)
}

// loadRouted is load with client c posting to urls(c).
func loadRouted(b *testing.B, urls func(c int) string, clients int, bodies func(i int) []byte) {
	b.Helper()
	lat := make([]time.Duration, b.N)
	var failed sync.Once
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	b.ResetTimer()
	cpu0 := processCPU(b)
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			url := urls(c)
			for i := c; i < b.N; i += clients {
				t0 := time.Now()
				resp, err := client.Post(url+mmm.Path, "application/json", bytes.NewReader(bodies(i)))
				if err == nil {
					var answer []byte
					answer, err = io.ReadAll(resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != mmm.StatusOK {
						err = fmt.Errorf("HTTP %d: %.300s", resp.StatusCode, answer)
					}
				}
				lat[i] = time.Since(t0)
				if err != nil {
					failed.Do(func() { b.Error(err) })
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := processCPU(b) - cpu0
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	// CPU time of this process (server and load generator, when the
	// target is native) per request: less sensitive than req/s to what
	// else the machine runs.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/req")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(0, "ns/op") // throughput and latency say it better
}

// processCPU returns the user and system CPU time this process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func encode(b *testing.B, m mmm.Message) []byte {
	body, err := mmm.Encode(m)
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// account creates an account on url and returns its name and person.
func account(b *testing.B, url string) (string, *profiletest.Person) {
	p, err := profiletest.NewPerson(2)
	if err != nil {
		b.Fatal(err)
	}
	name := fmt.Sprintf("bench%d", time.Now().UnixNano())
	body := encode(b, &mmm.CreateRequest{Account: name, Profile: mmm.Entry{SignedPersonalProfile: p.SignedPersonal}})
	resp, err := http.Post(url+mmm.Path, "application/json", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != mmm.StatusOK {
		b.Fatalf("create: HTTP %d", resp.StatusCode)
	}
	return name, p
}

// each runs bench as a sub-benchmark for every named target at 1 and 16
// clients (the native one also at 4).
func each(b *testing.B, names []string, bench func(b *testing.B, url string, clients int)) {
	for _, name := range names {
		counts := []int{1, 16}
		if name == "native" {
			counts = []int{1, 4, 16}
		}
		for _, clients := range counts {
			b.Run(fmt.Sprintf("%s/clients=%d", name, clients), func(b *testing.B) {
				url, ok := targets(b)[name]
				if !ok {
					b.Skip("MESHPASS_SKIP_WORKERD=1")
				}
				bench(b, url, clients)
			})
		}
	}
}

func BenchmarkHello(b *testing.B) {
	hello := []byte(`{"HelloRequest":{}}`)
	each(b, []string{"native", "workerd", "workerd-js-echo"}, func(b *testing.B, url string, clients int) {
		load(b, url, clients, func(int) []byte { return hello })
	})
}

func BenchmarkGet(b *testing.B) {
	each(b, []string{"native", "workerd"}, func(b *testing.B, url string, clients int) {
		acct, _ := account(b, url)
		body := encode(b, &mmm.GetRequest{Account: acct, Multiple: true})
		load(b, url, clients, func(int) []byte { return body })
	})
}

// BenchmarkPublish publishes new versions of a password profile; each
// client has its own account, so no version conflicts with another.
// Natively it also reports the database's growth per publish (db-B/publish)
// beside the size of the leaf published (leaf-B).
func BenchmarkPublish(b *testing.B) {
	each(b, []string{"native", "workerd"}, func(b *testing.B, url string, clients int) {
		people := make([]*profiletest.Person, clients)
		for c := range people {
			_, people[c] = account(b, url)
		}
		bodies, leafBytes := publishBodies(b, people)
		grown := growth(b, url)
		load(b, url, clients, func(i int) []byte { return bodies[i] })
		grown(b.N)
		b.ReportMetric(float64(leafBytes)/float64(b.N), "leaf-B")
	})
}

// publishBodies makes b.N Publish requests, new password profile versions
// of people's in turn (request i is people[i%len(people)]'s), and returns
// them with the bytes of the leaves they log.
func publishBodies(b *testing.B, people []*profiletest.Person) (bodies [][]byte, leafBytes int) {
	bodies = make([][]byte, b.N)
	for i := range bodies {
		p := people[i%len(people)]
		previous := p.PasswordProfile.Version
		if i >= len(people) {
			p.PasswordProfile.Versioned = p.PasswordProfile.Next()
		} else {
			previous = 0 // the first publication of each profile
		}
		if err := p.Seal(); err != nil {
			b.Fatal(err)
		}
		e := mmm.Entry{SignedApplicationProfile: p.SignedPasswords}
		bodies[i] = encode(b, &mmm.PublishRequest{Entry: e, Previous: previous})
		leaf, err := translog.LeafData(&e)
		if err != nil {
			b.Fatal(err)
		}
		leafBytes += len(leaf)
	}
	return bodies, leafBytes
}

// growth returns, on the native target, a function that reports the
// database's growth in bytes per publish since growth was called (pages
// in use, after a WAL checkpoint); elsewhere one that does nothing.
func growth(b *testing.B, url string) func(n int) {
	if url != benchTargets["native"] || benchStore == nil {
		return func(int) {}
	}
	before, err := benchStore.Size(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	return func(n int) {
		after, err := benchStore.Size(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(after-before)/float64(n), "db-B/publish")
	}
}

// BenchmarkAppendRecords appends one record (vault format 2) per request
// to a format-2 vault: the portal checks the item (one signature), chains
// the catalog's head and logs it as one leaf. Each client has its own
// vault, so appends race only for the log.
func BenchmarkAppendRecords(b *testing.B) {
	each(b, []string{"native", "workerd"}, func(b *testing.B, url string, clients int) {
		people := make([]*profiletest.Person, clients)
		for c := range people {
			_, p := account(b, url)
			if err := conformance.Format2(p, nil, false); err != nil {
				b.Fatal(err)
			}
			body := encode(b, &mmm.PublishRequest{Entry: mmm.Entry{SignedApplicationProfile: p.SignedPasswords}})
			resp, err := http.Post(url+mmm.Path, "application/json", bytes.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != mmm.StatusOK {
				b.Fatalf("publish: HTTP %d", resp.StatusCode)
			}
			people[c] = p
		}
		key := make([]byte, vault.KeySize)
		bodies := make([][]byte, b.N)
		for i := range bodies {
			p := people[i%clients]
			d := p.Devices[0]
			s, _, err := vault.Seal(vault.Header{Vault: p.PasswordProfile.Identifier, Entry: fmt.Sprintf("entry-%d", i), Writer: d.Profile.Identifier, Epoch: 1, Time: time.Now()},
				vault.Entry{Name: "example", Sites: []string{"example.com"}, Username: "alice", Password: "correct horse battery staple"}, key, d.Sign)
			if err != nil {
				b.Fatal(err)
			}
			item, err := vault.Item(s)
			if err != nil {
				b.Fatal(err)
			}
			bodies[i] = encode(b, &mmm.AppendRecordsRequest{Catalog: p.PasswordProfile.Identifier, Records: []json.RawMessage{item}})
		}
		load(b, url, clients, func(i int) []byte { return bodies[i] })
	})
}
