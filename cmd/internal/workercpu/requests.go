//go:build unix && !js

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/meshpass/meshpass/portal-worker/conformance"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/profile/profiletest"
	"github.com/meshpass/meshpass/shared/vault"
)

// target is a portal that answers one request body.
type target interface {
	post(body []byte) (status int, answer []byte, err error)
}

// native serves requests by calling the native portal's handler in this
// process: no network, so this process's CPU is the portal's.
type native struct{ h http.Handler }

func (n native) post(body []byte) (int, []byte, error) {
	r := httptest.NewRequest(http.MethodPost, mmm.Path, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	n.h.ServeHTTP(w, r)
	return w.Code, w.Body.Bytes(), nil
}

// remote is a portal over HTTP (the worker in local workerd).
type remote struct {
	url    string
	client *http.Client
}

func (r remote) post(body []byte) (int, []byte, error) {
	resp, err := r.client.Post(r.url+mmm.Path, "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	return resp.StatusCode, answer, err
}

// send posts body and fails unless the portal accepts it.
func send(t target, body []byte) error {
	status, answer, err := t.post(body)
	if err == nil && status != mmm.StatusOK {
		err = fmt.Errorf("HTTP %d: %.300s", status, answer)
	}
	return err
}

func sendMessage(t target, m mmm.Message) error {
	body, err := mmm.Encode(m)
	if err != nil {
		return err
	}
	return send(t, body)
}

// kind is one kind of request measured.
type kind struct {
	name string
	// what says what the requests are, for the report.
	what string
	// prepare makes on t what the requests need (accounts, profiles,
	// pending requests) and returns n request bodies, to send in order.
	prepare func(t target, n int) ([][]byte, error)
}

var kinds = []kind{
	{"Hello", "HelloRequest", func(_ target, n int) ([][]byte, error) {
		return repeat(n, []byte(`{"HelloRequest":{}}`)), nil
	}},
	{"Get", "GetRequest{Account, Multiple} of an account with 2 devices (its personal profile)", func(t target, n int) ([][]byte, error) {
		name, _, err := newAccount(t, 2)
		if err != nil {
			return nil, err
		}
		body, err := mmm.Encode(&mmm.GetRequest{Account: name, Multiple: true})
		return repeat(n, body), err
	}},
	publishPersonal(1), publishPersonal(3), publishPersonal(5),
	{"Publish password", "PublishRequest of the next version of a PasswordProfile (format 1, 2 devices)", func(t target, n int) ([][]byte, error) {
		_, p, err := newAccount(t, 2)
		if err != nil {
			return nil, err
		}
		if err := sendMessage(t, &mmm.PublishRequest{Entry: mmm.Entry{SignedApplicationProfile: p.SignedPasswords}}); err != nil {
			return nil, err
		}
		return each(n, func(int) (mmm.Message, error) {
			previous := p.PasswordProfile.Version
			p.PasswordProfile.Versioned = p.PasswordProfile.Next()
			if err := p.Seal(); err != nil {
				return nil, err
			}
			return &mmm.PublishRequest{Entry: mmm.Entry{SignedApplicationProfile: p.SignedPasswords}, Previous: previous}, nil
		})
	}},
	{"ConnectStart", "ConnectStartRequest of a new device (at most 16 per account: none is pushed out)", func(t target, n int) ([][]byte, error) {
		var name string
		return each(n, func(i int) (mmm.Message, error) {
			if i%16 == 0 {
				var err error
				if name, _, err = newAccount(t, 1); err != nil {
					return nil, err
				}
			}
			_, sr, err := connectRequest(name)
			return &mmm.ConnectStartRequest{SignedRequest: sr, AccountID: name}, err
		})
	}},
	{"ConnectPending", "ConnectPendingRequest of the administration device, one request pending", func(t target, n int) ([][]byte, error) {
		name, p, _, err := pendingAccount(t, 1)
		if err != nil {
			return nil, err
		}
		return each(n, func(int) (mmm.Message, error) {
			req := &mmm.ConnectPendingRequest{AccountID: name}
			return req, mmm.Authenticate(req, p.Devices[0].Profile.Identifier, p.Devices[0].Auth, time.Now())
		})
	}},
	{"ConnectComplete", "ConnectCompleteRequest accepting one of 16 pending requests", func(t target, n int) ([][]byte, error) {
		var name string
		var p *profiletest.Person
		var pending []*profiletest.Device
		return each(n, func(i int) (mmm.Message, error) {
			if i%16 == 0 {
				var err error
				if name, p, pending, err = pendingAccount(t, 16); err != nil {
					return nil, err
				}
			}
			d := pending[i%16]
			sres, err := (&profile.ConnectionResult{Device: d.Signed, Result: profile.ResultAccepted}).Sign(p.Online)
			if err != nil {
				return nil, err
			}
			req := &mmm.ConnectCompleteRequest{Result: sres, AccountID: name}
			return req, mmm.Authenticate(req, p.Devices[0].Profile.Identifier, p.Devices[0].Auth, time.Now())
		})
	}},
	{"ConnectStatus", "ConnectStatusRequest of the device that asked, not answered yet", func(t target, n int) ([][]byte, error) {
		name, _, pending, err := pendingAccount(t, 1)
		if err != nil {
			return nil, err
		}
		d := pending[0]
		return each(n, func(int) (mmm.Message, error) {
			req := &mmm.ConnectStatusRequest{AccountID: name, DeviceID: d.Profile.Identifier}
			return req, mmm.Authenticate(req, d.Profile.Identifier, d.Auth, time.Now())
		})
	}},
	{"AppendRecords", "AppendRecordsRequest of one record to a format-2 vault", func(t target, n int) ([][]byte, error) {
		p, err := newVault(t)
		if err != nil {
			return nil, err
		}
		return each(n, func(int) (mmm.Message, error) {
			item, err := record(p)
			return &mmm.AppendRecordsRequest{Catalog: p.PasswordProfile.Identifier, Records: []json.RawMessage{item}}, err
		})
	}},
	{"GetRecords", "GetRecordsRequest of the newest of 20 records (After 19): one record, the head and its proof", func(t target, n int) ([][]byte, error) {
		p, err := newVault(t)
		if err != nil {
			return nil, err
		}
		for range 20 {
			item, err := record(p)
			if err != nil {
				return nil, err
			}
			if err := sendMessage(t, &mmm.AppendRecordsRequest{Catalog: p.PasswordProfile.Identifier, Records: []json.RawMessage{item}}); err != nil {
				return nil, err
			}
		}
		body, err := mmm.Encode(&mmm.GetRecordsRequest{Catalog: p.PasswordProfile.Identifier, After: 19})
		return repeat(n, body), err
	}},
}

// publishPersonal publishes new versions of the personal profile of a
// person with the given number of devices.
func publishPersonal(devices int) kind {
	return kind{fmt.Sprintf("Publish personal %d", devices),
		fmt.Sprintf("PublishRequest of the next version of a SignedPersonalProfile with %d devices", devices),
		func(t target, n int) ([][]byte, error) {
			_, p, err := newAccount(t, devices)
			if err != nil {
				return nil, err
			}
			return each(n, func(int) (mmm.Message, error) {
				previous := p.PersonalProfile.Version
				p.PersonalProfile.Versioned = p.PersonalProfile.Next()
				sp, err := p.PersonalProfile.Sign(p.Online)
				return &mmm.PublishRequest{Entry: mmm.Entry{SignedPersonalProfile: sp}, Previous: previous}, err
			})
		}}
}

func repeat(n int, body []byte) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = body
	}
	return out
}

