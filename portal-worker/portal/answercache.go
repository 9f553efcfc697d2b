package portal

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"sync"

	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
)

// A Get answer is a function of the entries it carries, the offset it
// starts at and the tree it proves them in (size and checkpoint,
// cosignatures included). An entry is the bytes of its leaf, and the
// checkpoint's signed root hash commits to every leaf of the tree: so the
// entries' leaf indexes (and sizes) with the checkpoint name their bytes,
// without hashing them. answerKey hashes all of that, so a kept answer is
// served only for exactly the same inputs, which get still reads from the
// Store every time. What is saved is building the inclusion proofs and
// encoding the answer.
type answerKey [sha256.Size]byte

// getAnswerKey returns the key of the answer carrying found[offset:] in
// the tree of n leaves whose checkpoint is cp.
func getAnswerKey(offset int, n int64, cp string, found []*Entry) answerKey {
	h := sha256.New()
	var b [8]byte
	put := func(v int64) {
		binary.BigEndian.PutUint64(b[:], uint64(v))
		h.Write(b[:])
	}
	put(int64(offset))
	put(n)
	put(int64(len(cp)))
	h.Write([]byte(cp))
	put(int64(len(found)))
	for _, e := range found {
		put(e.Index)
		put(int64(len(e.Data)))
	}
	var k answerKey
	h.Sum(k[:0])
	return k
}

// answerCache keeps encoded answers, forgetting the oldest beyond max
// bytes in all.
type answerCache struct {
	mu    sync.Mutex
	max   int
	bytes int
	order []answerKey
	m     map[answerKey][]byte
}

func newAnswerCache(max int) *answerCache {
	return &answerCache{max: max, m: map[answerKey][]byte{}}
}

func (c *answerCache) get(k answerKey) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.m[k]
	return b, ok
}

func (c *answerCache) put(k answerKey, b []byte) {
	if len(b) > c.max/8 {
		return // a large answer would push out many small ones
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; ok {
		return
	}
	for c.bytes+len(b) > c.max && len(c.order) > 0 {
		c.bytes -= len(c.m[c.order[0]])
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
	c.order = append(c.order, k)
	c.m[k] = b
	c.bytes += len(b)
}

// rawGetResponse is mmm.GetResponse with its entries as the stored leaf
// bytes: a leaf is the JSON encoding of its mmm.Entry (translog.LeafData),
// so this encodes to the same bytes without decoding and encoding every
// entry again (TestRawGetResponse).
type rawGetResponse struct {
	mmm.Status
	Entries []json.RawMessage `json:"Entries,omitempty"`
	Proofs  []*mmm.LogProof   `json:"Proofs,omitempty"`
	Next    int               `json:"Next,omitempty"`
}

// encodedAnswer is a successful answer already encoded (mmm.Encode, its
// status set), which serveHTTP writes as it is.
type encodedAnswer struct {
	mmm.Response
	body []byte
}

// encodeGet encodes a successful Get answer.
func encodeGet(r *rawGetResponse) ([]byte, error) {
	r.Status = mmm.Status{Status: mmm.StatusOK, StatusDescription: mmm.DescriptionOK}
	return profile.MarshalTagged((&mmm.GetResponse{}).MessageType(), r)
}

// writeEncoded writes an encoded successful answer, as writeJSON does.
func writeEncoded(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(mmm.StatusOK)
	w.Write(body)
}
