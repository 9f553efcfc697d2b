//go:build unix && !js

// Command workercpu measures the CPU time per request of the portal's
// Workers build, for the Workers free plan's limit of 10 ms CPU per
// request (issues 16 and 17), beside the same requests' CPU natively.
//
//	go run ./cmd/internal/workercpu [-n 250] [-warmup 20] [-interval 100µs] [-run REGEXP] [-cold REGEXP] [-settle 3s] [-out FILE]
//
// It starts the worker in local workerd (wrangler dev, local D1) and, for
// each kind of request, sends -warmup requests, then -n sequential
// requests while it reads the CPU time of the workerd process that runs
// the worker, then -n more under V8's sampling profiler (Profiler.start
// and stop over the Chrome DevTools Protocol) in three isolates: the
// worker's (through wrangler's inspector proxy, which holds workerd's one
// session with it), local D1's and miniflare's entry worker's (through
// workerd's own inspector). The worker's self time is attributed to the
// Go program (wasm functions), the worker's own JavaScript (glue.mjs and
// wasm_exec.js), workerd's API (its native functions and internal
// modules, the D1 binding's client side among them), V8's garbage
// collector and "(program)"; idle time is left out. The profiles are
// scaled to the process's CPU time without the profiler. Local D1 (its
// SQLite included) is shown apart: on Cloudflare it is not the worker's
// CPU time.
//
// Natively it calls the portal's handler (SQLite) in this process for
// the same kinds, -n sequential requests after a warm-up, and divides the
// process's CPU time (getrusage) by -n.
//
// Then, for the kinds -cold selects, it measures the first request of a
// cold isolate: a first workerd prepares the request on a local D1
// database kept in a directory and stops; a second starts on that
// database without being sent anything (workerd.Options.Cold), is left
// -settle to load the worker (glue.mjs starts Go then), and its first
// request is profiled alone, unscaled (the profilers' cost is in it).
//
// It prints two tables and writes them as JSON to -out. `make bench` runs it.
// Every request goes to 127.0.0.1.
package main

import (
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/meshpass/meshpass/portal-worker/portal"
	"github.com/meshpass/meshpass/portal-worker/sqlitestore"
	"github.com/meshpass/meshpass/portal-worker/workers/workerd"
	"github.com/meshpass/meshpass/shared/translog"
)

var (
	count    = flag.Int("n", 250, "requests measured per kind (and as many again under the profiler)")
	warmup   = flag.Int("warmup", 20, "requests sent per kind before measuring")
	interval = flag.Duration("interval", 100*time.Microsecond, "the V8 profiler's sampling interval")
	only     = flag.String("run", "", "measure only the kinds whose name matches this regular expression")
	out      = flag.String("out", "portal-worker/workers/test-artifacts/workercpu.json", "the JSON report, relative to the repository root")
	build    = flag.Bool("build", true, "build the worker first (make bench has built it)")
	settle   = flag.Duration("settle", 3*time.Second, "how long a cold worker is left loaded before its first request")
	cold     = flag.String("cold", "^(Hello|Get|Publish personal 5|AppendRecords)$", "measure the first request of a cold isolate for the kinds (among -run's) whose name matches this regular expression (each starts workerd twice)")
)

// limit is the Workers free plan's CPU time per request.
const limit = 10 * time.Millisecond

// result is one kind's row of the report; times are milliseconds of CPU
// per request.
type result struct {
	Kind string `json:"kind"`
	What string `json:"what"`
	// Native is the native portal's CPU time (handler and SQLite).
	Native float64 `json:"native_cpu_ms"`
	isolates
	// Process is the workerd process's CPU time, measured without the
	// profiler, and Rest what it spent outside the isolates above (HTTP,
	// workerd's event loop).
	Process float64 `json:"workerd_process_ms"`
	Rest    float64 `json:"workerd_rest_ms"`
	// Ratio is Worker / Native.
	Ratio float64 `json:"ratio"`
	// Over says whether Worker exceeds the free plan's 10 ms.
	Over bool `json:"over_10ms"`
	// Latency is the worker's mean wall time per request, unprofiled.
	Latency float64 `json:"worker_latency_ms"`
	// ProfiledProcess is the process's CPU time under the profilers
	// (their overhead shows against Process).
	ProfiledProcess float64 `json:"workerd_process_profiled_ms"`
	// Top are the functions with the most self time, in the worker's
	// isolate and in local D1's.
	Top   []string `json:"worker_top_functions"`
	TopD1 []string `json:"local_d1_top_functions"`
}

