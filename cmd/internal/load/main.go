//go:build unix && !js

// Command load drives the portal's five abuses at once against the native
// portal (bin/meshpass-portal) and the worker in local workerd, while an
// honest device syncs, and prints what the issue asks to show: the honest
// device's sync p99 unloaded and loaded, storage against the watermark,
// workerd's memory, and whether the honest device lost anything. The
// attackers run in a child process at nice 19 (standing in for machines
// elsewhere), each from its own address (named in X-Forwarded-For to the
// native portal behind a trusted 127.0.0.1, in CF-Connecting-IP to wrangler
// dev, which passes it on as Cloudflare's edge would set it); both portals
// run with their production limits.
//
//	go run ./cmd/internal/load [-duration 20s] [-attackers 8] [-target native,workerd]
//
// Every request goes to 127.0.0.1; the run is bounded in time and count.
// `make load` runs it (and `make bench` too).
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshpass/meshpass/portal-worker/workers/workerd"
	"github.com/meshpass/meshpass/shared/jwe"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/profile/profiletest"
	"github.com/meshpass/meshpass/shared/translog"
	"github.com/meshpass/meshpass/shared/udf"
)

var (
	duration  = flag.Duration("duration", 20*time.Second, "how long the abuses run")
	attackers = flag.Int("attackers", 8, "goroutines per abuse")
	targets   = flag.String("target", "native,workerd", "native, workerd or both")
	syncs     = flag.Int("syncs", 150, "honest syncs measured unloaded (loaded: as many as fit in -duration)")
	maxStore  = flag.Int64("max-storage", 48<<20, "the portal's storage watermark for the run, bytes")

	// The attackers run in a child process of this program at the lowest
	// CPU priority (nice 19), standing in for machines elsewhere: what is
	// measured is how the portal shares its own CPU, not how the load
	// generator steals it from the portal on one machine.
	attack   = flag.Bool("attack", false, "(internal) run the abuses against -url and print the counts")
	url      = flag.String("url", "", "(internal, with -attack) the portal's base URL")
	ipHeader = flag.String("ip-header", "", "(internal, with -attack) the header naming the client address")
	account  = flag.String("account", "", "(internal, with -attack) the honest account")
)

const honestIP = "198.51.100.1"

// target is a portal under load.
type target struct {
	name string
	url  string
	// ipHeader is how a request names its client address to the portal
	// (native: X-Forwarded-For from a trusted 127.0.0.1; workerd: none,
	// wrangler dev sets CF-Connecting-IP itself).
	ipHeader string
	rss      func() (int64, error)
	// isolate, for workerd, reads the worker isolate's memory through the
	// inspector: the Go instance's linear memory and V8's heap, bytes.
	isolate func() (wasm, heap int64, err error)
	storage func() (int64, error)
	stop    func()
}

var client = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}

func post(t *target, ip string, req mmm.Request, resp mmm.Response) (int, error) {
	body, err := mmm.Encode(req)
	if err != nil {
		return 0, err
	}
	return postRaw(t, ip, body, resp)
}

func postRaw(t *target, ip string, body []byte, resp mmm.Response) (int, error) {
	hr, _ := http.NewRequest(http.MethodPost, t.url+mmm.Path, bytes.NewReader(body))
	hr.Header.Set("Content-Type", "application/json")
	if t.ipHeader != "" {
		hr.Header.Set(t.ipHeader, ip)
	}
	r, err := client.Do(hr)
	if err != nil {
		return 0, err
	}
	defer r.Body.Close()
	if resp == nil {
		io.Copy(io.Discard, r.Body)
		return r.StatusCode, nil
	}
	if err := mmm.DecodeResponse(r.Body, resp); err != nil {
		return r.StatusCode, err
	}
	return r.StatusCode, resp.Outcome().Err()
}

