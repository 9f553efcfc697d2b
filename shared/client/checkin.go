package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/meshpass/meshpass/shared/jws"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/translog"
	"github.com/meshpass/meshpass/shared/udf"
)

// Check-ins (mmm.DeviceCheckIn): each device signs the checkpoint it
// verified last and leaves it at the portal, carried by its writes and
// posted after a sync; at each sync a device reads the other devices'
// check-ins, verifies each against the devices of the verified personal
// profile, and checks it against its own view of the log: a checkpoint of
// the same size must have the same root, and of another size the portal
// must prove one extends the other. A portal that shows two devices two
// branches of its log is caught at the first sync after the other device
// checked in (ErrFork, with a *ForkError holding both signed
// checkpoints); a device the portal freezes stops hearing anything new
// from the others, and after the quiet window (Options.QuietWindow)
// Quiet reports it (ErrFrozen).

// ErrFrozen means this device has heard nothing new from the other devices
// of its profile for longer than the quiet window while the portal kept
// answering: the portal may be showing it an old view of the log (a
// frozen device), or the other devices were not used.
var ErrFrozen = errors.New("client: no news from this profile's other devices within the quiet window: the portal may be freezing this device's view")

// DefaultQuietWindow is how long a device may hear nothing new from the
// profile's other devices before Quiet reports it (Options.QuietWindow):
// a week, longer than most people leave all their other devices unused
// (every device used checks in at least once every CheckInInterval), and
// short enough that a device the portal freezes is told within a week
// even without witnesses (with witnesses, their 24-hour freshness tells
// it sooner).
const DefaultQuietWindow = 7 * 24 * time.Hour

// CheckInInterval is how often a device whose view of the log did not
// change checks in again, so the other devices keep hearing from it.
const CheckInInterval = time.Hour

// peerState is what a device keeps of the check-ins.
type peerState struct {
	// Seen is, for each other device, the Time of its newest check-in
	// this device verified.
	Seen map[string]time.Time `json:"Seen,omitempty"`
	// Heard is when (by this device's clock) it last verified a check-in
	// newer than the one it had seen of that device, or started to
	// listen.
	Heard time.Time `json:"Heard,omitzero"`
	// Checked is when (by this device's clock) it last read the
	// check-ins: the portal was answering then.
	Checked time.Time `json:"Checked,omitzero"`
	// Posted is when this device last checked in, and Checkpoint what
	// it checked in.
	Posted     time.Time `json:"Posted,omitzero"`
	Checkpoint string    `json:"Checkpoint,omitempty"`
}

// peers returns the device's peer state, started now if it had none.
func (c *Client) peers() *peerState {
	if c.st.Peers == nil {
		c.st.Peers = &peerState{Heard: c.opts.Now().UTC()}
	}
	return c.st.Peers
}

// ForkError is ErrFork with its proof: two checkpoints, both signed by the
// portal's log key, that cannot be of one log (two roots for one size, or
// a larger tree the portal cannot prove extends the smaller one). Mine is
// the one this device verified; Theirs the one it was shown, by the
// portal, or in the signed check-in of Device.
type ForkError struct {
	// Device is the other device whose check-in holds Theirs, or "" when
	// the portal showed Theirs to this device.
	Device string
	// Mine and Theirs are the signed checkpoints, MineCode and
	// TheirsCode their log codes and sizes.
	Mine, Theirs         string
	MineCode, TheirsCode string
	MineSize, TheirsSize int64
	CheckIn              *jws.SignedData
	Reason               string
}

// Error says what forked and where.
func (e *ForkError) Error() string {
	who := "the portal showed this device"
	if e.Device != "" {
		who = "device " + e.Device + " checked in"
	}
	return fmt.Sprintf("%v: %s a tree of %d leaves (log code %s) that is not of the same log as the tree of %d leaves this device verified (log code %s): %s",
		ErrFork, who, e.TheirsSize, e.TheirsCode, e.MineSize, e.MineCode, e.Reason)
}

// Is reports ErrFork and ErrLog.
func (e *ForkError) Is(target error) bool { return target == ErrFork || target == ErrLog }

