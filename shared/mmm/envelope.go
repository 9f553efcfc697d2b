package mmm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"

	"github.com/meshpass/meshpass/shared/internal/strictjson"
	"github.com/meshpass/meshpass/shared/profile"
)

// Status codes of the protocol, carried in every response's Status and as
// the HTTP status of the answer.
const (
	StatusOK           = http.StatusCreated // 201: the seed's success
	StatusBadRequest   = http.StatusBadRequest
	StatusUnauthorized = http.StatusUnauthorized
	// StatusForbidden: the portal does not take this from anyone (sign-ups
	// closed, or an invitation that is not valid).
	StatusForbidden          = http.StatusForbidden
	StatusNotFound           = http.StatusNotFound
	StatusConflict           = http.StatusConflict
	StatusTooLarge           = http.StatusRequestEntityTooLarge
	StatusTooManyRequests    = http.StatusTooManyRequests
	StatusInternalError      = http.StatusInternalServerError
	StatusServiceUnavailable = http.StatusServiceUnavailable
	// StatusInsufficientStorage: a storage quota is reached (the
	// account's, or the portal's whole storage); nothing was written.
	StatusInsufficientStorage = http.StatusInsufficientStorage
)

// DescriptionOK is the StatusDescription of success.
const DescriptionOK = "Operation completed successfully"

// MaxBodySize is the largest request or response body read, in bytes.
const MaxBodySize = 1 << 20

// Error is a protocol failure with the status a portal answers with.
type Error struct {
	Code        int
	Description string
}

// Error returns the status and description.
func (e *Error) Error() string { return fmt.Sprintf("mmm: %d %s", e.Code, e.Description) }

// Errorf returns an *Error with the given status code.
func Errorf(code int, format string, args ...any) error {
	return &Error{Code: code, Description: fmt.Sprintf(format, args...)}
}

// StatusOf returns the status code of err: its *Error's code, or 500.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return StatusInternalError
}

// ErrTooLarge is the error for a body over MaxBodySize.
var ErrTooLarge = &Error{Code: StatusTooLarge, Description: fmt.Sprintf("body larger than %d bytes", MaxBodySize)}

var requests = map[string]func() Request{}
var responses = map[string]func() Response{}

func init() {
	for _, f := range []func() Request{
		func() Request { return new(HelloRequest) },
		func() Request { return new(ValidateRequest) },
		func() Request { return new(CreateRequest) },
		func() Request { return new(GetRequest) },
		func() Request { return new(PublishRequest) },
		func() Request { return new(ConnectStartRequest) },
		func() Request { return new(ConnectPendingRequest) },
		func() Request { return new(ConnectCompleteRequest) },
		func() Request { return new(ConnectStatusRequest) },
		func() Request { return new(ConnectContributeRequest) },
		func() Request { return new(ConnectRevealRequest) },
		func() Request { return new(StatusRequest) },
		func() Request { return new(AuditRequest) },
		func() Request { return new(AppendRecordsRequest) },
		func() Request { return new(GetRecordsRequest) },
		func() Request { return new(CheckInRequest) },
		func() Request { return new(GetCheckInsRequest) },
		func() Request { return new(PutSnapshotRequest) },
		func() Request { return new(GetSnapshotRequest) },
	} {
		requests[f().MessageType()] = f
	}
	for _, f := range []func() Response{
		func() Response { return new(HelloResponse) },
		func() Response { return new(ValidateResponse) },
		func() Response { return new(CreateResponse) },
		func() Response { return new(GetResponse) },
		func() Response { return new(PublishResponse) },
		func() Response { return new(ConnectStartResponse) },
		func() Response { return new(ConnectPendingResponse) },
		func() Response { return new(ConnectCompleteResponse) },
		func() Response { return new(ConnectStatusResponse) },
		func() Response { return new(ConnectContributeResponse) },
		func() Response { return new(ConnectRevealResponse) },
		func() Response { return new(StatusResponse) },
		func() Response { return new(AuditResponse) },
		func() Response { return new(AppendRecordsResponse) },
		func() Response { return new(GetRecordsResponse) },
		func() Response { return new(CheckInResponse) },
		func() Response { return new(GetCheckInsResponse) },
		func() Response { return new(PutSnapshotResponse) },
		func() Response { return new(GetSnapshotResponse) },
		func() Response { return new(ErrorResponse) },
	} {
		responses[f().MessageType()] = f
	}
}

