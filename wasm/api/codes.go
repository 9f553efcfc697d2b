package api

// The codes a failed call's Error carries in its code property. They are
// stable: JavaScript may switch on them (CODES in the generated module).
const (
	// CodeBadRequest: the argument is not the JSON the function takes,
	// a required field is missing, or a value in it is refused (an empty
	// passphrase, say).
	CodeBadRequest = "bad_request"
	// CodeWrongPassphrase: the passphrase does not open the sealed keys.
	CodeWrongPassphrase = "wrong_passphrase"
	// CodeLocked: the keys are sealed; unlock first.
	CodeLocked = "locked"
	// CodeNoDevice: no device is set up here; create or connect first.
	CodeNoDevice = "no_device"
	// CodeState: not possible in this device's state (a device already
	// set up, no connection request pending).
	CodeState = "state"
	// CodeNotFound: no such entry or pending request (or the portal knows
	// no such account).
	CodeNotFound = "not_found"
	// CodeNotAuthorized: this device is not (or no longer) authorized, or
	// the portal refused its authentication.
	CodeNotAuthorized = "not_authorized"
	// CodeNotAdministrator: the operation needs an administration device.
	CodeNotAdministrator = "not_administrator"
	// CodeNotAllowed: the entry may not fill that page (package match).
	CodeNotAllowed = "not_allowed"
	// CodeVerificationFailed: something from the portal does not verify;
	// the Error's check property says what (one of Checks).
	CodeVerificationFailed = "verification_failed"
	// CodeRejected: an administrator rejected the connection request.
	CodeRejected = "rejected"
	// CodeConflict: concurrent updates kept winning over this one.
	CodeConflict = "conflict"
	// CodeInvalidAccount: the portal refuses the account name.
	CodeInvalidAccount = "invalid_account"
	// CodeInsecurePortal: the portal URL is plain http on a host other than
	// this machine; a portal must be reached over https.
	CodeInsecurePortal = "insecure_portal"
	// CodeTransport: the portal could not be reached, its answer could not
	// be read, or the call timed out or was cancelled.
	CodeTransport = "transport"
	// CodePortal: the portal refused the request for another reason; the
	// Error's status property is the portal's status code.
	CodePortal = "portal"
	// CodeBadShare: an escrow share does not parse (mistyped: its
	// checksum is wrong; wrong length; a character a share cannot hold;
	// given twice). The message names the share: "share 2: ...".
	CodeBadShare = "bad_share"
	// CodeTooFewShares: fewer escrow shares than the threshold.
	CodeTooFewShares = "too_few_shares"
	// CodeDifferentSplits: the shares are not all of one escrow.
	CodeDifferentSplits = "different_splits"
	// CodeWrongKey: the shares rebuild a key that opens no escrow entry
	// at the portal.
	CodeWrongKey = "wrong_key"
	// CodeVoided: the shares are of an escrow a later one replaced.
	CodeVoided = "voided"
	// CodeOtherProfile: the shares open the escrow of another profile
	// than the account's.
	CodeOtherProfile = "other_profile"
	// CodePending: the change was saved on this device but the portal
	// could not be reached (or failed on its side); the next sync
	// publishes it, and until then list marks the entry pending. The
	// change is not lost: treat it as done, and say so.
	CodePending = "pending"
	// CodeUpgradeRequired: the vault was upgraded by a newer meshpass, in
	// a format this one does not know: update meshpass. Nothing failed to
	// verify.
	CodeUpgradeRequired = "upgrade_required"
	// CodeUnconfirmedProfile: the person has not confirmed the profile
	// fingerprint of the pending connection request (confirmProfile).
	CodeUnconfirmedProfile = "unconfirmed_profile"
	// CodeWitnessPending: the device asking to connect has not answered
	// the witness exchange yet; list the requests again in a few seconds.
	CodeWitnessPending = "witness_pending"
	// CodeRemovedDevice: the device asking to connect was removed from
	// the profile before; it cannot be approved again.
	CodeRemovedDevice = "removed_device"
	// CodeExpiredRequest: the connection request is too old to approve.
	CodeExpiredRequest = "expired_request"
	// CodeUnapprovedDevice: re-encrypting the vault would add readers this
	// device has not approved or seen trusted; unapprovedDevices lists
	// them, and repair with their confirmation adds them.
	CodeUnapprovedDevice = "unapproved_device"
	// CodePasswordNeeded: the file to import is encrypted; give its
	// password.
	CodePasswordNeeded = "password_needed"
	// CodeWrongPassword: the password given does not open the file to
	// import (or the file is damaged).
	CodeWrongPassword = "wrong_password"
	// CodeInternal: anything else, including a recovered panic.
	CodeInternal = "internal"
)

// Codes lists every error code, in the order the docs show them.
var Codes = []string{
	CodeBadRequest, CodeWrongPassphrase, CodeLocked, CodeNoDevice, CodeState,
	CodeNotFound, CodeNotAuthorized, CodeNotAdministrator, CodeNotAllowed,
	CodeVerificationFailed, CodeRejected, CodeConflict, CodeInvalidAccount,
	CodeInsecurePortal, CodeTransport, CodePortal, CodeBadShare, CodeTooFewShares,
	CodeDifferentSplits, CodeWrongKey, CodeVoided, CodeOtherProfile,
	CodePending, CodeUpgradeRequired, CodeUnconfirmedProfile, CodeWitnessPending,
	CodeRemovedDevice, CodeExpiredRequest, CodeUnapprovedDevice,
	CodePasswordNeeded, CodeWrongPassword, CodeInternal,
}

// The checks a CodeVerificationFailed Error names in its check property:
// which verification failed.
const (
	// CheckWrongProfile: the portal answered with another profile than
	// the one this device is pinned to.
	CheckWrongProfile = "wrong_profile"
	// CheckRollback: the portal served an older version of a profile
	// than this device has already seen, or another one with the same
	// version.
	CheckRollback = "rollback"
	// CheckLog: the transparency log's proofs or checkpoints do not
	// verify.
	CheckLog = "log"
	// CheckFork: the portal showed two histories of its log (to this
	// device, or to another device whose check-in this device read);
	// status's forkProof holds the proof.
	CheckFork = "fork"
	// CheckLogShrank: the portal's log is shorter than the one this
	// device verified: a restored backup (planReanchor, reanchor) or a
	// rollback.
	CheckLogShrank = "log_shrank"
	// CheckTampered: the password profile does not decrypt or its
	// content cannot be read.
	CheckTampered = "tampered"
	// CheckConnectResult: a connection result does not verify or is not
	// the answer to this device's request.
	CheckConnectResult = "connect_result"
	// CheckWitness: a connection request's witness exchange does not
	// verify (a contribution or reveal that is not the request's, a
	// revealed nonce that does not open its commitment, or no commitment).
	CheckWitness = "witness"
	// CheckInvalidProfile: a profile from the portal (or stored here)
	// does not verify.
	CheckInvalidProfile = "invalid_profile"
	// CheckEscrow: an escrow entry does not decrypt or is malformed.
	CheckEscrow = "escrow"
	// CheckSignature: a bare signature or decryption failure.
	CheckSignature = "signature"
)

// Checks lists every check name, in the order the docs show them.
var Checks = []string{
	CheckWrongProfile, CheckRollback, CheckFork, CheckLogShrank, CheckLog, CheckTampered,
	CheckConnectResult, CheckWitness, CheckInvalidProfile, CheckEscrow, CheckSignature,
}