// isolates are the CPU times of the isolates profiled, in ms per request.
type isolates struct {
	// The worker's isolate, from its V8 profile, by part.
	Go      float64 `json:"worker_go_wasm_ms"`
	JS      float64 `json:"worker_js_glue_ms"`
	API     float64 `json:"worker_workerd_api_ms"`
	GC      float64 `json:"worker_v8_gc_ms"`
	Program float64 `json:"worker_program_ms"`
	// Worker is the sum of those: the CPU time the platform counts
	// against the limit.
	Worker float64 `json:"worker_total_ms"`
	// D1 is local D1's isolates (its SQLite included), Entry miniflare's
	// entry worker, both from their V8 profiles: neither runs in the
	// worker's isolate on Cloudflare.
	D1    float64 `json:"local_d1_ms"`
	Entry float64 `json:"dev_entry_worker_ms"`
}

// split sums profiles' self time (µs, by isolate and part) into
// isolates, per turning µs into ms per request.
func split(parts map[string]map[string]int64, per func(int64) float64) isolates {
	busy := func(p map[string]int64) float64 {
		return per(p[partGo] + p[partJS] + p[partRuntime] + p[partGC] + p[partProgram])
	}
	wp := parts[isolateWorker]
	return isolates{
		Go: per(wp[partGo]), JS: per(wp[partJS]), API: per(wp[partRuntime]), GC: per(wp[partGC]), Program: per(wp[partProgram]),
		Worker: busy(wp),
		D1:     busy(parts[isolateD1]) + busy(parts[isolateD1In]),
		Entry:  busy(parts[isolateEntry]),
	}
}

// report is the JSON written to -out.
type report struct {
	Date       time.Time `json:"date"`
	GoVersion  string    `json:"go_version"`
	CPUs       int       `json:"cpus"`
	N          int       `json:"n"`
	Warmup     int       `json:"warmup"`
	IntervalUS int64     `json:"sampling_interval_us"`
	Results    []result  `json:"results"`
	// Cold are the first requests of cold isolates.
	Cold []coldResult `json:"cold"`
}

func main() {
	flag.Parse()
	root, err := workerd.RepoRoot()
	check(err)
	var selected []kind
	re, err := regexp.Compile(*only)
	check(err)
	for _, k := range kinds {
		if re.MatchString(k.name) {
			selected = append(selected, k)
		}
	}
	skey, vkey, err := translog.GenerateKey("bench/log")
	check(err)

	results := make([]result, len(selected))
	for i, k := range selected {
		results[i].Kind, results[i].What = k.name, k.what
	}
	check(measureNative(selected, results, skey, vkey))
	if *build {
		check(workerd.Build(root))
	}
	check(measureWorker(selected, results, skey, vkey))
	coldRe, err := regexp.Compile(*cold)
	check(err)
	var coldKinds []kind
	for _, k := range selected {
		if *cold != "" && coldRe.MatchString(k.name) {
			coldKinds = append(coldKinds, k)
		}
	}
	colds, err := measureCold(coldKinds, skey, vkey)
	check(err)

	for i := range results {
		r := &results[i]
		if r.Native > 0 {
			r.Ratio = r.Worker / r.Native
		}
		r.Over = r.Worker > ms(limit)
	}
	printTable(results)
	printCold(colds)
	rep := report{Date: time.Now().UTC(), GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), N: *count, Warmup: *warmup,
		IntervalUS: interval.Microseconds(), Results: results, Cold: colds}
	b, err := json.MarshalIndent(rep, "", "  ")
	check(err)
	path := *out
	if !filepath.IsAbs(path) {
		path = filepath.Join(root, path)
	}
	check(os.MkdirAll(filepath.Dir(path), 0o755))
	check(os.WriteFile(path, append(b, '\n'), 0o644))
	fmt.Println("workercpu: wrote", path)
}

// stop ends what is running (the worker) when the run fails.
var stop = func() {}

func check(err error) {
	if err != nil {
		stop()
		fmt.Fprintln(os.Stderr, "workercpu:", err)
		os.Exit(1)
	}
}

// portalOptions are the worker's defaults (cmd/meshpass-worker) without
// the rate limits, which a benchmark would hit.
func portalOptions(skey, vkey string) (portal.Options, error) {
	signer, err := translog.NewSigner(skey)
	return portal.Options{Signer: signer, VerifierKey: vkey, Quota: portal.Quota{
		AccountBytes: 256 << 20, AccountRecords: portal.DefaultAccountRecords, TotalBytes: 400e6,
	}}, err
}

