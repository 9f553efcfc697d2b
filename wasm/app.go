package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/meshpass/meshpass/shared/client"
	"github.com/meshpass/meshpass/shared/policy"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/wasm/api"
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
	imp      *pendingImport // the last import preview (transfer.go)
	upl      *pendingUpload // a file arriving in pieces (transfer.go)
	// fork is the fork the last sync found, until one succeeds.
	fork *client.ForkError
	// indexing is set while the site index is written (refreshIndex),
	// indexAgain when the vault changed meanwhile.
	indexing, indexAgain bool
}

// newApp opens the device in opts.Storage and resumes an unlocked session
// from session if there is one.
func newApp(opts client.Options, session client.Storage) (*app, error) {
	c, err := client.Open(opts)
	if err != nil {
		return nil, err
	}
	mark("meshpass:opened")
	a := &app{c: c, session: session}
	if c.DeviceID() != "" && c.ResumeSession(session) == nil {
		a.unlocked = true
		go a.warm()
	}
	return a, nil
}

// warm reads and indexes the vault in the background once the keys are
// unlocked, so that the popup's first list and the first fill do not wait
// for it. Its errors are those the first real call meets and reports.
func (a *app) warm() {
	// The calls that woke the worker (a fill, the popup's first status and
	// this site's logins) read storage too: their reads go before the
	// vault's, which may be megabytes in one value.
	time.Sleep(warmDelay)
	_ = a.c.Warm()
	mark("meshpass:warmed")
	a.refreshIndex()
}

// refreshIndex writes the vault's site index (client.SaveSiteIndex) in
// the background, once more if it is asked again meanwhile: a fill or
// this site's logins after the next restart or unlock answer from it.
func (a *app) refreshIndex() {
	a.mu.Lock()
	if a.indexing {
		a.indexAgain = true
		a.mu.Unlock()
		return
	}
	a.indexing = true
	a.mu.Unlock()
	go func() {
		for {
			if a.c.SaveSiteIndex() == nil { // a failure leaves an index that is not trusted
				mark("meshpass:indexed")
			}
			a.mu.Lock()
			if !a.indexAgain {
				a.indexing = false
				a.mu.Unlock()
				return
			}
			a.indexAgain = false
			a.mu.Unlock()
		}
	}()
}

// changesVault are the functions after which the vault this device holds
// may have changed: the site index is written again after them.
var changesVault = []string{"sync", "add", "addMany", "importCommit", "edit", "remove", "removeDevice", "approve", "repair",
	"reanchor", "recover", "movePortal", "pollConnect"}

// warmDelay is how long the background read of the vault waits after a
// resume or an unlock.
const warmDelay = 50 * time.Millisecond

// mark sets a performance mark of the page or worker the core runs in
// (main.go); make bench reads them to time the core's start in parts.
// Outside js/wasm it does nothing.
var mark = func(name string) {}

func (a *app) setUnlocked(u bool) {
	a.mu.Lock()
	a.unlocked = u
	if !u {
		a.imp = nil // a locked device forgets the file it read
		a.upl = nil
	}
	a.mu.Unlock()
}

// unlockedNow saves the session after the keys were unlocked.
func (a *app) unlockedNow() error {
	a.setUnlocked(true)
	if err := a.c.SaveSession(a.session); err != nil {
		return err
	}
	go a.warm()
	return nil
}

// handlers are the functions of globalThis.meshpass, one for each
// api.Function, of the contract's types (bind checks).
func (a *app) handlers() map[string]bridge.Handler {
	h := a.functions()
	for _, name := range changesVault {
		hd, ok := h[name]
		if !ok {
			continue // bind reports it
		}
		f := hd.Func
		hd.Func = func(ctx context.Context, in []byte) (any, error) {
			r, err := f(ctx, in)
			a.refreshIndex() // a write kept pending changed the vault too
			return r, err
		}
		h[name] = hd
	}
	return h
}

