//go:build !js

package workerd

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/net/websocket"
)

// Inspector is a Chrome DevTools Protocol session with one isolate of
// workerd: the worker's, through wrangler's inspector proxy
// (DialWrangler), or any isolate through workerd's own inspector
// (DialIsolate).
type Inspector struct {
	ws     *websocket.Conn
	nextID int
	// context is the isolate's execution context (Evaluate), once known.
	context int
}

// DialIsolate connects to the isolate id of workerd's own inspector at
// base (an http:// URL whose /json lists the isolates).
func DialIsolate(base, id string) (*Inspector, error) {
	return dial("ws"+strings.TrimPrefix(base, "http")+"/"+id, base)
}

// DialWrangler connects to the worker's isolate through wrangler's
// inspector proxy at base (Worker.Inspector; workerd takes one session
// per isolate, and wrangler holds the worker's).
func DialWrangler(base string) (*Inspector, error) {
	resp, err := http.Get(base + "/json")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var targets []struct {
		WebSocketDebuggerURL string `json:"webSocketDebuggerUrl"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&targets); err != nil || len(targets) == 0 {
		return nil, fmt.Errorf("wrangler's inspector at %s lists no target (%v)", base, err)
	}
	return dial(targets[0].WebSocketDebuggerURL, base)
}

func dial(url, origin string) (*Inspector, error) {
	ws, err := websocket.Dial(url, "", origin)
	if err != nil {
		return nil, fmt.Errorf("inspector %s: %v", url, err)
	}
	ws.MaxPayloadBytes = 256 << 20 // a profile of many requests
	return &Inspector{ws: ws}, nil
}

// Call sends a CDP command and decodes its result into result (if not
// nil), skipping the events that arrive meanwhile.
func (in *Inspector) Call(method string, params, result any) error {
	in.nextID++
	id := in.nextID
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if err := websocket.JSON.Send(in.ws, msg); err != nil {
		return err
	}
	in.ws.SetReadDeadline(time.Now().Add(2 * time.Minute))
	for {
		var answer struct {
			ID     int             `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := websocket.JSON.Receive(in.ws, &answer); err != nil {
			return fmt.Errorf("%s: %v", method, err)
		}
		if answer.ID != id {
			continue // an event, or an answer to a command of the proxy's
		}
		if answer.Error != nil {
			return fmt.Errorf("%s: %s", method, answer.Error.Message)
		}
		if result == nil {
			return nil
		}
		return json.Unmarshal(answer.Result, result)
	}
}

// HeapUsage returns the isolate's V8 heap in use and its total size, in
// bytes (CDP Runtime.getHeapUsage). A WebAssembly instance's linear
// memory is not in it: see Evaluate.
func (in *Inspector) HeapUsage() (used, total int64, err error) {
	var r struct {
		UsedSize  float64 `json:"usedSize"`
		TotalSize float64 `json:"totalSize"`
	}
	if err := in.Call("Runtime.getHeapUsage", nil, &r); err != nil {
		return 0, 0, err
	}
	return int64(r.UsedSize), int64(r.TotalSize), nil
}

// Evaluate evaluates a JavaScript expression in the isolate's context and
// decodes its value into result. The first call enables the Runtime
// domain and waits for the context to be announced.
func (in *Inspector) Evaluate(expression string, result any) error {
	if in.context == 0 {
		in.nextID++
		id := in.nextID
		if err := websocket.JSON.Send(in.ws, map[string]any{"id": id, "method": "Runtime.enable"}); err != nil {
			return err
		}
		in.ws.SetReadDeadline(time.Now().Add(30 * time.Second))
		for in.context == 0 {
			var msg struct {
				Method string `json:"method"`
				Params struct {
					Context struct {
						ID int `json:"id"`
					} `json:"context"`
				} `json:"params"`
			}
			if err := websocket.JSON.Receive(in.ws, &msg); err != nil {
				return fmt.Errorf("inspector: no execution context announced after Runtime.enable: %v", err)
			}
			if msg.Method == "Runtime.executionContextCreated" {
				in.context = msg.Params.Context.ID
			}
		}
	}
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	if err := in.Call("Runtime.evaluate", map[string]any{"expression": expression, "contextId": in.context, "returnByValue": true}, &r); err != nil {
		return err
	}
	if r.ExceptionDetails != nil {
		return fmt.Errorf("evaluating %q: %s", expression, r.ExceptionDetails.Text)
	}
	return json.Unmarshal(r.Result.Value, result)
}

// Close ends the session.
func (in *Inspector) Close() error { return in.ws.Close() }