// RequestTypes returns the names of every request message, sorted.
func RequestTypes() []string { return sortedKeys(requests) }

// ResponseTypes returns the names of every response message, sorted.
func ResponseTypes() []string { return sortedKeys(responses) }

// NewRequest returns an empty request of the named type, or nil.
func NewRequest(name string) Request {
	if f, ok := requests[name]; ok {
		return f()
	}
	return nil
}

// NewResponse returns an empty response of the named type, or nil. For a
// request type it returns the matching response.
func NewResponse(name string) Response {
	if len(name) > len("Request") && name[len(name)-len("Request"):] == "Request" {
		name = name[:len(name)-len("Request")] + "Response"
	}
	if f, ok := responses[name]; ok {
		return f()
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Encode writes m in its envelope.
func Encode(m Message) ([]byte, error) {
	return profile.MarshalTagged(m.MessageType(), m)
}

// readBody reads at most MaxBodySize bytes.
func readBody(r io.Reader) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, MaxBodySize+1))
	if err != nil {
		return nil, Errorf(StatusBadRequest, "reading body: %v", err)
	}
	if len(body) > MaxBodySize {
		return nil, ErrTooLarge
	}
	return body, nil
}

// split reads the envelope: one object with one member.
func split(body []byte) (string, json.RawMessage, error) {
	var env map[string]json.RawMessage
	if err := strictjson.Unmarshal(body, &env, false); err != nil {
		return "", nil, Errorf(StatusBadRequest, "not a JSON message envelope: %v", err)
	}
	if len(env) != 1 {
		return "", nil, Errorf(StatusBadRequest, "a message envelope holds exactly one member, this one %d", len(env))
	}
	for name, inner := range env {
		if bytes.Equal(bytes.TrimSpace(inner), []byte("null")) {
			return "", nil, Errorf(StatusBadRequest, "%s is null", name)
		}
		return name, inner, nil
	}
	panic("unreachable")
}

func decodeInto(name string, inner json.RawMessage, m Message) error {
	if err := strictjson.Unmarshal(inner, m, true); err != nil {
		return Errorf(StatusBadRequest, "%s: %v", name, err)
	}
	return nil
}

// DecodeRequest reads one request from r: at most MaxBodySize bytes, one
// envelope of a known request type, no unknown members, nothing after it,
// and what Check requires.
func DecodeRequest(r io.Reader) (Request, error) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	name, inner, err := split(body)
	if err != nil {
		return nil, err
	}
	req := NewRequest(name)
	if req == nil {
		return nil, Errorf(StatusBadRequest, "unknown request type %q", name)
	}
	if err := decodeInto(name, inner, req); err != nil {
		return nil, err
	}
	if err := req.Check(); err != nil {
		return nil, err
	}
	return req, nil
}

// DecodeResponse reads one response from r, of the type want names (as
// returned by NewResponse) or an ErrorResponse. A response whose Status is
// not success is returned with its status as an *Error.
func DecodeResponse(r io.Reader, want Response) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	name, inner, err := split(body)
	if err != nil {
		return err
	}
	var got Response = want
	if name != want.MessageType() {
		if name != (*ErrorResponse)(nil).MessageType() {
			return Errorf(StatusBadRequest, "response is a %s, want %s", name, want.MessageType())
		}
		got = new(ErrorResponse)
	}
	if err := decodeInto(name, inner, got); err != nil {
		return err
	}
	if err := got.Outcome().Err(); err != nil {
		return err
	}
	if got != want {
		return Errorf(StatusBadRequest, "ErrorResponse with status %d", got.Outcome().Status)
	}
	return nil
}
