package seal

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// fast are the cheapest parameters Seal accepts, to keep tests quick.
var fast = Params{Time: MinTime, MemoryKiB: MinMemoryKiB, Threads: 1}

var (
	testPass  = []byte("correct horse battery staple")
	testPlain = []byte("-----BEGIN PRIVATE KEY----- not really")
)

func mustSeal(t testing.TB, pass, plain []byte, p Params) []byte {
	t.Helper()
	s, err := Seal(pass, plain, p)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return s
}

func TestRoundTrip(t *testing.T) {
	for _, plain := range [][]byte{nil, {0}, testPlain, bytes.Repeat([]byte{0xA5}, 10000)} {
		for _, p := range []Params{fast, {Time: 2, MemoryKiB: 9 * 1024, Threads: 2}} {
			s := mustSeal(t, testPass, plain, p)
			got, err := Open(testPass, s)
			if err != nil {
				t.Fatalf("Open(%v, %d bytes): %v", p, len(plain), err)
			}
			if !bytes.Equal(got, plain) {
				t.Fatalf("Open = %x, want %x", got, plain)
			}
			gp, err := ParamsOf(s)
			if err != nil || gp != p {
				t.Fatalf("ParamsOf = %v, %v; want %v", gp, err, p)
			}
		}
	}
}

func TestRoundTripDefault(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB Argon2id")
	}
	s := mustSeal(t, testPass, testPlain, DefaultParams)
	got, err := Open(testPass, s)
	if err != nil || !bytes.Equal(got, testPlain) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if p, _ := ParamsOf(s); p != (Params{Time: 3, MemoryKiB: 65536, Threads: 1}) {
		t.Fatalf("DefaultParams recorded as %+v", p)
	}
}

func TestFormat(t *testing.T) {
	s := mustSeal(t, testPass, testPlain, fast)
	var m map[string]any
	if err := json.Unmarshal(s, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"v": 1.0, "kdf": "argon2id", "t": 1.0, "m": 8192.0, "p": 1.0}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	for k, n := range map[string]int{"salt": 16, "nonce": 24, "ct": len(testPlain) + 16} {
		raw, err := base64.StdEncoding.DecodeString(m[k].(string))
		if err != nil || len(raw) != n {
			t.Errorf("%s: %d bytes, %v; want %d", k, len(raw), err, n)
		}
	}
	if len(m) != 8 {
		t.Errorf("%d members: %s", len(m), s)
	}
	// Fresh salt and nonce every time.
	s2 := mustSeal(t, testPass, testPlain, fast)
	var m2 map[string]any
	json.Unmarshal(s2, &m2)
	if m["salt"] == m2["salt"] || m["nonce"] == m2["nonce"] || m["ct"] == m2["ct"] {
		t.Errorf("two seals share salt, nonce or ciphertext:\n%s\n%s", s, s2)
	}
}

func TestWrongPassphrase(t *testing.T) {
	s := mustSeal(t, testPass, testPlain, fast)
	for _, pass := range [][]byte{[]byte("correct horse battery stapl"), []byte("Correct horse battery staple"),
		append(append([]byte{}, testPass...), 0), []byte("x")} {
		got, err := Open(pass, s)
		if !errors.Is(err, ErrWrongPassphrase) || got != nil {
			t.Errorf("Open(%q) = %q, %v; want ErrWrongPassphrase", pass, got, err)
		}
	}
	got, err := Open(nil, s)
	if !errors.Is(err, ErrWrongPassphrase) || !errors.Is(err, ErrEmptyPassphrase) || got != nil {
		t.Errorf("Open(empty) = %q, %v", got, err)
	}
	if ErrWrongPassphrase.Error() != "wrong passphrase" {
		t.Errorf("ErrWrongPassphrase says %q", ErrWrongPassphrase)
	}
}

func TestEmptyPassphraseSeal(t *testing.T) {
	for _, pass := range [][]byte{nil, {}} {
		s, err := Seal(pass, testPlain, fast)
		if !errors.Is(err, ErrEmptyPassphrase) || s != nil {
			t.Errorf("Seal(%q) = %q, %v; want ErrEmptyPassphrase", pass, s, err)
		}
	}
}

