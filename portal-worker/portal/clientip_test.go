package portal

import (
	"net/http"
	"testing"
)

func TestProxyClientIP(t *testing.T) {
	proxies, err := ParseProxies("127.0.0.1, 10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	xff := ProxyClientIP(proxies, "X-Forwarded-For")
	real := ProxyClientIP(proxies, "X-Real-IP")
	for _, c := range []struct {
		remote, header, want string
		f                    func(*http.Request) string
	}{
		{"203.0.113.5:1", "198.51.100.1", "203.0.113.5", xff},          // not from a proxy: header ignored
		{"127.0.0.1:1", "198.51.100.1", "198.51.100.1", xff},           // from the proxy
		{"127.0.0.1:1", "6.6.6.6, 198.51.100.1", "198.51.100.1", xff},  // a forged left part is ignored
		{"127.0.0.1:1", "198.51.100.1, 10.1.2.3", "198.51.100.1", xff}, // through two proxies
		{"127.0.0.1:1", "", "127.0.0.1", xff},                          // no header
		{"127.0.0.1:1", "junk", "127.0.0.1", xff},                      // garbage
		{"127.0.0.1:1", "198.51.100.7", "198.51.100.7", real},          // one-address header
		{"192.0.2.1:1", "198.51.100.7", "192.0.2.1", real},             // not from a proxy
		{"127.0.0.1:1", "2001:db8::1", "2001:db8::1", xff},             // IPv6
	} {
		r, _ := http.NewRequest(http.MethodPost, "/", nil)
		r.RemoteAddr = c.remote
		if c.header != "" {
			r.Header.Set("X-Forwarded-For", c.header)
			r.Header.Set("X-Real-IP", c.header)
		}
		if got := c.f(r); got != c.want {
			t.Errorf("%s %q: %s, want %s", c.remote, c.header, got, c.want)
		}
	}
	if _, err := ParseProxies("10.0.0.0/33"); err == nil {
		t.Error("bad prefix accepted")
	}
}
