package importer

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/meshpass/meshpass/shared/vault"
	"github.com/tobischo/gokeepasslib/v3"
)

// Bounds on a KDBX file's key derivation, checked before it runs: a file
// must not make the importer take gigabytes of memory or hours.
const (
	// MaxKDBXArgon2Memory is the most memory of its Argon2 (bytes).
	MaxKDBXArgon2Memory = 1 << 30
	// MaxKDBXArgon2Iterations is the most Argon2 iterations.
	MaxKDBXArgon2Iterations = 1000
	// MaxKDBXArgon2Parallelism is the most Argon2 lanes.
	MaxKDBXArgon2Parallelism = 64
	// MaxKDBXAESRounds is the most rounds of the AES key derivation.
	MaxKDBXAESRounds = 200_000_000
)

const (
	kdbxSig1 = 0x9AA2D903
	kdbxSig2 = 0xB54BFB67
)

// checkKDBXHeader reads the outer header of a KDBX file (3.1 or 4) and
// refuses a key derivation out of bounds.
func checkKDBXHeader(data []byte) error {
	if len(data) < 12 {
		return formatError(KDBX, "too short for a KeePass database")
	}
	le := binary.LittleEndian
	if le.Uint32(data[0:]) != kdbxSig1 || le.Uint32(data[4:]) != kdbxSig2 {
		return formatError(KDBX, "not a KeePass database (no KDBX signature)")
	}
	major := le.Uint16(data[10:])
	if major != 3 && major != 4 {
		return formatError(KDBX, "KDBX version %d is not supported (3.1 and 4 are)", major)
	}
	p := data[12:]
	for {
		size := 2
		if major == 4 {
			size = 4
		}
		if len(p) < 1+size {
			return formatError(KDBX, "the header is cut short")
		}
		id := p[0]
		var n int
		if major == 4 {
			n = int(le.Uint32(p[1:]))
		} else {
			n = int(le.Uint16(p[1:]))
		}
		p = p[1+size:]
		if n < 0 || n > len(p) {
			return formatError(KDBX, "the header is cut short")
		}
		field := p[:n]
		p = p[n:]
		switch {
		case id == 0:
			return nil
		case id == 6 && major == 3 && len(field) == 8:
			if r := le.Uint64(field); r > MaxKDBXAESRounds {
				return formatError(KDBX, "%d AES key rounds, more than %d", r, MaxKDBXAESRounds)
			}
		case id == 11 && major == 4:
			if err := checkKDFParameters(field); err != nil {
				return err
			}
		}
	}
}

// checkKDFParameters reads a KDBX 4 variant dictionary of KDF parameters.
func checkKDFParameters(d []byte) error {
	le := binary.LittleEndian
	short := formatError(KDBX, "the key derivation parameters are cut short")
	if len(d) < 2 {
		return short
	}
	d = d[2:]
	for {
		if len(d) < 1 {
			return short
		}
		typ := d[0]
		if typ == 0 {
			return nil
		}
		if len(d) < 5 {
			return short
		}
		kn := int(le.Uint32(d[1:]))
		d = d[5:]
		if kn < 0 || kn > len(d) {
			return short
		}
		key := string(d[:kn])
		d = d[kn:]
		if len(d) < 4 {
			return short
		}
		vn := int(le.Uint32(d))
		d = d[4:]
		if vn < 0 || vn > len(d) {
			return short
		}
		v := d[:vn]
		d = d[vn:]
		var n uint64
		switch len(v) {
		case 4:
			n = uint64(le.Uint32(v))
		case 8:
			n = le.Uint64(v)
		default:
			continue
		}
		switch {
		case key == "M" && n > MaxKDBXArgon2Memory:
			return formatError(KDBX, "Argon2 memory of %d MiB, more than %d MiB", n>>20, MaxKDBXArgon2Memory>>20)
		case key == "I" && n > MaxKDBXArgon2Iterations:
			return formatError(KDBX, "%d Argon2 iterations, more than %d", n, MaxKDBXArgon2Iterations)
		case key == "P" && n > MaxKDBXArgon2Parallelism:
			return formatError(KDBX, "Argon2 parallelism %d, more than %d", n, MaxKDBXArgon2Parallelism)
		case key == "R" && n > MaxKDBXAESRounds:
			return formatError(KDBX, "%d AES key rounds, more than %d", n, MaxKDBXAESRounds)
		}
	}
}

