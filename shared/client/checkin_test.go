package client

// Check-ins (issue 12, attacks 2 and 3): devices see each other's view of
// the log. These tests run natively and in headless Chromium (make
// browser), against real portals from the test portal server.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshpass/meshpass/shared/client/clienttest"
	"github.com/meshpass/meshpass/shared/jws"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile/profiletest"
	"github.com/meshpass/meshpass/shared/udf"
)

// clock is a settable clock for witnesses and clients.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// moveTo points c at portal p (a fork of its portal, at another URL).
func moveTo(c *Client, p *clienttest.Portal) {
	c.opts.Transport = &Transport{HTTP: p.Client()}
	c.st.Portal = p.URL
}

// twoDevices makes alice on device A and connects device B, on a fresh
// portal, and syncs both once (each checks in).
func twoDevices(t *testing.T) (*clienttest.Portal, *Client, *Client) {
	t.Helper()
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	b := connect(t, p, a)
	must(t, a.Sync(ctx))
	must(t, b.Sync(ctx))
	return p, a, b
}

// lastCheckIn returns the body of the last CheckInRequest sent to p.
func lastCheckIn(t *testing.T, p *clienttest.Portal) []byte {
	t.Helper()
	x := p.Last("CheckInRequest")
	if x == nil {
		t.Fatal("no check-in was posted")
	}
	return x.Request
}

// Attack 2, split view: the portal copies its database and log key and
// shows B the copy, where B writes, while A writes on the original. Each
// branch verifies on its own; B's check-in of its branch, once A is
// shown it, is a fork proof.
func TestCheckInSplitView(t *testing.T) {
	ctx := context.Background()
	p, a, b := twoDevices(t)
	must(t, a.Sync(ctx)) // A hears B's check-in: one log
	if err := a.Quiet(); err != nil {
		t.Fatalf("Quiet right after hearing B: %v", err)
	}

	fork := p.Fork(t)
	moveTo(b, fork)
	_, err := b.Add(ctx, entry("fork.example", "b-on-fork", "secret B"))
	must(t, err)
	must(t, b.Sync(ctx)) // B checks in on its branch
	_, err = a.Add(ctx, entry("real.example", "a-on-real", "secret A"))
	must(t, err)
	must(t, a.Sync(ctx)) // A's branch alone verifies

	// B's signed check-in of the other branch reaches A's portal (a
	// portal that splits views but passes check-ins on).
	if status, body := p.Forward(lastCheckIn(t, fork)); status != mmm.StatusOK {
		t.Fatalf("the portal refused B's check-in of its fork: %d %s", status, body)
	}
	seen := a.Log()
	err = a.Sync(ctx)
	var fe *ForkError
	if !errors.Is(err, ErrFork) || !errors.Is(err, ErrLog) || !errors.As(err, &fe) {
		t.Fatalf("A syncing with B's check-in of the other branch: %v", err)
	}
	if fe.Device != b.DeviceID() || fe.Mine == "" || fe.Theirs == "" || fe.CheckIn == nil || fe.MineCode == fe.TheirsCode {
		t.Fatalf("fork proof %+v", fe)
	}
	var proof struct{ Mine, Theirs string }
	must(t, json.Unmarshal(fe.Proof(), &proof))
	if proof.Mine != fe.Mine || proof.Theirs != fe.Theirs {
		t.Fatalf("Proof() %s", fe.Proof())
	}
	t.Logf("A: %v", err)
	if got := a.Log(); got.Size != seen.Size || got.Code != seen.Code {
		t.Errorf("A's verified log changed: %+v, was %+v", got, seen)
	}

	// The same from B's side: A's check-in reaches the fork.
	if status, body := fork.Forward(lastCheckIn(t, p)); status != mmm.StatusOK {
		t.Fatalf("the fork refused A's check-in: %d %s", status, body)
	}
	if err := b.Sync(ctx); !errors.Is(err, ErrFork) || !strings.Contains(err.Error(), a.DeviceID()) {
		t.Fatalf("B syncing with A's check-in of the real branch: %v", err)
	}
}

