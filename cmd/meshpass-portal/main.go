//go:build !js

// Command meshpass-portal is the self-hosted meshpass portal
// on an embedded SQLite database:
//
//	go run ./cmd/meshpass-portal -listen 127.0.0.1:8787 -db ./data/portal.db
//
// On first run it creates the database's directory and the log signing
// key, kept beside the database as <db>.logkey (mode 0600). It prints the
// portal URL and the log's verifier key.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/meshpass/meshpass/portal-worker/portal"
	"github.com/meshpass/meshpass/portal-worker/sqlitestore"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/translog"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8787", "address to listen on")
	dbPath := flag.String("db", "./data/portal.db", "SQLite database file")
	origin := flag.String("origin", "meshpass-portal/log", "name of the transparency log (first run only: it is part of the key)")
	rateIP := flag.Float64("rate-ip", 20, "requests per second per client address (0: no limit)")
	burstIP := flag.Int("burst-ip", 60, "burst of requests per client address")
	rateAccount := flag.Float64("rate-account", 5, "requests per second naming one account (0: no limit)")
	burstAccount := flag.Int("burst-account", 30, "burst of requests naming one account")
	keygen := flag.Bool("keygen", false, "print a new log signing key and its verifier key for -origin, then exit (for the Workers secret LOG_SIGNING_KEY and variable LOG_VERIFIER_KEY)")
	flag.Parse()
	if *keygen {
		skey, vkey, err := translog.GenerateKey(*origin)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("LOG_SIGNING_KEY=%s\nLOG_VERIFIER_KEY=%s\n", skey, vkey)
		return
	}
	if err := run(*listen, *dbPath, *origin, portal.Options{
		RatePerIP: *rateIP, BurstPerIP: *burstIP, RatePerAccount: *rateAccount, BurstPerAccount: *burstAccount,
	}); err != nil {
		log.Fatal(err)
	}
}

// loadKey reads the log key file, or makes one.
func loadKey(path, origin string) (signerKey, verifierKey string, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if !translog.ValidOrigin(origin) {
			return "", "", fmt.Errorf("log origin %q: no spaces, pluses or newlines", origin)
		}
		if signerKey, verifierKey, err = translog.GenerateKey(origin); err != nil {
			return "", "", err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return "", "", err
		}
		if _, err := fmt.Fprintf(f, "%s\n%s\n", signerKey, verifierKey); err != nil {
			f.Close()
			return "", "", err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return "", "", err
		}
		return signerKey, verifierKey, f.Close()
	}
	if err != nil {
		return "", "", err
	}
	lines := strings.Fields(string(b))
	if len(lines) != 2 {
		return "", "", fmt.Errorf("%s: want a signer key and a verifier key", path)
	}
	return lines[0], lines[1], nil
}

func run(listen, dbPath, origin string, opts portal.Options) error {
	if err := os.MkdirAll(filepath.Dir(dbPath), 0o700); err != nil {
		return err
	}
	skey, vkey, err := loadKey(dbPath+".logkey", origin)
	if err != nil {
		return err
	}
	if opts.Signer, err = translog.NewSigner(skey); err != nil {
		return fmt.Errorf("log signer key: %w", err)
	}
	opts.VerifierKey = vkey
	store, err := sqlitestore.Open(dbPath)
	if err != nil {
		return err
	}
	defer store.Close()

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           portal.New(store, opts),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
	fmt.Printf("meshpass portal: http://%s%s\n", ln.Addr(), mmm.Path)
	fmt.Printf("log verifier key: %s\n", vkey)
	fmt.Printf("database: %s\n", dbPath)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shut)
}
