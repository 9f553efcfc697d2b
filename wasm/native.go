//go:build !(js && wasm)

package main

import (
	"fmt"
	"os"
)

// main outside js/wasm only says how to build the core: the handlers
// (app.go and the files beside it) build natively so that their tests
// run without a browser.
func main() {
	fmt.Fprintln(os.Stderr, "meshpass core: build with GOOS=js GOARCH=wasm (see wasm/README.md)")
	os.Exit(2)
}
