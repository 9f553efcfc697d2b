package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
)

// Func is a function exposed to JavaScript: in is the JSON argument (nil
// if none was given), and the result is marshalled to JSON.
type Func func(ctx context.Context, in []byte) (any, error)

// Decode unmarshals the JSON argument in into a T, refusing unknown fields
// and trailing data; no argument (nil or blank) gives the zero T. Its
// errors match ErrBadRequest.
func Decode[T any](in []byte) (T, error) {
	var v T
	if len(bytes.TrimSpace(in)) == 0 {
		return v, nil
	}
	d := json.NewDecoder(bytes.NewReader(in))
	d.DisallowUnknownFields()
	if err := d.Decode(&v); err != nil {
		return v, BadRequest("argument: %v", err)
	}
	if _, err := d.Token(); err != io.EOF {
		return v, BadRequest("argument: data after the JSON value")
	}
	return v, nil
}

// Call runs f on in and marshals its result, turning a panic into an error
// with code CodeInternal. It is what Promise runs for each call.
func Call(ctx context.Context, f Func, in []byte) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, &PanicError{Value: r}
		}
	}()
	v, err := f(ctx, in)
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// PanicError is a panic recovered by Call.
type PanicError struct{ Value any }

func (e *PanicError) Error() string { return fmt.Sprintf("internal error: panic: %v", e.Value) }
