package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
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

// Validator is an argument that checks itself after decoding: Typed
// turns its error into a bad request.
type Validator interface {
	Validate() error
}

// Handler is a Func with the Go types of its argument and result, so that
// a program can check it against the contract (package api).
type Handler struct {
	// Func decodes the argument, calls the typed function and returns its
	// result.
	Func Func
	// Arg is the Go type the argument is decoded into.
	Arg reflect.Type
	// Result is the Go type of the result.
	Result reflect.Type
}

// Typed returns the Handler that decodes the JSON argument into an A
// (Decode), validates it if A is a Validator, and calls f.
func Typed[A, R any](f func(context.Context, A) (R, error)) Handler {
	return Handler{
		Arg:    reflect.TypeFor[A](),
		Result: reflect.TypeFor[R](),
		Func: func(ctx context.Context, in []byte) (any, error) {
			a, err := Decode[A](in)
			if err != nil {
				return nil, err
			}
			if v, ok := any(a).(Validator); ok {
				if err := v.Validate(); err != nil {
					return nil, BadRequest("%v", err)
				}
			}
			r, err := f(ctx, a)
			if err != nil {
				return nil, err
			}
			return r, nil
		},
	}
}
