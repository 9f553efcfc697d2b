package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/meshpass/meshpass/shared/mmm"
)

// Transport posts mmm requests to a portal. It uses net/http, which on
// js/wasm goes through the browser's fetch.
type Transport struct {
	// HTTP is the client used; nil means http.DefaultClient.
	HTTP *http.Client
}

// Endpoint returns the URL requests for portalURL are posted to: portalURL
// with mmm.Path appended, unless it already ends with it.
func Endpoint(portalURL string) string {
	if strings.HasSuffix(portalURL, mmm.Path) {
		return portalURL
	}
	return strings.TrimRight(portalURL, "/") + mmm.Path
}

// ErrInsecurePortal means the portal URL is plain http on a host other than
// this machine: anyone on the network path could answer in the portal's
// place, so clients take http only on loopback (127.0.0.1, ::1,
// localhost) and https everywhere else.
var ErrInsecurePortal = errors.New("client: a portal must be reached over https (http only on this machine: 127.0.0.1, ::1 or localhost)")

// CheckPortalURL reports a portal URL that is neither https nor http on a
// loopback host (ErrInsecurePortal), or that does not parse.
func CheckPortalURL(portalURL string) error {
	u, err := url.Parse(portalURL)
	if err != nil {
		return fmt.Errorf("%w: portal URL %q: %v", ErrTransport, portalURL, err)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%w; not %s", ErrInsecurePortal, portalURL)
	}
	return fmt.Errorf("%w: portal URL %q: the scheme must be https", ErrTransport, portalURL)
}

func isLoopback(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Do posts req to the portal at portalURL and decodes its answer into
// resp, which must be the response type of req (mmm.NewResponse). A
// portal's refusal is returned as an error wrapping its *mmm.Error (see
// mmm.StatusOf); a network failure or unreadable answer wraps
// ErrTransport.
func (t *Transport) Do(ctx context.Context, portalURL string, req mmm.Request, resp mmm.Response) error {
	body, err := mmm.Encode(req)
	if err != nil {
		return err
	}
	if err := CheckPortalURL(portalURL); err != nil {
		return err
	}
	url := Endpoint(portalURL)
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrTransport, err)
	}
	hr.Header.Set("Content-Type", "application/json")
	hc := t.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	r, err := hc.Do(hr)
	if err != nil {
		return fmt.Errorf("%w: %s to %s: %v", ErrTransport, req.MessageType(), url, err)
	}
	defer r.Body.Close()
	if err := mmm.DecodeResponse(r.Body, resp); err != nil {
		return fmt.Errorf("client: %s to %s: %w", req.MessageType(), url, err)
	}
	return nil
}
