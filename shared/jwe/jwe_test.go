package jwe

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/meshpass/meshpass/shared/internal/b64"
	"github.com/meshpass/meshpass/shared/keys"
)

func newKeys(t testing.TB, n int) ([]*keys.DecryptionKey, []*keys.PublicKey) {
	t.Helper()
	var privs []*keys.DecryptionKey
	var pubs []*keys.PublicKey
	for range n {
		k, err := keys.GenerateDecryptionKey()
		if err != nil {
			t.Fatal(err)
		}
		privs = append(privs, k)
		pubs = append(pubs, k.Public())
	}
	return privs, pubs
}

func TestEncryptDecrypt(t *testing.T) {
	for _, n := range []int{1, 2, 5, MaxRecipients} {
		privs, pubs := newKeys(t, n)
		msg := []byte(`{"Entries":[{"Sites":["example.com"],"Username":"alice","Password":"hunter2"}]}`)
		e, err := Encrypt(msg, pubs)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(e)
		if strings.Contains(string(b), "hunter2") {
			t.Fatal("plaintext visible")
		}
		var back EncryptedData
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		for i, k := range privs {
			got, err := back.Decrypt(k)
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("%d recipients, key %d: %q %v", n, i, got, err)
			}
		}
		if len(back.RecipientIDs()) != n || !back.HasRecipient(privs[0].ID()) {
			t.Error("recipient list")
		}
	}
}

func TestDecryptRefusals(t *testing.T) {
	privs, pubs := newKeys(t, 2)
	outsider, _ := keys.GenerateDecryptionKey()
	e, err := Encrypt([]byte("secret"), pubs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Decrypt(outsider); !errors.Is(err, ErrNotRecipient) {
		t.Errorf("outsider: %v", err)
	}

	flip := func(s string) string {
		b, _ := b64.Decode(s)
		b[0] ^= 1
		return b64.Encode(b)
	}
	cases := map[string]func(e *EncryptedData){
		"ciphertext":    func(e *EncryptedData) { e.Ciphertext = flip(e.Ciphertext) },
		"tag":           func(e *EncryptedData) { e.Tag = flip(e.Tag) },
		"iv":            func(e *EncryptedData) { e.IV = flip(e.IV) },
		"encrypted key": func(e *EncryptedData) { e.Recipients[0].EncryptedKey = flip(e.Recipients[0].EncryptedKey) },
		// The outsider's wrapped key relabelled for privs[0]: the unwrap fails.
		"swapped key": func(e *EncryptedData) {
			o, _ := Encrypt([]byte("secret"), []*keys.PublicKey{outsider.Public()})
			e.Recipients[0].EncryptedKey = o.Recipients[0].EncryptedKey
			e.Recipients[0].Header.EPK = o.Recipients[0].Header.EPK
		},
		"protected header": func(e *EncryptedData) {
			e.Protected = b64.Encode([]byte(`{"enc":"A256GCM","x":1}`))
		},
	}
	for name, mutate := range cases {
		c := clone(t, e)
		mutate(c)
		if _, err := c.Decrypt(privs[0]); !errors.Is(err, ErrDecrypt) {
			t.Errorf("%s: %v, want ErrDecrypt", name, err)
		}
	}
	malformed := map[string]func(e *EncryptedData){
		"zip":         func(e *EncryptedData) { e.Protected = b64.Encode([]byte(`{"enc":"A256GCM","zip":"DEF"}`)) },
		"enc A128GCM": func(e *EncryptedData) { e.Protected = b64.Encode([]byte(`{"enc":"A128GCM"}`)) },
		"alg RSA":     func(e *EncryptedData) { e.Recipients[0].Header.Alg = "RSA-OAEP" },
		"epk P-256": func(e *EncryptedData) {
			e.Recipients[0].Header.EPK = json.RawMessage(`{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}`)
		},
		"no recipients": func(e *EncryptedData) { e.Recipients = nil },
		"bad protected": func(e *EncryptedData) { e.Protected = "!!" },
	}
	for name, mutate := range malformed {
		c := clone(t, e)
		mutate(c)
		_, err := c.Decrypt(privs[0])
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrDecrypt) {
			t.Errorf("%s: %v, want a refusal", name, err)
		}
	}
}

