//go:build !js

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/meshpass/meshpass/portal-worker/portal"
	"github.com/meshpass/meshpass/shared/translog"
	"github.com/meshpass/meshpass/witness"
)

// listFlag is a flag given several times, or once with values separated
// by spaces (as the environment gives it).
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, " ") }
func (l *listFlag) Set(v string) error {
	*l = append(*l, strings.Fields(v)...)
	return nil
}

// witnessCmd runs a transparency log witness (C2SP tlog-witness): it
// cosigns the checkpoints of the logs given, each only if it extends the
// last one it cosigned of that log.
func witnessCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("witness", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyPath := fs.String("key", "./data/witness.key", "the witness's key file (made on first run, mode 0600; its verifier key is printed)")
	name := fs.String("name", "meshpass-witness", "the witness's name, e.g. witness.example.org (first run only: it is part of the key)")
	statePath := fs.String("state", "", "the file keeping the latest checkpoint cosigned of each log (default: the key file's name + .state)")
	listenAddr := fs.String("listen", "127.0.0.1:8788", "address to listen on (host:port, or unix:/path/to.sock); the witness answers POST /add-checkpoint")
	tlsCert := fs.String("tls-cert", "", "TLS certificate file (PEM): serve https directly rather than behind a proxy")
	tlsKey := fs.String("tls-key", "", "TLS key file (PEM), with -tls-cert")
	var logs listFlag
	fs.Var(&logs, "log", "a log to witness, ORIGIN=VERIFIERKEY or its VERIFIERKEY alone (the origin is the key's name); repeat for more")
	if err := parse(fs, args); err != nil {
		return err
	}
	if len(logs) == 0 {
		return errors.New("witness: give the logs to witness with -log ORIGIN=VERIFIERKEY (the portal prints its log verifier key)")
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return errors.New("-tls-cert and -tls-key go together")
	}
	known := map[string][]string{}
	for _, l := range logs {
		origin, key, ok := strings.Cut(l, "=")
		if !ok || strings.Contains(origin, "+") {
			key = l
			origin, _, _ = strings.Cut(l, "+")
		}
		known[origin] = append(known[origin], key)
	}
	if *statePath == "" {
		*statePath = *keyPath + ".state"
	}
	if err := os.MkdirAll(filepath.Dir(*keyPath), 0o700); err != nil {
		return err
	}
	skey, err := loadWitnessKey(*keyPath, *name)
	if err != nil {
		return err
	}
	cs, err := translog.NewCosigner(skey, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", *keyPath, err)
	}
	state, err := witness.OpenFileState(*statePath)
	if err != nil {
		return err
	}
	w, err := witness.New(cs, known, state)
	if err != nil {
		return err
	}
	w.Logf = log.New(stderr, "", log.LstdFlags).Printf
	mux := http.NewServeMux()
	mux.Handle("/", w)
	mux.HandleFunc("/healthz", func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		io.WriteString(rw, `{"status":"ok"}`+"\n")
	})
	ln, err := listen(*listenAddr)
	if err != nil {
		return err
	}
	srv, scheme := newServer(mux, stderr, *tlsCert)
	fmt.Fprintf(stdout, "meshpass witness: %s://%s%s\n", scheme, ln.Addr(), witness.Path)
	fmt.Fprintf(stdout, "witness verifier key: %s\n", w.VerifierKey())
	for origin := range known {
		fmt.Fprintf(stdout, "witnessing: %s\n", origin)
	}
	fmt.Fprintf(stdout, "state: %s\n", *statePath)
	fmt.Fprintf(stdout, "configure the portal with: -witness %s://HOST%s=%s\n", scheme, portHint(ln.Addr().String()), w.VerifierKey())

	return serveUntilSignal(srv, ln, *tlsCert, *tlsKey, 10*time.Second, func(context.Context) {})
}

// portHint is ":port" of a listening address, for the printed example.
func portHint(addr string) string {
	if i := strings.LastIndex(addr, ":"); i >= 0 && !strings.HasPrefix(addr, "/") {
		return addr[i:]
	}
	return ""
}

// loadWitnessKey reads the witness key file (its signer key), or makes
// one for a witness named name.
func loadWitnessKey(path, name string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		skey, _, err := translog.GenerateWitnessKey(name)
		if err != nil {
			return "", err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return "", err
		}
		if _, err := fmt.Fprintln(f, skey); err != nil {
			f.Close()
			return "", err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return "", err
		}
		return skey, f.Close()
	}
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// witnessFlags adds the serve flags that name the portal's witnesses.
func witnessFlags(fs *flag.FlagSet, o *portal.Options) *listFlag {
	var ws listFlag
	fs.Var(&ws, "witness", "a witness that cosigns the log's checkpoints, URL=VERIFIERKEY (its URL prefix and the key `meshpass-portal witness` prints); repeat, or separate by spaces (MESHPASS_WITNESS)")
	fs.IntVar(&o.WitnessQuorum, "witness-quorum", 0, "how many of the witnesses clients require to cosign every checkpoint (0: a majority)")
	fs.DurationVar(&o.CosignRefresh, "cosign-refresh", portal.DefaultCosignRefresh, "how old the witnesses' cosignatures of the latest checkpoint may get before they are asked again (clients warn after 24 h)")
	fs.DurationVar(&o.WitnessTimeout, "witness-timeout", portal.DefaultWitnessTimeout, "how long a round of asking the witnesses may take")
	return &ws
}

// setWitnesses reads the -witness flags into o.
func setWitnesses(ws []string, o *portal.Options) error {
	for _, s := range ws {
		w, err := portal.ParseWitness(s)
		if err != nil {
			return err
		}
		o.Witnesses = append(o.Witnesses, w)
	}
	return portal.CheckWitnesses(o.Witnesses, o.WitnessQuorum)
}
