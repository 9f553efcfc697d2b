// Package witness is a transparency log witness (C2SP tlog-witness) and
// the client a log uses to reach one.
//
// A witness is a party of its own, apart from the log: it holds an Ed25519
// cosigning key (translog.GenerateWitnessKey) and, for each log it
// watches (named by its origin, with the log's note verifier key), the
// latest checkpoint it cosigned. Asked to cosign a new checkpoint of a log
// (POST <prefix>/add-checkpoint), it requires a consistency proof from
// that latest checkpoint, and refuses a smaller tree, another tree of the
// same size or a tree that does not extend it: it never cosigns two
// branches of a forked log. What it signs is a timestamped cosignature
// (C2SP tlog-cosignature, cosignature/v1), so a client also learns how
// recently the witness saw the tree. meshpass-portal runs one
// (`meshpass-portal witness`); the portal gathers cosignatures with
// AddCheckpoint.
package witness

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/meshpass/meshpass/shared/translog"
)

// Path is the add-checkpoint endpoint under a witness's URL prefix.
const Path = "/add-checkpoint"

// ContentTypeSize is the content type of a 409 answer naming the size of
// the latest cosigned checkpoint.
const ContentTypeSize = "text/x.tlog.size"

// MaxProofLines is the most consistency proof lines a request carries.
const MaxProofLines = 63

// maxBody is the largest request body read.
const maxBody = 64 << 10

// State keeps the latest checkpoint a witness cosigned for each log. The
// Witness serializes its calls.
type State interface {
	// Latest returns the latest checkpoint cosigned for origin (a signed
	// note, as the log sent it), or "" if none.
	Latest(origin string) (string, error)
	// Put records checkpoint as the latest cosigned for origin; it must
	// be durable when Put returns.
	Put(origin, checkpoint string) error
}

// Witness serves add-checkpoint.
type Witness struct {
	signer *translog.Cosigner
	logs   map[string]note.Verifiers
	state  State
	// Logf reports refusals that may be evidence of a log's misbehaviour
	// (an inconsistent checkpoint); nil: log.Printf.
	Logf func(format string, args ...any)

	// mu makes each check and update of the state atomic.
	mu sync.Mutex
}

