package client

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/translog"
)

// Witnesses (C2SP tlog-cosignature): a portal may have its checkpoints
// cosigned by witnesses, parties of their own that cosign a tree only if
// it extends every tree of the log they cosigned before. A device pins
// the witnesses' keys and the quorum K that Hello reports at first
// contact, as it pins the log key; from then on every checkpoint it takes
// as verified must carry valid cosignatures of at least K of them. A
// portal then cannot show two devices two branches of its log unless K
// witnesses cosign both, and a device that is shown a checkpoint that
// does not extend the one it verified fails at once with ErrFork. The
// cosignatures are timestamped: Freshness reports how long ago the quorum
// vouched for the newest checkpoint this device verified, so that a portal
// that keeps answering with an old view (a frozen device) is noticed. With
// no witnesses pinned, checkpoints are checked as before (log key and
// consistency), and Freshness reports nothing.

// Errors of the witnessed log; errors returned wrap ErrLog too.
var (
	// ErrFork means the portal showed this device a checkpoint, signed by
	// its log key, that does not extend the one this device verified
	// before: two histories of one log (a split view), or a proof that
	// fails. The error is a *ForkError (checkin.go) holding both signed
	// checkpoints; it names both tree sizes and log codes.
	ErrFork = errors.New("client: the log forked: the portal shows this device another history than the one it verified")
	// ErrUnwitnessed means a checkpoint lacks the cosignatures of the
	// quorum of pinned witnesses.
	ErrUnwitnessed = errors.New("client: the checkpoint is not cosigned by enough of the pinned witnesses")
)

// DefaultFreshness is how old the newest verified cosignatures may get
// before Freshness reports the log as stale (Options.Freshness).
const DefaultFreshness = 24 * time.Hour

// witnessPin is what first contact learns of the witnesses.
type witnessPin struct {
	keys []string
	k    int
	// cosigned is when the quorum cosigned the first checkpoint (zero
	// when none was needed).
	cosigned time.Time
}

// pin records the witnesses in a new device's state.
func (w witnessPin) pin(st *state) {
	st.Witnesses, st.WitnessQuorum, st.Cosigned = w.keys, w.k, w.cosigned
}

// helloWitnesses checks the witnesses Hello reports and the first
// checkpoint against them.
func helloWitnesses(h *mmm.HelloResponse, verifiers note.Verifiers, checkpoint string) (witnessPin, error) {
	ws, err := translog.NewWitnesses(h.Witnesses, h.WitnessQuorum)
	if err != nil {
		return witnessPin{}, fmt.Errorf("%w: the portal's witnesses: %v", ErrLog, err)
	}
	w := witnessPin{keys: ws.Keys(), k: ws.K()}
	if ws.None() {
		return w, nil
	}
	if n := len(w.keys); 2*w.k <= n {
		// Two disjoint halves of honest witnesses could each vouch for
		// one branch of a forked log.
		return witnessPin{}, fmt.Errorf("%w: the portal asks for %d of %d witnesses; meshpass requires more than half, so that two branches of a log cannot each be cosigned by honest witnesses", ErrLog, w.k, n)
	}
	tree, err := translog.OpenCheckpoint(checkpoint, verifiers)
	if err != nil || tree.N == 0 {
		return w, nil // the caller reports a bad checkpoint; the empty log is not cosigned
	}
	co, err := translog.OpenCosigned(checkpoint, verifiers, ws)
	if err != nil {
		return witnessPin{}, unwitnessed(err)
	}
	w.cosigned = co.Time
	return w, nil
}

func unwitnessed(err error) error {
	if errors.Is(err, translog.ErrWitness) {
		return fmt.Errorf("%w: %w: %v", ErrLog, ErrUnwitnessed, err)
	}
	return fmt.Errorf("%w: %v", ErrLog, err)
}

// witnessSet returns the pinned witnesses (none for a device that pinned
// none).
func (c *Client) witnessSet() (*translog.Witnesses, error) {
	ws, err := translog.NewWitnesses(c.st.Witnesses, c.st.WitnessQuorum)
	if err != nil {
		return nil, fmt.Errorf("%w: pinned witnesses: %v", ErrLog, err)
	}
	return ws, nil
}