// functions are the handlers, one for each api.Function.
func (a *app) functions() map[string]bridge.Handler {
	return map[string]bridge.Handler{
		"status":            bridge.Typed(a.status),
		"validate":          bridge.Typed(a.validate),
		"create":            bridge.Typed(a.create),
		"unlock":            bridge.Typed(a.unlock),
		"lock":              bridge.Typed(a.lock),
		"sync":              bridge.Typed(a.sync),
		"list":              bridge.Typed(a.list),
		"secret":            bridge.Typed(a.secret),
		"totp":              bridge.Typed(a.totp),
		"totpCheck":         bridge.Typed(a.totpCheck),
		"add":               bridge.Typed(a.add),
		"addMany":           bridge.Typed(a.addMany),
		"importUpload":      bridge.Typed(a.importUpload),
		"importPreview":     bridge.Typed(a.importPreview),
		"importCommit":      bridge.Typed(a.importCommit),
		"exportVault":       bridge.Typed(a.exportVault),
		"edit":              bridge.Typed(a.edit),
		"remove":            bridge.Typed(a.remove),
		"page":              bridge.Typed(page),
		"match":             bridge.Typed(a.match),
		"fill":              bridge.Typed(a.fill),
		"autofill":          bridge.Typed(a.autofill),
		"typedLogin":        bridge.Typed(a.typedLogin),
		"startConnect":      bridge.Typed(a.startConnect),
		"confirmProfile":    bridge.Typed(a.confirmProfile),
		"pollConnect":       bridge.Typed(a.pollConnect),
		"pending":           bridge.Typed(a.pending),
		"approve":           bridge.Typed(a.approve),
		"reject":            bridge.Typed(a.reject),
		"issueConnectCode":  bridge.Typed(a.issueConnectCode),
		"movePortal":        bridge.Typed(a.movePortal),
		"devices":           bridge.Typed(a.devices),
		"removeDevice":      bridge.Typed(a.removeDevice),
		"unapprovedDevices": bridge.Typed(a.unapprovedDevices),
		"repair":            bridge.Typed(a.repair),
		"planReanchor":      bridge.Typed(a.planReanchor),
		"reanchor":          bridge.Typed(a.reanchor),
		"fingerprint":       bridge.Typed(a.fingerprint),
		"forget":            bridge.Typed(a.forget),
		"escrow":            bridge.Typed(a.escrow),
		"recover":           bridge.Typed(a.recoverProfile),
		"rules":             bridge.Typed(rules),
		"generatePassword":  bridge.Typed(generatePassword),
		"checkPassphrase":   bridge.Typed(checkPassphrase),
		"checkSite":         bridge.Typed(checkSite),
		"checkAccount":      bridge.Typed(checkAccount),
		"checkShares":       bridge.Typed(checkShares),
	}
}