func TestEncryptRefusals(t *testing.T) {
	_, pubs := newKeys(t, MaxRecipients+1)
	if _, err := Encrypt(nil, pubs); err == nil {
		t.Error("too many recipients")
	}
	if _, err := Encrypt(nil, nil); err == nil {
		t.Error("no recipients")
	}
	if _, err := Encrypt(nil, []*keys.PublicKey{pubs[0], pubs[0]}); err == nil {
		t.Error("duplicate recipient")
	}
	sig, _ := keys.GenerateSigningKey()
	if _, err := Encrypt(nil, []*keys.PublicKey{sig.Public()}); err == nil {
		t.Error("encrypted to a signing key")
	}
	bad := *pubs[0]
	bad.UDF = sig.ID()
	if _, err := Encrypt(nil, []*keys.PublicKey{&bad}); !errors.Is(err, keys.ErrFingerprint) {
		t.Errorf("mislabelled key: %v", err)
	}
}

func TestDirect(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	e, err := EncryptDirect([]byte("escrowed keys"), key)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(e)
	var back EncryptedData
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	got, err := back.DecryptDirect(key)
	if err != nil || string(got) != "escrowed keys" {
		t.Fatalf("%q %v", got, err)
	}
	wrong := bytes.Clone(key)
	wrong[0] ^= 1
	if _, err := back.DecryptDirect(wrong); !errors.Is(err, ErrDecrypt) {
		t.Errorf("wrong key: %v", err)
	}
	if _, err := EncryptDirect(nil, key[:16]); err == nil {
		t.Error("short key")
	}
	_, pubs := newKeys(t, 1)
	withRecipients, _ := Encrypt([]byte("x"), pubs)
	if _, err := withRecipients.DecryptDirect(key); !errors.Is(err, ErrMalformed) {
		t.Errorf("direct decrypt of recipient data: %v", err)
	}
	if _, err := back.Decrypt(mustKey(t)); !errors.Is(err, ErrMalformed) {
		t.Errorf("key decrypt of direct data: %v", err)
	}
}

func TestUnusedMembersRefused(t *testing.T) {
	_, pubs := newKeys(t, 1)
	e, _ := Encrypt([]byte("x"), pubs)
	b, _ := json.Marshal(e)
	for _, extra := range []string{`"aad":"AAAA",`, `"unprotected":{"alg":"dir"},`} {
		in := "{" + extra + string(b[1:])
		var back EncryptedData
		err := json.Unmarshal([]byte(in), &back)
		if !errors.Is(err, ErrMalformed) || strings.Count(err.Error(), "malformed") != 1 {
			t.Errorf("%s: %v", extra, err)
		}
	}
}

func TestSeedSpelling(t *testing.T) {
	privs, pubs := newKeys(t, 1)
	e, _ := Encrypt([]byte("x"), pubs)
	b, _ := json.Marshal(e)
	seed := strings.Replace(string(b), `"header"`, `"Header"`, 1)
	var back EncryptedData
	if err := json.Unmarshal([]byte(seed), &back); err != nil {
		t.Fatal(err)
	}
	if got, err := back.Decrypt(privs[0]); err != nil || string(got) != "x" {
		t.Fatalf("%q %v", got, err)
	}
}

func mustKey(t *testing.T) *keys.DecryptionKey {
	k, err := keys.GenerateDecryptionKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func clone(t *testing.T, e *EncryptedData) *EncryptedData {
	t.Helper()
	b, _ := json.Marshal(e)
	var c EncryptedData
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

func FuzzEncryptedData(f *testing.F) {
	k, _ := keys.GenerateDecryptionKey()
	e, _ := Encrypt([]byte("fuzz"), []*keys.PublicKey{k.Public()})
	good, _ := json.Marshal(e)
	f.Add(good)
	f.Add([]byte(`{"protected":"eyJlbmMiOiJBMjU2R0NNIn0","recipients":[{"Header":{"kid":"x"}}]}`))
	f.Add([]byte(`{}`))
	key := make([]byte, 32)
	f.Fuzz(func(t *testing.T, in []byte) {
		var d EncryptedData
		if err := json.Unmarshal(in, &d); err != nil {
			return
		}
		if got, err := d.Decrypt(k); err == nil && string(got) != "fuzz" {
			t.Fatalf("decrypted forged data %q", got)
		}
		d.DecryptDirect(key)
	})
}

func BenchmarkDecrypt(b *testing.B) {
	privs, pubs := newKeys(b, 3)
	e, _ := Encrypt(make([]byte, 64<<10), pubs)
	for b.Loop() {
		if _, err := e.Decrypt(privs[2]); err != nil {
			b.Fatal(err)
		}
	}
}