// checkCosigned checks that checkpoint cp (of a non-empty tree) carries
// the quorum's cosignatures, and records when they vouched for it.
func (c *Client) checkCosigned(cp string, verifiers note.Verifiers) error {
	ws, err := c.witnessSet()
	if err != nil || ws.None() {
		return err
	}
	co, err := translog.OpenCosigned(cp, verifiers, ws)
	if err != nil {
		return unwitnessed(err)
	}
	if co.Tree.N > 0 && co.Time.After(c.st.Cosigned) {
		c.st.Cosigned = co.Time
	}
	return nil
}

// LogStatus is what a device knows of the portal's log.
type LogStatus struct {
	// Size is the tree size of the last verified checkpoint; Code its log
	// code (translog.LogCode): two devices showing the same size and code
	// saw the same log.
	Size int64
	Code string
	// Witnesses is how many witnesses are pinned, Quorum how many must
	// cosign (both 0: no witnesses).
	Witnesses, Quorum int
	// Cosigned is when the quorum last vouched for a checkpoint this
	// device verified; Age how long ago that is, and Stale reports an Age
	// beyond the freshness window (Options.Freshness): a portal that keeps
	// answering with an old view of the log (a frozen device).
	Cosigned time.Time
	Age      time.Duration
	Stale    bool
	// Others is how many other devices the profile lists; Heard when
	// this device last heard something new from one of them (a newer
	// signed check-in, checkin.go), QuietFor how long ago that is, and
	// Quiet reports that it synced later than the quiet window after
	// Heard while there are others (ErrFrozen).
	Others   int
	Heard    time.Time
	QuietFor time.Duration
	Quiet    bool
}

// Log returns what this device knows of the portal's log (nothing but
// zero values before a device is set up). It asks the portal nothing: call
// it after Sync or CheckLog.
func (c *Client) Log() LogStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	var s LogStatus
	if c.st == nil {
		return s
	}
	if v, err := c.verifiers(); err == nil && c.st.Checkpoint != "" {
		if n, err := note.Open([]byte(c.st.Checkpoint), v); err == nil {
			if origin, tree, err := translog.ParseCheckpoint([]byte(n.Text)); err == nil {
				s.Size, s.Code = tree.N, translog.LogCode(origin, tree)
			}
		}
	}
	s.Witnesses, s.Quorum = len(c.st.Witnesses), c.st.WitnessQuorum
	if s.Witnesses > 0 && !c.st.Cosigned.IsZero() {
		s.Cosigned = c.st.Cosigned
		s.Age = max(c.opts.Now().Sub(c.st.Cosigned), 0)
		s.Stale = s.Age > c.freshness()
	}
	s.Others = c.others()
	if c.st.Peers != nil && !c.st.Peers.Heard.IsZero() {
		s.Heard = c.st.Peers.Heard
		s.QuietFor = max(c.opts.Now().Sub(s.Heard), 0)
		s.Quiet = s.Others > 0 && c.st.Peers.Checked.Sub(s.Heard) > c.quietWindow()
	}
	return s
}

// Freshness returns how long ago the pinned witnesses' quorum vouched for
// the newest checkpoint this device verified, and whether that is beyond
// the freshness window (Options.Freshness, DefaultFreshness): then the
// portal keeps answering but shows this device an old log (frozen). With
// no witnesses pinned it returns 0, false.
func (c *Client) Freshness() (age time.Duration, stale bool) {
	s := c.Log()
	return s.Age, s.Stale
}

// LogCode returns the tree size and log code of the last verified
// checkpoint ("" before any).
func (c *Client) LogCode() (size int64, code string) {
	s := c.Log()
	return s.Size, s.Code
}

func (c *Client) freshness() time.Duration {
	if c.opts.Freshness > 0 {
		return c.opts.Freshness
	}
	return DefaultFreshness
}
