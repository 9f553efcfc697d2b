package client

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/meshpass/meshpass/shared/keys"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/udf"
)

// Pinning beyond the personal profile's version (issue 12): the master
// profile a device has seen never goes back, and the vault is never
// re-encrypted to a reader this device has not approved or seen trusted
// without the person's confirmation.

// appendID appends id to list unless it is there already.
func appendID(list []string, id string) []string {
	if containsID(list, id) {
		return list
	}
	return append(list, id)
}

// initTrust returns state.Trusted, setting it first, if it is nil, to this
// device and the devices of the last verified profile (a state from before
// the list, or a device just recovered: the profile it trusted then).
func (c *Client) initTrust() []string {
	if c.st.Trusted == nil {
		c.st.Trusted = []string{c.st.Device}
		if c.personal != nil {
			for _, d := range c.personal.Devices {
				c.st.Trusted = appendID(c.st.Trusted, d.Identifier)
			}
		}
	}
	return c.st.Trusted
}

// track notes what changes from the last verified profile to next: the
// devices that left it are removed (never approved again, no longer
// trusted), and so are those next lists as Removed.
func (c *Client) track(next *profile.Personal) {
	if c.st == nil {
		return
	}
	c.initTrust()
	remove := func(id string) {
		c.st.Removed = appendID(c.st.Removed, id)
		c.st.Trusted = slices.DeleteFunc(c.st.Trusted, func(s string) bool { return udf.Equal(s, id) })
	}
	if c.personal != nil {
		for _, d := range c.personal.Devices {
			if next.Device(d.Identifier) == nil {
				remove(d.Identifier)
			}
		}
	}
	for _, id := range next.Profile.Removed {
		remove(id)
	}
}

// checkMaster refuses a personal profile whose master profile is older
// than the last verified one's, or of the same version with other online
// or escrow keys: a profile signed with an online key that a later master
// profile dropped (a stolen administration device after a recovery or
// escrow) is ErrRollback.
func (c *Client) checkMaster(v *profile.Personal) error {
	if c.personal == nil {
		return nil
	}
	old, cur := c.personal.Master, v.Master
	switch {
	case cur.Version < old.Version:
		return fmt.Errorf("%w: master profile version %d, but this device has seen version %d", ErrRollback, cur.Version, old.Version)
	case cur.Version == old.Version && (!sameKeys(cur.OnlineSignatureKeys, old.OnlineSignatureKeys) || !sameKeys(cur.MasterEscrowKeys, old.MasterEscrowKeys)):
		return fmt.Errorf("%w: master profile version %d with other online or escrow keys than this device has seen", ErrRollback, cur.Version)
	}
	return nil
}

func sameKeys(a, b []*keys.PublicKey) bool {
	if len(a) != len(b) {
		return false
	}
	for _, k := range a {
		if !slices.ContainsFunc(b, func(o *keys.PublicKey) bool { return udf.Equal(o.UDF, k.UDF) }) {
			return false
		}
	}
	return true
}

// UnapprovedError is the error of a re-encryption refused because the
// profile lists readers this device has not approved or seen trusted. It
// matches ErrUnapprovedDevice.
type UnapprovedError struct {
	// Devices are the devices the vault would be re-encrypted to.
	Devices []Device
}

// Error names the devices.
func (e *UnapprovedError) Error() string {
	var names []string
	for _, d := range e.Devices {
		n := d.ID
		if d.Description != "" {
			n = fmt.Sprintf("%s (%s)", d.Description, d.ID)
		}
		names = append(names, n)
	}
	return fmt.Sprintf("%v: %s; re-encrypt the vault to them only if you know them (repair, confirming them)", ErrUnapprovedDevice, strings.Join(names, ", "))
}

// Is reports ErrUnapprovedDevice.
func (e *UnapprovedError) Is(target error) bool { return target == ErrUnapprovedDevice }

// unapproved returns the devices the last verified profile lets read the
// passwords but that do not read them now (the last verified password
// profile is not encrypted to them) and that this device does not trust.
func (c *Client) unapproved() []Device {
	if c.personal == nil {
		return nil
	}
	app := passwordApp(c.personal)
	if app == nil {
		return nil
	}
	var readers []string
	if pp, err := profile.UnverifiedPassword(c.st.Password); err == nil && pp.EncryptedData != nil {
		readers = pp.EncryptedData.RecipientIDs()
	}
	trusted := c.initTrust()
	var out []Device
	for _, id := range app.DecryptID {
		d := c.personal.Device(id)
		if d == nil || containsID(readers, d.DeviceEncryptionKey.UDF) || udf.Equal(id, c.st.Device) || containsID(trusted, id) {
			continue
		}
		out = append(out, Device{ID: d.Identifier, Description: d.Description, Names: d.Names, EncryptionKey: d.DeviceEncryptionKey.UDF,
			Administrator: c.personal.IsAdministrator(d.Identifier), Passwords: true})
	}
	return out
}

// checkReaders fails with an *UnapprovedError if re-encrypting the vault
// to the last verified profile's readers would add a device this device
// does not trust.
func (c *Client) checkReaders() error {
	if list := c.unapproved(); len(list) > 0 {
		return &UnapprovedError{Devices: list}
	}
	return nil
}

// rekeyTrusted is rekey after checkReaders.
func (c *Client) rekeyTrusted(ctx context.Context) error {
	if err := c.checkReaders(); err != nil {
		return err
	}
	return c.rekey(ctx)
}

// UnapprovedDevices lists the devices the last verified profile lets read
// the passwords that the vault is not encrypted to yet and that this
// device has not approved or seen trusted: those a Repair would refuse
// (ErrUnapprovedDevice) without the person's confirmation.
func (c *Client) UnapprovedDevices() []Device {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st == nil {
		return nil
	}
	return c.unapproved()
}
