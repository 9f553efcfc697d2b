//go:build js && wasm

package main

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/meshpass/meshpass/shared/client"
	"github.com/meshpass/meshpass/shared/match"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/wasm/bridge"
)

// app is the one device behind globalThis.meshpass: its Client, and the
// session storage the unlocked keys are kept in between restarts of the
// extension's service worker.
type app struct {
	c       *client.Client
	session client.Storage

	mu       sync.Mutex
	unlocked bool
}

// newApp opens the device in opts.Storage and resumes an unlocked session
// from session if there is one.
func newApp(opts client.Options, session client.Storage) (*app, error) {
	c, err := client.Open(opts)
	if err != nil {
		return nil, err
	}
	a := &app{c: c, session: session}
	if c.DeviceID() != "" && c.ResumeSession(session) == nil {
		a.unlocked = true
	}
	return a, nil
}

func (a *app) setUnlocked(u bool) {
	a.mu.Lock()
	a.unlocked = u
	a.mu.Unlock()
}

// unlockedNow saves the session after the keys were unlocked.
func (a *app) unlockedNow() error {
	a.setUnlocked(true)
	return a.c.SaveSession(a.session)
}

// funcs are the functions of globalThis.meshpass.
func (a *app) funcs() map[string]bridge.Func {
	return map[string]bridge.Func{
		"status":       a.status,
		"validate":     a.validate,
		"create":       a.create,
		"unlock":       a.unlock,
		"lock":         a.lock,
		"sync":         a.sync,
		"list":         a.list,
		"add":          a.add,
		"edit":         a.edit,
		"remove":       a.remove,
		"match":        a.match,
		"fill":         a.fill,
		"startConnect": a.startConnect,
		"pollConnect":  a.pollConnect,
		"pending":      a.pending,
		"approve":      a.approve,
		"reject":       a.reject,
		"devices":      a.devices,
		"removeDevice": a.removeDevice,
		"fingerprint":  a.fingerprint,
		"forget":       a.forget,
		"escrow":       a.escrow,
		"recover":      a.recoverProfile,
	}
}

type empty struct{}

// Status is what status returns.
type Status struct {
	// Device reports a device set up here (created or connecting).
	Device bool `json:"device"`
	// Unlocked reports the keys open.
	Unlocked bool `json:"unlocked"`
	// Administrator reports an unlocked administration device.
	Administrator bool   `json:"administrator"`
	Account       string `json:"account,omitempty"`
	Portal        string `json:"portal,omitempty"`
	Fingerprint   string `json:"fingerprint,omitempty"`
	DeviceID      string `json:"deviceId,omitempty"`
	// Connecting is this device's pending connection request, if any.
	Connecting *Pending `json:"connecting,omitempty"`
}

func (a *app) status(ctx context.Context, in []byte) (any, error) {
	if _, err := bridge.Decode[empty](in); err != nil {
		return nil, err
	}
	a.mu.Lock()
	unlocked := a.unlocked
	a.mu.Unlock()
	acct, portal := a.c.Account()
	s := Status{
		Device: a.c.DeviceID() != "", Unlocked: unlocked, Administrator: a.c.IsAdministrator(),
		Account: acct, Portal: portal, Fingerprint: a.c.Fingerprint(), DeviceID: a.c.DeviceID(),
	}
	if p := a.c.PendingConnect(); p != nil {
		s.Connecting = pendingOf(p)
	}
	return s, nil
}

// Setup is the argument of create and startConnect.
type Setup struct {
	Portal     string `json:"portal"`
	Account    string `json:"account"`
	Passphrase string `json:"passphrase"`
	DeviceName string `json:"deviceName"`
}

func decodeSetup(in []byte) (Setup, error) {
	s, err := bridge.Decode[Setup](in)
	if err != nil {
		return s, err
	}
	if s.Portal == "" || s.Account == "" {
		return s, bridge.BadRequest("portal and account are required")
	}
	if s.Passphrase == "" {
		return s, bridge.BadRequest("the passphrase is empty")
	}
	return s, nil
}

// Identity is what create and fingerprint return.
type Identity struct {
	Fingerprint string `json:"fingerprint"`
	DeviceID    string `json:"deviceId"`
}

func (a *app) identity() Identity {
	return Identity{Fingerprint: a.c.Fingerprint(), DeviceID: a.c.DeviceID()}
}

