//go:build js && wasm

// Package jsbridge serves an http.Handler to JavaScript from one long-lived
// Go WebAssembly instance.
//
// The JavaScript glue (portal-worker/workers/glue.mjs) starts the instance once
// per isolate and calls globalThis.meshpassHandle for every request, so a
// request costs a function call, not a new Go runtime. (The glue of
// github.com/syumai/workers starts a new instance for every request.)
package jsbridge

import (
	"bytes"
	"fmt"
	"net/http"
	"syscall/js"
)

// HandleFunc and ReadyFunc are the names of the globals shared with the glue.
const (
	HandleFunc = "meshpassHandle"
	ReadyFunc  = "meshpassReady"
)

// Serve registers h as globalThis.meshpassHandle(method, url, headers,
// body) → Promise<{status, headers, body}>, where the request's headers
// are one string of "name:value" lines ending in "\n" (a header's name
// and value hold no line break, and a name no colon: one string crosses
// into Go at once, where pairs would cost calls of their own), the
// response's [name, value] pairs, and both bodies Uint8Arrays; then it
// tells the glue it is ready and blocks forever.
func Serve(h http.Handler) {
	js.Global().Set(HandleFunc, js.FuncOf(func(this js.Value, args []js.Value) any {
		promise := js.Global().Get("Promise")
		return promise.New(js.FuncOf(func(_ js.Value, p []js.Value) any {
			resolve, reject := p[0], p[1]
			go func() {
				res, err := handle(h, args)
				if err != nil {
					reject.Invoke(js.Global().Get("Error").New(err.Error()))
					return
				}
				resolve.Invoke(res)
			}()
			return nil
		}))
	}))
	js.Global().Call(ReadyFunc)
	select {}
}

func handle(h http.Handler, args []js.Value) (res js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("jsbridge: handler panicked: %v", r)
		}
	}()
	if len(args) != 4 {
		return js.Value{}, fmt.Errorf("jsbridge: %s takes 4 arguments, got %d", HandleFunc, len(args))
	}
	body := make([]byte, args[3].Get("length").Int())
	js.CopyBytesToGo(body, args[3])
	req, err := http.NewRequest(args[0].String(), args[1].String(), bytes.NewReader(body))
	if err != nil {
		return js.Value{}, err
	}
	if err := addHeaders(req.Header, args[2].String()); err != nil {
		return js.Value{}, err
	}
	req.ContentLength = int64(len(body))
	req.RemoteAddr = req.Header.Get("CF-Connecting-IP")

	w := &responseWriter{header: http.Header{}}
	h.ServeHTTP(w, req)
	if w.status == 0 {
		w.status = http.StatusOK
	}
	headers := js.Global().Get("Array").New()
	for name, values := range w.header {
		for _, v := range values {
			headers.Call("push", []any{name, v})
		}
	}
	out := js.Global().Get("Uint8Array").New(w.body.Len())
	js.CopyBytesToJS(out, w.body.Bytes())
	res = js.Global().Get("Object").New()
	res.Set("status", w.status)
	res.Set("headers", headers)
	res.Set("body", out)
	return res, nil
}

// responseWriter collects a whole response in memory.
type responseWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *responseWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}
