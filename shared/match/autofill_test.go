package match

import "testing"

func TestAutomatic(t *testing.T) {
	cases := []struct {
		site, page string
		auto, ok   bool
	}{
		{"bank.example", "https://bank.example/login", true, true},
		{"bank.example:8443", "https://bank.example:8443/", true, true},
		{"*.bank.example", "https://login.bank.example/", true, true},
		{"*.bank.example", "https://a.b.bank.example/", true, true},
		{"bank.example", "https://login.bank.example/", false, true},
		{"login.bank.example", "https://user-content.bank.example/", false, true},
		{"login.bank.example", "https://bank.example/", false, true},
		{"127.0.0.1:8080", "http://127.0.0.1:8080/", true, true},
		// Another port is another origin: only a site naming it fills
		// without a click.
		{"bank.example", "https://bank.example:8443/", false, true},
		{"*.bank.example", "https://login.bank.example:8443/", false, true},
		{"bank.example", "https://bank.example:443/", true, true},
		{"bank.example", "https://bank.example.evil.example/", false, false},
	}
	for _, c := range cases {
		m, ok := Allowed(c.site, c.page, Options{AllowHTTP: true})
		if ok != c.ok || m.Automatic() != c.auto {
			t.Errorf("%s on %s: match %v, automatic %v; want %v, %v", c.site, c.page, ok, m.Automatic(), c.ok, c.auto)
		}
	}
	if (Match{}).Automatic() {
		t.Error("no match is automatic")
	}
}

func TestSameSite(t *testing.T) {
	cases := []struct {
		site, page string
		same       bool
	}{
		{"bank.example", "https://bank.example/", true},
		{"bank.example", "https://login.bank.example/", true},
		{"*.bank.example", "https://bank.example/", true},
		{"https://www.bank.example/login", "http://login.bank.example:8080/", true},
		{"bank.example", "https://bank-example.example/", false},
		{"bank.example", "https://bank.example.evil.example/", false},
		{"bank.example", "https://xn--bnk-sna.example/", false}, // a look-alike in punycode
		{"localhost:3000", "http://localhost:4000/", true},
		{"app.localhost", "http://other.localhost/", false},
		{"alice.github.io", "https://bob.github.io/", false},
		{"github.io", "https://github.io/", true},
		{"192.0.2.1", "http://192.0.2.1:8080/", true},
		{"192.0.2.1", "http://192.0.2.2/", false},
		{"[::1]:8443", "https://[::1]/", true},
		{"not a site", "https://bank.example/", false},
	}
	for _, c := range cases {
		p, err := ParsePage(c.page, Options{AllowHTTP: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := p.SameSite(c.site); got != c.same {
			t.Errorf("SameSite(%q) on %s = %v, want %v", c.site, c.page, got, c.same)
		}
	}
}
