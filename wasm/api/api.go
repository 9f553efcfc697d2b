// Package api is the contract between the browser extension and the Go
// core (package main of wasm/, globalThis.meshpass): every function the
// core exposes, with its argument and result types, whether the popup may
// call it, and the stable error codes and verification checks a failed
// call carries. It builds natively and for js/wasm.
//
// It is the one source of truth: wasm/ registers a handler for each
// Function (and a test fails if a handler is missing, extra, or of other
// types), and the JavaScript module extension/src/background/core-api.js
// and wasm/API.md are generated from it by
//
//	go test ./wasm/api -run TestGenerated -update
//
// (the same test without -update fails when either file is stale).
package api

import "reflect"

// Function is one function of the core, as JavaScript calls it:
// globalThis.meshpass[Name](JSON of an Arg) resolves with the JSON of a
// Result.
type Function struct {
	// Name is the function's name in JavaScript.
	Name string
	// Doc says what it does, in a sentence or two.
	Doc string
	// Arg is the Go type of its argument.
	Arg reflect.Type
	// Result is the Go type of its result.
	Result reflect.Type
	// Popup reports that the popup may call it (through the service
	// worker); the others are for the service worker only.
	Popup bool
}

// popup returns a Function the popup may call.
func popup[A, R any](name, doc string) Function {
	return Function{Name: name, Doc: doc, Arg: reflect.TypeFor[A](), Result: reflect.TypeFor[R](), Popup: true}
}

// worker returns a Function only the service worker calls.
func worker[A, R any](name, doc string) Function {
	f := popup[A, R](name, doc)
	f.Popup = false
	return f
}

