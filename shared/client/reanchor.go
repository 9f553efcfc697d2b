package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/translog"
	"github.com/meshpass/meshpass/shared/udf"
	"github.com/meshpass/meshpass/shared/vault"
)

// Re-anchoring after a portal restore (attack 7 of issue 12). A portal
// restored from a backup serves an older log, and after new writes a log
// that forks from the one devices verified: every device that saw newer
// state stops (ErrLogShrank, ErrFork, ErrRollback) and keeps what it
// verified. Once the person knows the portal was restored (its operator
// says so, and the devices show the same new log code), each device
// re-anchors: PlanReanchor shows the old and the new log, Reanchor, given
// the new log code the person confirmed, republishes what this device
// holds that the restored portal lacks — its newer personal profile and
// password profile (the same signed objects: the portal checks them as
// any write) and the vault's catalog items the portal does not hold —,
// then pins the portal's current log and syncs from it, keeping this
// device's pending writes. Nothing held by a device alone is lost, as
// long as each device that held something re-anchors once.

// ErrLogShrank means the portal's log is shorter than the one this device
// verified: the portal was restored from a backup (re-anchor once its
// operator confirms it) or it is rolling this device back.
var ErrLogShrank = errors.New("client: the log shrank")

// NeedsReanchor reports an error after which re-anchoring may be what the
// person wants (if the portal's operator restored a backup): the log
// shrank or forked, or a profile rolled back.
func NeedsReanchor(err error) bool {
	return errors.Is(err, ErrLogShrank) || errors.Is(err, ErrFork) || errors.Is(err, ErrRollback)
}

// Anchor compares the log this device verified with the portal's current
// one, for the person to confirm a re-anchor.
type Anchor struct {
	// OldSize and OldCode are the tree size and log code of the last
	// checkpoint this device verified; NewSize and NewCode the portal's
	// current one (signed by the pinned log key and, with witnesses,
	// cosigned by their quorum).
	OldSize int64
	OldCode string
	NewSize int64
	NewCode string
	// Extends reports that the new log extends the old one: nothing to
	// re-anchor.
	Extends bool
	// checkpoint is the portal's signed checkpoint shown as NewCode.
	checkpoint string
}

// Republished is what a re-anchor gave back to the portal.
type Republished struct {
	// Personal and Password report that this device's newer personal
	// profile and password profile were published again.
	Personal, Password bool
	// Records is how many catalog items this device held that the
	// portal lacked and took again.
	Records int
	// Refused is how many of those the portal refused (items of an
	// earlier key epoch than the vault's latest: a portal takes only the
	// latest's); they stay in this device's vault view until it is
	// re-read, and their entries should be saved again.
	Refused int
}

// PlanReanchor fetches the portal's current checkpoint and compares it
// with the last one this device verified; it changes nothing, and
// remembers the plan for Reanchor.
func (c *Client) PlanReanchor(ctx context.Context) (*Anchor, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ready(); err != nil {
		return nil, err
	}
	verifiers, err := c.verifiers()
	if err != nil {
		return nil, err
	}
	var sr mmm.StatusResponse
	if err := c.do(ctx, &mmm.StatusRequest{}, &sr); err != nil {
		return nil, err
	}
	nt, err := translog.OpenCheckpoint(sr.Checkpoint, verifiers)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrLog, err)
	}
	if nt.N > 0 {
		if err := c.checkCosigned(sr.Checkpoint, verifiers); err != nil {
			return nil, err
		}
	}
	origin, _, _ := strings.Cut(c.st.LogKey, "+")
	a := &Anchor{NewSize: nt.N, NewCode: translog.LogCode(origin, nt), checkpoint: sr.Checkpoint}
	var pt tlog.Tree
	if c.st.Checkpoint != "" {
		if pt, err = translog.OpenCheckpoint(c.st.Checkpoint, verifiers); err != nil {
			return nil, fmt.Errorf("%w: last verified checkpoint: %v", ErrLog, err)
		}
	}
	a.OldSize, a.OldCode = pt.N, translog.LogCode(origin, pt)
	if pt.N <= nt.N {
		err := c.linked(ctx, c.st.Checkpoint, sr.Checkpoint, pt, nt)
		if err != nil && !errors.Is(err, ErrFork) {
			return nil, err
		}
		a.Extends = err == nil
	}
	c.anchor = a
	return a, nil
}

// Reanchor re-anchors this device on the portal's log of the plan
// PlanReanchor made, whose NewCode the person confirmed (newCode): it
// republishes what this device holds that the portal lacks, then pins
// the planned checkpoint and syncs (everything verified as by Sync, from
// the planned checkpoint on). It fails with ErrState without a plan for
// newCode, or when the plan's log extends the verified one (nothing to
// re-anchor: Sync).
func (c *Client) Reanchor(ctx context.Context, newCode string) (*Republished, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ready(); err != nil {
		return nil, err
	}
	a := c.anchor
	switch {
	case a == nil || a.NewCode != newCode:
		return nil, fmt.Errorf("%w: no re-anchor planned for log code %q: plan it first and confirm the code it shows", ErrState, newCode)
	case a.Extends:
		return nil, fmt.Errorf("%w: the portal's log extends the one this device verified: nothing to re-anchor, sync instead", ErrState)
	}
	out := &Republished{}
	if err := c.republishProfiles(ctx, out); err != nil {
		return out, err
	}
	if err := c.republishRecords(ctx, out); err != nil {
		return out, err
	}
	// Pin the planned log and read everything again from it; the
	// fingerprint, master profile, log key and witnesses stay pinned,
	// and so do the pending writes.
	if err := c.deleteChunks(); err != nil {
		return out, err
	}
	var pending = c.catalog().Pending
	c.st.Catalog = &catalogState{Head: vault.EmptyHead, Pending: pending}
	c.st.Personal, c.st.PersonalVersion, c.st.Password, c.st.PasswordVersion = nil, 0, nil, 0
	c.st.Checkpoint = a.checkpoint
	c.st.Peers = nil
	c.vault, c.anchor = nil, nil
	if err := c.save(); err != nil {
		return out, err
	}
	return out, c.sync(ctx)
}