// New returns a witness that cosigns with signer the checkpoints of the
// logs named by their origin, each with its log's note verifier keys,
// keeping its state in state.
func New(signer *translog.Cosigner, logs map[string][]string, state State) (*Witness, error) {
	if signer == nil || state == nil {
		return nil, errors.New("witness: a signer and a state are required")
	}
	w := &Witness{signer: signer, logs: map[string]note.Verifiers{}, state: state}
	for origin, keys := range logs {
		if err := w.AddLog(origin, keys...); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// AddLog makes the witness cosign the checkpoints of the log named origin
// too, signed by one of keys (its note verifier keys).
func (w *Witness) AddLog(origin string, keys ...string) error {
	if !translog.ValidOrigin(origin) {
		return fmt.Errorf("witness: log origin %q: no spaces, pluses or newlines", origin)
	}
	if len(keys) == 0 {
		return fmt.Errorf("witness: log %s: no verifier key", origin)
	}
	v, err := translog.NewVerifiers(keys...)
	if err != nil {
		return fmt.Errorf("witness: log %s: verifier key: %v", origin, err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.logs[origin] = v
	return nil
}

// VerifierKey is the witness's cosignature verifier key, which logs and
// their clients configure.
func (w *Witness) VerifierKey() string { return w.signer.VerifierKey() }

func (w *Witness) logf(format string, args ...any) {
	if w.Logf != nil {
		w.Logf(format, args...)
		return
	}
	log.Printf(format, args...)
}

// refusal is an answer other than 200.
type refusal struct {
	code int
	msg  string
	// size, for a 409 that names the latest cosigned size.
	size int64
}

func refuse(code int, format string, args ...any) *refusal {
	return &refusal{code: code, msg: fmt.Sprintf(format, args...), size: -1}
}

// ServeHTTP answers POST .../add-checkpoint.
func (w *Witness) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, Path) {
		http.Error(rw, "witness: POST "+Path, http.StatusNotFound)
		return
	}
	if r.Method != http.MethodPost {
		rw.Header().Set("Allow", http.MethodPost)
		http.Error(rw, "witness: POST "+Path, http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		http.Error(rw, "witness: reading the request: "+err.Error(), http.StatusBadRequest)
		return
	}
	if len(body) > maxBody {
		http.Error(rw, "witness: request too large", http.StatusRequestEntityTooLarge)
		return
	}
	sig, ref := w.add(body)
	if ref != nil {
		if ref.size >= 0 {
			rw.Header().Set("Content-Type", ContentTypeSize)
			rw.WriteHeader(ref.code)
			fmt.Fprintf(rw, "%d\n", ref.size)
			return
		}
		http.Error(rw, "witness: "+ref.msg, ref.code)
		return
	}
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(rw, sig)
}

// add handles one add-checkpoint request body: it returns the
// cosignature line, or why not (HTTP status and message).
func (w *Witness) add(body []byte) (string, *refusal) {
	old, proof, checkpoint, err := ParseRequest(body)
	if err != nil {
		return "", refuse(http.StatusBadRequest, "%v", err)
	}
	text, _, err := translog.NoteText(checkpoint)
	if err != nil {
		return "", refuse(http.StatusBadRequest, "%v", err)
	}
	origin, _, _ := strings.Cut(text, "\n")
	w.mu.Lock()
	verifiers, ok := w.logs[origin]
	w.mu.Unlock()
	if !ok {
		return "", refuse(http.StatusNotFound, "unknown log %q", origin)
	}
	n, err := note.Open([]byte(checkpoint), verifiers)
	if err != nil {
		var inv *note.InvalidSignatureError
		var unv *note.UnverifiedNoteError
		if errors.As(err, &inv) || errors.As(err, &unv) {
			return "", refuse(http.StatusForbidden, "the checkpoint is not signed by the key of log %s", origin)
		}
		return "", refuse(http.StatusBadRequest, "checkpoint: %v", err)
	}
	_, tree, err := translog.ParseCheckpoint([]byte(n.Text))
	if err != nil {
		return "", refuse(http.StatusBadRequest, "%v", err)
	}
	if old > tree.N {
		return "", refuse(http.StatusBadRequest, "old size %d is larger than the checkpoint's %d", old, tree.N)
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	latest, err := w.state.Latest(origin)
	if err != nil {
		w.logf("witness: reading the state of %s: %v", origin, err)
		return "", refuse(http.StatusServiceUnavailable, "state unavailable")
	}
	var last tlog.Tree
	if latest != "" {
		ln, err := note.Open([]byte(latest), verifiers)
		if err != nil {
			w.logf("witness: the stored checkpoint of %s does not verify: %v", origin, err)
			return "", refuse(http.StatusInternalServerError, "stored state unreadable")
		}
		if _, last, err = translog.ParseCheckpoint([]byte(ln.Text)); err != nil {
			return "", refuse(http.StatusInternalServerError, "stored state unreadable")
		}
	}
	if old != last.N {
		r := refuse(http.StatusConflict, "the latest checkpoint cosigned is of %d leaves", last.N)
		r.size = last.N
		return "", r
	}
	switch {
	case old == tree.N:
		if latest != "" && last.Hash != tree.Hash {
			w.logf("witness: log %s shows two trees of %d leaves (%s, cosigned, and %s): a fork", origin, tree.N, last.Hash, tree.Hash)
			return "", refuse(http.StatusConflict, "another tree of %d leaves was cosigned: the log forked", tree.N)
		}
		if len(proof) != 0 {
			return "", refuse(http.StatusBadRequest, "a proof between equal sizes is empty")
		}
	case old == 0:
		if len(proof) != 0 {
			return "", refuse(http.StatusBadRequest, "the proof from size 0 is empty")
		}
	default:
		if err := tlog.CheckTree(proof, tree.N, tree.Hash, old, last.Hash); err != nil {
			w.logf("witness: log %s: the tree of %d leaves does not extend the cosigned tree of %d (%v): a fork, or a bad proof", origin, tree.N, old, err)
			return "", refuse(http.StatusUnprocessableEntity, "the tree of %d leaves does not extend the cosigned tree of %d leaves", tree.N, old)
		}
	}
	if err := w.state.Put(origin, checkpoint); err != nil {
		w.logf("witness: saving the state of %s: %v", origin, err)
		return "", refuse(http.StatusServiceUnavailable, "state unavailable")
	}
	sig, err := w.signer.Cosign(n.Text)
	if err != nil {
		return "", refuse(http.StatusInternalServerError, "signing: %v", err)
	}
	return sig, nil
}

// FormatRequest returns an add-checkpoint request body.
func FormatRequest(old int64, proof []tlog.Hash, checkpoint string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "old %d\n", old)
	for _, h := range proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]) + "\n")
	}
	b.WriteString("\n")
	b.WriteString(checkpoint)
	return b.Bytes()
}

// ParseRequest reads an add-checkpoint request body.
func ParseRequest(body []byte) (old int64, proof []tlog.Hash, checkpoint string, err error) {
	rd := bufio.NewReader(bytes.NewReader(body))
	line, err := rd.ReadString('\n')
	if err != nil {
		return 0, nil, "", errors.New("no old size line")
	}
	s, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "old ")
	if !ok {
		return 0, nil, "", errors.New("the first line is not \"old <size>\"")
	}
	old, err = strconv.ParseInt(s, 10, 64)
	if err != nil || old < 0 || strconv.FormatInt(old, 10) != s {
		return 0, nil, "", fmt.Errorf("old size %q", s)
	}
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			return 0, nil, "", errors.New("no empty line before the checkpoint")
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			break
		}
		if len(proof) == MaxProofLines {
			return 0, nil, "", fmt.Errorf("more than %d proof lines", MaxProofLines)
		}
		b, err := base64.StdEncoding.DecodeString(line)
		if err != nil || len(b) != tlog.HashSize {
			return 0, nil, "", fmt.Errorf("proof line %d is not a base64 hash", len(proof)+1)
		}
		proof = append(proof, tlog.Hash(b))
	}
	rest, _ := io.ReadAll(rd)
	return old, proof, string(rest), nil
}
