//go:build unix && !js

package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// findInspector returns the base URL of the inspector of workerd process
// pid: the one of its listening loopback ports whose /json lists
// isolates. workerd's own inspector (not wrangler's proxy of it, which
// shows the worker alone) lists every isolate: the worker, local D1,
// miniflare's entry worker.
func findInspector(pid int) (string, error) {
	ports, err := listening(pid)
	if err != nil {
		return "", err
	}
	client := &http.Client{Timeout: 2 * time.Second}
	for _, port := range ports {
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		resp, err := client.Get(base + "/json")
		if err != nil {
			continue
		}
		var targets []struct{ ID string }
		err = json.NewDecoder(resp.Body).Decode(&targets)
		resp.Body.Close()
		if err == nil && len(targets) > 0 {
			return base, nil
		}
	}
	return "", fmt.Errorf("no inspector among the ports workerd (pid %d) listens on: %v", pid, ports)
}

// cpuProfile is the Profiler.stop result (CDP Profiler.Profile).
type cpuProfile struct {
	Nodes []struct {
		ID        int `json:"id"`
		CallFrame struct {
			FunctionName string `json:"functionName"`
			URL          string `json:"url"`
			LineNumber   int    `json:"lineNumber"`
		} `json:"callFrame"`
	} `json:"nodes"`
	StartTime  int64 `json:"startTime"` // µs
	EndTime    int64 `json:"endTime"`
	Samples    []int `json:"samples"`
	TimeDeltas []int `json:"timeDeltas"` // µs before each sample
}

// The parts a profile's self time is attributed to.
const (
	partGo      = "go"      // the Go program: wasm functions
	partJS      = "js"      // the worker's own JavaScript: its bundle (glue.mjs, wasm_exec.js, wrangler's dev middleware) and wasm-to-JS calls
	partRuntime = "runtime" // workerd's API: native functions (Response, fetch, timers, streams) and its internal modules (the D1 binding's client side)
	partGC      = "gc"      // V8's garbage collector (the JS heap; Go's GC runs inside wasm)
	partProgram = "program" // V8 or workerd native code outside any JS frame
	partIdle    = "idle"    // the isolate waits
)

// part says which part a frame's self time belongs to. The worker's
// bundle is the one script with a plain file name (glue.js); workerd's
// modules have URLs of their own schemes (cloudflare-internal:,
// node-internal:), its native functions none.
func part(functionName, url string) string {
	switch {
	case strings.HasPrefix(url, "wasm://"):
		return partGo
	case functionName == "(idle)":
		return partIdle
	case functionName == "(garbage collector)":
		return partGC
	case functionName == "(program)" || functionName == "(root)":
		return partProgram
	case functionName == "wasm-to-js" || functionName == "js-to-wasm":
		return partJS
	case url == "" || strings.Contains(url, ":"):
		return partRuntime
	}
	return partJS
}

// attribute sums the profile's self time by part, and by function (for
// the report's check of the classification), in µs.
//
// V8 records a sample only while the isolate is entered; the time from
// the last sample before workerd leaves the isolate (to run another
// isolate on the same thread, or to wait) to the first after it enters
// again shows as one long time delta. So a sample counts for the time
// since the one before it but at most twice the median delta: the
// isolate's CPU time, less the gaps when it was not running (or its
// thread was preempted, which a wall-clock sample cannot tell from
// running).
func (p *cpuProfile) attribute() (parts, functions map[string]int64) {
	partOf, nameOf := map[int]string{}, map[int]string{}
	for _, n := range p.Nodes {
		f := n.CallFrame
		partOf[n.ID] = part(f.FunctionName, f.URL)
		url := f.URL
		if strings.HasPrefix(url, "wasm://") {
			url = "wasm"
		}
		nameOf[n.ID] = fmt.Sprintf("%s %s:%d [%s]", f.FunctionName, url, f.LineNumber+1, partOf[n.ID])
	}
	parts, functions = map[string]int64{}, map[string]int64{}
	if len(p.TimeDeltas) == 0 {
		return parts, functions
	}
	sorted := slices.Clone(p.TimeDeltas)
	slices.Sort(sorted)
	ceiling := int64(2 * sorted[len(sorted)/2])
	for i, id := range p.Samples {
		if i >= len(p.TimeDeltas) {
			break
		}
		d := min(int64(p.TimeDeltas[i]), ceiling)
		parts[partOf[id]] += d
		functions[nameOf[id]] += d
	}
	return parts, functions
}
