package profile

import (
	"errors"
	"fmt"
	"slices"

	"github.com/meshpass/meshpass/shared/udf"
)

// ErrEpochs: a new version of a format-2 password profile changes what an
// earlier version said about its key epochs.
var ErrEpochs = errors.New("profile: key epochs changed")

// CheckEpochs checks next, a later version of the format-2 password
// profile prev, against prev's key epochs: none is removed, renumbered or
// moved; at most maxAdded are added (1 from one version to the next); the
// writers of every epoch before prev's latest stay exactly as they were
// (records under them were checked against them); and prev's latest epoch
// keeps each of its writers with the same key (it may gain writers: a
// device added). So no later version can remove or change, after the
// fact, a writer of records already written, nor add writers to an epoch
// closed before prev. A format-1 prev constrains nothing.
func CheckEpochs(prev, next *PasswordProfile, maxAdded int) error {
	if prev.Format != FormatCatalog {
		return nil
	}
	if next.Format != FormatCatalog {
		return fmt.Errorf("%w: a format-2 vault cannot go back to format %d", ErrEpochs, next.Format)
	}
	if len(next.Epochs) < len(prev.Epochs) {
		return fmt.Errorf("%w: %d key epochs, the earlier version has %d: key epochs are never removed", ErrEpochs, len(next.Epochs), len(prev.Epochs))
	}
	if d := len(next.Epochs) - len(prev.Epochs); d > maxAdded {
		return fmt.Errorf("%w: this version adds %d key epochs; a version adds at most one", ErrEpochs, d)
	}
	for i, o := range prev.Epochs {
		n := next.Epochs[i]
		if n.Epoch != o.Epoch || n.Start != o.Start {
			return fmt.Errorf("%w: key epoch %d starts at position %d in the earlier version, not %d: earlier key epochs do not change", ErrEpochs, o.Epoch, o.Start, n.Start)
		}
		for _, w := range o.Writers {
			j := slices.IndexFunc(n.Writers, func(x EpochWriter) bool { return udf.Equal(x.Device, w.Device) })
			if j < 0 || n.Writers[j].Key == nil || w.Key == nil || !udf.Equal(n.Writers[j].Key.UDF, w.Key.UDF) {
				return fmt.Errorf("%w: writer %s of key epoch %d is removed or its key changed: a writer is removed by a new epoch", ErrEpochs, w.Device, o.Epoch)
			}
		}
		if i < len(prev.Epochs)-1 && len(n.Writers) != len(o.Writers) {
			return fmt.Errorf("%w: key epoch %d has %d writers in the earlier version, %d in this one: the writers of an earlier epoch do not change", ErrEpochs, o.Epoch, len(o.Writers), len(n.Writers))
		}
	}
	return nil
}

// UnverifiedPassword reads the password profile a signed application
// profile holds without verifying it: for one verified when it was
// stored.
func UnverifiedPassword(s *SignedApplicationProfile) (*PasswordProfile, error) {
	if s == nil || s.SignedData == nil {
		return nil, fmt.Errorf("%w: no signed password profile", ErrMalformed)
	}
	payload, err := s.SignedData.UnverifiedPayload()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	var pp PasswordProfile
	if err := UnmarshalTagged(payload, TagPasswordProfile, &pp); err != nil {
		return nil, err
	}
	return &pp, nil
}