func (a *app) create(ctx context.Context, in []byte) (any, error) {
	s, err := decodeSetup(in)
	if err != nil {
		return nil, err
	}
	if err := a.c.Create(ctx, s.Portal, s.Account, s.Passphrase, s.DeviceName); err != nil {
		return nil, err
	}
	if err := a.unlockedNow(); err != nil {
		return nil, err
	}
	return a.identity(), nil
}

func (a *app) unlock(ctx context.Context, in []byte) (any, error) {
	arg, err := bridge.Decode[struct {
		Passphrase string `json:"passphrase"`
	}](in)
	if err != nil {
		return nil, err
	}
	if err := a.c.Unlock(arg.Passphrase); err != nil {
		return nil, err
	}
	if err := a.unlockedNow(); err != nil {
		return nil, err
	}
	return empty{}, nil
}

func (a *app) lock(ctx context.Context, in []byte) (any, error) {
	if _, err := bridge.Decode[empty](in); err != nil {
		return nil, err
	}
	a.setUnlocked(false)
	return empty{}, a.c.EndSession(a.session)
}

func (a *app) forget(ctx context.Context, in []byte) (any, error) {
	if _, err := bridge.Decode[empty](in); err != nil {
		return nil, err
	}
	a.setUnlocked(false)
	if err := a.c.EndSession(a.session); err != nil {
		return nil, err
	}
	return empty{}, a.c.Forget()
}

// sync fetches and verifies the profile and passwords. A password profile
// with the wrong recipients — another device's approve or remove half
// done, for a moment or for good — is repaired (as the CLI's sync does)
// instead of shown as a failure.
func (a *app) sync(ctx context.Context, in []byte) (any, error) {
	if _, err := bridge.Decode[empty](in); err != nil {
		return nil, err
	}
	err := a.c.Sync(ctx)
	if errors.Is(err, profile.ErrRecipients) {
		err = a.c.Repair(ctx)
	}
	return empty{}, err
}

// Entry is a password entry as JavaScript sees it.
type Entry struct {
	ID       string    `json:"id"`
	Sites    []string  `json:"sites"`
	Username string    `json:"username"`
	Password string    `json:"password,omitempty"`
	Notes    string    `json:"notes,omitempty"`
	Updated  time.Time `json:"updated"`
}

func entryOf(e profile.PasswordEntry, withPassword bool) Entry {
	out := Entry{ID: e.Id, Sites: e.Sites, Username: e.Username, Notes: e.Notes, Updated: e.Updated}
	if out.Sites == nil {
		out.Sites = []string{}
	}
	if withPassword {
		out.Password = e.Password
	}
	return out
}

func (a *app) list(ctx context.Context, in []byte) (any, error) {
	arg, err := bridge.Decode[struct {
		// Passwords asks for the passwords too.
		Passwords bool `json:"passwords"`
	}](in)
	if err != nil {
		return nil, err
	}
	entries, err := a.c.List()
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(entries))
	for _, e := range entries {
		out = append(out, entryOf(e, arg.Passwords))
	}
	return out, nil
}

// EntryInput is the argument of add, and of edit (where a field left out
// is not changed, and id is required).
type EntryInput struct {
	ID       string    `json:"id"`
	Sites    *[]string `json:"sites"`
	Username *string   `json:"username"`
	Password *string   `json:"password"`
	Notes    *string   `json:"notes"`
}

func (e *EntryInput) apply(p *profile.PasswordEntry) {
	if e.Sites != nil {
		p.Sites = append([]string{}, *e.Sites...)
	}
	if e.Username != nil {
		p.Username = *e.Username
	}
	if e.Password != nil {
		p.Password = *e.Password
	}
	if e.Notes != nil {
		p.Notes = *e.Notes
	}
}

func (a *app) add(ctx context.Context, in []byte) (any, error) {
	arg, err := bridge.Decode[EntryInput](in)
	if err != nil {
		return nil, err
	}
	if arg.Sites == nil || len(*arg.Sites) == 0 {
		return nil, bridge.BadRequest("an entry needs at least one site")
	}
	e := profile.PasswordEntry{Id: arg.ID, Sites: []string{}}
	arg.apply(&e)
	e, err = a.c.Add(ctx, e)
	if err != nil {
		return nil, err
	}
	return entryOf(e, false), nil
}