// Attack 3, frozen device: the portal replays B's last answers while A
// goes on. B's every check passes, but it hears nothing new from A: after
// the quiet window, Quiet reports ErrFrozen; on the live log again, it
// hears A and the warning goes.
func TestCheckInFrozen(t *testing.T) {
	ctx := context.Background()
	p, a, b := twoDevices(t)
	bclk := &clock{t: time.Now()}
	b.opts.Now = bclk.now
	if err := b.Quiet(); err != nil {
		t.Fatalf("Quiet after a sync: %v", err)
	}
	if s := b.Log(); s.Others != 1 || s.Heard.IsZero() {
		t.Fatalf("B's log status %+v", s)
	}
	// Eight days without reaching the portal is no freeze: B warns only
	// about what it saw while syncing.
	bclk.add(DefaultQuietWindow + 24*time.Hour)
	if err := b.Quiet(); err != nil {
		t.Fatalf("B without syncing for eight days: %v", err)
	}
	replay := map[string][]byte{}
	for _, typ := range []string{"GetRequest", "GetRecordsRequest", "StatusRequest", "GetCheckInsRequest", "AuditRequest"} {
		if e := p.Last(typ); e != nil {
			replay[typ] = e.Response
		}
	}

	// A goes on: a new entry, and its check-in of the new log.
	_, err := a.Add(ctx, entry("new.example", "a2", "secret 2"))
	must(t, err)
	must(t, a.Sync(ctx))

	// B is frozen for eight days: every answer verifies.
	p.SetRewrite(func(typ string, _, _ []byte) []byte { return replay[typ] })
	bclk.add(DefaultQuietWindow + 24*time.Hour)
	must(t, b.Sync(ctx))
	wantUsers(t, b, "a1")
	err = b.Quiet()
	if !errors.Is(err, ErrFrozen) {
		t.Fatalf("B frozen for eight days: Quiet %v, log %+v", err, b.Log())
	}
	t.Logf("B: %v", err)

	// Within the window there is no warning yet: a shorter time frozen.
	b.opts.QuietWindow = 30 * 24 * time.Hour
	if err := b.Quiet(); err != nil {
		t.Fatalf("a 30-day window: %v", err)
	}
	b.opts.QuietWindow = 0

	// Unfrozen, B hears A's newer check-in.
	p.SetRewrite(nil)
	must(t, b.Sync(ctx))
	wantUsers(t, b, "a1", "a2")
	if err := b.Quiet(); err != nil {
		t.Fatalf("B back on the live log: %v", err)
	}
}

// A device alone in its profile never warns, however long it hears
// nothing.
func TestCheckInAlone(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	clk := &clock{t: time.Now()}
	a.opts.Now = clk.now
	must(t, a.Sync(ctx))
	clk.add(100 * 24 * time.Hour)
	must(t, a.Sync(ctx))
	if err := a.Quiet(); err != nil || a.Log().Others != 0 {
		t.Fatalf("a lone device: %v %+v", err, a.Log())
	}
}

