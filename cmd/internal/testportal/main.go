//go:build !js

// Command testportal serves fresh meshpass portals on demand
// (portal-worker/portaltest) for the client's tests in a browser page, which
// cannot run a portal themselves. It prints its base URL on standard
// output, then serves until its standard input closes or it gets SIGINT or
// SIGTERM, and deletes its databases on the way out. Run the tests with
// MESHPASS_TESTPORTAL set to that URL; scripts/with-testportal.sh does it
// all (make browser uses it).
//
//	go run ./cmd/internal/testportal [-listen 127.0.0.1:0]
//
// It is for tests only: anyone who can reach it can make portals.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/meshpass/meshpass/portal-worker/portaltest"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	flag.Parse()
	log.SetPrefix("testportal: ")
	log.SetFlags(0)

	dir, err := os.MkdirTemp("", "meshpass-testportal-")
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		os.RemoveAll(dir)
		log.Fatal(err)
	}
	portals := portaltest.NewPortals(dir)
	srv := &http.Server{Handler: portals}
	go srv.Serve(ln)
	fmt.Printf("http://%s\n", ln.Addr())

	stop := make(chan string, 2)
	go func() {
		io.Copy(io.Discard, os.Stdin)
		stop <- "standard input closed"
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() { stop <- (<-sig).String() }()

	why := <-stop
	srv.Close()
	n := portals.Len()
	err = portals.Close()
	os.RemoveAll(dir)
	if err != nil {
		log.Fatalf("%s; closing %d portals: %v", why, n, err)
	}
	log.Printf("%s; stopped (%d portals still open were closed)", why, n)
}
