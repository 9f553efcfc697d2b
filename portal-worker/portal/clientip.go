package portal

import (
	"fmt"
	"net"
	"net/http"
	"strings"
)

// RemoteIP is the default Options.ClientIP: the host of r.RemoteAddr.
func RemoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// ParseProxies parses a comma-separated list of addresses and CIDR
// prefixes ("127.0.0.1, 10.0.0.0/8").
func ParseProxies(list string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			ip := net.ParseIP(s)
			if ip == nil {
				return nil, fmt.Errorf("trusted proxy %q: not an address or CIDR prefix", s)
			}
			bits := 128
			if ip.To4() != nil {
				ip, bits = ip.To4(), 32
			}
			out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			continue
		}
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %v", s, err)
		}
		out = append(out, n)
	}
	return out, nil
}

func trusted(proxies []*net.IPNet, addr string) bool {
	ip := net.ParseIP(strings.TrimSpace(addr))
	if ip == nil {
		return false
	}
	for _, n := range proxies {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// ProxyClientIP returns an Options.ClientIP for a portal behind reverse
// proxies: when a request comes from one of proxies, the client is read
// from header. For X-Forwarded-For (a list each proxy appends to) it is
// the rightmost address that is not a trusted proxy, since everything to
// its left was written by the client; for a one-address header
// (X-Real-IP, CF-Connecting-IP) it is that address. A request from
// anywhere else is its own client, whatever headers it carries, so no
// client can pick the bucket it spends.
func ProxyClientIP(proxies []*net.IPNet, header string) func(r *http.Request) string {
	header = http.CanonicalHeaderKey(header)
	return func(r *http.Request) string {
		remote := RemoteIP(r)
		if len(proxies) == 0 || !trusted(proxies, remote) {
			return remote
		}
		values := r.Header.Values(header)
		if len(values) == 0 {
			return remote
		}
		if header != "X-Forwarded-For" {
			if ip := net.ParseIP(strings.TrimSpace(values[len(values)-1])); ip != nil {
				return ip.String()
			}
			return remote
		}
		hops := strings.Split(strings.Join(values, ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop := strings.TrimSpace(hops[i])
			if trusted(proxies, hop) {
				continue
			}
			if ip := net.ParseIP(hop); ip != nil {
				return ip.String()
			}
			return remote // garbage where an address should be
		}
		return remote
	}
}
