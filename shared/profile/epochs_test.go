package profile

import (
	"errors"
	"testing"

	"github.com/meshpass/meshpass/shared/keys"
)

func TestCheckEpochs(t *testing.T) {
	w := func() EpochWriter {
		k, err := keys.GenerateSigningKey()
		if err != nil {
			t.Fatal(err)
		}
		return EpochWriter{Device: k.ID(), Key: k.Public()}
	}
	a, b, c := w(), w(), w()
	b2 := w() // b with another key
	b2.Device = b.Device
	pp := func(epochs ...KeyEpoch) *PasswordProfile {
		return &PasswordProfile{Format: FormatCatalog, Epochs: epochs}
	}
	e := func(n int, start int64, ws ...EpochWriter) KeyEpoch {
		return KeyEpoch{Epoch: n, Start: start, Writers: ws}
	}
	prev := pp(e(1, 0, a, b), e(2, 5, a, b))
	for _, tc := range []struct {
		name     string
		next     *PasswordProfile
		maxAdded int
		ok       bool
	}{
		{"the same", pp(e(1, 0, a, b), e(2, 5, a, b)), 1, true},
		{"a writer added to the latest", pp(e(1, 0, a, b), e(2, 5, a, b, c)), 1, true},
		{"a new epoch without b", pp(e(1, 0, a, b), e(2, 5, a, b), e(3, 9, a)), 1, true},
		{"a writer added to the latest, then an epoch (versions skipped)", pp(e(1, 0, a, b), e(2, 5, a, b, c), e(3, 9, a)), 2, true},
		{"a writer removed from the latest", pp(e(1, 0, a, b), e(2, 5, a)), 1, false},
		{"a writer's key changed", pp(e(1, 0, a, b), e(2, 5, a, b2)), 1, false},
		{"a writer added to an earlier epoch", pp(e(1, 0, a, b, c), e(2, 5, a, b)), 1, false},
		{"a writer removed from an earlier epoch", pp(e(1, 0, a), e(2, 5, a, b)), 1, false},
		{"an epoch moved", pp(e(1, 0, a, b), e(2, 6, a, b)), 1, false},
		{"an epoch removed", pp(e(1, 0, a, b)), 1, false},
		{"two epochs added", pp(e(1, 0, a, b), e(2, 5, a, b), e(3, 9, a), e(4, 9, a)), 1, false},
		{"back to format 1", &PasswordProfile{}, 1, false},
	} {
		err := CheckEpochs(prev, tc.next, tc.maxAdded)
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrEpochs)) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if err := CheckEpochs(&PasswordProfile{}, pp(e(1, 0, a)), 1); err != nil {
		t.Errorf("from format 1: %v", err)
	}
}