func (a *app) edit(ctx context.Context, in []byte) (any, error) {
	arg, err := bridge.Decode[EntryInput](in)
	if err != nil {
		return nil, err
	}
	if arg.ID == "" {
		return nil, bridge.BadRequest("id is required")
	}
	if arg.Sites != nil && len(*arg.Sites) == 0 {
		return nil, bridge.BadRequest("an entry needs at least one site")
	}
	if err := a.c.Edit(ctx, arg.ID, arg.apply); err != nil {
		return nil, err
	}
	return empty{}, nil
}

type idArg struct {
	ID string `json:"id"`
}

func decodeID(in []byte) (string, error) {
	arg, err := bridge.Decode[idArg](in)
	if err != nil {
		return "", err
	}
	if arg.ID == "" {
		return "", bridge.BadRequest("id is required")
	}
	return arg.ID, nil
}

func (a *app) remove(ctx context.Context, in []byte) (any, error) {
	id, err := decodeID(in)
	if err != nil {
		return nil, err
	}
	return empty{}, a.c.Delete(ctx, id)
}

// PageArg is the argument of match and fill.
type PageArg struct {
	ID  string `json:"id"`
	URL string `json:"url"`
	// AllowHTTP lets http pages match (match.Options.AllowHTTP).
	AllowHTTP bool `json:"allowHTTP"`
}

// MatchInfo is how an entry matched a page.
type MatchInfo struct {
	// Kind is "exact", "wildcard" or "registrable-domain".
	Kind     string `json:"kind"`
	Site     string `json:"site"`
	Scheme   string `json:"scheme"`
	Insecure bool   `json:"insecure,omitempty"`
	Port     bool   `json:"port,omitempty"`
}

func matchOf(m match.Match) MatchInfo {
	return MatchInfo{Kind: m.Kind.String(), Site: m.Site, Scheme: m.Scheme, Insecure: m.Insecure, Port: m.Port}
}

// Candidate is an entry that may fill a page, without its secrets.
type Candidate struct {
	ID       string    `json:"id"`
	Sites    []string  `json:"sites"`
	Username string    `json:"username"`
	Match    MatchInfo `json:"match"`
}

func (a *app) match(ctx context.Context, in []byte) (any, error) {
	arg, err := bridge.Decode[PageArg](in)
	if err != nil {
		return nil, err
	}
	if arg.URL == "" {
		return nil, bridge.BadRequest("url is required")
	}
	entries, err := a.c.List()
	if err != nil {
		return nil, err
	}
	out := []Candidate{}
	for _, r := range match.Rank(entries, arg.URL, match.Options{AllowHTTP: arg.AllowHTTP}) {
		e := entries[r.Index]
		out = append(out, Candidate{ID: e.Id, Sites: entryOf(e, false).Sites, Username: e.Username, Match: matchOf(r.Match)})
	}
	return out, nil
}

// Credential is what fill returns.
type Credential struct {
	Username string    `json:"username"`
	Password string    `json:"password"`
	Match    MatchInfo `json:"match"`
}

func (a *app) fill(ctx context.Context, in []byte) (any, error) {
	arg, err := bridge.Decode[PageArg](in)
	if err != nil {
		return nil, err
	}
	if arg.ID == "" || arg.URL == "" {
		return nil, bridge.BadRequest("id and url are required")
	}
	e, err := a.c.Entry(arg.ID)
	if err != nil {
		return nil, err
	}
	return fillFor(e, arg)
}

// fillFor returns e's credential if match allows e to fill the page.
func fillFor(e profile.PasswordEntry, arg PageArg) (*Credential, error) {
	r := match.Rank([]profile.PasswordEntry{e}, arg.URL, match.Options{AllowHTTP: arg.AllowHTTP})
	if len(r) == 0 {
		return nil, bridge.ErrNotAllowed
	}
	return &Credential{Username: e.Username, Password: e.Password, Match: matchOf(r[0].Match)}, nil
}

// Pending is this device's connection request.
type Pending struct {
	Profile  string     `json:"profile"`
	DeviceID string     `json:"deviceId"`
	Witness  string     `json:"witness"`
	Expires  *time.Time `json:"expires,omitempty"`
}

func pendingOf(p *client.Pending) *Pending {
	out := &Pending{Profile: p.Profile, DeviceID: p.Device, Witness: p.Witness}
	if !p.Expires.IsZero() {
		t := p.Expires
		out.Expires = &t
	}
	return out
}

