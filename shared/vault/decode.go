package vault

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"time"
)

// Reading a stored vault of 10,000 entries spent most of its time in
// encoding/json: the batch payload validated and split, each record
// validated and decoded again, each header encoded again as associated
// data. Records and batches are written by this package with
// encoding/json in one form (fields in order, identifiers, base64 and
// times without escapes), so this file reads and writes that form
// directly. Anything else — another order, an escape, a non-ASCII byte, a
// time or number not in the form encoding/json writes — is handed to
// encoding/json, so every input decodes exactly as it did before
// (TestCanonicalDecode, FuzzCanonicalDecode).

// canon reads the form encoding/json writes; ok turns false at the first
// byte it does not expect, and the caller falls back to encoding/json.
type canon struct {
	b  []byte
	i  int
	ok bool
}

// lit consumes s.
func (c *canon) lit(s string) {
	if !c.ok || len(c.b)-c.i < len(s) || string(c.b[c.i:c.i+len(s)]) != s {
		c.ok = false
		return
	}
	c.i += len(s)
}

// plain reports whether encoding/json writes b as itself inside a string
// and reads it back as itself: printable ASCII but for the quote, the
// backslash and the three it escapes for HTML.
func plain(b byte) bool {
	return b >= 0x20 && b < 0x7f && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&'
}

// raw consumes a string of plain bytes and returns its content.
func (c *canon) raw() []byte {
	c.lit(`"`)
	if !c.ok {
		return nil
	}
	start := c.i
	for c.i < len(c.b) && plain(c.b[c.i]) {
		c.i++
	}
	out := c.b[start:c.i]
	c.lit(`"`)
	return out
}

func (c *canon) str() string { return string(c.raw()) }

// bytes consumes a []byte as encoding/json writes it (standard base64).
func (c *canon) bytes() []byte {
	s := c.raw()
	if !c.ok {
		return nil
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
	n, err := base64.StdEncoding.Decode(out, s)
	if err != nil {
		c.ok = false
		return nil
	}
	return out[:n]
}

// int consumes an int in the form strconv.Itoa writes.
func (c *canon) int() int {
	start := c.i
	for c.i < len(c.b) && (c.b[c.i] == '-' || '0' <= c.b[c.i] && c.b[c.i] <= '9') {
		c.i++
	}
	s := string(c.b[start:c.i])
	n, err := strconv.Atoi(s)
	if err != nil || strconv.Itoa(n) != s {
		c.ok = false
	}
	return n
}

// time consumes a time as time.Time.MarshalJSON writes it.
func (c *canon) time() time.Time {
	s := c.str()
	if !c.ok {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Format(time.RFC3339Nano) != s {
		c.ok = false
	}
	return t
}

// record consumes a Record as encoding/json writes it.
func (c *canon) record(r *Record) {
	c.lit(`{"Vault":`)
	r.Vault = c.str()
	c.lit(`,"Entry":`)
	r.Entry = c.str()
	if c.ok && c.i < len(c.b) && string(c.b[c.i:min(len(c.b), c.i+12)]) == `,"Parents":[` {
		c.lit(`,"Parents":[`)
		for c.ok {
			r.Parents = append(r.Parents, c.str())
			if c.ok && c.i < len(c.b) && c.b[c.i] == ',' {
				c.i++
				continue
			}
			c.lit(`]`)
			break
		}
	}
	c.lit(`,"Writer":`)
	r.Writer = c.str()
	c.lit(`,"Key":`)
	r.Key = c.str()
	c.lit(`,"Epoch":`)
	r.Epoch = c.int()
	c.lit(`,"Time":`)
	r.Time = c.time()
	c.lit(`,"Nonce":`)
	r.Nonce = c.bytes()
	c.lit(`,"Sealed":`)
	r.Sealed = c.bytes()
	c.lit(`}`)
}

// decodeRecord decodes a record's JSON as json.Unmarshal does.
func decodeRecord(b []byte, r *Record) error {
	c := canon{b: b, ok: true}
	c.record(r)
	if c.ok && c.i == len(b) {
		return nil
	}
	*r = Record{}
	return json.Unmarshal(b, r)
}

// decodeBatch decodes a batch's JSON as json.Unmarshal does, and its
// records as decodeRecord does (recs[i] is b.Records[i]).
func decodeBatch(payload []byte) (*Batch, []Record, error) {
	var b Batch
	c := canon{b: payload, ok: true}
	c.lit(`{"Vault":`)
	b.Vault = c.str()
	c.lit(`,"Writer":`)
	b.Writer = c.str()
	c.lit(`,"Key":`)
	b.Key = c.str()
	c.lit(`,"Records":[`)
	var recs []Record
	b.Records = []json.RawMessage{}
	if c.ok && c.i < len(payload) && payload[c.i] == ']' {
		c.i++
	} else {
		for c.ok {
			start := c.i
			var r Record
			c.record(&r)
			if !c.ok {
				break
			}
			b.Records = append(b.Records, payload[start:c.i:c.i])
			recs = append(recs, r)
			if c.i < len(payload) && payload[c.i] == ',' {
				c.i++
				continue
			}
			c.lit(`]`)
			break
		}
	}
	c.lit(`}`)
	if c.ok && c.i == len(payload) {
		return &b, recs, nil
	}
	b = Batch{}
	if err := json.Unmarshal(payload, &b); err != nil {
		return nil, nil, err
	}
	recs = make([]Record, len(b.Records))
	for i, raw := range b.Records {
		if err := decodeRecord(raw, &recs[i]); err != nil {
			return &b, nil, &recordError{i, err}
		}
	}
	return &b, recs, nil
}

// recordError is a record of a batch that does not decode.
type recordError struct {
	i   int
	err error
}

func (e *recordError) Error() string { return "record " + strconv.Itoa(e.i) + ": " + e.err.Error() }

// appendPlain appends s as encoding/json writes it, if every byte of it is
// plain; ok false otherwise.
func appendPlain(out []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		if !plain(s[i]) {
			return out, false
		}
	}
	out = append(out, '"')
	out = append(out, s...)
	return append(out, '"'), true
}

// encodeHeader returns json.Marshal(h), writing it directly when its
// strings are plain.
func encodeHeader(h Header) ([]byte, error) {
	out := make([]byte, 0, 256)
	ok := true
	field := func(name, v string) {
		if ok {
			out = append(out, name...)
			out, ok = appendPlain(out, v)
		}
	}
	field(`{"Vault":`, h.Vault)
	field(`,"Entry":`, h.Entry)
	if len(h.Parents) > 0 {
		out = append(out, `,"Parents":[`...)
		for i, p := range h.Parents {
			if i > 0 {
				out = append(out, ',')
			}
			if ok {
				out, ok = appendPlain(out, p)
			}
		}
		out = append(out, ']')
	}
	field(`,"Writer":`, h.Writer)
	field(`,"Key":`, h.Key)
	out = append(out, `,"Epoch":`...)
	out = strconv.AppendInt(out, int64(h.Epoch), 10)
	out = append(out, `,"Time":`...)
	if y := h.Time.Year(); ok && y >= 0 && y <= 9999 {
		out = append(out, '"')
		out = h.Time.AppendFormat(out, time.RFC3339Nano)
		out = append(out, `"}`...)
		return out, nil
	}
	return json.Marshal(h)
}

// sortedParents returns h with its parents sorted (a copy) and its time
// in UTC: the form of its associated data.
func sortedParents(h Header) Header {
	h.Parents = slices.Clone(h.Parents)
	slices.Sort(h.Parents)
	h.Time = h.Time.UTC()
	return h
}
