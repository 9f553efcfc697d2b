package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/translog"
	"github.com/meshpass/meshpass/shared/udf"
)

// First contact: a new device has nothing pinned yet, so it must not take
// an old version of the profile for the current one. The profile's log
// proof is against a checkpoint at least as new as the portal's latest
// (Status, taken before: checkProofs requires it to extend it); then the
// leaves after the profile's own, up to that checkpoint, are read (Audit),
// proved to be the tree's (they hash to the right-hand hashes of the
// profile's inclusion proof) and searched for a later version of the
// profile. A portal can still show a new device a log that is not the one
// it shows everybody else (a split view): that is for the log's witnesses
// and devices' check-ins to catch.

// maxFreshLeaves is the most leaves after its profile's that a new device
// reads to check that it was given the latest version; beyond, it relies
// on the checkpoint alone.
const maxFreshLeaves = 8192

// newestSeen remembers, per portal and account, the newest personal
// profile version this process has seen at first contact: a later first
// contact (a retry) refuses an older one.
var newestSeen = struct {
	sync.Mutex
	m map[string]uint64
}{m: map[string]uint64{}}

// checkNewest checks that f holds the newest version of the account's
// personal profile that the log holds.
func (c *Client) checkNewest(ctx context.Context, portalURL, account string, f *fetched) error {
	key := portalURL + "\x00" + account
	newestSeen.Lock()
	seen := newestSeen.m[key]
	if v := f.personal.Profile.Version; v >= seen {
		newestSeen.m[key] = v
	}
	newestSeen.Unlock()
	if v := f.personal.Profile.Version; v < seen {
		return fmt.Errorf("%w: personal profile version %d, but version %d was seen before", ErrRollback, v, seen)
	}
	pr := f.proof
	start, n := pr.Index+1, pr.TreeSize
	if start >= n || n-start > maxFreshLeaves {
		return nil
	}
	proof, err := translog.DecodeHashes(pr.Inclusion)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrLog, err)
	}
	id := f.personal.Profile.Identifier
	var hashes []tlog.Hash // of the leaves [start, n)
	for next := start; next < n; {
		var ar mmm.AuditResponse
		if err := c.do(ctx, &mmm.AuditRequest{Start: next, End: n}, &ar); err != nil {
			return fmt.Errorf("%w: reading the log after the profile: %w", ErrLog, err)
		}
		for _, l := range ar.Leaves {
			b, err := base64.RawURLEncoding.DecodeString(l)
			if err != nil {
				return fmt.Errorf("%w: a leaf is not base64url", ErrLog)
			}
			var e struct {
				SignedPersonalProfile *struct{ Identifier string }
			}
			if json.Unmarshal(b, &e) == nil && e.SignedPersonalProfile != nil && udf.Equal(e.SignedPersonalProfile.Identifier, id) {
				return fmt.Errorf("%w: the portal served an old version of profile %s: the log holds a later one (leaf %d)", ErrRollback, id, start+int64(len(hashes)))
			}
			hashes = append(hashes, tlog.RecordHash(b))
		}
		if ar.Next == 0 {
			break
		}
		if ar.Next <= next || ar.Next != start+int64(len(hashes)) {
			return fmt.Errorf("%w: the portal's Audit answer does not move on", ErrLog)
		}
		next = ar.Next
	}
	if int64(len(hashes)) != n-start {
		return fmt.Errorf("%w: %d leaves after the profile's, the tree has %d", ErrLog, len(hashes), n-start)
	}
	ranges := proofRanges(pr.Index, 0, n)
	if len(ranges) != len(proof) {
		return fmt.Errorf("%w: the profile's inclusion proof has %d hashes, want %d", ErrLog, len(proof), len(ranges))
	}
	// A leaf the portal left out or changed above would change these.
	for i, r := range ranges {
		if r[0] > pr.Index && subtreeHash(hashes[r[0]-start:r[1]-start]) != proof[i] {
			return fmt.Errorf("%w: the leaves after the profile's are not the tree's", ErrLog)
		}
	}
	return nil
}

// proofRanges returns, for each hash of the RFC 6962 inclusion proof of
// leaf m in the tree of leaves [lo, hi), in the proof's order (from the
// leaf up, as tlog.ProveRecord makes it), the leaves [a, b) it hashes.
func proofRanges(m, lo, hi int64) [][2]int64 {
	if hi-lo <= 1 {
		return nil
	}
	k := split(hi - lo)
	if m < lo+k {
		return append(proofRanges(m, lo, lo+k), [2]int64{lo + k, hi})
	}
	return append(proofRanges(m, lo+k, hi), [2]int64{lo, lo + k})
}

// subtreeHash is the RFC 6962 hash of the tree of the leaves whose
// hashes are given.
func subtreeHash(leaves []tlog.Hash) tlog.Hash {
	if len(leaves) == 1 {
		return leaves[0]
	}
	k := split(int64(len(leaves)))
	return tlog.NodeHash(subtreeHash(leaves[:k]), subtreeHash(leaves[k:]))
}

// split returns the largest power of two smaller than n (n > 1).
func split(n int64) int64 {
	k := int64(1)
	for k*2 < n {
		k *= 2
	}
	return k
}
