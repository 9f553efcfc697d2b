package jsbridge

import (
	"net/http"
	"reflect"
	"testing"
)

func TestAddHeaders(t *testing.T) {
	h := http.Header{}
	if err := addHeaders(h, "content-type:application/json\nx-a:1\nx-a:b:c\nx-empty:\n"); err != nil {
		t.Fatal(err)
	}
	want := http.Header{"Content-Type": {"application/json"}, "X-A": {"1", "b:c"}, "X-Empty": {""}}
	if !reflect.DeepEqual(h, want) {
		t.Errorf("got %v, want %v", h, want)
	}
	for _, bad := range []string{"x-a:1", "no colon\n", ":value\n"} {
		if err := addHeaders(http.Header{}, bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if err := addHeaders(h, ""); err != nil {
		t.Errorf("no headers: %v", err)
	}
}