// TestEveryByteFlipped alters each byte of a blob in several ways; every
// result must be refused with one of the two sentinel errors.
func TestEveryByteFlipped(t *testing.T) {
	s := mustSeal(t, testPass, testPlain, fast)
	masks := []byte{0x01, 0x20, 0x80}
	if testing.Short() {
		masks = masks[:1]
	}
	for i := range s {
		for _, mask := range masks {
			mod := bytes.Clone(s)
			mod[i] ^= mask
			got, err := Open(testPass, mod)
			if err == nil || got != nil {
				t.Fatalf("byte %d ^ %#x: opened %q from %s", i, mask, got, mod)
			}
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrWrongPassphrase) {
				t.Fatalf("byte %d ^ %#x: unexpected error %v", i, mask, err)
			}
		}
	}
	// Truncations and extensions.
	for n := 0; n < len(s); n++ {
		if _, err := Open(testPass, s[:n]); !errors.Is(err, ErrMalformed) {
			t.Fatalf("truncated to %d: %v", n, err)
		}
	}
	for _, tail := range []string{"x", "{}", "\x00", " {"} {
		if _, err := Open(testPass, append(bytes.Clone(s), tail...)); !errors.Is(err, ErrMalformed) {
			t.Fatalf("with %q appended: %v", tail, err)
		}
	}
	// The untouched blob still opens (so the refusals above are not a
	// blanket failure).
	if got, err := Open(testPass, s); err != nil || !bytes.Equal(got, testPlain) {
		t.Fatalf("original: %q, %v", got, err)
	}
}

// edit decodes a blob into an ordered field list, lets f change it, and
// writes it back as JSON text.
func edit(t *testing.T, s []byte, f func(m map[string]string)) []byte {
	t.Helper()
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(s, &raw); err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for k, v := range raw {
		m[k] = string(v)
	}
	f(m)
	var b strings.Builder
	b.WriteString("{")
	first := true
	for _, k := range []string{"v", "kdf", "t", "m", "p", "salt", "nonce", "ct", "V", "x"} {
		if v, ok := m[k]; ok {
			if !first {
				b.WriteString(",")
			}
			first = false
			fmt.Fprintf(&b, "%q:%s", k, v)
		}
	}
	b.WriteString("}")
	return []byte(b.String())
}

func b64(n int, fill byte) string {
	return `"` + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{fill}, n)) + `"`
}