func main() {
	flag.Parse()
	if *attack {
		attackers := runAbuses(&target{url: *url, ipHeader: *ipHeader}, *account, *duration)
		check(json.NewEncoder(os.Stdout).Encode(attackers))
		return
	}
	root, err := workerd.RepoRoot()
	check(err)
	for _, name := range strings.Split(*targets, ",") {
		var t *target
		switch strings.TrimSpace(name) {
		case "native":
			t = startNative(root)
		case "workerd":
			t = startWorkerd(root)
		default:
			check(fmt.Errorf("unknown target %q", name))
		}
		stopTarget = t.stop
		run(t)
		t.stop()
		stopTarget = func() {}
	}
}

// stopTarget stops the portal under load when the run fails.
var stopTarget = func() {}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		stopTarget()
		os.Exit(1)
	}
}

func startNative(root string) *target {
	bin := filepath.Join(root, "bin", "meshpass-portal")
	if _, err := os.Stat(bin); err != nil {
		check(fmt.Errorf("%s: run make build first", bin))
	}
	dir, err := os.MkdirTemp("", "meshpass-load-")
	check(err)
	db := filepath.Join(dir, "portal.db")
	// The production defaults, but for the watermark (small, to reach it)
	// and the client address (from X-Forwarded-For, so that one machine
	// can play many clients).
	cmd := exec.Command(bin, "-listen", "127.0.0.1:0", "-db", db, "-access-log=false",
		"-trusted-proxies", "127.0.0.1", "-max-storage", fmt.Sprint(*maxStore), "-account-bytes", fmt.Sprint(4<<20))
	out, err := cmd.StdoutPipe()
	check(err)
	cmd.Stderr = os.Stderr
	check(cmd.Start())
	buf := make([]byte, 4096)
	var text string
	for !strings.Contains(text, "log verifier key") {
		n, err := out.Read(buf)
		check(err)
		text += string(buf[:n])
	}
	go io.Copy(io.Discard, out)
	line := strings.SplitN(strings.SplitN(text, "meshpass portal: ", 2)[1], "\n", 2)[0]
	t := &target{name: "native", url: strings.TrimSuffix(line, mmm.Path), ipHeader: "X-Forwarded-For"}
	t.rss = func() (int64, error) { return procRSS(cmd.Process.Pid) }
	t.storage = func() (int64, error) {
		var total int64
		for _, s := range []string{"", "-wal"} {
			if fi, err := os.Stat(db + s); err == nil {
				total += fi.Size()
			}
		}
		return total, nil
	}
	t.stop = func() { cmd.Process.Kill(); cmd.Wait(); os.RemoveAll(dir) }
	return t
}

func startWorkerd(root string) *target {
	check(workerd.Build(root))
	skey, vkey, err := translog.GenerateKey("load/log")
	check(err)
	dir, err := os.MkdirTemp("", "meshpass-load-workerd-")
	check(err)
	// The production limits. wrangler dev passes a CF-Connecting-IP the
	// client sends (on Cloudflare the edge sets it), so one machine can
	// play many clients as on the native portal.
	w, err := workerd.Start(workerd.Options{StateDir: dir, Inspector: true, Vars: map[string]string{
		"LOG_SIGNING_KEY": skey, "LOG_VERIFIER_KEY": vkey,
		"MAX_STORAGE_BYTES": fmt.Sprint(*maxStore), "ACCOUNT_BYTES": fmt.Sprint(4 << 20),
	}})
	check(err)
	t := &target{name: "workerd", url: w.URL, ipHeader: "CF-Connecting-IP", rss: w.RSS}
	var in *workerd.Inspector
	t.isolate = func() (int64, int64, error) {
		if in == nil {
			if in, err = workerd.DialWrangler(w.Inspector); err != nil {
				return 0, 0, err
			}
		}
		var wasm int64
		if err := in.Evaluate("globalThis.meshpassMemory.buffer.byteLength", &wasm); err != nil {
			return 0, 0, err
		}
		_, heap, err := in.HeapUsage()
		return wasm, heap, err
	}
	t.storage = func() (int64, error) {
		var total int64
		filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
			if err == nil && !fi.IsDir() && strings.Contains(p, "d1") {
				total += fi.Size()
			}
			return nil
		})
		return total, nil
	}
	t.stop = func() {
		if in != nil {
			in.Close()
		}
		w.Stop()
		os.RemoveAll(dir)
	}
	return t
}

func procRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS")
}

// honest is the device that must not notice the abuse.
type honest struct {
	t       *target
	name    string
	person  *profiletest.Person
	version uint64 // last acknowledged password profile version
}

func newHonest(t *target) *honest {
	p, err := profiletest.NewPerson(1)
	check(err)
	h := &honest{t: t, name: fmt.Sprintf("honest%d", time.Now().UnixNano()%1e6), person: p}
	_, err = post(t, honestIP, &mmm.CreateRequest{Account: h.name, Profile: mmm.Entry{SignedPersonalProfile: p.SignedPersonal}}, &mmm.CreateResponse{})
	check(err)
	_, err = post(t, honestIP, &mmm.PublishRequest{Entry: mmm.Entry{SignedApplicationProfile: p.SignedPasswords}}, &mmm.PublishResponse{})
	check(err)
	h.version = 1
	return h
}

// sync is what a device does on each sync: Get its profiles, and every
// fifth time write a new password profile version. It returns the time.
func (h *honest) sync(i int) (time.Duration, error) {
	start := time.Now()
	var g mmm.GetResponse
	if _, err := post(h.t, honestIP, &mmm.GetRequest{Account: h.name, Multiple: true}, &g); err != nil {
		return 0, fmt.Errorf("get: %w", err)
	}
	if i%5 == 0 {
		pp := h.person.PasswordProfile
		pp.Versioned = pp.Next()
		if err := h.person.Seal(); err != nil {
			return 0, err
		}
		if _, err := post(h.t, honestIP, &mmm.PublishRequest{Entry: mmm.Entry{SignedApplicationProfile: h.person.SignedPasswords}, Previous: h.version}, &mmm.PublishResponse{}); err != nil {
			pp.Version = h.version
			return 0, fmt.Errorf("publish: %w", err)
		}
		h.version = pp.Version
	}
	return time.Since(start), nil
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

func run(t *target) {
	fmt.Printf("\n== %s (%s): %d attackers per abuse for %s, watermark %d MiB\n", t.name, t.url, *attackers, *duration, *maxStore>>20)
	h := newHonest(t)
	// The owner's administration device issues a connect code for the
	// device it is about to connect.
	code := fmt.Sprintf("load-connect-code-%d", time.Now().UnixNano())
	pend := &mmm.ConnectPendingRequest{AccountID: h.name, IssueCode: code}
	check(mmm.Authenticate(pend, h.person.Devices[0].Profile.Identifier, h.person.Devices[0].Auth, time.Now()))
	_, err := post(t, honestIP, pend, &mmm.ConnectPendingResponse{})
	check(err)

	// The honest device syncs every 100 ms (within the per-address
	// budget a device has: -rate-ip 20/s).
	pace := time.NewTicker(100 * time.Millisecond)
	defer pace.Stop()
	var unloaded []time.Duration
	for i := range *syncs {
		<-pace.C
		d, err := h.sync(i)
		check(err)
		unloaded = append(unloaded, d)
	}
	rss0, _ := t.rss()

	// The abuses, in a child process at nice 19 for -duration.
	exe, err := os.Executable()
	check(err)
	var counted bytes.Buffer
	child := exec.Command("nice", "-n", "19", exe, "-attack", "-url", t.url, "-ip-header", t.ipHeader, "-account", h.name,
		"-duration", duration.String(), "-attackers", fmt.Sprint(*attackers))
	child.Stdout, child.Stderr = &counted, os.Stderr
	check(child.Start())
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var peakRSS, peakWasm, peakHeap atomic.Int64
	var isolateErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if r, err := t.rss(); err == nil && r > peakRSS.Load() {
					peakRSS.Store(r)
				}
				if t.isolate != nil && isolateErr == nil {
					wasm, heap, err := t.isolate()
					if isolateErr = err; err == nil && wasm+heap > peakWasm.Load()+peakHeap.Load() {
						peakWasm.Store(wasm)
						peakHeap.Store(heap)
					}
				}
			}
		}
	}()
	time.Sleep(2 * time.Second) // let the abuse build up
	// The owner's new device connects with the code, in the middle of the
	// connect flood.
	dev, err := profiletest.NewDevice("new phone")
	check(err)
	cr, err := (&profile.ConnectionRequest{ParentUDF: h.name, Device: dev.Signed, Nonce: "n", Time: time.Now().UTC()}).Sign(dev.Sign)
	check(err)
	_, err = post(t, honestIP, &mmm.ConnectStartRequest{SignedRequest: cr, AccountID: h.name, Code: code}, &mmm.ConnectStartResponse{})
	check(err)
	var loaded []time.Duration
	var failures []string
	deadline := time.Now().Add(*duration - 2*time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		<-pace.C
		d, err := h.sync(i)
		if err != nil {
			failures = append(failures, err.Error())
			continue
		}
		loaded = append(loaded, d)
	}
	close(stop)
	wg.Wait()
	check(child.Wait())
	var counts map[string][8]int64
	check(json.Unmarshal(counted.Bytes(), &counts))

	// What the honest device wrote is there; its new device is pending.
	var g mmm.GetResponse
	_, err = post(t, honestIP, &mmm.GetRequest{Account: h.name, Multiple: true}, &g)
	lost := "no"
	if err != nil || len(g.Entries) != 2 || g.Entries[1].SignedApplicationProfile == nil {
		lost = fmt.Sprintf("YES (%v)", err)
	} else if ap, err := profile.VerifyApplicationProfile(g.Entries[1].SignedApplicationProfile, mustVerify(g.Entries[0].SignedPersonalProfile)); err != nil || ap.Version != h.version {
		lost = fmt.Sprintf("YES: stored version %v, acknowledged %d (%v)", ap, h.version, err)
	}
	pend = &mmm.ConnectPendingRequest{AccountID: h.name}
	check(mmm.Authenticate(pend, h.person.Devices[0].Profile.Identifier, h.person.Devices[0].Auth, time.Now()))
	var pr mmm.ConnectPendingResponse
	_, err = post(t, honestIP, pend, &pr)
	check(err)
	kept := false
	for _, q := range pr.Pending {
		if _, d, err := profile.VerifyConnectionRequest(q); err == nil && udf.Equal(d.Identifier, dev.Profile.Identifier) {
			kept = true
		}
	}
	storage, _ := t.storage()
	u50, u99 := percentile(unloaded, 0.5), percentile(unloaded, 0.99)
	l50, l99 := percentile(loaded, 0.5), percentile(loaded, 0.99)
	fmt.Printf("honest sync unloaded: n=%d p50=%s p99=%s\n", len(unloaded), u50.Round(time.Microsecond), u99.Round(time.Microsecond))
	fmt.Printf("honest sync loaded:   n=%d p50=%s p99=%s (%.2fx the unloaded p99), %d failed %v\n", len(loaded), l50.Round(time.Microsecond), l99.Round(time.Microsecond), float64(l99)/float64(max(u99, 1)), len(failures), firstN(failures, 3))
	for _, a := range abuses {
		c := counts[a]
		fmt.Printf("abuse %-8s 2xx=%d 4xx=%d 5xx=%d errors=%d\n", a, c[2], c[4], c[5], c[0])
	}
	fmt.Printf("storage on disk: %.1f MiB (watermark %d MiB charged)\n", float64(storage)/(1<<20), *maxStore>>20)
	if t.isolate != nil {
		if isolateErr != nil {
			fmt.Printf("memory of the worker's isolate: not read (%v)\n", isolateErr)
		} else {
			total := peakWasm.Load() + peakHeap.Load()
			fmt.Printf("memory of the worker's isolate (inspector), peak: Go's linear memory %.1f MiB + V8 heap %.1f MiB = %.1f MiB (Workers allows 128 MB: %s)\n",
				float64(peakWasm.Load())/(1<<20), float64(peakHeap.Load())/(1<<20), float64(total)/(1<<20), map[bool]string{true: "under", false: "OVER"}[total < 128e6])
		}
	}
	fmt.Printf("memory (%s RSS): before %.0f MiB, peak %.0f MiB\n", map[string]string{"native": "portal process", "workerd": "workerd processes, an upper bound of the isolate"}[t.name], float64(rss0)/(1<<20), float64(peakRSS.Load())/(1<<20))
	fmt.Printf("honest data lost: %s; new device with a connect code still pending after the connect flood: %v\n", lost, kept)
}