// each encodes the n messages next makes.
func each(n int, next func(i int) (mmm.Message, error)) ([][]byte, error) {
	out := make([][]byte, n)
	for i := range out {
		m, err := next(i)
		if err != nil {
			return nil, err
		}
		if out[i], err = mmm.Encode(m); err != nil {
			return nil, err
		}
	}
	return out, nil
}

var accounts atomic.Int64

// newAccount creates an account of a new person with the given number of
// devices (the first one administers it).
func newAccount(t target, devices int) (string, *profiletest.Person, error) {
	p, err := profiletest.NewPerson(devices)
	if err != nil {
		return "", nil, err
	}
	name := fmt.Sprintf("cpu%d-%d", time.Now().UnixNano(), accounts.Add(1))
	return name, p, sendMessage(t, &mmm.CreateRequest{Account: name, Profile: mmm.Entry{SignedPersonalProfile: p.SignedPersonal}})
}

// connectRequest makes a new device and its connection request to the
// account name.
func connectRequest(name string) (*profiletest.Device, *profile.SignedConnectionRequest, error) {
	d, err := profiletest.NewDevice("new device")
	if err != nil {
		return nil, nil, err
	}
	nonce := fmt.Sprintf("n%d", time.Now().UnixNano())
	sr, err := (&profile.ConnectionRequest{ParentUDF: name, Device: d.Signed, Nonce: nonce, Time: time.Now().UTC()}).Sign(d.Sign)
	return d, sr, err
}

// pendingAccount creates an account (one device) with pending
// connection requests of new devices.
func pendingAccount(t target, pending int) (string, *profiletest.Person, []*profiletest.Device, error) {
	name, p, err := newAccount(t, 1)
	if err != nil {
		return "", nil, nil, err
	}
	var devices []*profiletest.Device
	for range pending {
		d, sr, err := connectRequest(name)
		if err == nil {
			err = sendMessage(t, &mmm.ConnectStartRequest{SignedRequest: sr, AccountID: name})
		}
		if err != nil {
			return "", nil, nil, err
		}
		devices = append(devices, d)
	}
	return name, p, devices, nil
}

// vaultKey is the content key of the vaults' one key epoch.
var vaultKey = make([]byte, vault.KeySize)

// newVault creates an account (2 devices) whose PasswordProfile is
// published as format 2 (conformance.Format2: one key epoch, every device
// a writer).
func newVault(t target) (*profiletest.Person, error) {
	_, p, err := newAccount(t, 2)
	if err != nil {
		return nil, err
	}
	if err := conformance.Format2(p, nil, false); err != nil {
		return nil, err
	}
	return p, sendMessage(t, &mmm.PublishRequest{Entry: mmm.Entry{SignedApplicationProfile: p.SignedPasswords}})
}

var records atomic.Int64

// record seals one record of a new entry, written by p's first device.
func record(p *profiletest.Person) ([]byte, error) {
	d := p.Devices[0]
	s, _, err := vault.Seal(vault.Header{Vault: p.PasswordProfile.Identifier, Entry: fmt.Sprintf("entry-%d", records.Add(1)), Writer: d.Profile.Identifier, Epoch: 1, Time: time.Now()},
		vault.Entry{Name: "example", Sites: []string{"example.com"}, Username: "alice", Password: "correct horse battery staple", Created: time.Now()}, vaultKey, d.Sign)
	if err != nil {
		return nil, err
	}
	return vault.Item(s)
}
