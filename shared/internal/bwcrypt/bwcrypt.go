// Package bwcrypt is the encryption of Bitwarden's password-protected
// JSON exports, as Bitwarden documents it: a key derived from the
// password and the file's salt (PBKDF2-SHA256, or Argon2id over the
// SHA-256 of the salt), stretched with HKDF-Expand-SHA256 into an
// encryption key ("enc") and a MAC key ("mac"), and each encrypted value
// an EncString of type 2: "2." + base64(IV) + "|" + base64(AES-256-CBC
// ciphertext) + "|" + base64(HMAC-SHA256(IV || ciphertext)).
package bwcrypt

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// The KDF types of the file's kdfType.
const (
	PBKDF2   = 0
	Argon2id = 1
)

// Bounds on the KDF parameters a file may ask for (a file is untrusted:
// it must not make the importer run for hours or exhaust memory).
const (
	MinPBKDF2Iterations = 5000
	MaxPBKDF2Iterations = 10_000_000
	MaxArgon2Iterations = 100
	MaxArgon2MemoryMiB  = 1024
	MaxArgon2Threads    = 16
	// DefaultIterations is Bitwarden's PBKDF2 default.
	DefaultIterations = 600_000
)

// Errors.
var (
	// ErrKDF means the file's KDF parameters are refused.
	ErrKDF = errors.New("bwcrypt: KDF parameters refused")
	// ErrMalformed means an EncString does not parse.
	ErrMalformed = errors.New("bwcrypt: malformed encrypted value")
	// ErrDecrypt means a MAC did not verify: the wrong password or a
	// changed file.
	ErrDecrypt = errors.New("bwcrypt: wrong password or damaged file")
)

// KDF names a key derivation and its parameters.
type KDF struct {
	Type        int
	Iterations  int
	MemoryMiB   int
	Parallelism int
}

// Check refuses parameters outside the bounds.
func (k KDF) Check() error {
	switch k.Type {
	case PBKDF2:
		if k.Iterations < MinPBKDF2Iterations || k.Iterations > MaxPBKDF2Iterations {
			return fmt.Errorf("%w: PBKDF2 iterations %d not in %d..%d", ErrKDF, k.Iterations, MinPBKDF2Iterations, MaxPBKDF2Iterations)
		}
	case Argon2id:
		if k.Iterations < 1 || k.Iterations > MaxArgon2Iterations || k.MemoryMiB < 1 || k.MemoryMiB > MaxArgon2MemoryMiB ||
			k.Parallelism < 1 || k.Parallelism > MaxArgon2Threads {
			return fmt.Errorf("%w: Argon2id iterations %d, memory %d MiB, parallelism %d out of bounds", ErrKDF, k.Iterations, k.MemoryMiB, k.Parallelism)
		}
	default:
		return fmt.Errorf("%w: unknown kdfType %d", ErrKDF, k.Type)
	}
	return nil
}

// Key is the stretched key pair.
type Key struct{ enc, mac []byte }

// DeriveKey derives the key of a password-protected export from the
// password and the file's salt (used as its UTF-8 text, as Bitwarden does).
func DeriveKey(password, salt string, k KDF) (*Key, error) {
	if err := k.Check(); err != nil {
		return nil, err
	}
	var master []byte
	if k.Type == Argon2id {
		s := sha256.Sum256([]byte(salt))
		master = argon2.IDKey([]byte(password), s[:], uint32(k.Iterations), uint32(k.MemoryMiB*1024), uint8(k.Parallelism), 32)
	} else {
		var err error
		if master, err = pbkdf2.Key(sha256.New, password, []byte(salt), k.Iterations, 32); err != nil {
			return nil, err
		}
	}
	enc, err := hkdf.Expand(sha256.New, master, "enc", 32)
	if err != nil {
		return nil, err
	}
	mac, err := hkdf.Expand(sha256.New, master, "mac", 32)
	if err != nil {
		return nil, err
	}
	return &Key{enc: enc, mac: mac}, nil
}

