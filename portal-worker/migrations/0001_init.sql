-- meshpass portal schema: plain SQLite SQL, shared by the native store
-- (portal-worker/sqlitestore) and D1. Times are Unix nanoseconds.

-- Accounts: case-folded name -> Identifier of the personal profile.
CREATE TABLE accounts (
  name    TEXT PRIMARY KEY,
  profile TEXT NOT NULL UNIQUE
);

-- The latest accepted version of every entry, with its log leaf index.
CREATE TABLE entries (
  id      TEXT PRIMARY KEY,
  kind    TEXT NOT NULL,
  account TEXT NOT NULL DEFAULT '',
  version INTEGER NOT NULL,
  data    BLOB NOT NULL,
  leaf    INTEGER NOT NULL
);

-- Application profiles and the account whose personal profile listed
-- them first.
CREATE TABLE applications (
  id      TEXT PRIMARY KEY,
  account TEXT NOT NULL
);

-- The transparency log: leaves, stored hashes (golang.org/x/mod/sumdb/tlog
-- StoredHashIndex order) and the signed checkpoint of every tree size.
CREATE TABLE leaves (
  idx  INTEGER PRIMARY KEY,
  data BLOB NOT NULL
);
CREATE TABLE hashes (
  idx  INTEGER PRIMARY KEY,
  hash BLOB NOT NULL
);
CREATE TABLE checkpoints (
  size       INTEGER PRIMARY KEY,
  checkpoint TEXT NOT NULL
);

-- Connection requests waiting for an administrator, and answered ones.
CREATE TABLE pending (
  account TEXT NOT NULL,
  device  TEXT NOT NULL,
  request BLOB NOT NULL,
  expires INTEGER NOT NULL,
  PRIMARY KEY (account, device)
);
CREATE TABLE results (
  account TEXT NOT NULL,
  device  TEXT NOT NULL,
  request BLOB NOT NULL,
  expires INTEGER NOT NULL,
  result  BLOB NOT NULL,
  PRIMARY KEY (account, device)
);

-- Nonces of authenticated requests, remembered until they expire.
CREATE TABLE nonces (
  device  TEXT NOT NULL,
  nonce   TEXT NOT NULL,
  expires INTEGER NOT NULL,
  PRIMARY KEY (device, nonce)
);
CREATE INDEX nonces_expires ON nonces (expires);
