package witness

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// ConflictError is a witness's 409 answer naming the size of the latest
// checkpoint it cosigned for the log: the request's old size was not it.
type ConflictError struct {
	Size int64
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("witness: the latest checkpoint it cosigned is of %d leaves", e.Size)
}

// StatusError is any other answer than 200.
type StatusError struct {
	Code int
	Body string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("witness: %d %s: %s", e.Code, http.StatusText(e.Code), e.Body)
}

// maxAnswer is the most bytes of an answer read.
const maxAnswer = 16 << 10

// AddCheckpoint asks the witness at url (its submission prefix) to cosign
// checkpoint, proved consistent with the tree of old leaves it cosigned
// last by proof, and returns the note signature lines it answers (their
// form is checked, not their signatures). A 409 naming a size is a
// *ConflictError, any other refusal a *StatusError. hc nil means
// http.DefaultClient.
func AddCheckpoint(ctx context.Context, hc *http.Client, url string, old int64, proof []tlog.Hash, checkpoint string) (string, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(url, "/")+Path, bytes.NewReader(FormatRequest(old, proof, checkpoint)))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return "", err
	}
	if resp.StatusCode == http.StatusConflict {
		if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == ContentTypeSize {
			s := strings.TrimSuffix(string(b), "\n")
			if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
				return "", &ConflictError{Size: n}
			}
		}
	}
	if resp.StatusCode != http.StatusOK {
		return "", &StatusError{Code: resp.StatusCode, Body: strings.TrimSpace(string(b))}
	}
	lines := string(b)
	if lines == "" || !strings.HasSuffix(lines, "\n") {
		return "", fmt.Errorf("witness: the answer is not signature lines")
	}
	for line := range strings.Lines(lines) {
		if !strings.HasPrefix(line, "— ") {
			return "", fmt.Errorf("witness: the answer is not signature lines")
		}
	}
	return lines, nil
}
