package client

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
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
