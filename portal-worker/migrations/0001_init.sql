-- meshpass portal schema: plain SQLite SQL, shared by the native store
-- (portal-worker/sqlitestore) and D1 through the same statements
-- (portal-worker/sqlstore). Times are Unix milliseconds, which JavaScript
-- numbers (D1) hold exactly.

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

-- Guards: a write batch inserts a row here when one of its preconditions
-- fails; the CHECK constraint then fails the statement, and with it the
-- whole transaction (SQLite) or batch (D1, which has no BEGIN/COMMIT). The
-- constraint's name tells the store which error to return.
CREATE TABLE guard_log (x INTEGER CONSTRAINT meshpass_log CHECK (x IS NULL));
CREATE TABLE guard_conflict (x INTEGER CONSTRAINT meshpass_conflict CHECK (x IS NULL));
CREATE TABLE guard_limit (x INTEGER CONSTRAINT meshpass_limit CHECK (x IS NULL));
CREATE TABLE guard_missing (x INTEGER CONSTRAINT meshpass_missing CHECK (x IS NULL));