func (a *app) startConnect(ctx context.Context, in []byte) (any, error) {
	s, err := decodeSetup(in)
	if err != nil {
		return nil, err
	}
	p, err := a.c.StartConnect(ctx, s.Portal, s.Account, s.Passphrase, s.DeviceName)
	if err != nil {
		return nil, err
	}
	if err := a.unlockedNow(); err != nil {
		return nil, err
	}
	return pendingOf(p), nil
}

func (a *app) pollConnect(ctx context.Context, in []byte) (any, error) {
	if _, err := bridge.Decode[empty](in); err != nil {
		return nil, err
	}
	done, err := a.c.PollConnect(ctx)
	if err != nil {
		return nil, err
	}
	return struct {
		Done bool `json:"done"`
	}{done}, nil
}

// Request is a pending connection request as the administration device
// sees it.
type Request struct {
	DeviceID    string    `json:"deviceId"`
	Description string    `json:"description,omitempty"`
	Names       []string  `json:"names,omitempty"`
	Witness     string    `json:"witness,omitempty"`
	Time        time.Time `json:"time"`
	// Error says why the request does not verify (it cannot be approved),
	// and Code is its code.
	Error string `json:"error,omitempty"`
	Code  string `json:"code,omitempty"`
}

func (a *app) pending(ctx context.Context, in []byte) (any, error) {
	if _, err := bridge.Decode[empty](in); err != nil {
		return nil, err
	}
	list, err := a.c.PendingRequests(ctx)
	if err != nil {
		return nil, err
	}
	out := []Request{}
	for _, q := range list {
		r := Request{DeviceID: q.Device, Description: q.Description, Names: q.Names, Witness: q.Witness, Time: q.Time}
		if q.Err != nil {
			r.Error, r.Code = q.Err.Error(), bridge.Code(q.Err)
		}
		out = append(out, r)
	}
	return out, nil
}

type deviceArg struct {
	DeviceID string `json:"deviceId"`
}

func decodeDevice(in []byte) (string, error) {
	arg, err := bridge.Decode[deviceArg](in)
	if err != nil {
		return "", err
	}
	if arg.DeviceID == "" {
		return "", bridge.BadRequest("deviceId is required")
	}
	return arg.DeviceID, nil
}

func (a *app) approve(ctx context.Context, in []byte) (any, error) {
	d, err := decodeDevice(in)
	if err != nil {
		return nil, err
	}
	return empty{}, a.c.Approve(ctx, d)
}

func (a *app) reject(ctx context.Context, in []byte) (any, error) {
	d, err := decodeDevice(in)
	if err != nil {
		return nil, err
	}
	return empty{}, a.c.Reject(ctx, d)
}

func (a *app) removeDevice(ctx context.Context, in []byte) (any, error) {
	d, err := decodeDevice(in)
	if err != nil {
		return nil, err
	}
	return empty{}, a.c.RemoveDevice(ctx, d)
}

// Device is a device of the profile.
type Device struct {
	DeviceID      string   `json:"deviceId"`
	Description   string   `json:"description,omitempty"`
	Names         []string `json:"names,omitempty"`
	EncryptionKey string   `json:"encryptionKey"`
	Administrator bool     `json:"administrator"`
	Passwords     bool     `json:"passwords"`
	This          bool     `json:"this"`
}

func (a *app) devices(ctx context.Context, in []byte) (any, error) {
	if _, err := bridge.Decode[empty](in); err != nil {
		return nil, err
	}
	list, err := a.c.Devices()
	if err != nil {
		return nil, err
	}
	out := []Device{}
	for _, d := range list {
		out = append(out, Device{DeviceID: d.ID, Description: d.Description, Names: d.Names, EncryptionKey: d.EncryptionKey,
			Administrator: d.Administrator, Passwords: d.Passwords, This: d.This})
	}
	return out, nil
}

func (a *app) fingerprint(ctx context.Context, in []byte) (any, error) {
	if _, err := bridge.Decode[empty](in); err != nil {
		return nil, err
	}
	id := a.identity()
	if id.DeviceID == "" {
		return nil, client.ErrNoDevice
	}
	return id, nil
}

var errNoApp = errors.New("meshpass: the device state could not be opened")
