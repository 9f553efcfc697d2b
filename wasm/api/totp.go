package api

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