func parseKDBX(b *builder, data []byte, o Options) (err error) {
	if err := checkKDBXHeader(data); err != nil {
		return err
	}
	if o.Password == "" {
		return ErrPasswordNeeded
	}
	defer func() {
		if r := recover(); r != nil {
			err = formatError(KDBX, "the database is damaged")
		}
	}()
	db := gokeepasslib.NewDatabase()
	db.Credentials = gokeepasslib.NewPasswordCredentials(o.Password)
	if err := gokeepasslib.NewDecoder(bytes.NewReader(data)).Decode(db); err != nil {
		if strings.Contains(err.Error(), "Wrong password") || strings.Contains(err.Error(), "integrity") {
			return ErrPassword
		}
		return formatError(KDBX, "the database does not open: %v", err)
	}
	if err := db.UnlockProtectedEntries(); err != nil {
		return formatError(KDBX, "its protected values do not open: %v", err)
	}
	if db.Content == nil || db.Content.Root == nil {
		return formatError(KDBX, "the database has no content")
	}
	var recycle *gokeepasslib.UUID
	if m := db.Content.Meta; m != nil && m.RecycleBinEnabled.Bool {
		recycle = &m.RecycleBinUUID
	}
	for _, g := range db.Content.Root.Groups {
		// The root group's own name is not a folder.
		kdbxGroup(b, g, "", recycle, 0)
	}
	return nil
}

func kdbxGroup(b *builder, g gokeepasslib.Group, path string, recycle *gokeepasslib.UUID, depth int) {
	trash := recycle != nil && g.UUID == *recycle
	for _, e := range g.Entries {
		if trash {
			b.skip(e.GetTitle(), "login", "in the recycle bin")
			continue
		}
		b.add(kdbxEntry(b, e, path))
	}
	for _, sub := range g.Groups {
		p := sub.Name
		if path != "" {
			p = path + "/" + sub.Name
		}
		if trash {
			p = "" // everything under the recycle bin is skipped
			sub.UUID = *recycle
		}
		if depth < 64 {
			kdbxGroup(b, sub, p, recycle, depth+1)
		}
	}
}

func kdbxEntry(b *builder, e gokeepasslib.Entry, folder string) item {
	it := item{folder: folder, tags: splitList(e.Tags, ";,")}
	if t := e.Times.CreationTime; t != nil {
		it.created = t.Time.UTC()
	}
	var seed, settings string
	for _, v := range e.Values {
		c := v.Value.Content
		switch k := v.Key; {
		case k == "Title":
			it.name = c
		case k == "UserName":
			it.username = c
		case k == "Password":
			it.password = c
		case k == "URL":
			it.urls = append([]string{c}, it.urls...)
		case k == "Notes":
			it.notes = c
		case k == "otp":
			it.totp = c
		case k == "TOTP Seed":
			seed = c
		case k == "TOTP Settings":
			settings = c
		case strings.HasPrefix(k, "KP2A_URL"), strings.HasPrefix(k, "URL_"):
			it.urls = append(it.urls, c)
		default:
			it.field(k, c, v.Value.Protected.Bool)
		}
	}
	if it.totp == "" && seed != "" {
		it.totp = seed
		if settings != "" && settings != "30;6" {
			it.field("TOTP Settings", settings, false)
		}
	} else if seed != "" {
		it.field("TOTP Seed", seed, true)
	}
	for _, h := range e.Histories {
		for _, old := range h.Entries {
			pw := old.GetPassword()
			if pw == "" || pw == it.password {
				continue
			}
			c := vault.Change{Field: "Password", Value: pw}
			if t := old.Times.LastModificationTime; t != nil {
				c.Time = t.Time.UTC()
			}
			it.history = append(it.history, c)
		}
	}
	for _, bin := range e.Binaries {
		b.lost(it.name, "login", fmt.Sprintf("attachment %q not imported", bin.Name))
	}
	return it
}