// Functions are the core's functions, in the order the docs list them.
var Functions = []Function{
	popup[Empty, Status]("status",
		"Reports whether a device is set up here, unlocked, an administration device, and its account; works while locked."),
	popup[Account, Validity]("validate",
		"Asks the portal whether a new profile may take the account name; a refused name resolves with valid false and the portal's reason."),
	popup[Setup, Identity]("create",
		"Creates a profile at the portal with this device as its administration device, and unlocks it."),
	popup[Passphrase, Empty]("unlock",
		"Opens the sealed keys with the passphrase and keeps them in the session."),
	worker[Empty, Empty]("lock",
		"Forgets the unlocked keys and ends the session (the service worker's lock command also drops pending fills and offers)."),
	popup[Empty, Empty]("sync",
		"Fetches and verifies the profile and the passwords, and publishes the changes saved on this device while the portal was unreachable; a password profile with the wrong recipients (an approve or remove half done by another device) is repaired, unless that would add readers this device has not approved (unapproved_device: see unapprovedDevices and repair)."),
	popup[Empty, []Entry]("list",
		"Lists the entries, without their secrets (passwords, earlier passwords, one-time code URIs, hidden fields' values); pending marks those with changes not yet published."),
	popup[ID, Secret]("secret",
		"Returns the secrets of one entry (the popup's copy and edit): username, password, one-time code URI, custom fields with the hidden values, and the last earlier passwords with their dates; never more than that one entry's."),
	popup[ID, TOTPCode]("totp",
		"Returns the current one-time code of the entry id (RFC 6238; an hotp URI gives its counter's code), with its period and the seconds it stays valid; never the otpauth:// URI. An entry without one fails with not_found."),
	popup[TOTPURI, TOTPCheck]("totpCheck",
		"Checks an otpauth:// URI read from a QR image in the popup (or typed) as add and edit would, and returns it as an entry would store it, with its issuer, account and current code; writes nothing and works while locked. A URI it refuses fails with bad_request saying why."),
	popup[EntryInput, Entry]("add",
		"Adds an entry (sites, username, password and the other fields given) and publishes it; returns it without its secrets. Saved but not published (the portal unreachable): fails with pending."),
	popup[Entries, Added]("addMany",
		"Adds many entries at once (each as add takes it; all or none refused), sealed and signed in batches and published in few requests: the bulk write of imports. Saved but not published: fails with pending."),
	popup[ImportChunk, Uploaded]("importUpload",
		"Receives one piece of a file too large for one message (over MaxChunkBytes), in order, for importPreview's upload: the first piece (no upload) starts an upload of size bytes and forgets any other; a piece out of order or past the size fails with bad_request, an unknown or expired upload with not_found. Locking forgets it."),
	popup[ImportArg, ImportPreview]("importPreview",
		"Reads a file of another password manager's export (or a meshpass export; data, or a whole upload of importUpload, which it forgets) and says what an import would write, merge and leave out and why, writing nothing; the entries are kept in the core under the token (one import at a time, for ImportTTL, forgotten at lock). An encrypted file without its password fails with password_needed, with a wrong one with wrong_password, a file that is not of the format with bad_request."),
	popup[ImportToken, Imported]("importCommit",
		"Writes the entries of the preview named by token in one bulk write, leaving out those the vault holds by now; an unknown or expired token fails with not_found. Saved but not published: fails with pending."),
	popup[ExportArg, Exported]("exportVault",
		"Checks the vault passphrase again (wrong_passphrase), then returns every entry as a file: meshpass JSON, Bitwarden JSON or CSV, plaintext or encrypted under a passphrase of its own."),
	popup[EntryInput, Empty]("edit",
		"Changes the fields given of the entry id and publishes the change; saved but not published: fails with pending."),
	popup[ID, Empty]("remove",
		"Deletes the entry id and publishes the deletion; saved but not published: fails with pending."),
	popup[URL, Page]("page",
		"Says what the core makes of a page's URL: its origin, host, and whether it is insecure (plain http, not loopback); works while locked."),
	popup[MatchArg, []Candidate]("match",
		"Lists the entries that may fill the page (package match), best first, without their passwords."),
	worker[FillArg, Credential]("fill",
		"Returns the entry's credential only if package match lets it fill the page, else fails with not_allowed."),
	worker[AutofillArg, AutoCredential]("autofill",
		"Returns the credential of the entry id, or with no id of the best entry (with unique, the only one), that may fill the page without the person choosing it there: an exact host or a wildcard the person wrote (match.Match.Automatic), never a match through the registrable domain alone; else fails with not_allowed."),
	worker[Login, TypedLogin]("typedLogin",
		"Says what to do about a login typed on a page: nothing (saved by an entry that fills the page automatically), update the entry for exactly the page's host, add the host to an entry of its registrable domain that has the login, add a new entry, or warn (otherSite: the password is one the vault holds only for another registrable domain, named in site). No password leaves the core."),
	popup[Setup, Pending]("startConnect",
		"Asks to connect this device to the account's profile, committing to a secret nonce; show the profile fingerprint and have the person confirm it (confirmProfile) before polling."),
	popup[Fingerprint, Empty]("confirmProfile",
		"Records that the person confirmed the profile fingerprint of the pending connection request (another fingerprint fails with verification_failed, check wrong_profile)."),
	popup[Empty, Done]("pollConnect",
		"Asks the portal whether the connection request was answered, and completes it if approved; once an administration device has listed the request, it answers the witness exchange and returns the witness code to compare with the administration device's. Fails with unconfirmed_profile before confirmProfile."),
	popup[Empty, []Request]("pending",
		"Lists the connection requests waiting for this administration device, contributing to the witness exchange of each new one; a request still waiting for the device's answer has no witness code yet (list again in a few seconds)."),
	popup[DeviceArg, Empty]("approve",
		"Approves a connection request whose witness exchange is complete (else witness_pending) and re-encrypts the vault to the new device; a removed device or an expired request is refused."),
	popup[DeviceArg, Empty]("reject",
		"Rejects a connection request."),
	popup[Empty, ConnectCode]("issueConnectCode",
		"Issues a connect code (administration devices only) to give the device about to connect: a request made with it (startConnect's code) is kept however many other requests arrive; good once, for a day."),
	popup[PortalArg, Status]("movePortal",
		"Moves this device to the same portal at a new URL, checked before anything changes (the pinned log key, a log extending the one verified here, this account's profile with the pinned fingerprint); another portal fails with verification_failed and the device keeps its portal."),
	popup[Empty, []Device]("devices",
		"Lists the profile's devices."),
	popup[DeviceArg, Empty]("removeDevice",
		"Removes a device from the profile and re-encrypts the vault without it."),
	popup[Empty, []Device]("unapprovedDevices",
		"Lists the devices the profile lets read the passwords that the vault is not encrypted to yet and that this device has not approved or seen trusted: what sync's repair refuses with unapproved_device until the person confirms them."),
	popup[RepairArg, Empty]("repair",
		"Re-encrypts the vault to exactly the profile's readers, adding the devices in confirm (which the person confirmed) to those this device trusts; any other unapproved device fails with unapproved_device."),
	popup[Empty, Anchor]("planReanchor",
		"Compares the log this device verified with the portal's current one (sizes and log codes; extends when the portal's log extends it): after a portal restore, sync fails (verification_failed with check log_shrank, fork or rollback) and the person compares the new code with the other devices before reanchor."),
	popup[AnchorCode, Republished]("reanchor",
		"Re-anchors on the log planReanchor showed, whose new code the person confirmed (else state): publishes again this device's newer profiles and the vault records the portal lacks, then pins the portal's current log and syncs."),
	popup[Empty, Identity]("fingerprint",
		"Returns the profile's fingerprint and this device's identifier."),
	popup[Empty, Empty]("forget",
		"Deletes this device's state (after a rejected connection)."),
	popup[EscrowArgs, EscrowResult]("escrow",
		"Puts the administration keys in escrow as threshold-of-shares shares, shown once and never stored; older shares are void. If a step after the new escrow was published fails, it resolves with the (valid) shares and error instead of rejecting."),
	popup[RecoverArgs, RecoverResult]("recover",
		"Makes this device an administration device of the account's profile from escrow shares (unlocked); the shares used are void and new ones are returned, error as for escrow."),
	popup[Empty, Rules]("rules",
		"Returns the limits the core enforces (passphrase, escrow shares, password generator); works while locked."),
	popup[GenerateArg, Generated]("generatePassword",
		"Generates a random password of the length from the classes chosen; works while locked."),
	popup[PassphraseCheck, Verdict]("checkPassphrase",
		"Says whether the passphrase is acceptable for sealing the keys, and why not; works while locked."),
	popup[SiteCheck, SiteVerdict]("checkSite",
		"Says whether the site is acceptable for an entry, with its canonical form, and why not; works while locked."),
	popup[AccountCheck, AccountVerdict]("checkAccount",
		"Says whether the account name is acceptable, with its canonical form, and why not; works while locked."),
	popup[SharesCheck, Verdict]("checkShares",
		"Says whether threshold of shares is an acceptable escrow split, and why not; works while locked."),
}

// Lookup returns the Function named name, and whether there is one.
func Lookup(name string) (Function, bool) {
	for _, f := range Functions {
		if f.Name == name {
			return f, true
		}
	}
	return Function{}, false
}