func TestTamperedFields(t *testing.T) {
	s := mustSeal(t, testPass, testPlain, fast)
	var orig map[string]json.RawMessage
	json.Unmarshal(s, &orig)
	ct, _ := base64.StdEncoding.DecodeString(strings.Trim(string(orig["ct"]), `"`))
	ctFlip := bytes.Clone(ct)
	ctFlip[len(ctFlip)-1] ^= 1
	ctFlipped := `"` + base64.StdEncoding.EncodeToString(ctFlip) + `"`
	ctShort := `"` + base64.StdEncoding.EncodeToString(ct[:len(ct)-1]) + `"`

	for _, tc := range []struct {
		name string
		f    func(m map[string]string)
		want error
	}{
		{"identity", func(m map[string]string) {}, nil},
		{"t+1", func(m map[string]string) { m["t"] = "2" }, ErrWrongPassphrase},
		{"m+1", func(m map[string]string) { m["m"] = "8193" }, ErrWrongPassphrase},
		{"p=2", func(m map[string]string) { m["p"] = "2" }, ErrWrongPassphrase},
		{"other salt", func(m map[string]string) { m["salt"] = b64(16, 7) }, ErrWrongPassphrase},
		{"other nonce", func(m map[string]string) { m["nonce"] = b64(24, 7) }, ErrWrongPassphrase},
		{"ct flipped", func(m map[string]string) { m["ct"] = ctFlipped }, ErrWrongPassphrase},
		{"ct truncated", func(m map[string]string) { m["ct"] = ctShort }, ErrWrongPassphrase},
		{"ct too short", func(m map[string]string) { m["ct"] = b64(15, 1) }, ErrMalformed},
		{"v=2", func(m map[string]string) { m["v"] = "2" }, ErrMalformed},
		{"v=0", func(m map[string]string) { m["v"] = "0" }, ErrMalformed},
		{"v string", func(m map[string]string) { m["v"] = `"1"` }, ErrMalformed},
		{"kdf argon2i", func(m map[string]string) { m["kdf"] = `"argon2i"` }, ErrMalformed},
		{"kdf case", func(m map[string]string) { m["kdf"] = `"Argon2id"` }, ErrMalformed},
		{"kdf number", func(m map[string]string) { m["kdf"] = `1` }, ErrMalformed},
		{"t=0", func(m map[string]string) { m["t"] = "0" }, ErrParams},
		{"t=101", func(m map[string]string) { m["t"] = "101" }, ErrParams},
		{"t leading zero", func(m map[string]string) { m["t"] = "01" }, ErrMalformed},
		{"t float", func(m map[string]string) { m["t"] = "1.0" }, ErrMalformed},
		{"t exponent", func(m map[string]string) { m["t"] = "1e0" }, ErrMalformed},
		{"t negative", func(m map[string]string) { m["t"] = "-1" }, ErrMalformed},
		{"t huge", func(m map[string]string) { m["t"] = "4294967296" }, ErrMalformed},
		{"t null", func(m map[string]string) { m["t"] = "null" }, ErrMalformed},
		{"m weak", func(m map[string]string) { m["m"] = "8191" }, ErrParams},
		{"m 1 GiB + 1", func(m map[string]string) { m["m"] = "1048577" }, ErrParams},
		{"m max uint32", func(m map[string]string) { m["m"] = "4294967295" }, ErrParams},
		{"p=0", func(m map[string]string) { m["p"] = "0" }, ErrParams},
		{"p=17", func(m map[string]string) { m["p"] = "17" }, ErrParams},
		{"p=256", func(m map[string]string) { m["p"] = "256" }, ErrMalformed},
		{"salt short", func(m map[string]string) { m["salt"] = b64(15, 7) }, ErrMalformed},
		{"salt long", func(m map[string]string) { m["salt"] = b64(17, 7) }, ErrMalformed},
		{"nonce 12", func(m map[string]string) { m["nonce"] = b64(12, 7) }, ErrMalformed},
		{"salt unpadded", func(m map[string]string) { m["salt"] = strings.TrimRight(m["salt"], `="`) + `"` }, ErrMalformed},
		{"salt url alphabet", func(m map[string]string) { m["salt"] = `"` + strings.Repeat("_", 22) + `=="` }, ErrMalformed},
		{"salt with newline escape", func(m map[string]string) { m["salt"] = m["salt"][:5] + `\n` + m["salt"][5:] }, ErrMalformed},
		{"salt array", func(m map[string]string) { m["salt"] = "[1,2]" }, ErrMalformed},
		{"missing ct", func(m map[string]string) { delete(m, "ct") }, ErrMalformed},
		{"missing v", func(m map[string]string) { delete(m, "v") }, ErrMalformed},
		{"upper-case key", func(m map[string]string) { m["V"] = m["v"]; delete(m, "v") }, ErrMalformed},
		{"extra member", func(m map[string]string) { m["x"] = "1" }, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mod := edit(t, s, tc.f)
			got, err := Open(testPass, mod)
			if tc.want == nil {
				if err != nil || !bytes.Equal(got, testPlain) {
					t.Fatalf("Open(%s) = %q, %v", mod, got, err)
				}
				return
			}
			if !errors.Is(err, tc.want) || got != nil {
				t.Fatalf("Open(%s) = %q, %v; want %v", mod, got, err, tc.want)
			}
			if errors.Is(tc.want, ErrParams) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("bounds error %v does not match ErrMalformed", err)
			}
		})
	}
	// A repeated member (which encoding/json would silently accept, last
	// one winning).
	dup := bytes.Replace(s, []byte(`"t":1,`), []byte(`"t":1,"t":1,`), 1)
	if bytes.Equal(dup, s) {
		t.Fatal("no t member to duplicate")
	}
	if _, err := Open(testPass, dup); !errors.Is(err, ErrMalformed) {
		t.Fatalf("repeated member: %v", err)
	}
}

// TestHeaderIsAdditionalData shows that the header, not only the key
// derivation, authenticates the parameters: the ciphertext opens under the
// derived key only with the header as additional data.
func TestHeaderIsAdditionalData(t *testing.T) {
	s := mustSeal(t, testPass, testPlain, fast)
	b, err := parse(s)
	if err != nil {
		t.Fatal(err)
	}
	key := argon2.IDKey(testPass, b.Salt, b.T, b.M, b.P, 32)
	aead, _ := chacha20poly1305.NewX(key)
	if got, err := aead.Open(nil, b.Nonce, b.CT, b.additionalData()); err != nil || !bytes.Equal(got, testPlain) {
		t.Fatalf("with header: %q, %v", got, err)
	}
	if _, err := aead.Open(nil, b.Nonce, b.CT, nil); err == nil {
		t.Fatal("ciphertext opens without the header as additional data")
	}
	other := *b
	other.V = 2
	if _, err := aead.Open(nil, b.Nonce, b.CT, other.additionalData()); err == nil {
		t.Fatal("ciphertext opens with a different version in the header")
	}
}