func firstN(s []string, n int) []string { return s[:min(n, len(s))] }

// abuses are the five abuses, by name.
var abuses = []string{"flood", "audit", "connect", "drain", "body"}

// runAbuses runs -attackers goroutines of each abuse against t for d,
// each attacker from its own address, and returns the answers counted per
// abuse by status class (index 0: transport errors).
func runAbuses(t *target, account string, d time.Duration) map[string][8]int64 {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	counts := map[string]*[8]atomic.Int64{}
	for _, a := range abuses {
		counts[a] = new([8]atomic.Int64)
	}
	count := func(abuse string, code int) { counts[abuse][min(code/100, 7)].Add(1) }
	for i := range *attackers {
		ip := fmt.Sprintf("203.0.%d.%d", 113+i/250, 1+i%250)
		wg.Add(5)
		go func() { defer wg.Done(); flood(t, ip, i, stop, count) }()
		go func() { defer wg.Done(); auditFlood(t, ip, stop, count) }()
		go func() { defer wg.Done(); connectFlood(t, ip, account, stop, count) }()
		go func() { defer wg.Done(); drain(t, ip, account, stop, count) }()
		go func() { defer wg.Done(); bodies(t, ip, stop, count) }()
	}
	time.Sleep(d)
	close(stop)
	wg.Wait()
	out := map[string][8]int64{}
	for a, c := range counts {
		var n [8]int64
		for i := range c {
			n[i] = c[i].Load()
		}
		out[a] = n
	}
	return out
}

