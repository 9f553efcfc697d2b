package client

import (
	"context"
	"fmt"

	"github.com/meshpass/meshpass/shared/mmm"
)

// SetupOption gives Create or StartConnect what a particular portal asks
// of a new device: an invitation code, a connect code.
type SetupOption func(*setup)

// setup is what the options set.
type setup struct {
	invitation, code string
}

func setupOf(opts []SetupOption) setup {
	var s setup
	for _, o := range opts {
		o(&s)
	}
	return s
}

// WithInvitation gives Create the invitation code the portal's operator
// gave out, for a portal whose sign-ups are by invitation (each code
// creates one account).
func WithInvitation(code string) SetupOption {
	return func(s *setup) { s.invitation = code }
}

// WithConnectCode gives StartConnect the connect code an administration
// device of the account issued (IssueConnectCode): the portal then keeps
// the request however many other requests arrive, so a flood of
// throw-away requests cannot push it out.
func WithConnectCode(code string) SetupOption {
	return func(s *setup) { s.code = code }
}

// IssueConnectCode makes a connect code on this administration device and
// registers it with the portal: give it to the device about to connect
// (meshpass connect --code, or the popup's connect screen). Each code lets
// one connection request through until the portal's pending requests
// expire (a day by default).
func (c *Client) IssueConnectCode(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.admin(); err != nil {
		return "", err
	}
	code, err := randomString(15) // 20 characters, 120 bits
	if err != nil {
		return "", err
	}
	req := &mmm.ConnectPendingRequest{AccountID: c.st.Account, IssueCode: code}
	if err := mmm.Authenticate(req, c.st.Device, c.keys.auth, c.now()); err != nil {
		return "", err
	}
	var resp mmm.ConnectPendingResponse
	if err := c.do(ctx, req, &resp); err != nil {
		return "", fmt.Errorf("registering the connect code: %w", err)
	}
	return code, nil
}