// measureNative fills each result's Native.
func measureNative(selected []kind, results []result, skey, vkey string) error {
	dir, err := os.MkdirTemp("", "meshpass-workercpu-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	store, err := sqlitestore.Open(filepath.Join(dir, "portal.db"))
	if err != nil {
		return err
	}
	defer store.Close()
	opts, err := portalOptions(skey, vkey)
	if err != nil {
		return err
	}
	t := native{portal.New(store, opts)}
	for i, k := range selected {
		bodies, err := k.prepare(t, *warmup+*count)
		if err != nil {
			return fmt.Errorf("native %s: %v", k.name, err)
		}
		if err := sendAll(t, bodies[:*warmup]); err != nil {
			return fmt.Errorf("native %s: %v", k.name, err)
		}
		runtime.GC() // the garbage of preparing is not the portal's
		before := selfCPU()
		if err := sendAll(t, bodies[*warmup:]); err != nil {
			return fmt.Errorf("native %s: %v", k.name, err)
		}
		results[i].Native = ms(selfCPU()-before) / float64(*count)
		fmt.Printf("native %-18s %7.3f ms CPU per request\n", k.name, results[i].Native)
	}
	return nil
}

// The isolates profiled: the worker, local D1 (miniflare's D1 router and
// its Durable Object with the SQLite database), miniflare's entry worker.
const (
	isolateWorker = "core:user:meshpass-portal"
	isolateD1     = "d1:db"
	isolateD1In   = "d1:db:entry"
	isolateEntry  = "core:entry"
)

// workerVars are the worker's variables: the log's keys, no rate limits.
func workerVars(skey, vkey string) map[string]string {
	return map[string]string{
		"LOG_SIGNING_KEY": skey, "LOG_VERIFIER_KEY": vkey, "RATE_PER_IP": "0", "RATE_PER_ACCOUNT": "0", "CREATES_PER_HOUR": "0",
	}
}

// measureWorker fills each result's worker columns.
func measureWorker(selected []kind, results []result, skey, vkey string) error {
	w, err := workerd.Start(workerd.Options{Inspector: true, Vars: workerVars(skey, vkey)})
	if err != nil {
		return err
	}
	stop = w.Stop
	defer w.Stop()
	pid, profilers, err := openProfilers(w)
	if err != nil {
		return err
	}
	defer closeAll(profilers)
	fmt.Printf("worker in local workerd at %s (cold start and first Hello %v), workerd pid %d\n", w.URL, w.FirstRequest.Round(time.Millisecond), pid)
	t := remote{url: w.URL, client: &http.Client{Timeout: time.Minute}}
	// Warm miniflare's entry worker and workerd up first.
	if err := sendAll(t, repeat(100, []byte(`{"HelloRequest":{}}`))); err != nil {
		return err
	}
	for i, k := range selected {
		r := &results[i]
		bodies, err := k.prepare(t, *warmup+2**count)
		if err != nil {
			return fmt.Errorf("workerd %s: %v", k.name, err)
		}
		if err := sendAll(t, bodies[:*warmup]); err != nil {
			return fmt.Errorf("workerd %s: %v", k.name, err)
		}
		plain, profiled := bodies[*warmup:*warmup+*count], bodies[*warmup+*count:]

		// Without the profilers: the process's CPU time, and latency.
		before, err := threads(pid)
		if err != nil {
			return err
		}
		start := time.Now()
		if err := sendAll(t, plain); err != nil {
			return fmt.Errorf("workerd %s: %v", k.name, err)
		}
		r.Latency = ms(time.Since(start)) / float64(*count)
		after, err := threads(pid)
		if err != nil {
			return err
		}
		r.Process = ms(since(before, after)) / float64(*count)

		// Under the profilers: each isolate's time.
		if err := startProfiles(profilers); err != nil {
			return err
		}
		if err := sendAll(t, profiled); err != nil {
			return fmt.Errorf("workerd %s: %v", k.name, err)
		}
		parts, functions, err := stopProfiles(profilers)
		if err != nil {
			return err
		}
		end, err := threads(pid)
		if err != nil {
			return err
		}
		r.ProfiledProcess = ms(since(after, end)) / float64(*count)

		// The profilers' own cost (a signal and a stack walk per sample)
		// runs on the sampled thread: scale the profiles to the process's
		// CPU time without them.
		scale := 1.0
		if r.ProfiledProcess > 0 {
			scale = r.Process / r.ProfiledProcess
		}
		per := func(us int64) float64 { return float64(us) / 1000 / float64(*count) * scale }
		r.isolates = split(parts, per)
		r.Rest = r.Process - r.Worker - r.D1 - r.Entry
		r.Top, r.TopD1 = top(functions[isolateWorker], 16, per), top(functions[isolateD1], 5, per)
		fmt.Printf("workerd %-18s worker %.3f (go %.3f js %.3f api %.3f gc %.3f program %.3f) d1 %.3f entry %.3f process %.3f (profiled %.3f) latency %.3f ms\n",
			k.name, r.Worker, r.Go, r.JS, r.API, r.GC, r.Program, r.D1, r.Entry, r.Process, r.ProfiledProcess, r.Latency)
	}
	return nil
}

// openProfilers finds the workerd process that runs w and opens a V8
// inspector session, its profiler enabled, on each isolate profiled.
func openProfilers(w *workerd.Worker) (int, map[string]*workerd.Inspector, error) {
	// A worker started cold may not have opened workerd's inspector yet.
	var pid int
	var base string
	var err error
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
		if pid, err = runtimePID(w.PID()); err == nil {
			if base, err = findInspector(pid); err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			return 0, nil, err
		}
	}
	profilers := map[string]*workerd.Inspector{}
	for _, id := range []string{isolateWorker, isolateD1, isolateD1In, isolateEntry} {
		var in *workerd.Inspector
		if id == isolateWorker {
			in, err = workerd.DialWrangler(w.Inspector)
		} else {
			in, err = workerd.DialIsolate(base, id)
		}
		if err != nil {
			closeAll(profilers)
			return 0, nil, err
		}
		profilers[id] = in
		if err := in.Call("Profiler.enable", nil, nil); err != nil {
			closeAll(profilers)
			return 0, nil, fmt.Errorf("%s: %v", id, err)
		}
		if err := in.Call("Profiler.setSamplingInterval", map[string]any{"interval": interval.Microseconds()}, nil); err != nil {
			closeAll(profilers)
			return 0, nil, fmt.Errorf("%s: %v", id, err)
		}
	}
	return pid, profilers, nil
}

