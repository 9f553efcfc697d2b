package profile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/meshpass/meshpass/shared/internal/strictjson"
)

// ErrMalformed reports a profile or wrapper that cannot be decoded.
var ErrMalformed = errors.New("profile: malformed")

// MarshalTagged writes v inside the Mesh's JSON envelope: {"tag": v}.
func MarshalTagged(tag string, v any) ([]byte, error) {
	inner, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	tagJSON, _ := json.Marshal(tag)
	var b bytes.Buffer
	b.WriteByte('{')
	b.Write(tagJSON)
	b.WriteByte(':')
	b.Write(inner)
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalTagged reads {"tag": …} into v. The object must have exactly
// that one member, and nothing may follow it.
func UnmarshalTagged(data []byte, tag string, v any) error {
	var env map[string]json.RawMessage
	if err := strictjson.Unmarshal(data, &env, false); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrMalformed, tag, err)
	}
	inner, ok := env[tag]
	if !ok || len(env) != 1 {
		return fmt.Errorf("%w: want an object holding only %q, got %v", ErrMalformed, tag, keysOf(env))
	}
	if err := json.Unmarshal(inner, v); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrMalformed, tag, err)
	}
	return nil
}

func keysOf(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