func mustVerify(s *profile.SignedPersonalProfile) *profile.Personal {
	v, err := profile.VerifyPersonalProfile(s)
	check(err)
	return v
}

func escrowEntry(size int) *profile.OfflineEscrowEntry {
	key := make([]byte, 32)
	rand.Read(key)
	plain := make([]byte, size)
	rand.Read(plain)
	enc, err := jwe.EncryptDirect(plain, key)
	check(err)
	id, err := udf.Fingerprint(profile.ContentTypeEscrow, key, 0)
	check(err)
	return &profile.OfflineEscrowEntry{Identifier: id, EncryptedData: enc}
}

// flood: the storage flood. Lone 512 KiB escrow entries (refused), new
// accounts publishing large password profiles and escrow entries with
// profile updates until their quota or the watermark stops them.
func flood(t *target, ip string, i int, stop chan struct{}, count func(string, int)) {
	big := escrowEntry(380 << 10)
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		code, _ := post(t, ip, &mmm.PublishRequest{Entry: mmm.Entry{OfflineEscrowEntry: big}}, nil)
		count("flood", code)
		p, err := profiletest.NewPerson(1)
		check(err)
		name := fmt.Sprintf("squat%d-%d-%d", i, n, time.Now().UnixNano()%1e9)
		code, _ = post(t, ip, &mmm.CreateRequest{Account: name, Profile: mmm.Entry{SignedPersonalProfile: p.SignedPersonal}}, nil)
		count("flood", code)
		if code != mmm.StatusOK {
			continue
		}
		// A password profile near the entry cap, version after version.
		p.Passwords.Entries[0].Notes = strings.Repeat("x", 300<<10)
		for v := uint64(1); v < 6; v++ {
			if v > 1 {
				p.PasswordProfile.Versioned = p.PasswordProfile.Next()
			}
			check(p.Seal())
			code, _ = post(t, ip, &mmm.PublishRequest{Entry: mmm.Entry{SignedApplicationProfile: p.SignedPasswords}, Previous: v - 1}, nil)
			count("flood", code)
			if code != mmm.StatusOK {
				break
			}
		}
		p.PersonalProfile.Versioned = p.PersonalProfile.Next()
		sp, err := p.PersonalProfile.Sign(p.Online)
		check(err)
		code, _ = post(t, ip, &mmm.PublishRequest{Entry: mmm.Entry{SignedPersonalProfile: sp}, Previous: 1, Escrow: escrowEntry(2 << 10)}, nil)
		count("flood", code)
	}
}