// republishProfiles publishes this device's personal profile and password
// profile again where the portal holds an older version (or none).
func (c *Client) republishProfiles(ctx context.Context, out *Republished) error {
	var gr mmm.GetResponse
	if err := c.do(ctx, &mmm.GetRequest{Account: c.st.Account, Multiple: true}, &gr); err != nil {
		return err
	}
	if len(gr.Entries) == 0 || gr.Entries[0].SignedPersonalProfile == nil {
		return fmt.Errorf("%w: the portal's answer holds no personal profile", ErrInvalidProfile)
	}
	v, err := profile.VerifyPersonalProfile(gr.Entries[0].SignedPersonalProfile)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidProfile, err)
	}
	if !udf.Equal(v.Profile.Identifier, c.st.Profile) {
		return fmt.Errorf("%w: the portal served profile %s for %q; this device is pinned to %s", ErrWrongProfile, v.Profile.Identifier, c.st.Account, c.st.Profile)
	}
	if c.st.Personal != nil && c.st.PersonalVersion > v.Profile.Version {
		e := &mmm.Entry{SignedPersonalProfile: c.st.Personal}
		if err := c.do(ctx, &mmm.PublishRequest{Entry: *e, Previous: v.Profile.Version}, &mmm.PublishResponse{}); err != nil {
			return fmt.Errorf("client: publishing personal profile version %d again: %w", c.st.PersonalVersion, err)
		}
		out.Personal = true
	}
	if c.st.Password == nil {
		return nil
	}
	var stored uint64
	for _, e := range gr.Entries[1:] {
		if e.SignedApplicationProfile == nil || !udf.Equal(e.SignedApplicationProfile.Identifier, c.st.Password.Identifier) {
			continue
		}
		// The version only decides whether to publish this device's
		// verified one, which the portal checks as any write.
		if pp, err := profile.VerifyApplicationProfile(e.SignedApplicationProfile, v); err == nil {
			stored = pp.Version
		} else if c.personal != nil {
			if pp, err := profile.VerifyApplicationProfile(e.SignedApplicationProfile, c.personal); err == nil {
				stored = pp.Version
			}
		}
	}
	if c.st.PasswordVersion > stored {
		e := &mmm.Entry{SignedApplicationProfile: c.st.Password}
		if err := c.do(ctx, &mmm.PublishRequest{Entry: *e, Previous: stored}, &mmm.PublishResponse{}); err != nil {
			return fmt.Errorf("client: publishing password profile version %d again: %w", c.st.PasswordVersion, err)
		}
		out.Password = true
	}
	return nil
}

// republishRecords appends again, in their order, the catalog items this
// device verified that the portal's catalog lacks.
func (c *Client) republishRecords(ctx context.Context, out *Republished) error {
	cs := c.catalog()
	if c.st.Password == nil || cs.Size == 0 {
		return nil
	}
	catalog := c.st.Password.Identifier
	held := map[string]bool{}
	for after := int64(0); ; {
		var gr mmm.GetRecordsResponse
		if err := c.do(ctx, &mmm.GetRecordsRequest{Catalog: catalog, After: after}, &gr); err != nil {
			if mmm.StatusOf(err) == mmm.StatusNotFound {
				break
			}
			return err
		}
		for _, item := range gr.Records {
			held[string(item)] = true
		}
		after += int64(len(gr.Records))
		if gr.Next == 0 || len(gr.Records) == 0 {
			break
		}
	}
	var missing [][]byte
	for n := int64(0); n*chunkItems < cs.Size; n++ {
		items, err := c.readChunk(n)
		if err != nil {
			return err
		}
		for i, item := range items {
			if n*chunkItems+int64(i) < cs.Size && !held[string(item)] {
				missing = append(missing, item)
			}
		}
	}
	for len(missing) > 0 {
		k, size := 0, 0
		for k < len(missing) && k < mmm.MaxRecordsPerAppend && (k == 0 || size+len(missing[k]) <= maxAppendBytes) {
			size += len(missing[k])
			k++
		}
		err := c.appendAgain(ctx, catalog, missing[:k])
		switch {
		case err == nil:
			out.Records += k
		case mmm.StatusOf(err) == mmm.StatusConflict && k > 1:
			// One of them is refused: take them one by one.
			for _, item := range missing[:k] {
				if err := c.appendAgain(ctx, catalog, [][]byte{item}); err == nil {
					out.Records++
				} else if s := mmm.StatusOf(err); s == mmm.StatusConflict || s == mmm.StatusForbidden {
					out.Refused++
				} else {
					return err
				}
			}
		case mmm.StatusOf(err) == mmm.StatusConflict || mmm.StatusOf(err) == mmm.StatusForbidden:
			out.Refused += k
		default:
			return err
		}
		missing = missing[k:]
	}
	return nil
}

// appendAgain appends items to the catalog as they are.
func (c *Client) appendAgain(ctx context.Context, catalog string, items [][]byte) error {
	req := &mmm.AppendRecordsRequest{Catalog: catalog}
	for _, item := range items {
		req.Records = append(req.Records, json.RawMessage(item))
	}
	return c.do(ctx, req, &mmm.AppendRecordsResponse{})
}
