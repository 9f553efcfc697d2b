//go:build unix && !js

package main

import (
	"fmt"
	"net/http"
	"os"
	"text/tabwriter"
	"time"

	"github.com/meshpass/meshpass/portal-worker/workers/workerd"
)

// coldResult is the first request of a cold isolate: a workerd that has
// loaded the worker (glue.mjs starts the Go program then) and answered
// nothing yet, on a database that already holds what the request needs.
type coldResult struct {
	Kind string `json:"kind"`
	// The isolates' CPU time during the one request, from their V8
	// profiles, unscaled: the profilers' own cost is in it, so it is an
	// upper bound.
	isolates
	// Process is the workerd process's CPU time during the request,
	// every isolate's first request in it (miniflare's entry worker and
	// local D1 are cold too).
	Process float64 `json:"workerd_process_ms"`
	// Latency is the request's wall time.
	Latency float64 `json:"worker_latency_ms"`
	// Over says whether Worker exceeds the free plan's 10 ms.
	Over bool     `json:"over_10ms"`
	Top  []string `json:"worker_top_functions"`
}

// measureCold measures, for each kind, the first request of a cold
// isolate: a first workerd prepares the request on a local D1 database
// kept in a directory, and stops; a second starts on that database and
// its first request is the one measured, under the profilers.
func measureCold(selected []kind, skey, vkey string) ([]coldResult, error) {
	var out []coldResult
	for _, k := range selected {
		r, err := coldOne(k, skey, vkey)
		if err != nil {
			return nil, fmt.Errorf("cold %s: %v", k.name, err)
		}
		fmt.Printf("cold workerd %-18s worker %.3f (go %.3f js %.3f api %.3f gc %.3f program %.3f) d1 %.3f entry %.3f process %.3f latency %.3f ms\n",
			k.name, r.Worker, r.Go, r.JS, r.API, r.GC, r.Program, r.D1, r.Entry, r.Process, r.Latency)
		out = append(out, r)
	}
	return out, nil
}

func coldOne(k kind, skey, vkey string) (coldResult, error) {
	r := coldResult{Kind: k.name}
	dir, err := os.MkdirTemp("", "meshpass-workercpu-cold-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(dir)
	vars := workerVars(skey, vkey)

	w, err := workerd.Start(workerd.Options{StateDir: dir, Vars: vars})
	if err != nil {
		return r, err
	}
	stop = w.Stop
	bodies, err := k.prepare(remote{url: w.URL, client: &http.Client{Timeout: time.Minute}}, 1)
	w.Stop()
	if err != nil {
		return r, err
	}

	w, err = workerd.Start(workerd.Options{StateDir: dir, Vars: vars, Inspector: true, Cold: true})
	if err != nil {
		return r, err
	}
	stop = w.Stop
	defer w.Stop()
	pid, profilers, err := openProfilers(w)
	if err != nil {
		return r, err
	}
	defer closeAll(profilers)
	// Let the runtime settle: wrangler may say it is ready before workerd
	// has loaded the worker (and started Go in it).
	time.Sleep(*settle)
	before, err := threads(pid)
	if err != nil {
		return r, err
	}
	if err := startProfiles(profilers); err != nil {
		return r, err
	}
	start := time.Now()
	if err := send(remote{url: w.URL, client: &http.Client{Timeout: time.Minute}}, bodies[0]); err != nil {
		return r, err
	}
	r.Latency = ms(time.Since(start))
	parts, functions, err := stopProfiles(profilers)
	if err != nil {
		return r, err
	}
	after, err := threads(pid)
	if err != nil {
		return r, err
	}
	per := func(us int64) float64 { return float64(us) / 1000 }
	r.isolates = split(parts, per)
	r.Process = ms(since(before, after))
	r.Over = r.Worker > ms(limit)
	r.Top = top(functions[isolateWorker], 8, per)
	return r, nil
}

func printCold(results []coldResult) {
	if len(results) == 0 {
		return
	}
	fmt.Println("first request of a cold isolate (Go started at module load), profiled, ms CPU:")
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\tworker Go(wasm) ms\tworker JS ms\tworkerd API ms\tV8 GC+(program) ms\tworker total ms\tover 10 ms?\tlocal D1 ms\tworkerd process ms\tlatency ms\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%s\t%.3f\t%.3f\t%.1f\t\n",
			r.Kind, r.Go, r.JS, r.API, r.GC+r.Program, r.Worker, yesNo(r.Over), r.D1, r.Process, r.Latency)
	}
	tw.Flush()
}
