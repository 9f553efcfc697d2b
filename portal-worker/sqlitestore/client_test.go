//go:build !js

package sqlitestore_test

import (
	"bytes"
	"net/http"

	"github.com/meshpass/meshpass/shared/mmm"
)

// client posts mmm requests.
type client struct {
	url string
	hc  *http.Client
}

func (c *client) call(req mmm.Request, resp mmm.Response) error {
	body, err := mmm.Encode(req)
	if err != nil {
		return err
	}
	r, err := c.hc.Post(c.url, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer r.Body.Close()
	return mmm.DecodeResponse(r.Body, resp)
}
