// Package shamir splits a secret, such as a 256-bit key, into shares with
// Shamir's secret sharing scheme, so that any threshold of them recovers the
// secret and fewer reveal nothing about it.
//
// Arithmetic is done byte by byte in GF(2⁸) with the AES reduction polynomial
// x⁸+x⁴+x³+x+1 (0x11b), in constant time. Every share records a random
// identifier of the split it belongs to, so that shares of different splits
// are detected instead of silently combining into garbage.
//
// Shares are meant to be written down and typed back by people. [Share.String]
// returns a checksummed Base32 text form in dash-separated groups of five
// characters, and [ParseShare] reads it back, refusing any text with a typo.
//
//	shares, err := shamir.Split(key, 2, 3)
//	...
//	fmt.Println(shares[0]) // AEXQ4-...
//	...
//	s, err := shamir.ParseShare(text)
//	...
//	key, err := shamir.Combine([]shamir.Share{s1, s2})
package shamir

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
)

// Limits on the parameters of [Split].
const (
	maxSecretSize = 64  // bytes
	maxShares     = 255 // share indices are the nonzero elements of GF(2⁸)
)

// Errors returned by [Combine] (and, for [ErrInvalidShare], by [ParseShare]).
// They are wrapped with details; test for them with [errors.Is]. Their
// messages are meant to be shown to a person recovering a secret.
var (
	// ErrTooFewShares means fewer shares were given than the threshold
	// of the split requires.
	ErrTooFewShares = errors.New("too few shares")

	// ErrDifferentSplits means the shares do not all come from the same
	// call to Split.
	ErrDifferentSplits = errors.New("shares come from different splits")

	// ErrMismatch means shares claiming to be of the same split disagree
	// on the threshold or on the length of the secret.
	ErrMismatch = errors.New("shares do not match")

	// ErrDuplicateIndex means two shares have the same index, for example
	// because the same share was given twice.
	ErrDuplicateIndex = errors.New("duplicate share")

	// ErrInvalidShare means a share has an impossible field: index 0,
	// a threshold below 2, or a length of 0 or above 64 bytes. The zero
	// Share is invalid.
	ErrInvalidShare = errors.New("invalid share")
)

// A Share is one of the pieces a secret is split into by [Split].
//
// Shares are created by [Split] or [ParseShare]; the zero Share is invalid.
// A Share is immutable and safe to copy.
type Share struct {
	splitID   uint32
	threshold byte
	index     byte
	data      []byte // same length as the secret
}

// Index returns the index of the share within its split, from 1 to 255.
// It is also the point at which the secret sharing polynomial was evaluated.
func (s Share) Index() int { return int(s.index) }

// Threshold returns how many distinct shares of the split [Combine] needs to
// recover the secret.
func (s Share) Threshold() int { return int(s.threshold) }

// SplitID returns the random identifier shared by all shares produced by one
// call to [Split].
func (s Share) SplitID() uint32 { return s.splitID }

// validate checks the fields of s that do not depend on other shares.
func (s Share) validate() error {
	switch {
	case s.index == 0:
		return fmt.Errorf("%w: index 0", ErrInvalidShare)
	case s.threshold < 2:
		return fmt.Errorf("%w: threshold %d is below 2", ErrInvalidShare, s.threshold)
	case len(s.data) == 0:
		return fmt.Errorf("%w: no share bytes", ErrInvalidShare)
	case len(s.data) > maxSecretSize:
		return fmt.Errorf("%w: %d share bytes, at most %d are allowed", ErrInvalidShare, len(s.data), maxSecretSize)
	}
	return nil
}

