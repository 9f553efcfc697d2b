// Command meshpass is a full meshpass device on the command line: it
// creates a profile or connects to one, approves and removes other
// devices, and keeps the end-to-end encrypted password vault. Run
// `meshpass help` for the commands, flags and exit codes.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}
