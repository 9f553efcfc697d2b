package client

import "errors"

// Errors a Client returns, each wrapped with detail; test with errors.Is.
var (
	// ErrNotFound is returned by a Storage for a key it does not hold.
	ErrNotFound = errors.New("client: not found in storage")
	// ErrNoDevice means the storage holds no device: create a profile or
	// connect this device first.
	ErrNoDevice = errors.New("client: no device set up here")
	// ErrState means the operation does not fit the device's state (a
	// device already set up, or no connection request pending).
	ErrState = errors.New("client: not possible in this device's state")
	// ErrLocked means the private keys are sealed: call Unlock first.
	ErrLocked = errors.New("client: locked; unlock with the passphrase first")
	// ErrInvalidAccount means the portal refuses the account name.
	ErrInvalidAccount = errors.New("client: account name refused")
	// ErrInvalidProfile means a profile from the portal does not verify
	// (the profile package's error is wrapped too).
	ErrInvalidProfile = errors.New("client: profile does not verify")
	// ErrWrongProfile means the portal answered with a profile other than
	// the pinned one.
	ErrWrongProfile = errors.New("client: not the pinned profile")
	// ErrRollback means the portal served an older version of a profile
	// than this device has already seen, or another profile with the same
	// version.
	ErrRollback = errors.New("client: profile rolled back")
	// ErrLog means a transparency log proof or checkpoint does not verify.
	ErrLog = errors.New("client: transparency log check failed")
	// ErrNotAuthorized means this device is not (or no longer) a device of
	// the profile, or may not read or write the passwords.
	ErrNotAuthorized = errors.New("client: this device is not authorized")
	// ErrTampered means the password profile does not decrypt or its
	// content cannot be read.
	ErrTampered = errors.New("client: password profile cannot be decrypted")
	// ErrNotAdministrator means the operation needs an administration
	// device (one holding the online signing key).
	ErrNotAdministrator = errors.New("client: not an administration device")
	// ErrConflict means concurrent updates kept winning over this one.
	ErrConflict = errors.New("client: too many concurrent updates")
	// ErrConnectResult means a connection result does not verify or is not
	// the answer to this device's request.
	ErrConnectResult = errors.New("client: connection result does not verify")
	// ErrRejected means an administrator rejected the connection request.
	ErrRejected = errors.New("client: connection request rejected")
	// ErrNoEntry means there is no password entry with that Id.
	ErrNoEntry = errors.New("client: no such password entry")
	// ErrNoRequest means there is no pending connection request for that
	// device.
	ErrNoRequest = errors.New("client: no such pending connection request")
	// ErrPending means a write was kept on this device, not yet published:
	// the portal could not be reached (the error says why). The next Sync
	// publishes it; until then List shows it and Pending names it.
	ErrPending = errors.New("client: saved on this device, to publish at the next sync")
	// ErrUpgrade means the vault is in a format this version of meshpass
	// does not know: a newer one upgraded it.
	ErrUpgrade = errors.New("client: this vault was upgraded by a newer meshpass; update meshpass")
	// ErrWitness means a connection request's witness exchange does not
	// verify: a contribution or reveal that is not the request's, a
	// revealed nonce that does not open the request's commitment, or a
	// request without a commitment (an older meshpass). Such a request
	// cannot be approved.
	ErrWitness = errors.New("client: the witness exchange does not verify")
	// ErrWitnessPending means the requesting device has not revealed its
	// nonce yet, so there is no witness code to compare: list the
	// requests again in a few seconds.
	ErrWitnessPending = errors.New("client: the device has not answered the witness exchange yet")
	// ErrExpiredRequest means a connection request is older than
	// ConnectExpiry (or dated in the future): it cannot be approved.
	ErrExpiredRequest = errors.New("client: the connection request has expired")
	// ErrRemovedDevice means the device asking to connect was removed
	// from the profile before: it cannot be approved again.
	ErrRemovedDevice = errors.New("client: the device was removed from the profile")
	// ErrUnconfirmedProfile means the person has not confirmed the
	// fingerprint of the profile this device asks to join
	// (ConfirmProfile).
	ErrUnconfirmedProfile = errors.New("client: the profile fingerprint is not confirmed")
	// ErrUnapprovedDevice means re-encrypting the vault (Repair, or the
	// repair a sync or administrative step makes) would add devices this
	// device has not approved or seen trusted: the error is an
	// *UnapprovedError naming them; show them to the person and Repair
	// with their confirmation.
	ErrUnapprovedDevice = errors.New("client: the profile lists devices this device has not approved")
	// ErrSnapshot means the portal's snapshot of the vault's catalog does
	// not verify: not signed by a writer of the vault's latest key epoch,
	// of another vault, its chunks changed or missing, or the catalog's
	// items after it do not chain from the head it states to the head the
	// log proves (an old snapshot replayed, items dropped between the
	// snapshot and the rest). The device keeps the state it had.
	ErrSnapshot = errors.New("client: the portal's snapshot of the vault does not verify")
	// ErrTransport means the portal could not be reached or its answer
	// could not be read.
	ErrTransport = errors.New("client: portal unreachable")
)