// Split splits secret into the given number of shares, any threshold of which
// recover it with [Combine]. Fewer than threshold shares reveal nothing about
// the secret except its length.
//
// It requires 2 <= threshold <= shares <= 255 and a secret of 1 to 64 bytes.
// The shares are returned with indices 1 to shares, in order, and all carry
// the same fresh random split identifier.
func Split(secret []byte, threshold, shares int) ([]Share, error) {
	switch {
	case len(secret) == 0:
		return nil, errors.New("shamir: empty secret")
	case len(secret) > maxSecretSize:
		return nil, fmt.Errorf("shamir: secret is %d bytes, at most %d are allowed", len(secret), maxSecretSize)
	case threshold < 2:
		return nil, fmt.Errorf("shamir: threshold %d is below 2", threshold)
	case shares > maxShares:
		return nil, fmt.Errorf("shamir: %d shares requested, at most %d are possible", shares, maxShares)
	case shares < threshold:
		return nil, fmt.Errorf("shamir: %d shares cannot reach threshold %d", shares, threshold)
	}

	// One random polynomial of degree threshold-1 per secret byte; the
	// constant term is the secret byte. coeffs[k*len(secret)+b] is the
	// coefficient of x^(k+1) for byte b.
	coeffs := make([]byte, (threshold-1)*len(secret))
	defer clear(coeffs)
	if _, err := rand.Read(coeffs); err != nil {
		return nil, fmt.Errorf("shamir: reading randomness: %w", err)
	}
	var id [4]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, fmt.Errorf("shamir: reading randomness: %w", err)
	}

	out := make([]Share, shares)
	for i := range out {
		x := byte(i + 1)
		data := make([]byte, len(secret))
		for b := range secret {
			// Horner's rule, from the highest coefficient down.
			var y byte
			for k := threshold - 2; k >= 0; k-- {
				y = mul(y, x) ^ coeffs[k*len(secret)+b]
			}
			data[b] = mul(y, x) ^ secret[b]
		}
		out[i] = Share{
			splitID:   binary.BigEndian.Uint32(id[:]),
			threshold: byte(threshold),
			index:     x,
			data:      data,
		}
	}
	return out, nil
}

// Combine recovers the secret from shares of one split.
//
// All shares must be valid, come from the same split and have distinct
// indices, and there must be at least as many as the split's threshold. If
// more are given, all are checked but only the first threshold are used.
//
// Errors wrap [ErrTooFewShares], [ErrDifferentSplits], [ErrMismatch],
// [ErrDuplicateIndex] or [ErrInvalidShare]. Shares of the right split that
// were altered after [ParseShare] cannot be detected and yield a wrong secret.
func Combine(shares []Share) ([]byte, error) {
	if len(shares) == 0 {
		return nil, fmt.Errorf("%w: need at least 2 shares, got 0", ErrTooFewShares)
	}
	first := shares[0]
	var seen [256]int // seen[x] is 1 + the position of the share with index x
	for i, s := range shares {
		if err := s.validate(); err != nil {
			return nil, fmt.Errorf("share %d: %w", i+1, err)
		}
		if s.splitID != first.splitID {
			return nil, fmt.Errorf("%w: share %d is from split %08x, share 1 from split %08x",
				ErrDifferentSplits, i+1, s.splitID, first.splitID)
		}
		if s.threshold != first.threshold {
			return nil, fmt.Errorf("%w: share %d has threshold %d, share 1 has threshold %d",
				ErrMismatch, i+1, s.threshold, first.threshold)
		}
		if len(s.data) != len(first.data) {
			return nil, fmt.Errorf("%w: share %d is %d bytes long, share 1 is %d bytes long",
				ErrMismatch, i+1, len(s.data), len(first.data))
		}
		if j := seen[s.index]; j != 0 {
			return nil, fmt.Errorf("%w: shares %d and %d both have index %d",
				ErrDuplicateIndex, j, i+1, s.index)
		}
		seen[s.index] = i + 1
	}
	t := int(first.threshold)
	if len(shares) < t {
		return nil, fmt.Errorf("%w: need %d shares, got %d", ErrTooFewShares, t, len(shares))
	}
	use := shares[:t]

	// Lagrange interpolation at x = 0: secret = Σ yᵢ·lᵢ with
	// lᵢ = Π_{j≠i} xⱼ / (xⱼ - xᵢ), and subtraction is XOR in GF(2⁸).
	secret := make([]byte, len(first.data))
	for i, si := range use {
		l := byte(1)
		for j, sj := range use {
			if j != i {
				l = mul(l, mul(sj.index, inv(sj.index^si.index)))
			}
		}
		for b := range secret {
			secret[b] ^= mul(si.data[b], l)
		}
	}
	return secret, nil
}

// mul multiplies a and b in GF(2⁸) modulo x⁸+x⁴+x³+x+1, in constant time:
// no branches or memory accesses depend on the operands.
func mul(a, b byte) byte {
	var p byte
	for range 8 {
		p ^= -(b & 1) & a // add a if the low bit of b is set
		carry := -(a >> 7)
		a = a<<1 ^ carry&0x1b // multiply a by x, reducing modulo 0x11b
		b >>= 1
	}
	return p
}

// inv returns the multiplicative inverse of a in GF(2⁸), computed in
// constant time as a²⁵⁴ = a⁻¹ (since a²⁵⁵ = 1). inv(0) is 0.
func inv(a byte) byte {
	// 254 = 2 + 4 + 8 + ... + 128.
	r := byte(1)
	for range 7 {
		a = mul(a, a)
		r = mul(r, a)
	}
	return r
}
