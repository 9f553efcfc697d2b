//go:build js && wasm

package bridge

import (
	"context"
	"fmt"
	"strings"
	"syscall/js"
	"testing"

	"github.com/meshpass/meshpass/shared/client"
	"github.com/meshpass/meshpass/shared/seal"
	"github.com/meshpass/meshpass/wasm/api"
)

// call invokes the JavaScript function f with args and awaits the Promise.
func call(t *testing.T, f js.Func, args ...any) (js.Value, error) {
	t.Helper()
	p := f.Invoke(args...)
	if p.Get("then").Type() != js.TypeFunction {
		t.Fatalf("not a Promise: %v", p)
	}
	return Await(p)
}

// rejection returns the JavaScript Error a Promise rejected with.
func rejection(t *testing.T, err error) js.Value {
	t.Helper()
	je, ok := err.(*JSError)
	if !ok {
		t.Fatalf("error %v (%T), want a rejection", err, err)
	}
	if !je.Value.InstanceOf(js.Global().Get("Error")) {
		t.Fatalf("rejected with %v, not an Error", je.Value)
	}
	return je.Value
}

func TestPromiseResolves(t *testing.T) {
	f := Promise(func(ctx context.Context, in []byte) (any, error) {
		return map[string]any{"in": string(in), "n": 1}, nil
	})
	v, err := call(t, f, `{"x":1}`)
	if err != nil {
		t.Fatal(err)
	}
	if v.Type() != js.TypeString || v.String() != `{"in":"{\"x\":1}","n":1}` {
		t.Errorf("resolved with %v", v)
	}
	v, err = call(t, f)
	if err != nil || v.String() != `{"in":"","n":1}` {
		t.Errorf("no argument: %v, %v", v, err)
	}
}

func TestPromiseRejects(t *testing.T) {
	for _, tc := range []struct {
		f     Func
		args  []any
		code  string
		check string
		msg   string
	}{
		{func(context.Context, []byte) (any, error) {
			return nil, fmt.Errorf("unlock: %w", seal.ErrWrongPassphrase)
		},
			nil, api.CodeWrongPassphrase, "", "unlock: wrong passphrase"},
		{func(context.Context, []byte) (any, error) { return nil, client.ErrLocked },
			nil, api.CodeLocked, "", client.ErrLocked.Error()},
		{func(context.Context, []byte) (any, error) {
			return nil, fmt.Errorf("%w: v2 after v3", client.ErrRollback)
		},
			nil, api.CodeVerificationFailed, "rollback", "client: profile rolled back: v2 after v3"},
		{func(context.Context, []byte) (any, error) { panic("boom") },
			nil, api.CodeInternal, "", "internal error: panic: boom"},
		{func(context.Context, []byte) (any, error) { return nil, nil },
			[]any{42}, api.CodeBadRequest, "", "bad request: the argument must be a JSON string, not number"},
		{func(context.Context, []byte) (any, error) { return nil, nil },
			[]any{"{}", "{}"}, api.CodeBadRequest, "", "bad request: one argument expected, got 2"},
		{func(ctx context.Context, in []byte) (any, error) {
			_, err := Decode[struct{}](in)
			return nil, err
		}, []any{`{"nope":1}`}, api.CodeBadRequest, "", "bad request: argument: json: unknown field \"nope\""},
	} {
		_, err := call(t, Promise(tc.f), tc.args...)
		e := rejection(t, err)
		if got := e.Get("code").String(); got != tc.code {
			t.Errorf("code %q, want %q (%v)", got, tc.code, err)
		}
		if got := e.Get("message").String(); got != tc.msg {
			t.Errorf("message %q, want %q", got, tc.msg)
		}
		check := e.Get("check")
		if tc.check == "" && !check.IsUndefined() || tc.check != "" && check.String() != tc.check {
			t.Errorf("check %v, want %q", check, tc.check)
		}
	}
}

func TestRegister(t *testing.T) {
	obj := js.Global().Get("Object").New()
	Register(obj, "echo", func(ctx context.Context, in []byte) (any, error) { return string(in), nil })
	v, err := Await(obj.Call("echo", `"hi"`))
	if err != nil || v.String() != `"\"hi\""` {
		t.Errorf("echo: %v, %v", v, err)
	}
}

func TestAwait(t *testing.T) {
	promise := js.Global().Get("Promise")
	v, err := Await(promise.Call("resolve", 7))
	if err != nil || v.Int() != 7 {
		t.Errorf("resolved: %v, %v", v, err)
	}
	_, err = Await(promise.Call("reject", js.Global().Get("Error").New("nope")))
	if err == nil || err.Error() != "javascript: nope" {
		t.Errorf("rejected: %v", err)
	}
	v, err = Await(js.ValueOf("plain"))
	if err != nil || v.String() != "plain" {
		t.Errorf("plain value: %v, %v", v, err)
	}
}

func TestTry(t *testing.T) {
	thrower := js.Global().Get("Function").New(`throw new TypeError("thrown")`)
	_, err := Try(func() js.Value { return thrower.Invoke() })
	if err == nil || !strings.Contains(err.Error(), "thrown") {
		t.Errorf("Try: %v", err)
	}
	v, err := Try(func() js.Value { return js.ValueOf(1) })
	if err != nil || v.Int() != 1 {
		t.Errorf("Try: %v, %v", v, err)
	}
}
