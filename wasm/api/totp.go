package api

import (
	"errors"
	"fmt"
)

// TOTPCode is what totp returns: the current one-time code of one entry,
// never its otpauth:// URI.
type TOTPCode struct {
	// Code is the current code (6 to 8 digits).
	Code string `json:"code"`
	// Period is the seconds a code lasts (0 for a counter-based hotp
	// URI, whose code does not change with time).
	Period int `json:"period"`
	// Remaining is the whole seconds the code stays valid (0 for hotp).
	Remaining int `json:"remaining"`
}

// TOTPURI is the argument of totpCheck: an otpauth:// URI the popup read
// from a QR image (or that the person typed).
type TOTPURI struct {
	// URI is the otpauth:// URI.
	URI string `json:"uri"`
}

// Validate requires the uri, of at most MaxTOTPURI bytes.
func (a TOTPURI) Validate() error {
	switch {
	case a.URI == "":
		return errors.New("uri is required")
	case len(a.URI) > MaxTOTPURI:
		return fmt.Errorf("uri is longer than %d bytes", MaxTOTPURI)
	}
	return nil
}

// The longest URI totpCheck takes.
const (
	// MaxTOTPURI is policy.MaxTOTP, the longest one-time code URI an
	// entry holds.
	MaxTOTPURI = 2048
)

// TOTPCheck is what totpCheck returns: the URI as an entry would store
// it, whom it is for, and its current code.
type TOTPCheck struct {
	// URI is the URI as add and edit store it.
	URI string `json:"uri"`
	// Issuer is whom the codes are for (the URI's issuer parameter, or
	// the label's part before the colon); may be empty.
	Issuer string `json:"issuer,omitempty"`
	// Account is the account the codes are for (the label's part after
	// the colon); may be empty.
	Account string `json:"account,omitempty"`
	TOTPCode
}
