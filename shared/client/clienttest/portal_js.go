//go:build js

package clienttest

import (
	"os"
	"testing"
)

// New takes a fresh portal from the test portal server at EnvServer,
// released when the test ends, and skips the test if EnvServer is unset:
// a browser page cannot run the portal (SQLite, a listening socket).
// make browser starts the server (scripts/with-testportal.sh).
func New(t testing.TB) *Portal {
	t.Helper()
	server := os.Getenv(EnvServer)
	if server == "" {
		t.Skip("clienttest: " + EnvServer + " is not set: start a test portal server " +
			"(go run ./cmd/internal/testportal) and set " + EnvServer +
			" to the URL it prints, or run make browser")
	}
	return NewRemote(t, server)
}

// Fork returns a fork of p: a portal with p's log key and witnesses and
// a copy of its database as it is now, which then diverges from p (a
// portal that shows two histories of its log).
func (p *Portal) Fork(t testing.TB) *Portal {
	t.Helper()
	return takeRemote(t, p.server, "/fork/"+p.id)
}
