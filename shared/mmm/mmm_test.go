package mmm_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
)

// TestEveryMessageRoundTrips encodes one example of every message type and
// decodes it back to the same bytes.
func TestEveryMessageRoundTrips(t *testing.T) {
	w := newWorld(t)
	for _, name := range append(mmm.RequestTypes(), mmm.ResponseTypes()...) {
		if _, ok := w.messages[name]; !ok {
			t.Errorf("no example of %s", name)
		}
	}
	for name, m := range w.messages {
		b, err := mmm.Encode(m)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var again []byte
		if req, ok := m.(mmm.Request); ok {
			back, err := mmm.DecodeRequest(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%s: %v\n%s", name, err, b)
			}
			again, _ = mmm.Encode(back)
			_ = req
		} else {
			back := mmm.NewResponse(m.MessageType())
			err := mmm.DecodeResponse(bytes.NewReader(b), back)
			if m.MessageType() == "ErrorResponse" {
				if mmm.StatusOf(err) != mmm.StatusBadRequest {
					t.Errorf("ErrorResponse decodes to %v", err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v\n%s", name, err, b)
			}
			again, _ = mmm.Encode(back)
		}
		if !bytes.Equal(again, b) {
			t.Errorf("%s: round trip changed the message\n%s\n%s", name, b, again)
		}
	}
}

func TestDecodeRequestRefusals(t *testing.T) {
	cases := map[string]struct {
		body string
		code int
		says string
	}{
		"unknown type":     {`{"FrobRequest":{}}`, 400, "unknown request type"},
		"a response":       {`{"HelloResponse":{}}`, 400, "unknown request type"},
		"two members":      {`{"HelloRequest":{},"StatusRequest":{}}`, 400, "exactly one member"},
		"no members":       {`{}`, 400, "exactly one member"},
		"trailing data":    {`{"HelloRequest":{}} {}`, 400, "after the JSON value"},
		"trailing brace":   {`{"HelloRequest":{}}}`, 400, ""},
		"broken JSON":      {`{"HelloRequest":`, 400, "not a JSON message envelope"},
		"not an object":    {`[1]`, 400, ""},
		"null message":     {`{"HelloRequest":null}`, 400, "null"},
		"unknown member":   {`{"ValidateRequest":{"Account":"a","Acount":"b"}}`, 400, "unknown field"},
		"wrong type":       {`{"ValidateRequest":{"Account":7}}`, 400, ""},
		"missing account":  {`{"ValidateRequest":{}}`, 400, "Account is required"},
		"get both":         {`{"GetRequest":{"Account":"a","Identifier":"MDJVA-GWBES-2YXPA-7FHWU-GNTHE-D2ELD"}}`, 400, "exactly one of"},
		"get bad id":       {`{"GetRequest":{"Identifier":"nope"}}`, 400, "Identifier"},
		"empty entry":      {`{"PublishRequest":{"Entry":{}}}`, 400, "exactly one of"},
		"create no prof":   {`{"CreateRequest":{"Account":"a","Profile":{}}}`, 400, "exactly one of"},
		"pending no auth":  {`{"ConnectPendingRequest":{"AccountID":"a"}}`, 401, "Authentication is required"},
		"status bad dev":   {`{"ConnectStatusRequest":{"AccountID":"a","DeviceID":"x"}}`, 400, "DeviceID"},
		"audit range":      {`{"AuditRequest":{"Start":5,"End":2}}`, 400, "empty"},
		"audit sizes":      {`{"AuditRequest":{"OldSize":5,"NewSize":2}}`, 400, "larger"},
		"start no request": {`{"ConnectStartRequest":{"AccountID":"a"}}`, 400, "SignedRequest"},
	}
	for name, c := range cases {
		_, err := mmm.DecodeRequest(strings.NewReader(c.body))
		if mmm.StatusOf(err) != c.code || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v, want %d %q", name, err, c.code, c.says)
		}
	}
	big := `{"ValidateRequest":{"Account":"` + strings.Repeat("a", mmm.MaxBodySize) + `"}}`
	if _, err := mmm.DecodeRequest(strings.NewReader(big)); mmm.StatusOf(err) != mmm.StatusTooLarge {
		t.Errorf("oversized body: %v", err)
	}
}

func TestDecodeResponse(t *testing.T) {
	var r mmm.GetResponse
	err := mmm.DecodeResponse(strings.NewReader(`{"GetResponse":{"Status":404,"StatusDescription":"no such account"}}`), &r)
	if mmm.StatusOf(err) != 404 || !strings.Contains(err.Error(), "no such account") {
		t.Errorf("404: %v", err)
	}
	err = mmm.DecodeResponse(strings.NewReader(`{"PublishResponse":{"Status":201,"StatusDescription":"ok"}}`), &r)
	if err == nil {
		t.Error("a PublishResponse read as a GetResponse")
	}
	err = mmm.DecodeResponse(strings.NewReader(`{"ErrorResponse":{"Status":429,"StatusDescription":"slow down"}}`), &r)
	if mmm.StatusOf(err) != 429 {
		t.Errorf("error response: %v", err)
	}
	if mmm.NewResponse("GetRequest").MessageType() != "GetResponse" || mmm.NewResponse("Nope") != nil {
		t.Error("NewResponse")
	}
}

func TestAuthentication(t *testing.T) {
	w := newWorld(t)
	admin := w.person.Devices[0]
	lookup := func(id string) (*profile.DeviceProfile, error) {
		if id == admin.Profile.Identifier {
			return admin.Profile, nil
		}
		return nil, nil
	}
	now := time.Now()
	fresh := func() *mmm.ConnectPendingRequest {
		r := &mmm.ConnectPendingRequest{AccountID: "alice"}
		must(t, mmm.Authenticate(r, admin.Profile.Identifier, admin.Auth, now))
		return r
	}
	if claims, err := mmm.VerifyAuthentication(fresh(), now, lookup); err != nil || claims.Device != admin.Profile.Identifier {
		t.Fatalf("valid authentication: %v", err)
	}
	a, b := fresh(), fresh()
	ca, _ := mmm.VerifyAuthentication(a, now, lookup)
	cb, _ := mmm.VerifyAuthentication(b, now, lookup)
	if ca.Nonce == cb.Nonce {
		t.Error("two requests share a nonce")
	}

	cases := map[string]func() mmm.AuthenticatedRequest{
		"signed by the signature key, not the authentication key": func() mmm.AuthenticatedRequest {
			r := &mmm.ConnectPendingRequest{AccountID: "alice"}
			must(t, mmm.Authenticate(r, admin.Profile.Identifier, admin.Sign, now))
			return r
		},
		"signed by another device": func() mmm.AuthenticatedRequest {
			r := &mmm.ConnectPendingRequest{AccountID: "alice"}
			must(t, mmm.Authenticate(r, w.newcomer.Profile.Identifier, w.newcomer.Auth, now))
			return r
		},
		"claims the admin but signed by another device": func() mmm.AuthenticatedRequest {
			r := &mmm.ConnectPendingRequest{AccountID: "alice"}
			must(t, mmm.Authenticate(r, admin.Profile.Identifier, w.newcomer.Auth, now))
			return r
		},
		"another account": func() mmm.AuthenticatedRequest {
			r := fresh()
			r.AccountID = "bob"
			return r
		},
		"stale": func() mmm.AuthenticatedRequest {
			r := &mmm.ConnectPendingRequest{AccountID: "alice"}
			must(t, mmm.Authenticate(r, admin.Profile.Identifier, admin.Auth, now.Add(-mmm.MaxClockSkew-time.Second)))
			return r
		},
		"from the future": func() mmm.AuthenticatedRequest {
			r := &mmm.ConnectPendingRequest{AccountID: "alice"}
			must(t, mmm.Authenticate(r, admin.Profile.Identifier, admin.Auth, now.Add(mmm.MaxClockSkew+time.Second)))
			return r
		},
		"moved to another message type": func() mmm.AuthenticatedRequest {
			r := &mmm.ConnectStatusRequest{AccountID: "alice", DeviceID: admin.Profile.Identifier}
			r.Authentication = fresh().Authentication
			return r
		},
		"body changed after signing": func() mmm.AuthenticatedRequest {
			r := &mmm.ConnectCompleteRequest{AccountID: "alice", Result: w.messages["ConnectStatusResponse"].(*mmm.ConnectStatusResponse).Result}
			must(t, mmm.Authenticate(r, admin.Profile.Identifier, admin.Auth, now))
			other := *r.Result
			other.Identifier = admin.Profile.Identifier
			r.Result = &other
			return r
		},
		"no authentication": func() mmm.AuthenticatedRequest {
			return &mmm.ConnectPendingRequest{AccountID: "alice"}
		},
	}
	for name, make := range cases {
		_, err := mmm.VerifyAuthentication(make(), now, lookup)
		if mmm.StatusOf(err) != mmm.StatusUnauthorized {
			t.Errorf("%s: %v, want 401", name, err)
		}
	}
	sentinel := errors.New("store down")
	if _, err := mmm.VerifyAuthentication(fresh(), now, func(string) (*profile.DeviceProfile, error) { return nil, sentinel }); !errors.Is(err, sentinel) {
		t.Errorf("lookup error: %v", err)
	}
}

func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(`{"HelloRequest":{}}`))
	f.Add([]byte(`{"GetRequest":{"Account":"alice","Multiple":true}}`))
	f.Add([]byte(`{"PublishRequest":{"Entry":{"OfflineEscrowEntry":{"Identifier":"MDJVA-GWBES-2YXPA-7FHWU-GNTHE-D2ELD","EncryptedData":{}}}}}`))
	f.Add([]byte(`{"ConnectStatusRequest":{"AccountID":"a","DeviceID":"MDJVA-GWBES-2YXPA-7FHWU-GNTHE-D2ELD","Authentication":{"protected":"e30","payload":"","signature":""}}}`))
	f.Add([]byte(`{"AuditRequest":{"Start":1,"End":2}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := mmm.DecodeRequest(bytes.NewReader(body))
		if err != nil {
			if code := mmm.StatusOf(err); code != 400 && code != 401 && code != 413 {
				t.Fatalf("status %d for a bad request: %v", code, err)
			}
			return
		}
		// What decodes must encode and decode again the same way.
		b, err := mmm.Encode(req)
		if err != nil {
			t.Fatal(err)
		}
		again, err := mmm.DecodeRequest(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("re-decoding %s: %v", b, err)
		}
		if b2, _ := mmm.Encode(again); !bytes.Equal(b, b2) {
			t.Fatalf("unstable encoding\n%s\n%s", b, b2)
		}
	})
}