// Decrypt opens a type-2 EncString.
func (k *Key) Decrypt(s string) ([]byte, error) {
	body, ok := strings.CutPrefix(s, "2.")
	parts := strings.Split(body, "|")
	if !ok || len(parts) != 3 {
		return nil, fmt.Errorf("%w: not of type 2 (AES-CBC-256, HMAC-SHA256)", ErrMalformed)
	}
	var raw [3][]byte
	for i, p := range parts {
		b, err := base64.StdEncoding.DecodeString(p)
		if err != nil {
			return nil, fmt.Errorf("%w: not base64", ErrMalformed)
		}
		raw[i] = b
	}
	iv, ct, tag := raw[0], raw[1], raw[2]
	if len(iv) != aes.BlockSize || len(ct) == 0 || len(ct)%aes.BlockSize != 0 || len(tag) != sha256.Size {
		return nil, fmt.Errorf("%w: wrong lengths", ErrMalformed)
	}
	m := hmac.New(sha256.New, k.mac)
	m.Write(iv)
	m.Write(ct)
	if !hmac.Equal(m.Sum(nil), tag) {
		return nil, ErrDecrypt
	}
	block, err := aes.NewCipher(k.enc)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, ct)
	n := int(out[len(out)-1])
	if n < 1 || n > aes.BlockSize || !bytes.Equal(out[len(out)-n:], bytes.Repeat([]byte{byte(n)}, n)) {
		return nil, ErrDecrypt
	}
	return out[:len(out)-n], nil
}

// Encrypt seals plain as a type-2 EncString under a random IV.
func (k *Key) Encrypt(plain []byte) (string, error) {
	iv := make([]byte, aes.BlockSize)
	if _, err := rand.Read(iv); err != nil {
		return "", err
	}
	n := aes.BlockSize - len(plain)%aes.BlockSize
	padded := append(bytes.Clone(plain), bytes.Repeat([]byte{byte(n)}, n)...)
	block, err := aes.NewCipher(k.enc)
	if err != nil {
		return "", err
	}
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(padded, padded)
	m := hmac.New(sha256.New, k.mac)
	m.Write(iv)
	m.Write(padded)
	b := base64.StdEncoding
	return "2." + b.EncodeToString(iv) + "|" + b.EncodeToString(padded) + "|" + b.EncodeToString(m.Sum(nil)), nil
}

// File is the outer JSON of a password-protected export.
type File struct {
	Encrypted         bool   `json:"encrypted"`
	PasswordProtected bool   `json:"passwordProtected"`
	Salt              string `json:"salt"`
	KdfType           int    `json:"kdfType"`
	KdfIterations     int    `json:"kdfIterations"`
	KdfMemory         *int   `json:"kdfMemory"`
	KdfParallelism    *int   `json:"kdfParallelism"`
	Validation        string `json:"encKeyValidation_DO_NOT_EDIT"`
	Data              string `json:"data"`
}

// KDF returns the file's KDF parameters.
func (f *File) KDF() KDF {
	k := KDF{Type: f.KdfType, Iterations: f.KdfIterations}
	if f.KdfMemory != nil {
		k.MemoryMiB = *f.KdfMemory
	}
	if f.KdfParallelism != nil {
		k.Parallelism = *f.KdfParallelism
	}
	return k
}

// Open decrypts the file's data with password: ErrDecrypt for a wrong
// password, ErrKDF for parameters out of bounds.
func (f *File) Open(password string) ([]byte, error) {
	key, err := DeriveKey(password, f.Salt, f.KDF())
	if err != nil {
		return nil, err
	}
	if f.Validation != "" {
		if _, err := key.Decrypt(f.Validation); err != nil {
			return nil, err
		}
	}
	return key.Decrypt(f.Data)
}

// Seal returns a password-protected export of plain (the JSON of an
// unencrypted export) under password, with PBKDF2 of iterations rounds
// (DefaultIterations if 0) and a random salt.
func Seal(plain []byte, password string, iterations int) (*File, error) {
	if iterations == 0 {
		iterations = DefaultIterations
	}
	s := make([]byte, 16)
	if _, err := rand.Read(s); err != nil {
		return nil, err
	}
	f := &File{Encrypted: true, PasswordProtected: true, Salt: base64.StdEncoding.EncodeToString(s), KdfType: PBKDF2, KdfIterations: iterations}
	key, err := DeriveKey(password, f.Salt, f.KDF())
	if err != nil {
		return nil, err
	}
	guid := make([]byte, 16)
	if _, err := rand.Read(guid); err != nil {
		return nil, err
	}
	if f.Validation, err = key.Encrypt(fmt.Appendf(nil, "%x-%x-%x-%x-%x", guid[0:4], guid[4:6], guid[6:8], guid[8:10], guid[10:])); err != nil {
		return nil, err
	}
	if f.Data, err = key.Encrypt(plain); err != nil {
		return nil, err
	}
	return f, nil
}