func TestSealParamBounds(t *testing.T) {
	for _, p := range []Params{
		{Time: 0, MemoryKiB: MinMemoryKiB, Threads: 1},
		{Time: MaxTime + 1, MemoryKiB: MinMemoryKiB, Threads: 1},
		{Time: 1, MemoryKiB: MinMemoryKiB - 1, Threads: 1},
		{Time: 1, MemoryKiB: 19 * 1024 / 4, Threads: 1},
		{Time: 1, MemoryKiB: MaxMemoryKiB + 1, Threads: 1},
		{Time: 1, MemoryKiB: MinMemoryKiB, Threads: 0},
		{Time: 1, MemoryKiB: MinMemoryKiB, Threads: MaxThreads + 1},
		{},
	} {
		s, err := Seal(testPass, testPlain, p)
		if !errors.Is(err, ErrParams) || s != nil {
			t.Errorf("Seal(%+v) = %q, %v; want ErrParams", p, s, err)
		}
	}
	for _, p := range []Params{DefaultParams, fast,
		{Time: MaxTime, MemoryKiB: MinMemoryKiB, Threads: MaxThreads},
		{Time: 1, MemoryKiB: MaxMemoryKiB, Threads: 1}} {
		if err := p.Validate(); err != nil {
			t.Errorf("%+v: %v", p, err)
		}
	}
	err := Params{Time: 1, MemoryKiB: 4096, Threads: 1}.Validate()
	if err == nil || !strings.Contains(err.Error(), "too weak") {
		t.Errorf("weak params error %v does not say why", err)
	}
}

// TestHostileParamsFailFast checks that a blob asking for the largest
// memory still refused allocates nothing like it.
func TestHostileParamsFailFast(t *testing.T) {
	s := mustSeal(t, testPass, testPlain, fast)
	hostile := bytes.Replace(s, []byte(`"m":8192`), []byte(`"m":4194304`), 1) // 4 GiB
	if bytes.Equal(hostile, s) {
		t.Fatal("no m member to replace")
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Open(testPass, hostile)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrMalformed) || !errors.Is(err, ErrParams) {
		t.Fatalf("Open(m=4 GiB) = %v", err)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
		t.Fatalf("refusing a hostile blob allocated %d bytes", d)
	}
}

func TestJunk(t *testing.T) {
	for _, junk := range []string{"", "null", "[]", "{}", "1", `"x"`, "{", "}", `{"v":1}`, "\xff\xfe",
		`{"v":1,"kdf":"argon2id","t":1,"m":8192,"p":1,"salt":"","nonce":"","ct":""}`} {
		got, err := Open(testPass, []byte(junk))
		if !errors.Is(err, ErrMalformed) || got != nil {
			t.Errorf("Open(%q) = %q, %v; want ErrMalformed", junk, got, err)
		}
		if _, err := ParamsOf([]byte(junk)); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParamsOf(%q) = %v", junk, err)
		}
	}
}

func FuzzOpen(f *testing.F) {
	// Seeds use the cheapest accepted parameters; every mutation that
	// keeps a valid structure still costs one 8 MiB Argon2id run.
	valid := mustSeal(f, testPass, testPlain, fast)
	f.Add(testPass, valid)
	f.Add([]byte("wrong"), valid)
	f.Add(testPass, []byte(`{"v":1,"kdf":"argon2id","t":1,"m":4194304,"p":1,"salt":"","nonce":"","ct":""}`))
	f.Add(testPass, []byte("{}"))
	f.Add([]byte{}, []byte(""))
	f.Fuzz(func(t *testing.T, pass, sealed []byte) {
		got, err := Open(pass, sealed)
		if err != nil {
			if got != nil {
				t.Fatalf("error %v with plaintext %q", err, got)
			}
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrWrongPassphrase) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		// Only the real passphrase opens anything, and only to the
		// real plaintext: the fuzzer cannot forge a blob.
		if !bytes.Equal(pass, testPass) || !bytes.Equal(got, testPlain) {
			t.Fatalf("Open(%q, %q) = %q", pass, sealed, got)
		}
		if _, err := ParamsOf(sealed); err != nil {
			t.Fatalf("opened, but ParamsOf: %v", err)
		}
	})
}

func BenchmarkOpenDefault(b *testing.B) {
	s := mustSeal(b, testPass, testPlain, DefaultParams)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Open(testPass, s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSealDefault(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Seal(testPass, testPlain, DefaultParams); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenJunk(b *testing.B) {
	junk := []byte(`{"v":1,"kdf":"argon2id","t":1,"m":4194304,"p":1,"salt":"","nonce":"","ct":""}`)
	for b.Loop() {
		if _, err := Open(testPass, junk); err == nil {
			b.Fatal("opened junk")
		}
	}
}
