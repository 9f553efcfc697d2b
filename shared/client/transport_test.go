package client

import (
	"context"
	"errors"
	"testing"

	"github.com/meshpass/meshpass/shared/mmm"
)

func TestCheckPortalURL(t *testing.T) {
	for _, ok := range []string{"https://portal.example", "https://portal.example:8443/x", "http://127.0.0.1:8787", "http://[::1]:8787", "http://localhost:8787", "http://LOCALHOST", "http://app.localhost:1", "http://127.1.2.3"} {
		if err := CheckPortalURL(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://portal.example", "http://192.168.1.2:8787", "http://10.0.0.1", "http://localhost.evil.example", "ftp://portal.example", "portal.example", "http://[::ffff:8.8.8.8]"} {
		if err := CheckPortalURL(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	var tr Transport
	err := tr.Do(context.Background(), "http://portal.example", &mmm.HelloRequest{}, &mmm.HelloResponse{})
	if !errors.Is(err, ErrInsecurePortal) {
		t.Fatalf("Do over http off loopback: %v", err)
	}
}
