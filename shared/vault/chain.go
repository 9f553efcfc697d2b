package vault

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/meshpass/meshpass/shared/jws"
	"github.com/meshpass/meshpass/shared/keys"
)

// A catalog at the portal is a sequence of items, each a signed record or
// a signed batch, numbered from 0. Its head after n items is a hash chain
// over the items' bytes, which the portal's log commits
// (mmm.CatalogHead): holding the head a log proof vouches for, a client
// knows every item before it and their order.

// chainDomain separates the chain's hashes from every other SHA-256 use.
const chainDomain = "meshpass catalog head\x00"

// EmptyHead is the head of a catalog without items.
var EmptyHead = base64.RawURLEncoding.EncodeToString(make([]byte, sha256.Size))

// ChainHead returns the head after item, given the head before it (the
// base64url strings of mmm.CatalogHead.Head): SHA-256 of the domain, the
// previous head and the SHA-256 of the item's bytes.
func ChainHead(prev string, item []byte) (string, error) {
	p, err := base64.RawURLEncoding.DecodeString(prev)
	if err != nil || len(p) != sha256.Size {
		return "", fmt.Errorf("%w: catalog head %q", ErrMalformed, prev)
	}
	ih := sha256.Sum256(item)
	return ChainHash(base64.RawURLEncoding.EncodeToString(p), ih[:])
}

// Item returns the bytes of a signed record or batch as a catalog holds
// and chains them: its JSON.
func Item(s *Signed) ([]byte, error) { return json.Marshal(s) }

// ParseItem reads an item's bytes; they must be exactly the form Item
// gives (so that a head computed over them is the one computed over the
// item everyone else holds).
func ParseItem(item []byte) (*Signed, error) {
	// The canonical form is {"protected":"…","payload":"…","signature":"…"}
	// with base64url values: read it as such, without a JSON decoder.
	rest := item
	var vals [3]string
	for i, name := range []string{`{"protected":"`, `","payload":"`, `","signature":"`} {
		if !bytes.HasPrefix(rest, []byte(name)) {
			return nil, fmt.Errorf("%w: an item not in its canonical form", ErrMalformed)
		}
		rest = rest[len(name):]
		n := 0
		for n < len(rest) && isBase64URL(rest[n]) {
			n++
		}
		vals[i], rest = string(rest[:n]), rest[n:]
	}
	if string(rest) != `"}` {
		return nil, fmt.Errorf("%w: an item not in its canonical form", ErrMalformed)
	}
	return &jws.SignedData{Protected: vals[0], Payload: vals[1], Signature: vals[2]}, nil
}

// parseItem is ParseItem, also returning the signed payload, unverified.
func parseItem(item []byte) (*Signed, []byte, error) {
	s, err := ParseItem(item)
	if err != nil {
		return nil, nil, err
	}
	p, err := s.UnverifiedPayload()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return s, p, nil
}

func isBase64URL(b byte) bool {
	return 'A' <= b && b <= 'Z' || 'a' <= b && b <= 'z' || '0' <= b && b <= '9' || b == '-' || b == '_'
}

// Summary is what Inspect finds in an item, checked without its content
// key: the item's writer and key epoch, and how many records it holds.
type Summary struct {
	Writer  string
	Epoch   int
	Records int
	// Batch says the item is a batch (else one record).
	Batch bool
}

