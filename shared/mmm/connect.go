package mmm

import (
	"github.com/meshpass/meshpass/shared/jws"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/udf"
)

// The witness exchange of a connection (profile.ConnectionContribution):
// an administration device posts its contribution to a pending request
// with ConnectContribute, the requesting device reads it in its
// ConnectStatusResponse and posts its reveal with ConnectReveal, and the
// administration devices read both in the ConnectPendingResponse's
// Exchanges.

// ConnectContributeRequest posts an administration device's contribution
// to the pending request of the device the contribution names. Only an
// administration device of the account may post it, once per request.
type ConnectContributeRequest struct {
	AccountID      string                                `json:"AccountID"`
	Contribution   *profile.SignedConnectionContribution `json:"Contribution"`
	Authentication *jws.SignedData                       `json:"Authentication"`
}

// ConnectContributeResponse reports that the contribution is stored.
type ConnectContributeResponse struct {
	Status
}

// ConnectRevealRequest posts the requesting device's reveal. Only that
// device may post it, once per request, after a contribution.
type ConnectRevealRequest struct {
	AccountID      string                          `json:"AccountID"`
	DeviceID       string                          `json:"DeviceID"`
	Reveal         *profile.SignedConnectionReveal `json:"Reveal"`
	Authentication *jws.SignedData                 `json:"Authentication"`
}

// ConnectRevealResponse reports that the reveal is stored.
type ConnectRevealResponse struct {
	Status
}

// ConnectExchange is where the witness exchange of one pending request
// stands: the contribution and the reveal posted so far.
type ConnectExchange struct {
	// Device is the requesting device's Identifier.
	Device       string                                `json:"Device"`
	Contribution *profile.SignedConnectionContribution `json:"Contribution,omitempty"`
	Reveal       *profile.SignedConnectionReveal       `json:"Reveal,omitempty"`
}

// MessageType returns "ConnectContributeRequest".
func (*ConnectContributeRequest) MessageType() string { return "ConnectContributeRequest" }

// MessageType returns "ConnectContributeResponse".
func (*ConnectContributeResponse) MessageType() string { return "ConnectContributeResponse" }

// MessageType returns "ConnectRevealRequest".
func (*ConnectRevealRequest) MessageType() string { return "ConnectRevealRequest" }

// MessageType returns "ConnectRevealResponse".
func (*ConnectRevealResponse) MessageType() string { return "ConnectRevealResponse" }

func (r *ConnectContributeRequest) authentication() **jws.SignedData { return &r.Authentication }
func (r *ConnectRevealRequest) authentication() **jws.SignedData     { return &r.Authentication }
func (r *ConnectContributeRequest) accountID() string                { return r.AccountID }
func (r *ConnectRevealRequest) accountID() string                    { return r.AccountID }

// Check requires an AccountID, a Contribution and Authentication.
func (r *ConnectContributeRequest) Check() error {
	if err := need("AccountID", r.AccountID); err != nil {
		return err
	}
	if r.Contribution == nil || r.Contribution.SignedData == nil {
		return badRequest("Contribution is required")
	}
	return needAuth(r.Authentication)
}

// Check requires an AccountID, a DeviceID, a Reveal and Authentication.
func (r *ConnectRevealRequest) Check() error {
	if err := need("AccountID", r.AccountID); err != nil {
		return err
	}
	if _, err := udf.Parse(r.DeviceID); err != nil {
		return badRequest("DeviceID: %v", err)
	}
	if r.Reveal == nil || r.Reveal.SignedData == nil {
		return badRequest("Reveal is required")
	}
	return needAuth(r.Authentication)
}
