//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package main

import "errors"

// isTerminal reports false: on this system the passphrase is read from
// standard input like any other line (with echo).
func isTerminal(fd int) bool { return false }

func readNoEcho(fd int) (string, error) {
	return "", errors.New("reading without echo is not supported on this system")
}
