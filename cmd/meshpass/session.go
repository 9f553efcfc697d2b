package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/meshpass/meshpass/shared/client"
)

// The timed unlock: `meshpass unlock --for 15m` keeps the unlocked
// device keys (client.SaveSession) in a file of the home directory,
// readable only by the user, until a fixed time; the commands run before
// then use them instead of asking for the passphrase, and `meshpass lock`
// deletes the file. See cmd/README.md for what this trades away.

// sessionFileName is the file of the home directory that holds a timed
// unlock.
const sessionFileName = "unlocked-session.json"

// Limits of `unlock --for`.
const (
	defaultUnlockFor = 15 * time.Minute
	maxUnlockFor     = 12 * time.Hour
)

// sessionFile is a client.Storage of one key, the unlocked session, in a
// 0600 file that stops answering (and is deleted) once expires passes.
type sessionFile struct {
	path    string
	expires time.Time // for Put
	now     func() time.Time
}

// storedSession is the file's content.
type storedSession struct {
	Expires time.Time `json:"expires"`
	Key     string    `json:"key"`
	Value   []byte    `json:"value"`
}

// errUnsafeSession is a session file others may read or write: it is
// never used.
var errUnsafeSession = errors.New("the unlocked session file is readable or writable by others; not using it")

func (s sessionFile) read() (*storedSession, error) {
	st, err := os.Lstat(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: no unlocked session", client.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() || st.Mode().Perm()&0o077 != 0 {
		return nil, errUnsafeSession
	}
	b, err := os.ReadFile(s.path)
	if err != nil {
		return nil, err
	}
	var ss storedSession
	if err := json.Unmarshal(b, &ss); err != nil {
		_ = os.Remove(s.path)
		return nil, fmt.Errorf("%w: unreadable session", client.ErrNotFound)
	}
	if !s.now().Before(ss.Expires) {
		_ = os.Remove(s.path) // expired: the keys leave the disk now
		return nil, fmt.Errorf("%w: the unlocked session expired", client.ErrNotFound)
	}
	return &ss, nil
}

// Get returns the session if it has not expired.
func (s sessionFile) Get(key string) ([]byte, error) {
	ss, err := s.read()
	if err != nil {
		return nil, err
	}
	if ss.Key != key {
		return nil, fmt.Errorf("%w: %q", client.ErrNotFound, key)
	}
	return ss.Value, nil
}

// Put writes the session with s.expires, atomically, readable only by
// the user.
func (s sessionFile) Put(key string, value []byte) error {
	b, err := json.Marshal(storedSession{Expires: s.expires, Key: key, Value: value})
	if err != nil {
		return err
	}
	dir := filepath.Dir(s.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".session-*") // mode 0600
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), s.path)
}

// Delete removes the session file.
func (s sessionFile) Delete(string) error {
	if err := os.Remove(s.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// session returns the home directory's session file.
func (a *app) session() (sessionFile, error) {
	home, err := a.homeDir()
	if err != nil {
		return sessionFile{}, err
	}
	return sessionFile{path: filepath.Join(home, sessionFileName), now: time.Now}, nil
}

// resume unlocks c from a timed unlock that has not expired, and reports
// whether it did. A session file others can read is reported and not
// used.
func (a *app) resume(c *client.Client) bool {
	if a.passphraseOnly {
		return false
	}
	s, err := a.session()
	if err != nil {
		return false
	}
	err = c.ResumeSession(s)
	if errors.Is(err, errUnsafeSession) {
		fmt.Fprintf(a.stderr, "meshpass: warning: %v (%s); `meshpass lock` deletes it\n", err, s.path)
	}
	return err == nil
}

func cmdUnlock(a *app, args []string) error {
	fs := a.flags("unlock", "",
		"Unlock this device for a while: the passphrase is asked once, and the unlocked\n"+
			"keys are kept in the file "+sessionFileName+" of the home directory (readable\n"+
			"only by you) until --for has passed; commands run before then do not ask for\n"+
			"the passphrase (export, escrow and unlock itself always do). `meshpass lock`\n"+
			"deletes the file at once. While it exists, anyone who can read your files\n"+
			"(your other programs, a backup) can read the keys: see cmd/README.md.")
	dur := fs.Duration("for", defaultUnlockFor, fmt.Sprintf("how long the device stays unlocked (at most %v)", maxUnlockFor))
	c, err := a.start(fs, args, 0, needDevice, func() error {
		if *dur <= 0 || *dur > maxUnlockFor {
			return usagef("unlock: --for must be more than 0 and at most %v", maxUnlockFor)
		}
		return nil
	})
	if err != nil {
		return err
	}
	a.passphraseOnly = true
	if err := a.unlock(c); err != nil {
		return err
	}
	s, err := a.session()
	if err != nil {
		return err
	}
	s.expires = time.Now().Add(*dur)
	if err := c.SaveSession(s); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Unlocked until %s (%v); `meshpass lock` locks now.\n", s.expires.Local().Format(time.DateTime), dur.Round(time.Second))
	return nil
}

func cmdLock(a *app, args []string) error {
	fs := a.flags("lock", "", "End a timed unlock (`meshpass unlock`): delete the unlocked keys from the disk.")
	if _, err := a.start(fs, args, 0, needNothing, nil); err != nil {
		return err
	}
	s, err := a.session()
	if err != nil {
		return err
	}
	_, statErr := os.Lstat(s.path)
	if err := s.Delete(client.SessionKey); err != nil {
		return err
	}
	if statErr != nil {
		fmt.Fprintln(a.stdout, "Not unlocked; nothing to lock.")
		return nil
	}
	fmt.Fprintln(a.stdout, "Locked: the passphrase is asked again.")
	return nil
}
