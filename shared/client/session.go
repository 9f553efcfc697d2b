package client

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/meshpass/meshpass/shared/udf"
)

// SessionKey is the Storage key under which SaveSession keeps the unlocked
// keys.
const SessionKey = "meshpass-session"

// session is the plaintext of an unlocked session.
type session struct {
	Device  string   `json:"Device"`
	Secrets *secrets `json:"Secrets"`
}

// SaveSession writes the unlocked private keys, unsealed, to s, so that a
// process that restarts within the session (a browser extension's service
// worker) can ResumeSession without the passphrase. s must be storage
// that never reaches the disk, such as chrome.storage.session or a
// MemoryStorage; never the device's own Storage.
func (c *Client) SaveSession(s Storage) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st == nil {
		return ErrNoDevice
	}
	if c.keys == nil {
		return ErrLocked
	}
	b, err := json.Marshal(&session{Device: c.st.Device, Secrets: c.keys.secrets()})
	if err != nil {
		return err
	}
	return s.Put(SessionKey, b)
}

// ResumeSession unlocks the keys from a session SaveSession wrote to s. It
// returns an error matching ErrLocked if s holds no session for this
// device.
func (c *Client) ResumeSession(s Storage) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st == nil {
		return ErrNoDevice
	}
	b, err := s.Get(SessionKey)
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: no session", ErrLocked)
	}
	if err != nil {
		return err
	}
	var ss session
	if err := json.Unmarshal(b, &ss); err != nil || ss.Secrets == nil {
		return fmt.Errorf("%w: session unreadable", ErrLocked)
	}
	if !udf.Equal(ss.Device, c.st.Device) {
		return fmt.Errorf("%w: the session is of another device", ErrLocked)
	}
	k, err := ss.Secrets.keys()
	if err != nil || !udf.Equal(k.sign.ID(), c.st.Device) {
		return fmt.Errorf("%w: session keys unusable", ErrLocked)
	}
	c.keys = k
	return nil
}

// EndSession deletes the session from s and locks the keys.
func (c *Client) EndSession(s Storage) error {
	c.Lock()
	return s.Delete(SessionKey)
}