// startProfiles starts every profiler.
func startProfiles(profilers map[string]*workerd.Inspector) error {
	for _, in := range profilers {
		if err := in.Call("Profiler.start", nil, nil); err != nil {
			return err
		}
	}
	return nil
}

// stopProfiles stops every profiler and returns each isolate's self time
// by part and by function, in µs.
func stopProfiles(profilers map[string]*workerd.Inspector) (parts, functions map[string]map[string]int64, err error) {
	parts, functions = map[string]map[string]int64{}, map[string]map[string]int64{}
	for id, in := range profilers {
		var stopped struct {
			Profile cpuProfile `json:"profile"`
		}
		if err := in.Call("Profiler.stop", nil, &stopped); err != nil {
			return nil, nil, err
		}
		parts[id], functions[id] = stopped.Profile.attribute()
	}
	return parts, functions, nil
}

// closeAll closes the inspector sessions.
func closeAll(profilers map[string]*workerd.Inspector) {
	for _, in := range profilers {
		in.Close()
	}
}

// top returns the n functions with the most self time, with their ms
// per request.
func top(functions map[string]int64, n int, per func(int64) float64) []string {
	names := slices.Collect(maps.Keys(functions))
	slices.SortFunc(names, func(a, b string) int { return cmp.Compare(functions[b], functions[a]) })
	var out []string
	for _, name := range names[:min(n, len(names))] {
		out = append(out, fmt.Sprintf("%.3f ms %s", per(functions[name]), name))
	}
	return out
}

func sendAll(t target, bodies [][]byte) error {
	for _, b := range bodies {
		if err := send(t, b); err != nil {
			return err
		}
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func printTable(results []result) {
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\tnative CPU ms\tworker Go(wasm) ms\tworker JS ms\tworkerd API ms\tV8 GC+(program) ms\tworker total ms\tratio\tover 10 ms?\tlocal D1 ms\tdev entry+rest ms\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.0f×\t%s\t%.3f\t%.3f\t\n",
			r.Kind, r.Native, r.Go, r.JS, r.API, r.GC+r.Program, r.Worker, r.Ratio, yesNo(r.Over), r.D1, r.Entry+r.Rest)
	}
	tw.Flush()
}

// yesNo is a table's answer to "over 10 ms?".
func yesNo(over bool) string {
	if over {
		return "YES"
	}
	return "no"
}
