package jsbridge

import (
	"fmt"
	"net/http"
	"strings"
)

// addHeaders adds to h the headers of lines, "name:value\n" each.
func addHeaders(h http.Header, lines string) error {
	for lines != "" {
		line, rest, ok := strings.Cut(lines, "\n")
		if !ok {
			return fmt.Errorf("jsbridge: headers %q do not end in a line break", lines)
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" {
			return fmt.Errorf("jsbridge: header line %q is not name:value", line)
		}
		h.Add(name, value)
		lines = rest
	}
	return nil
}
