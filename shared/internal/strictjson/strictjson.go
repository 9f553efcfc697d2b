// Package strictjson decodes exactly one JSON value, refusing anything that
// follows it.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// ErrTrailing reports data after the JSON value.
var ErrTrailing = errors.New("data after the JSON value")

// Unmarshal decodes data into v like json.Unmarshal, but refuses trailing
// data and, when known is true, object members that v has no field for.
func Unmarshal(data []byte, v any, known bool) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if known {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return ErrTrailing
	}
	return nil
}