// Proof returns the fork proof as JSON: both signed checkpoints, and the
// other device's signed check-in if the fork was found through one.
// Anyone holding the portal's log key can check it.
func (e *ForkError) Proof() []byte {
	b, _ := json.MarshalIndent(struct {
		Mine    string          `json:"Mine"`
		Theirs  string          `json:"Theirs"`
		Device  string          `json:"Device,omitempty"`
		CheckIn *jws.SignedData `json:"CheckIn,omitempty"`
	}{e.Mine, e.Theirs, e.Device, e.CheckIn}, "", "  ")
	return b
}

// newFork returns a *ForkError for the signed checkpoints mine and
// theirs, of trees mt and tt.
func (c *Client) newFork(mine, theirs string, mt, tt tlog.Tree, reason string) *ForkError {
	origin, _, _ := strings.Cut(c.st.LogKey, "+")
	return &ForkError{Mine: mine, Theirs: theirs, MineSize: mt.N, TheirsSize: tt.N,
		MineCode: translog.LogCode(origin, mt), TheirsCode: translog.LogCode(origin, tt), Reason: reason}
}

// linked checks that the signed checkpoints mine and theirs, of trees mt
// and tt, are of one log: the same root for the same size, else a
// consistency proof from the portal from the smaller tree to the larger.
// A failure is a *ForkError; a portal that cannot be reached is not.
func (c *Client) linked(ctx context.Context, mine, theirs string, mt, tt tlog.Tree) error {
	switch {
	case mt.N == tt.N:
		if mt.Hash != tt.Hash {
			return c.newFork(mine, theirs, mt, tt, "two different trees of the same size")
		}
		return nil
	case mt.N == 0 || tt.N == 0:
		return nil
	}
	small, large := mt, tt
	if tt.N < mt.N {
		small, large = tt, mt
	}
	var ar mmm.AuditResponse
	err := c.do(ctx, &mmm.AuditRequest{OldSize: small.N, NewSize: large.N}, &ar)
	if errors.Is(err, ErrTransport) || offline(err) {
		return fmt.Errorf("%w: asking for a consistency proof: %w", ErrLog, err)
	}
	if err != nil {
		return c.newFork(mine, theirs, mt, tt, fmt.Sprintf("the portal does not prove that the tree of %d leaves extends the tree of %d: %v", large.N, small.N, err))
	}
	if err := translog.CheckConsistency(small, large, ar.Consistency); err != nil {
		return c.newFork(mine, theirs, mt, tt, fmt.Sprintf("the tree of %d leaves does not extend the tree of %d: %v", large.N, small.N, err))
	}
	return nil
}

// signCheckIn signs this device's check-in of its last verified
// checkpoint, or returns nil when it has none or its keys are locked.
func (c *Client) signCheckIn() *jws.SignedData {
	if c.st == nil || c.keys == nil || c.st.Checkpoint == "" || c.personal == nil || c.personal.Device(c.st.Device) == nil {
		return nil
	}
	now := c.opts.Now().UTC()
	sd, err := (&mmm.DeviceCheckIn{Profile: c.personal.Profile.Identifier, Device: c.st.Device, Checkpoint: c.st.Checkpoint, Time: now}).Sign(c.keys.sign)
	if err != nil {
		return nil
	}
	return sd
}

// unsupported reports a portal's refusal of a request type it does not
// know (a portal from before check-ins).
func unsupported(err error) bool {
	var e *mmm.Error
	return errors.As(err, &e) && e.Code == mmm.StatusBadRequest && strings.Contains(e.Description, "unknown request type")
}

