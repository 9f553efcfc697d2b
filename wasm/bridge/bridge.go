//go:build js && wasm

package bridge

import (
	"context"
	"errors"
	"syscall/js"
)

// Promise returns the JavaScript function that calls f: it takes one JSON
// string argument and returns a Promise of the JSON string of the result,
// rejected with a coded Error (NewError) on failure. The js.Func is never
// released: it lives as long as the program.
func Promise(f Func) js.Func {
	return js.FuncOf(func(this js.Value, args []js.Value) any {
		var in []byte
		var argErr error
		if len(args) > 0 {
			switch a := args[0]; a.Type() {
			case js.TypeUndefined, js.TypeNull:
			case js.TypeString:
				in = []byte(a.String())
			default:
				argErr = BadRequest("the argument must be a JSON string, not %s", a.Type())
			}
		}
		if len(args) > 1 {
			argErr = BadRequest("one argument expected, got %d", len(args))
		}
		return NewPromise(func() (js.Value, error) {
			if argErr != nil {
				return js.Undefined(), argErr
			}
			out, err := Call(context.Background(), f, in)
			if err != nil {
				return js.Undefined(), err
			}
			return js.ValueOf(string(out)), nil
		})
	})
}

// NewPromise returns a Promise settled by run, which runs in a new
// goroutine: resolved with its value, or rejected with NewError(err).
// A panic in run rejects with code CodeInternal.
func NewPromise(run func() (js.Value, error)) js.Value {
	executor := js.FuncOf(func(this js.Value, args []js.Value) any {
		resolve, reject := args[0], args[1]
		go func() {
			v, err := func() (v js.Value, err error) {
				defer func() {
					if r := recover(); r != nil {
						v, err = js.Undefined(), &PanicError{Value: r}
					}
				}()
				return run()
			}()
			if err != nil {
				reject.Invoke(NewError(err))
				return
			}
			resolve.Invoke(v)
		}()
		return nil
	})
	defer executor.Release() // the Promise constructor calls it at once
	return js.Global().Get("Promise").New(executor)
}

// NewError returns a JavaScript Error for err: message is err's text,
// code is Code(err); check (Check) and status (Status) are set when they
// apply.
func NewError(err error) js.Value {
	e := js.Global().Get("Error").New(err.Error())
	e.Set("code", Code(err))
	if c := Check(err); c != "" {
		e.Set("check", c)
	}
	if s := Status(err); s != 0 {
		e.Set("status", s)
	}
	return e
}

// Register sets obj[name] to Promise(f).
func Register(obj js.Value, name string, f Func) {
	obj.Set(name, Promise(f))
}

// JSError is a JavaScript exception or rejection reason as a Go error.
type JSError struct {
	// Value is what was thrown or rejected with.
	Value js.Value
}

func (e *JSError) Error() string {
	v := e.Value
	if v.Type() == js.TypeObject {
		if m := v.Get("message"); m.Type() == js.TypeString {
			return "javascript: " + m.String()
		}
	}
	return "javascript: " + js.Global().Get("String").Invoke(v).String()
}

// Await waits for the JavaScript Promise (or any thenable) p to settle
// and returns its value, or a *JSError with the rejection reason. A value
// that is not a thenable is returned as it is. Await blocks the calling
// goroutine, so it must not be called on the goroutine of a js.Func
// callback (it would deadlock): call it from a goroutine, as every Func
// that Promise runs is.
func Await(p js.Value) (js.Value, error) {
	if p.Type() != js.TypeObject || p.Get("then").Type() != js.TypeFunction {
		return p, nil
	}
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	onOK := js.FuncOf(func(this js.Value, args []js.Value) any {
		v := js.Undefined()
		if len(args) > 0 {
			v = args[0]
		}
		ch <- result{v: v}
		return nil
	})
	defer onOK.Release()
	onErr := js.FuncOf(func(this js.Value, args []js.Value) any {
		v := js.Undefined()
		if len(args) > 0 {
			v = args[0]
		}
		ch <- result{err: &JSError{Value: v}}
		return nil
	})
	defer onErr.Release()
	p.Call("then", onOK, onErr)
	r := <-ch
	return r.v, r.err
}

// Try calls f, turning a JavaScript exception thrown in it (a panic with
// a js.Error) into an error.
func Try(f func() js.Value) (v js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			var je js.Error
			if e, ok := r.(error); ok && errors.As(e, &je) {
				v, err = js.Undefined(), &JSError{Value: je.Value}
				return
			}
			panic(r)
		}
	}()
	return f(), nil
}