// Check-ins that are not a device's of this profile are refused by the
// portal and, when a portal serves them anyway, by the devices.
func TestCheckInForged(t *testing.T) {
	ctx := context.Background()
	p, a, b := twoDevices(t)
	must(t, a.Sync(ctx))
	c := newClient(t, p, nil)
	must(t, c.Create(ctx, p.URL, "carol", "passphrase C", "laptop"))
	must(t, c.Sync(ctx))

	// B's real check-in, and forgeries.
	good := b.signCheckIn()
	wrongKey, err := (&mmm.DeviceCheckIn{Profile: a.Fingerprint(), Device: b.DeviceID(), Checkpoint: b.st.Checkpoint, Time: time.Now()}).Sign(b.keys.auth)
	must(t, err)
	stranger, err := profiletest.NewDevice("stranger")
	must(t, err)
	unknown, err := (&mmm.DeviceCheckIn{Profile: a.Fingerprint(), Device: stranger.Profile.Identifier, Checkpoint: b.st.Checkpoint, Time: time.Now()}).Sign(stranger.Sign)
	must(t, err)
	carols := c.signCheckIn()
	for _, tc := range []struct {
		name    string
		account string
		ci      *jws.SignedData
		status  int
	}{
		{"signed with the authentication key", "alice", wrongKey, mmm.StatusUnauthorized},
		{"of a device not in the profile", "alice", unknown, mmm.StatusUnauthorized},
		{"of another account's device", "alice", carols, mmm.StatusUnauthorized},
		{"of alice's device, to carol", "carol", good, mmm.StatusUnauthorized},
		{"no such account", "nobody", good, mmm.StatusNotFound},
	} {
		err := a.do(ctx, &mmm.CheckInRequest{AccountID: tc.account, CheckIn: tc.ci}, &mmm.CheckInResponse{})
		if mmm.StatusOf(err) != tc.status {
			t.Errorf("check-in %s: %v, want %d", tc.name, err, tc.status)
		}
	}
	// Dated far from the portal's clock.
	late, err := (&mmm.DeviceCheckIn{Profile: a.Fingerprint(), Device: b.DeviceID(), Checkpoint: b.st.Checkpoint, Time: time.Now().Add(time.Hour)}).Sign(b.keys.sign)
	must(t, err)
	if err := a.do(ctx, &mmm.CheckInRequest{AccountID: "alice", CheckIn: late}, &mmm.CheckInResponse{}); mmm.StatusOf(err) != mmm.StatusBadRequest {
		t.Errorf("a check-in dated an hour ahead: %v", err)
	}
	// A checkpoint of another log.
	other, err := (&mmm.DeviceCheckIn{Profile: a.Fingerprint(), Device: b.DeviceID(), Checkpoint: "example.org/log\n3\nAAAA\n\n— x y\n", Time: time.Now()}).Sign(b.keys.sign)
	must(t, err)
	if err := a.do(ctx, &mmm.CheckInRequest{AccountID: "alice", CheckIn: other}, &mmm.CheckInResponse{}); mmm.StatusOf(err) != mmm.StatusBadRequest {
		t.Errorf("a check-in of another log's checkpoint: %v", err)
	}
	if err := a.do(ctx, &mmm.CheckInRequest{AccountID: "alice", CheckIn: good}, &mmm.CheckInResponse{}); err != nil {
		t.Fatalf("B's own check-in: %v", err)
	}
	// A write carrying a forged check-in is judged on its own (here a
	// junk record: 400), and the forged check-in is not kept.
	junk := []json.RawMessage{json.RawMessage(`{}`)}
	if err := a.do(ctx, &mmm.AppendRecordsRequest{Catalog: a.st.Password.Identifier, Records: junk, CheckIn: wrongKey}, &mmm.AppendRecordsResponse{}); mmm.StatusOf(err) != mmm.StatusBadRequest {
		t.Errorf("a write of a junk record carrying a forged check-in: %v", err)
	}
	var held mmm.GetCheckInsResponse
	must(t, a.do(ctx, &mmm.GetCheckInsRequest{AccountID: "alice"}, &held))
	for _, sd := range held.CheckIns {
		if _, err := mmm.VerifyCheckIn(sd, a.personal); err != nil {
			t.Errorf("the portal kept a forged check-in a write carried: %v", err)
		}
	}

	// A portal that serves forged check-ins: each makes the sync fail,
	// and the device keeps its state.
	must(t, a.Sync(ctx))
	for name, ci := range map[string]*jws.SignedData{"wrong key": wrongKey, "other account": carols} {
		p.SetRewrite(rewriteAnswer(t, "GetCheckInsRequest", func(r *mmm.GetCheckInsResponse) { r.CheckIns = append(r.CheckIns, ci) }))
		seen := a.Log()
		if err := a.Sync(ctx); !errors.Is(err, ErrLog) {
			t.Errorf("A served a check-in (%s): %v", name, err)
		}
		if got := a.Log(); got.Code != seen.Code {
			t.Errorf("A's state changed: %+v", got)
		}
	}
	// One of a device the profile does not list is left out.
	p.SetRewrite(rewriteAnswer(t, "GetCheckInsRequest", func(r *mmm.GetCheckInsResponse) { r.CheckIns = append(r.CheckIns, unknown) }))
	must(t, a.Sync(ctx))
	p.SetRewrite(nil)
	must(t, a.Sync(ctx))
}

// Writes carry the writer's check-in: the other devices hear a device
// that only writes.
func TestCheckInWithWrites(t *testing.T) {
	ctx := context.Background()
	p, a, b := twoDevices(t)
	_, err := a.Add(ctx, entry("w.example", "w1", "secret"))
	must(t, err)
	x := p.Last("AppendRecordsRequest")
	if x == nil || !bytes.Contains(x.Request, []byte(`"CheckIn"`)) {
		t.Fatal("the write carries no check-in")
	}
	var gr mmm.GetCheckInsResponse
	must(t, b.do(ctx, &mmm.GetCheckInsRequest{AccountID: "alice"}, &gr))
	found := false
	for _, sd := range gr.CheckIns {
		ci, err := mmm.VerifyCheckIn(sd, b.personal)
		must(t, err)
		found = found || udf.Equal(ci.Device, a.DeviceID())
	}
	if !found {
		t.Fatalf("the portal holds no check-in of A: %d check-ins", len(gr.CheckIns))
	}
}