// crossCheck reads the other devices' check-ins and checks each against
// this device's last verified checkpoint, then checks in if its view
// changed or its last check-in is older than CheckInInterval. It saves
// what it heard. A portal without check-ins is left alone. known are
// checkpoints already verified to be of the same log as the last one
// (the one a sync started from), which need no proof again.
func (c *Client) crossCheck(ctx context.Context, known ...string) error {
	if c.st == nil || c.st.Checkpoint == "" || c.personal == nil {
		return nil
	}
	var gr mmm.GetCheckInsResponse
	err := c.do(ctx, &mmm.GetCheckInsRequest{AccountID: c.st.Account}, &gr)
	if unsupported(err) {
		return nil
	}
	if err != nil {
		return err
	}
	verifiers, err := c.verifiers()
	if err != nil {
		return err
	}
	mt, err := translog.OpenCheckpoint(c.st.Checkpoint, verifiers)
	if err != nil {
		return fmt.Errorf("%w: last verified checkpoint: %v", ErrLog, err)
	}
	ps := c.peers()
	if ps.Seen == nil {
		ps.Seen = map[string]time.Time{}
	}
	checked := map[string]bool{c.st.Checkpoint: true}
	for _, cp := range known {
		checked[cp] = true
	}
	for _, sd := range gr.CheckIns {
		ci, err := c.openCheckIn(sd, verifiers)
		if err != nil {
			return err
		}
		if ci == nil || udf.Equal(ci.Device, c.st.Device) {
			continue
		}
		if !checked[ci.Checkpoint] {
			tt, _ := translog.OpenCheckpoint(ci.Checkpoint, verifiers)
			if err := c.linked(ctx, c.st.Checkpoint, ci.Checkpoint, mt, tt); err != nil {
				var fe *ForkError
				if errors.As(err, &fe) {
					fe.Device, fe.CheckIn = ci.Device, sd
				}
				return err
			}
			checked[ci.Checkpoint] = true
		}
		if ci.Time.After(ps.Seen[ci.Device]) {
			ps.Seen[ci.Device] = ci.Time
			ps.Heard = c.opts.Now().UTC()
		}
	}
	ps.Checked = c.opts.Now().UTC()
	if ps.Checkpoint != c.st.Checkpoint || c.opts.Now().Sub(ps.Posted) >= CheckInInterval {
		// Checking in is for the other devices: a refusal (this device's
		// clock far off) or a portal gone meanwhile does not fail a sync
		// that verified everything; the next sync tries again.
		if sd := c.signCheckIn(); sd != nil && c.do(ctx, &mmm.CheckInRequest{AccountID: c.st.Account, CheckIn: sd}, &mmm.CheckInResponse{}) == nil {
			ps.Posted, ps.Checkpoint = c.opts.Now().UTC(), c.st.Checkpoint
		}
	}
	return c.save()
}

// openCheckIn verifies a check-in the portal answers against the
// verified personal profile: nil for a device the profile does not list
// (one added since this device's sync, or removed), an error for a
// check-in that does not verify (the portal forged or altered it) or
// whose checkpoint is not signed by the pinned log key.
func (c *Client) openCheckIn(sd *jws.SignedData, verifiers note.Verifiers) (*mmm.DeviceCheckIn, error) {
	payload, err := sd.UnverifiedPayload()
	if err != nil {
		return nil, fmt.Errorf("%w: a check-in the portal answers: %v", ErrLog, err)
	}
	var claims mmm.DeviceCheckIn
	if profile.UnmarshalTagged(payload, mmm.TagDeviceCheckIn, &claims) == nil && udf.Equal(claims.Profile, c.personal.Profile.Identifier) &&
		c.personal.Device(claims.Device) == nil {
		return nil, nil
	}
	ci, err := mmm.VerifyCheckIn(sd, c.personal)
	if err != nil {
		return nil, fmt.Errorf("%w: a check-in the portal answers does not verify: %v", ErrLog, err)
	}
	if _, err := translog.OpenCheckpoint(ci.Checkpoint, verifiers); err != nil {
		return nil, fmt.Errorf("%w: the check-in of device %s holds a checkpoint not signed by the pinned log key: %v", ErrLog, ci.Device, err)
	}
	return ci, nil
}

// others returns how many devices other than this one the verified
// personal profile lists.
func (c *Client) others() int {
	if c.personal == nil {
		return 0
	}
	n := 0
	for _, d := range c.personal.Devices {
		if !udf.Equal(d.Identifier, c.st.Device) {
			n++
		}
	}
	return n
}

func (c *Client) quietWindow() time.Duration {
	if c.opts.QuietWindow > 0 {
		return c.opts.QuietWindow
	}
	return DefaultQuietWindow
}

// Quiet returns nil, or an error wrapping ErrFrozen when the profile has
// other devices and this device, syncing, has heard nothing new from any
// of them (a newer check-in) for longer than the quiet window: from the
// last news to its last successful read of the check-ins (so a portal
// that does not answer at all is not taken for a frozen view). Show it as
// a warning. It asks the portal nothing: call it after Sync.
func (c *Client) Quiet() error {
	s := c.Log()
	if !s.Quiet {
		return nil
	}
	return fmt.Errorf("%w: last news %s ago (window %s) from the %d other devices", ErrFrozen, s.QuietFor.Round(time.Minute), c.quietWindow(), s.Others)
}
