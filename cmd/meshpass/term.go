package main

import (
	"context"
	"errors"
	"io"

	"golang.org/x/term"
)

// isTerminal reports whether fd is a terminal (a console on Windows).
func isTerminal(fd int) bool { return term.IsTerminal(fd) }

// readNoEcho reads one line from the terminal fd with echo turned off
// (golang.org/x/term: termios on Unix, the console mode on Windows). An
// interrupt (ctx done) restores the terminal and returns at once instead
// of waiting for the line.
func readNoEcho(ctx context.Context, fd int) (string, error) {
	state, err := term.GetState(fd)
	if err != nil {
		return "", err
	}
	type result struct {
		line []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		line, err := term.ReadPassword(fd)
		done <- result{line, err}
	}()
	select {
	case r := <-done:
		if errors.Is(r.err, io.EOF) && len(r.line) == 0 {
			return "", errEOF
		}
		return string(r.line), r.err
	case <-ctx.Done():
		// The read goes on in its goroutine until the process exits.
		term.Restore(fd, state)
		return "", errors.New("interrupted")
	}
}
