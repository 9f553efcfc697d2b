package bwcrypt

import (
	"errors"
	"testing"
)

func TestSealOpen(t *testing.T) {
	f, err := Seal([]byte(`{"encrypted":false,"items":[]}`), "pw", MinPBKDF2Iterations)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := f.Open("pw")
	if err != nil || string(plain) != `{"encrypted":false,"items":[]}` {
		t.Fatalf("%q %v", plain, err)
	}
	if _, err := f.Open("other"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("wrong password: %v", err)
	}
	f.Data = f.Data[:len(f.Data)-8]
	if _, err := f.Open("pw"); err == nil {
		t.Fatal("a cut value opened")
	}
}

// TestArgon2id: the Argon2id derivation (over the SHA-256 of the salt)
// seals and opens, and its parameters are bounded.
func TestArgon2id(t *testing.T) {
	k := KDF{Type: Argon2id, Iterations: 1, MemoryMiB: 1, Parallelism: 1}
	key, err := DeriveKey("pw", "salt", k)
	if err != nil {
		t.Fatal(err)
	}
	s, err := key.Encrypt([]byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if p, err := key.Decrypt(s); err != nil || string(p) != "x" {
		t.Fatalf("%q %v", p, err)
	}
	for _, bad := range []KDF{
		{Type: Argon2id, Iterations: 1, MemoryMiB: MaxArgon2MemoryMiB + 1, Parallelism: 1},
		{Type: Argon2id, Iterations: MaxArgon2Iterations + 1, MemoryMiB: 1, Parallelism: 1},
		{Type: PBKDF2, Iterations: 1},
		{Type: PBKDF2, Iterations: MaxPBKDF2Iterations + 1},
		{Type: 7, Iterations: 600000},
	} {
		if _, err := DeriveKey("pw", "salt", bad); !errors.Is(err, ErrKDF) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	for _, s := range []string{"", "1.a|b|c", "2.a|b", "2.!!|AA==|AA==", "2.AAAAAAAAAAAAAAAAAAAAAA==|AAAA|AAAA"} {
		if _, err := key.Decrypt(s); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %v", s, err)
		}
	}
}