// Inspect checks an item of vault vaultID as a portal can, without
// decrypting it: it parses (in canonical form), every record in it is of
// the vault, of one writer and one key epoch, and the writer, whose
// signing key writerKey returns, signed it. writerKey returns an error
// wrapping ErrWriter for a device that may not write the vault.
func Inspect(item []byte, vaultID string, writerKey func(device string) (*keys.PublicKey, error)) (*Summary, error) {
	s, payload, err := parseItem(item)
	if err != nil {
		return nil, err
	}
	var headers []Header
	var sum Summary
	var key string
	if isBatch(payload) {
		var b Batch
		if err := json.Unmarshal(payload, &b); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		if len(b.Records) == 0 {
			return nil, fmt.Errorf("%w: an empty batch", ErrMalformed)
		}
		for i, raw := range b.Records {
			var r Record
			if err := json.Unmarshal(raw, &r); err != nil {
				return nil, fmt.Errorf("%w: record %d: %v", ErrMalformed, i, err)
			}
			if r.Writer != b.Writer || r.Key != b.Key {
				return nil, fmt.Errorf("%w: record %d is not of the batch's writer", ErrMalformed, i)
			}
			headers = append(headers, r.Header)
		}
		sum.Batch, key = true, b.Key
	} else {
		var r Record
		if err := json.Unmarshal(payload, &r); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		headers, key = []Header{r.Header}, r.Key
	}
	sum.Writer, sum.Epoch, sum.Records = headers[0].Writer, headers[0].Epoch, len(headers)
	for i, h := range headers {
		switch {
		case h.Vault != vaultID:
			return nil, fmt.Errorf("%w: record %d is of %s, not %s", ErrOtherVault, i, h.Vault, vaultID)
		case h.Entry == "" || h.Writer == "":
			return nil, fmt.Errorf("%w: record %d has no entry or writer", ErrMalformed, i)
		case h.Writer != sum.Writer || h.Epoch != sum.Epoch:
			return nil, fmt.Errorf("%w: records of several writers or key epochs in one item", ErrMalformed)
		}
	}
	pub, err := writerKey(sum.Writer)
	if err != nil {
		if !errors.Is(err, ErrWriter) {
			err = fmt.Errorf("%w: %w", ErrWriter, err)
		}
		return nil, err
	}
	if pub.UDF != key {
		return nil, fmt.Errorf("%w: the item says key %s, device %s signs with %s", ErrWriter, key, sum.Writer, pub.UDF)
	}
	if _, err := s.Verify(pub); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	return &sum, nil
}

// isBatch reports whether a signed payload is a Batch (it has Records)
// rather than one Record. A Record has no member of that name, and its
// string values (identifiers, base64, times) cannot hold the quoted name
// and colon, so finding `"Records":` is enough; the payload is then
// decoded as a Batch, which checks it, or as a Record.
func isBatch(payload []byte) bool {
	return bytes.Contains(payload, []byte(`"Records":`))
}

// ChainHash is ChainHead given the SHA-256 of the item rather than the
// item: a portal that keeps items' hashes recomputes a past head from
// them alone.
func ChainHash(prev string, itemHash []byte) (string, error) {
	p, err := base64.RawURLEncoding.DecodeString(prev)
	if err != nil || len(p) != sha256.Size || len(itemHash) != sha256.Size {
		return "", fmt.Errorf("%w: catalog head %q", ErrMalformed, prev)
	}
	h := sha256.New()
	h.Write([]byte(chainDomain))
	h.Write(p)
	h.Write(itemHash)
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)), nil
}

// Ref is what a portal learns of one record of an item without its
// content key: its version, entry and parents.
type Ref struct {
	Version string
	Entry   string
	Parents []string
}

// ItemRefs returns the records of an item (a record or a batch) as Refs,
// in order, without checking the signature.
func ItemRefs(item []byte) ([]Ref, error) {
	_, payload, err := parseItem(item)
	if err != nil {
		return nil, err
	}
	ref := func(raw []byte) (Ref, error) {
		var h struct {
			Entry   string   `json:"Entry"`
			Parents []string `json:"Parents"`
		}
		if err := json.Unmarshal(raw, &h); err != nil {
			return Ref{}, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		return Ref{Version: versionOf(raw), Entry: h.Entry, Parents: h.Parents}, nil
	}
	if !isBatch(payload) {
		r, err := ref(payload)
		return []Ref{r}, err
	}
	var b struct {
		Records []json.RawMessage `json:"Records"`
	}
	if err := json.Unmarshal(payload, &b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	out := make([]Ref, len(b.Records))
	for i, raw := range b.Records {
		if out[i], err = ref(raw); err != nil {
			return nil, err
		}
	}
	return out, nil
}
