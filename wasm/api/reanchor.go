package api

// Anchor is the result of planReanchor: the log this device verified and
// the portal's current one, for the person to compare with the other
// devices before reanchor.
type Anchor struct {
	// OldSize is the tree size of the last checkpoint this device
	// verified.
	OldSize int64 `json:"oldSize"`
	// OldCode is its log code.
	OldCode string `json:"oldCode"`
	// NewSize is the tree size of the portal's current checkpoint.
	NewSize int64 `json:"newSize"`
	// NewCode is its log code: the person compares it with the other
	// devices' before reanchor.
	NewCode string `json:"newCode"`
	// Extends reports that the portal's log extends the verified one:
	// nothing to re-anchor (sync).
	Extends bool `json:"extends,omitempty"`
}

// AnchorCode is the argument of reanchor.
type AnchorCode struct {
	// Code is the new log code planReanchor showed and the person
	// confirmed.
	Code string `json:"code"`
}

// Republished is the result of reanchor: what this device published
// again, and the log it is anchored on now.
type Republished struct {
	// Personal reports this device's newer personal profile published
	// again.
	Personal bool `json:"personal,omitempty"`
	// Password reports its newer password profile published again.
	Password bool `json:"password,omitempty"`
	// Records is how many vault records the portal lacked and took.
	Records int `json:"records"`
	// Refused is how many it refused (of an earlier key epoch than the
	// vault's latest): save those entries again.
	Refused int `json:"refused,omitempty"`
	// LogSize is the tree size of the log this device verified after.
	LogSize int64 `json:"logSize"`
	// LogCode is its log code.
	LogCode string `json:"logCode"`
}