// auditFlood: unauthenticated Audit of the whole log.
func auditFlood(t *target, ip string, stop chan struct{}, count func(string, int)) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		// The whole log, or its first 1000 leaves.
		var st mmm.StatusResponse
		post(t, ip, &mmm.StatusRequest{}, &st)
		n := int64(1)
		if _, tree, err := translog.ParseCheckpoint([]byte(st.Checkpoint)); err == nil && tree.N > 0 {
			n = min(tree.N, 1000)
		}
		code, _ := post(t, ip, &mmm.AuditRequest{Start: 0, End: n}, nil)
		count("audit", code)
	}
}

// connectFlood: throw-away ConnectStart requests against the honest account.
func connectFlood(t *target, ip, account string, stop chan struct{}, count func(string, int)) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		d, err := profiletest.NewDevice("junk")
		check(err)
		cr, err := (&profile.ConnectionRequest{ParentUDF: account, Device: d.Signed, Nonce: "n", Time: time.Now().UTC()}).Sign(d.Sign)
		check(err)
		code, _ := post(t, ip, &mmm.ConnectStartRequest{SignedRequest: cr, AccountID: account}, nil)
		count("connect", code)
	}
}

// drain: unauthenticated requests naming the honest account.
func drain(t *target, ip, account string, stop chan struct{}, count func(string, int)) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		code, _ := post(t, ip, &mmm.ValidateRequest{Account: account}, nil)
		count("drain", code)
		code, _ = post(t, ip, &mmm.GetRequest{Account: account}, nil)
		count("drain", code)
	}
}

// bodies: oversized bodies, streamed without a Content-Length.
func bodies(t *target, ip string, stop chan struct{}, count func(string, int)) {
	chunk := bytes.Repeat([]byte("a"), 64<<10)
	for {
		select {
		case <-stop:
			return
		default:
		}
		pr, pw := io.Pipe()
		go func() {
			pw.Write([]byte(`{"ValidateRequest":{"Account":"`))
			for range 64 { // 4 MiB
				if _, err := pw.Write(chunk); err != nil {
					return
				}
			}
			pw.Write([]byte(`"}}`))
			pw.Close()
		}()
		hr, _ := http.NewRequest(http.MethodPost, t.url+mmm.Path, pr)
		hr.ContentLength = -1
		if t.ipHeader != "" {
			hr.Header.Set(t.ipHeader, ip)
		}
		r, err := client.Do(hr)
		pr.Close()
		if err != nil {
			count("body", 0)
			continue
		}
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
		count("body", r.StatusCode)
	}
}
