//go:build !js

package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/meshpass/meshpass/portal-worker/portal"
	"github.com/meshpass/meshpass/portal-worker/sqlitestore"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/translog"
)

// config is what serve takes from flags and the environment.
type config struct {
	listen, metricsListen, dbPath, origin string
	tlsCert, tlsKey                       string
	trustedProxies, clientIPHeader        string
	signUp                                string
	accessLog                             bool
	shutdownTimeout                       time.Duration
	opts                                  portal.Options
	witnesses                             *listFlag
}

func serveFlags(fs *flag.FlagSet) *config {
	c := &config{}
	fs.StringVar(&c.listen, "listen", "127.0.0.1:8787", "address to listen on (host:port, :port for every interface, or unix:/path/to.sock)")
	fs.StringVar(&c.metricsListen, "metrics-listen", "", "address serving Prometheus /metrics and /healthz for the operator (empty: none; /healthz is on -listen too)")
	fs.StringVar(&c.dbPath, "db", "./data/portal.db", "SQLite database file (the log key is kept beside it as <db>.logkey)")
	fs.StringVar(&c.origin, "origin", "meshpass-portal/log", "name of the transparency log (first run only: it is part of the key)")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "TLS certificate file (PEM): serve https directly rather than behind a proxy")
	fs.StringVar(&c.tlsKey, "tls-key", "", "TLS key file (PEM), with -tls-cert")
	fs.StringVar(&c.trustedProxies, "trusted-proxies", "", "reverse proxies (addresses or CIDR prefixes, comma-separated) whose -client-ip-header names the client; empty: the peer address is the client")
	fs.StringVar(&c.clientIPHeader, "client-ip-header", "X-Forwarded-For", "header a trusted proxy names the client in (X-Forwarded-For, X-Real-IP, CF-Connecting-IP)")
	fs.StringVar(&c.signUp, "sign-up", mmm.SignUpOpen, "who may create an account: open, invitation (codes from `meshpass-portal invite`) or closed")
	fs.BoolVar(&c.accessLog, "access-log", true, "log every request (JSON on stderr: time, client address, message type, status, duration; never an account, key or body)")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 20*time.Second, "how long SIGTERM waits for requests in flight")
	o := &c.opts
	fs.Float64Var(&o.RatePerIP, "rate-ip", 20, "requests per second per client address (0: no limit)")
	fs.IntVar(&o.BurstPerIP, "burst-ip", 60, "burst of requests per client address")
	fs.Float64Var(&o.RatePerAccount, "rate-account", 5, "signed requests per second of one account (0: no limit); requests that merely name an account spend only their address's budget")
	fs.IntVar(&o.BurstPerAccount, "burst-account", 30, "burst of signed requests of one account")
	fs.Float64Var(&o.CreatesPerIPPerHour, "creates-per-hour", 10, "accounts created per hour per client address (0: no limit)")
	fs.IntVar(&o.CreatesBurst, "creates-burst", 10, "burst of account creations per client address")
	fs.Int64Var(&o.Quota.AccountBytes, "account-bytes", 256<<20, "bytes one account may write in all (every version it logs is kept; 0: no limit)")
	fs.Int64Var(&o.Quota.AccountRecords, "account-records", portal.DefaultAccountRecords, "entries and vault records one account may hold: profiles, and every record of a format-2 vault (edits too: records are kept); 250,000 fits a vault of 50,000 logins edited a few times each (0: no limit)")
	fs.Int64Var(&o.Quota.TotalBytes, "max-storage", 8<<30, "storage watermark: bytes the portal stores in all, after which every write is refused with 507 (0: no limit)")
	fs.IntVar(&o.Slots, "slots", 0, "requests served at once (0: twice the CPUs); the others wait, the addresses that used the portal least lately first")
	fs.IntVar(&o.MaxWaiting, "max-waiting", 0, "requests that may wait for a slot (0: 16 per slot); past that the heaviest user's is refused with 503")
	fs.IntVar(&o.MaxPending, "max-pending", 16, "unanswered connection requests kept per account (the oldest are pushed out; those with a connect code are kept)")
	c.witnesses = witnessFlags(fs, o)
	return c
}

func serveCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := serveFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := portal.CheckSignUp(c.signUp); err != nil {
		return err
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return errors.New("-tls-cert and -tls-key go together")
	}
	proxies, err := portal.ParseProxies(c.trustedProxies)
	if err != nil {
		return err
	}
	c.opts.SignUp = c.signUp
	c.opts.ClientIP = portal.ProxyClientIP(proxies, c.clientIPHeader)
	if err := setWitnesses(*c.witnesses, &c.opts); err != nil {
		return err
	}

	store, skey, vkey, err := openKeyAndStore(c.dbPath, c.origin)
	if err != nil {
		return err
	}
	defer store.Close()
	if c.opts.Signer, err = translog.NewSigner(skey); err != nil {
		return fmt.Errorf("log signer key: %w", err)
	}
	c.opts.VerifierKey = vkey

	m := newMetrics(store, c.dbPath)
	access := slog.New(slog.NewJSONHandler(stderr, nil))
	c.opts.Observe = func(r *http.Request, typ string, status int, d time.Duration) {
		m.observe(typ, status, d)
		if c.accessLog {
			access.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("client", c.opts.ClientIP(r)), slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.String("type", typ), slog.Int("status", status), slog.Float64("ms", float64(d.Microseconds())/1000),
				slog.Int64("in", r.ContentLength))
		}
	}
	h := portal.New(store, c.opts)
	mux := http.NewServeMux()
	mux.Handle("/healthz", health(store))
	mux.Handle("/", h)

	ln, err := listen(c.listen)
	if err != nil {
		return err
	}
	srv, scheme := newServer(mux, stderr, c.tlsCert)
	fmt.Fprintf(stdout, "meshpass portal: %s://%s%s\n", scheme, ln.Addr(), mmm.Path)
	fmt.Fprintf(stdout, "log verifier key: %s\n", vkey)
	fmt.Fprintf(stdout, "database: %s\n", c.dbPath)
	fmt.Fprintf(stdout, "sign-ups: %s\n", c.signUp)
	if n := len(c.opts.Witnesses); n > 0 {
		k := c.opts.WitnessQuorum
		if k == 0 {
			k = portal.DefaultQuorum(n)
		}
		fmt.Fprintf(stdout, "witnesses: %d of %d cosign every checkpoint\n", k, n)
	}
	if scheme == "http" && !loopbackListener(ln) {
		fmt.Fprintf(stdout, "note: clients take a plain-http portal only on loopback; put a TLS-terminating proxy in front (with -trusted-proxies) or give -tls-cert/-tls-key\n")
	}

	var msrv *http.Server
	if c.metricsListen != "" {
		mln, err := listen(c.metricsListen)
		if err != nil {
			ln.Close()
			return err
		}
		mm := http.NewServeMux()
		mm.Handle("/metrics", m)
		mm.Handle("/healthz", health(store))
		msrv = &http.Server{Handler: mm, ReadHeaderTimeout: 10 * time.Second}
		fmt.Fprintf(stdout, "metrics: http://%s/metrics\n", mln.Addr())
		go msrv.Serve(mln)
	}

	return serveUntilSignal(srv, ln, c.tlsCert, c.tlsKey, c.shutdownTimeout, func(shut context.Context) {
		fmt.Fprintln(stdout, "meshpass portal: shutting down (requests in flight finish)")
		if msrv != nil {
			msrv.Shutdown(shut)
		}
	})
}

// newServer returns the HTTP server the portal and the witness run:
// handler behind bounded timeouts and header size, at least TLS 1.2 when
// tlsCert is set; and the scheme it serves.
func newServer(handler http.Handler, stderr io.Writer, tlsCert string) (*http.Server, string) {
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          log.New(stderr, "http: ", 0),
	}
	if tlsCert == "" {
		return srv, "http"
	}
	srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	return srv, "https"
}

// serveUntilSignal serves srv on ln (over TLS with tlsCert and tlsKey when
// tlsCert is set) until it fails or the process gets SIGINT or SIGTERM;
// then it calls stopping and shuts srv down, letting requests in flight
// finish for up to timeout.
func serveUntilSignal(srv *http.Server, ln net.Listener, tlsCert, tlsKey string, timeout time.Duration, stopping func(shut context.Context)) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() {
		if tlsCert != "" {
			errc <- srv.ServeTLS(ln, tlsCert, tlsKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	stopping(shut)
	return srv.Shutdown(shut)
}

// listen listens on a TCP address or, for unix:/path, a Unix socket.
func listen(addr string) (net.Listener, error) {
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		os.Remove(path) // a socket left by a previous run
		return net.Listen("unix", path)
	}
	return net.Listen("tcp", addr)
}

func loopbackListener(ln net.Listener) bool {
	a, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		return true // a Unix socket: only this machine reaches it
	}
	return a.IP.IsLoopback()
}

// health answers 200 when the database answers within two seconds.
func health(store *sqlitestore.Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		n, _, err := store.Latest(ctx)
		if err == nil {
			err = store.Ping(ctx)
		}
		if err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			json.NewEncoder(w).Encode(map[string]any{"status": "unavailable"})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"status": "ok", "leaves": n})
	})
}
