package importer

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
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

// kdbxHeader is what checkKDBXHeader reads of a KDBX file's outer header.
type kdbxHeader struct {
	// major is 3 or 4.
	major uint16
	// compression is the offset of the compression flags' value (4 bytes,
	// 1 for gzip), or -1 if the header has none; gzip tells whether it
	// says gzip.
	compression int
	gzip        bool
	// end is the offset just after the header (where a KDBX 4 file's
	// SHA-256 of the header follows).
	end int
}

// checkKDBXHeader reads the outer header of a KDBX file (3.1 or 4) and
// refuses a key derivation out of bounds.
func checkKDBXHeader(data []byte) (kdbxHeader, error) {
	h := kdbxHeader{compression: -1}
	if len(data) < 12 {
		return h, formatError(KDBX, "too short for a KeePass database")
	}
	le := binary.LittleEndian
	if le.Uint32(data[0:]) != kdbxSig1 || le.Uint32(data[4:]) != kdbxSig2 {
		return h, formatError(KDBX, "not a KeePass database (no KDBX signature)")
	}
	h.major = le.Uint16(data[10:])
	if h.major != 3 && h.major != 4 {
		return h, formatError(KDBX, "KDBX version %d is not supported (3.1 and 4 are)", h.major)
	}
	at := 12
	for {
		size := 2
		if h.major == 4 {
			size = 4
		}
		if len(data)-at < 1+size {
			return h, formatError(KDBX, "the header is cut short")
		}
		id := data[at]
		var n int
		if h.major == 4 {
			n = int(le.Uint32(data[at+1:]))
		} else {
			n = int(le.Uint16(data[at+1:]))
		}
		at += 1 + size
		if n < 0 || n > len(data)-at {
			return h, formatError(KDBX, "the header is cut short")
		}
		field := data[at : at+n]
		at += n
		switch {
		case id == 0:
			h.end = at
			return h, nil
		case id == 3 && len(field) == 4:
			h.compression = at - n
			switch le.Uint32(field) {
			case 0:
			case 1:
				h.gzip = true
			default:
				return h, formatError(KDBX, "unknown compression %d", le.Uint32(field))
			}
		case id == 6 && h.major == 3 && len(field) == 8:
			if r := le.Uint64(field); r > MaxKDBXAESRounds {
				return h, formatError(KDBX, "%d AES key rounds, more than %d", r, MaxKDBXAESRounds)
			}
		case id == 11 && h.major == 4:
			if err := checkKDFParameters(field); err != nil {
				return h, err
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
	h, err := checkKDBXHeader(data)
	if err != nil {
		return err
	}
	if o.Password == "" && o.KeyFile == nil {
		return ErrPasswordNeeded
	}
	defer func() {
		if r := recover(); r != nil {
			err = formatError(KDBX, "the database is damaged")
		}
	}()
	db := gokeepasslib.NewDatabase()
	if db.Credentials, err = kdbxCredentials(o); err != nil {
		return err
	}
	if h.gzip {
		err = decodeKDBXBounded(db, data, h)
	} else {
		err = gokeepasslib.NewDecoder(bytes.NewReader(data)).Decode(db)
	}
	if err != nil {
		return kdbxError(err)
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

// kdbxCredentials is the database's composite key: the password, the key
// file (KeePass's formats: XML 1.0 or 2.0, 32 bytes, 64 hex digits, or any
// other file, hashed), or both.
func kdbxCredentials(o Options) (*gokeepasslib.DBCredentials, error) {
	var (
		c   *gokeepasslib.DBCredentials
		err error
	)
	switch {
	case o.KeyFile == nil:
		return gokeepasslib.NewPasswordCredentials(o.Password), nil
	case len(o.KeyFile) > MaxInput:
		return nil, fmt.Errorf("%w: a key file of %d bytes, more than %d MiB", ErrTooLarge, len(o.KeyFile), MaxInput>>20)
	case o.Password == "":
		c, err = gokeepasslib.NewKeyDataCredentials(o.KeyFile)
	default:
		c, err = gokeepasslib.NewPasswordAndKeyDataCredentials(o.Password, o.KeyFile)
	}
	if err != nil {
		return nil, formatError(KDBX, "the key file does not read: %v", err)
	}
	return c, nil
}

// kdbxError maps what gokeepasslib says of a database that does not open.
func kdbxError(err error) error {
	if errors.Is(err, ErrTooLarge) || errors.Is(err, ErrFormat) {
		return err
	}
	msg := err.Error()
	if strings.Contains(msg, "Wrong password") || strings.Contains(msg, "integrity") || strings.Contains(msg, "failed to verify HMAC") {
		return ErrPassword
	}
	return formatError(KDBX, "the database does not open: %v", err)
}

// MaxKDBXContent is the most bytes of a KDBX database's content once
// decompressed: a larger one (a "zip bomb") is refused as it is read.
const MaxKDBXContent = 256 << 20

// decodeKDBXBounded opens a gzip-compressed database without letting
// gokeepasslib decompress it (it would read all of it into memory): the
// library decrypts a copy whose header says "not compressed" (so it keeps
// the compressed bytes and fails on them as XML), the content is
// decompressed here up to MaxKDBXContent, and its inner header (KDBX 4)
// and XML are read as the library would. The copy's header no longer
// matches its HMAC, so the library's header check is off: the content's
// block HMACs (KDBX 4) or start bytes (3.1) still check the key, and the
// header's SHA-256 (KDBX 4) is checked here.
func decodeKDBXBounded(db *gokeepasslib.Database, data []byte, h kdbxHeader) error {
	if h.major == 4 {
		if len(data) < h.end+32 || !bytes.Equal(sha256Of(data[:h.end]), data[h.end:h.end+32]) {
			return formatError(KDBX, "the header is damaged (its SHA-256 differs)")
		}
		// The blocks (HMAC, length, data; an empty one last) must all be
		// there: a file cut short is damaged, not of a wrong password.
		at := h.end + 64
		for {
			if len(data)-at < 36 {
				return formatError(KDBX, "the database is cut short")
			}
			n := int64(binary.LittleEndian.Uint32(data[at+32:]))
			at += 36
			if n > int64(len(data)-at) {
				return formatError(KDBX, "the database is cut short")
			}
			at += int(n)
			if n == 0 {
				break
			}
		}
	}
	patched := bytes.Clone(data)
	binary.LittleEndian.PutUint32(patched[h.compression:], 0)
	db.Options.ValidateHashes = false
	err := gokeepasslib.NewDecoder(bytes.NewReader(patched)).Decode(db)
	if db.Content == nil || db.Content.RawData == nil {
		if err == nil {
			err = errors.New("no content")
		}
		return err
	}
	// Count first, keeping nothing; then decompress into a buffer of that
	// size.
	n, err := gunzip(db.Content.RawData, io.Discard, MaxKDBXContent+1)
	if err != nil {
		return err
	}
	if n > MaxKDBXContent {
		return fmt.Errorf("%w: the database's content is more than %d MiB once decompressed", ErrTooLarge, MaxKDBXContent>>20)
	}
	buf := bytes.NewBuffer(make([]byte, 0, n))
	if _, err := gunzip(db.Content.RawData, buf, n); err != nil {
		return err
	}
	plain := buf.Bytes()
	content := &gokeepasslib.DBContent{}
	if h.major == 4 {
		ih, rest, err := kdbxInnerHeader(plain)
		if err != nil {
			return err
		}
		content.InnerHeader, plain = ih, rest
	}
	if err := xml.NewDecoder(bytes.NewReader(plain)).Decode(content); err != nil {
		return formatError(KDBX, "its content is not KeePass XML: %v", err)
	}
	db.Content = content
	return nil
}

// kdbxInnerHeader reads a KDBX 4 inner header (the protected values'
// stream cipher and key; attachments are skipped) and returns it and the
// XML after it.
func kdbxInnerHeader(p []byte) (*gokeepasslib.InnerHeader, []byte, error) {
	ih := &gokeepasslib.InnerHeader{}
	for {
		if len(p) < 5 {
			return nil, nil, formatError(KDBX, "the inner header is cut short")
		}
		typ, n := p[0], int64(binary.LittleEndian.Uint32(p[1:]))
		p = p[5:]
		if n > int64(len(p)) {
			return nil, nil, formatError(KDBX, "the inner header is cut short")
		}
		v := p[:n]
		p = p[n:]
		switch typ {
		case gokeepasslib.InnerHeaderTerminator:
			return ih, p, nil
		case gokeepasslib.InnerHeaderIRSID:
			if len(v) != 4 {
				return nil, nil, formatError(KDBX, "the inner header's stream ID is not 4 bytes")
			}
			ih.InnerRandomStreamID = binary.LittleEndian.Uint32(v)
		case gokeepasslib.InnerHeaderIRSKey:
			ih.InnerRandomStreamKey = bytes.Clone(v)
		case gokeepasslib.InnerHeaderBinary:
			// An attachment: listed by its entries, not imported.
		default:
			return nil, nil, formatError(KDBX, "unknown inner header field %d", typ)
		}
	}
}

// gunzip decompresses the gzip stream z (ignoring what follows it: the
// content may end in the cipher's padding) into w, at most limit bytes,
// and returns how many it wrote.
func gunzip(z []byte, w io.Writer, limit int64) (int64, error) {
	gz, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return 0, formatError(KDBX, "its content does not decompress: %v", err)
	}
	gz.Multistream(false)
	n, err := io.Copy(w, io.LimitReader(gz, limit))
	if err != nil {
		return n, formatError(KDBX, "its content does not decompress: %v", err)
	}
	return n, nil
}

func sha256Of(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
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
