//go:build js && wasm

// Package d1 runs SQL on a Cloudflare D1 database from Go WebAssembly,
// including D1's batch(), the only way to commit several statements
// atomically on D1 (it has no BEGIN/COMMIT).
//
// The database is the binding that github.com/syumai/workers finds in the
// worker's env.
package d1

import (
	"errors"
	"fmt"
	"syscall/js"

	"github.com/syumai/workers/cloudflare"
)

// MaxParams is the most parameters D1 binds in one statement.
const MaxParams = 100

// DB is a D1 database binding.
type DB struct {
	v js.Value
}

// Open returns the D1 database bound to the worker as name.
func Open(name string) (*DB, error) {
	v := cloudflare.GetBinding(name)
	if v.IsUndefined() || v.IsNull() {
		return nil, fmt.Errorf("d1: no binding %q in the worker's env", name)
	}
	return &DB{v: v}, nil
}

// Stmt is one SQL statement with its parameters: nil, bool, int, int64,
// string or []byte.
type Stmt struct {
	SQL  string
	Args []any
}

// Row is one result row, by column name: nil, float64 (D1 numbers), string
// or []byte.
type Row map[string]any

// Int returns the column as an int64.
func (r Row) Int(col string) int64 {
	switch v := r[col].(type) {
	case float64:
		return int64(v)
	case int64:
		return v
	}
	return 0
}

// String returns the column as a string.
func (r Row) String(col string) string {
	switch v := r[col].(type) {
	case string:
		return v
	case []byte:
		return string(v)
	}
	return ""
}

// Bytes returns the column as bytes.
func (r Row) Bytes(col string) []byte {
	switch v := r[col].(type) {
	case []byte:
		return v
	case string:
		return []byte(v)
	}
	return nil
}

func (db *DB) prepare(s Stmt) (js.Value, error) {
	if len(s.Args) > MaxParams {
		return js.Value{}, fmt.Errorf("d1: %d parameters, D1 binds at most %d", len(s.Args), MaxParams)
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

// Query runs one statement and returns its rows.
func (db *DB) Query(sql string, args ...any) ([]Row, error) {
	stmt, err := db.prepare(Stmt{SQL: sql, Args: args})
	if err != nil {
		return nil, err
	}
	p, err := call(stmt, "all")
	if err != nil {
		return nil, err
	}
	res, err := await(p)
	if err != nil {
		return nil, err
	}
	return rows(res), nil
}

// Batch runs the statements in order as one transaction: all of them take
// effect, or (when one fails) none. It returns each statement's rows.
func (db *DB) Batch(stmts []Stmt) ([][]Row, error) {
	if len(stmts) == 0 {
		return nil, nil
	}
	list := js.Global().Get("Array").New()
	for _, s := range stmts {
		p, err := db.prepare(s)
		if err != nil {
			return nil, err
		}
		list.Call("push", p)
	}
	p, err := call(db.v, "batch", list)
	if err != nil {
		return nil, err
	}
	res, err := await(p)
	if err != nil {
		return nil, err
	}
	out := make([][]Row, res.Length())
	for i := range out {
		out[i] = rows(res.Index(i))
	}
	return out, nil
}

// rows converts a D1 result ({results: [...]}) to Rows.
func rows(res js.Value) []Row {
	results := res.Get("results")
	if results.IsUndefined() || results.IsNull() {
		return nil
	}
	out := make([]Row, results.Length())
	keys := js.Global().Get("Object")
	for i := range out {
		obj := results.Index(i)
		names := keys.Call("keys", obj)
		row := Row{}
		for j := range names.Length() {
			name := names.Index(j).String()
			row[name] = value(obj.Get(name))
		}
		out[i] = row
	}
	return out
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