// bind returns the Func for each function of the contract (api.Functions)
// from handlers, or an error naming every function without a handler,
// handler not in the contract, and handler whose argument or result type
// is not the contract's.
func bind(handlers map[string]bridge.Handler) (map[string]bridge.Func, error) {
	var errs []error
	funcs := make(map[string]bridge.Func, len(api.Functions))
	for _, f := range api.Functions {
		h, ok := handlers[f.Name]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%s: no handler", f.Name))
		case h.Arg != f.Arg:
			errs = append(errs, fmt.Errorf("%s: the handler takes %v, the contract %v", f.Name, h.Arg, f.Arg))
		case h.Result != f.Result:
			errs = append(errs, fmt.Errorf("%s: the handler returns %v, the contract %v", f.Name, h.Result, f.Result))
		default:
			funcs[f.Name] = h.Func
		}
	}
	for name := range handlers {
		if _, ok := api.Lookup(name); !ok {
			errs = append(errs, fmt.Errorf("%s: not in the contract (wasm/api)", name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("meshpass: the handlers do not match the contract: %w", err)
	}
	return funcs, nil
}

func (a *app) status(ctx context.Context, _ api.Empty) (api.Status, error) {
	a.mu.Lock()
	unlocked := a.unlocked
	a.mu.Unlock()
	acct, portal := a.c.Account()
	s := api.Status{
		Device: a.c.DeviceID() != "", Unlocked: unlocked, Administrator: a.c.IsAdministrator(),
		Account: acct, Portal: portal, Fingerprint: a.c.Fingerprint(), DeviceID: a.c.DeviceID(),
	}
	if p := a.c.PendingConnect(); p != nil {
		s.Connecting = pendingOf(p)
	}
	l := a.c.Log()
	s.LogCode, s.LogSize, s.Witnesses, s.LogStale = l.Code, l.Size, l.Witnesses, l.Stale
	s.LogAge = int64(l.Age.Seconds())
	s.OtherDevices, s.PeersQuiet, s.PeersAge = l.Others, l.Quiet, int64(l.QuietFor.Seconds())
	a.mu.Lock()
	if a.fork != nil {
		s.ForkProof = string(a.fork.Proof())
	}
	a.mu.Unlock()
	return s, nil
}

func (a *app) identity() api.Identity {
	return api.Identity{Fingerprint: a.c.Fingerprint(), DeviceID: a.c.DeviceID()}
}

func (a *app) create(ctx context.Context, s api.Setup) (api.Identity, error) {
	if err := policy.CheckPassphrase(s.Passphrase); err != nil {
		return api.Identity{}, err
	}
	if err := a.c.Create(ctx, s.Portal, s.Account, s.Passphrase, s.DeviceName, client.WithInvitation(s.Invitation)); err != nil {
		return api.Identity{}, err
	}
	if err := a.unlockedNow(); err != nil {
		return api.Identity{}, err
	}
	return a.identity(), nil
}

func (a *app) unlock(ctx context.Context, arg api.Passphrase) (api.Empty, error) {
	if err := a.c.Unlock(arg.Passphrase); err != nil {
		return api.Empty{}, err
	}
	return api.Empty{}, a.unlockedNow()
}

func (a *app) lock(ctx context.Context, _ api.Empty) (api.Empty, error) {
	a.setUnlocked(false)
	return api.Empty{}, a.c.EndSession(a.session)
}

func (a *app) forget(ctx context.Context, _ api.Empty) (api.Empty, error) {
	a.setUnlocked(false)
	if err := a.c.EndSession(a.session); err != nil {
		return api.Empty{}, err
	}
	return api.Empty{}, a.c.Forget()
}

// sync fetches and verifies the profile and passwords. A password profile
// with the wrong recipients — another device's approve or remove half
// done, for a moment or for good — is repaired (as the CLI's sync does)
// instead of shown as a failure.
func (a *app) sync(ctx context.Context, _ api.Empty) (api.Empty, error) {
	err := a.c.Sync(ctx)
	if errors.Is(err, profile.ErrRecipients) {
		err = a.c.Repair(ctx)
	}
	var fe *client.ForkError
	if errors.As(err, &fe) || err == nil {
		a.mu.Lock()
		a.fork = fe
		a.mu.Unlock()
	}
	return api.Empty{}, err
}

func pendingOf(p *client.Pending) *api.Pending {
	out := &api.Pending{Profile: p.Profile, DeviceID: p.Device, Confirmed: p.Confirmed, Witness: p.Witness, Administrator: p.Administrator}
	if !p.Expires.IsZero() {
		t := p.Expires
		out.Expires = &t
	}
	return out
}

func (a *app) startConnect(ctx context.Context, s api.Setup) (api.Pending, error) {
	if err := policy.CheckPassphrase(s.Passphrase); err != nil {
		return api.Pending{}, err
	}
	p, err := a.c.StartConnect(ctx, s.Portal, s.Account, s.Passphrase, s.DeviceName, client.WithConnectCode(s.Code))
	if err != nil {
		return api.Pending{}, err
	}
	if err := a.unlockedNow(); err != nil {
		return api.Pending{}, err
	}
	return *pendingOf(p), nil
}

func (a *app) confirmProfile(ctx context.Context, f api.Fingerprint) (api.Empty, error) {
	return api.Empty{}, a.c.ConfirmProfile(f.Fingerprint)
}

func (a *app) pollConnect(ctx context.Context, _ api.Empty) (api.Done, error) {
	done, err := a.c.PollConnect(ctx)
	out := api.Done{Done: done}
	if p := a.c.PendingConnect(); p != nil {
		out.Witness, out.Administrator = p.Witness, p.Administrator
	}
	return out, err
}

func (a *app) pending(ctx context.Context, _ api.Empty) ([]api.Request, error) {
	list, err := a.c.PendingRequests(ctx)
	if err != nil {
		return nil, err
	}
	out := []api.Request{}
	for _, q := range list {
		r := api.Request{DeviceID: q.Device, Description: q.Description, Names: q.Names, Witness: q.Witness, Waiting: q.Waiting,
			Administrator: q.Administrator, Time: q.Time}
		if q.Err != nil {
			r.Error, r.Code = q.Err.Error(), bridge.Code(q.Err)
		}
		out = append(out, r)
	}
	return out, nil
}

func (a *app) approve(ctx context.Context, d api.DeviceArg) (api.Empty, error) {
	return api.Empty{}, a.c.Approve(ctx, d.DeviceID)
}

func (a *app) reject(ctx context.Context, d api.DeviceArg) (api.Empty, error) {
	return api.Empty{}, a.c.Reject(ctx, d.DeviceID)
}

func (a *app) removeDevice(ctx context.Context, d api.DeviceArg) (api.Empty, error) {
	return api.Empty{}, a.c.RemoveDevice(ctx, d.DeviceID)
}

func (a *app) devices(ctx context.Context, _ api.Empty) ([]api.Device, error) {
	list, err := a.c.Devices()
	if err != nil {
		return nil, err
	}
	return devicesOf(list), nil
}

func devicesOf(list []client.Device) []api.Device {
	out := []api.Device{}
	for _, d := range list {
		out = append(out, api.Device{DeviceID: d.ID, Description: d.Description, Names: d.Names, EncryptionKey: d.EncryptionKey,
			Administrator: d.Administrator, Passwords: d.Passwords, This: d.This})
	}
	return out
}

func (a *app) unapprovedDevices(ctx context.Context, _ api.Empty) ([]api.Device, error) {
	if a.c.DeviceID() == "" {
		return nil, client.ErrNoDevice
	}
	return devicesOf(a.c.UnapprovedDevices()), nil
}

func (a *app) repair(ctx context.Context, r api.RepairArg) (api.Empty, error) {
	return api.Empty{}, a.c.Repair(ctx, r.Confirm...)
}

func (a *app) issueConnectCode(ctx context.Context, _ api.Empty) (api.ConnectCode, error) {
	code, err := a.c.IssueConnectCode(ctx)
	return api.ConnectCode{Code: code}, err
}

func (a *app) movePortal(ctx context.Context, p api.PortalArg) (api.Status, error) {
	if err := a.c.MovePortal(ctx, p.Portal); err != nil {
		return api.Status{}, err
	}
	return a.status(ctx, api.Empty{})
}

func (a *app) fingerprint(ctx context.Context, _ api.Empty) (api.Identity, error) {
	id := a.identity()
	if id.DeviceID == "" {
		return api.Identity{}, client.ErrNoDevice
	}
	return id, nil
}
