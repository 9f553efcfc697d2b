//go:build js && wasm

// Package d1 runs the portal's SQL (portal-worker/sqlstore) on a Cloudflare
// D1 database from Go WebAssembly, committing each write with D1's batch(),
// the only way to commit several statements atomically on D1 (it has no
// BEGIN/COMMIT).
//
// The database is the binding that github.com/syumai/workers finds in the
// worker's env.
package d1

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"

	"github.com/syumai/workers/cloudflare"

	"github.com/meshpass/meshpass/portal-worker/sqlstore"
)

// DB is a D1 database binding.
type DB struct {
	v js.Value
}

var _ sqlstore.DB = (*DB)(nil)

// Open returns the D1 database bound to the worker as name.
func Open(name string) (*DB, error) {
	v := cloudflare.GetBinding(name)
	if v.IsUndefined() || v.IsNull() {
		return nil, fmt.Errorf("d1: no binding %q in the worker's env", name)
	}
	return &DB{v: v}, nil
}

func (db *DB) prepare(s sqlstore.Stmt) (js.Value, error) {
	if len(s.Args) > sqlstore.MaxParams {
		return js.Value{}, fmt.Errorf("d1: %d parameters, D1 binds at most %d", len(s.Args), sqlstore.MaxParams)
	}
	args := make([]any, len(s.Args))
	for i, a := range s.Args {
		switch a := a.(type) {
		case nil, bool, string:
			args[i] = a
		case int:
			args[i] = a
		case int64:
			if a > 1<<53 || a < -(1<<53) {
				return js.Value{}, fmt.Errorf("d1: integer %d does not fit a JavaScript number", a)
			}
			args[i] = float64(a)
		case []byte:
			u := js.Global().Get("Uint8Array").New(len(a))
			js.CopyBytesToJS(u, a)
			args[i] = u.Get("buffer")
		default:
			return js.Value{}, fmt.Errorf("d1: cannot bind a %T", a)
		}
	}
	stmt, err := call(db.v, "prepare", s.SQL)
	if err != nil {
		return js.Value{}, err
	}
	return call(stmt, "bind", args...)
}

// Query implements sqlstore.DB: one statement, its rows as arrays of
// column values (D1's raw()).
func (db *DB) Query(_ context.Context, sql string, args ...any) ([][]any, error) {
	stmt, err := db.prepare(sqlstore.Stmt{SQL: sql, Args: args})
	if err != nil {
		return nil, err
	}
	p, err := call(stmt, "raw")
	if err != nil {
		return nil, err
	}
	res, err := await(p)
	if err != nil {
		return nil, err
	}
	out := make([][]any, res.Length())
	for i := range out {
		row := res.Index(i)
		vals := make([]any, row.Length())
		for j := range vals {
			vals[j] = value(row.Index(j))
		}
		out[i] = vals
	}
	return out, nil
}

// Batch implements sqlstore.DB with D1's batch(): the statements run in
// order as one transaction, all of them or (when one fails) none.
func (db *DB) Batch(_ context.Context, stmts []sqlstore.Stmt) error {
	if len(stmts) == 0 {
		return nil
	}
	list := js.Global().Get("Array").New()
	for _, s := range stmts {
		p, err := db.prepare(s)
		if err != nil {
			return err
		}
		list.Call("push", p)
	}
	p, err := call(db.v, "batch", list)
	if err != nil {
		return err
	}
	_, err = await(p)
	return err
}

func value(v js.Value) any {
	switch v.Type() {
	case js.TypeNull, js.TypeUndefined:
		return nil
	case js.TypeNumber:
		return v.Float()
	case js.TypeString:
		return v.String()
	case js.TypeBoolean:
		return v.Bool()
	case js.TypeObject:
		// BLOBs come back as arrays of numbers or as ArrayBuffers.
		u := js.Global().Get("Uint8Array").New(v)
		b := make([]byte, u.Length())
		js.CopyBytesToGo(b, u)
		return b
	}
	return nil
}

// ErrJS is the error of a JavaScript exception or rejected promise.
var ErrJS = errors.New("d1")

// call calls a method, turning a thrown exception into an error.
func call(obj js.Value, method string, args ...any) (v js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %s: %v", ErrJS, method, r)
		}
	}()
	return obj.Call(method, args...), nil
}

// await waits for a promise. It must not run on the JavaScript event loop's
// goroutine (handlers run in their own).
func await(p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	then := js.FuncOf(func(_ js.Value, a []js.Value) any {
		ch <- result{v: a[0]}
		return nil
	})
	catch := js.FuncOf(func(_ js.Value, a []js.Value) any {
		msg := "rejected"
		if len(a) > 0 {
			msg = a[0].Call("toString").String()
		}
		ch <- result{err: fmt.Errorf("%w: %s", ErrJS, msg)}
		return nil
	})
	defer then.Release()
	defer catch.Release()
	p.Call("then", then, catch)
	r := <-ch
	return r.v, r.err
}
