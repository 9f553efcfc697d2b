//go:build !js

package portal

import "testing"

func TestFold(t *testing.T) {
	for _, c := range [][2]string{{"Alice", "alice"}, {"Straße", "STRASSE"}, {"ΣΊΣΥΦΟΣ", "σίσυφος"}} {
		if fold(c[0]) != fold(c[1]) {
			t.Errorf("fold(%q) = %q, fold(%q) = %q", c[0], fold(c[0]), c[1], fold(c[1]))
		}
	}
	if fold("alice") == fold("alicf") {
		t.Error("different names fold together")
	}
}
