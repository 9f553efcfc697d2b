-- Quotas, invitations and connect codes (issue 13).

-- What each account has written (bytes as charged by the portal: every
-- version it logged, stored twice, plus the log's overhead) and the
-- entries it holds.
CREATE TABLE usage (
  account TEXT PRIMARY KEY,
  bytes   INTEGER NOT NULL DEFAULT 0,
  records INTEGER NOT NULL DEFAULT 0
);

-- What the whole portal stores, for the storage watermark; one row.
CREATE TABLE totals (
  id     INTEGER PRIMARY KEY CHECK (id = 1),
  bytes  INTEGER NOT NULL,
  leaves INTEGER NOT NULL
);

-- A database made before this migration: charge what it holds already.
INSERT INTO usage (account, bytes, records)
  SELECT account, SUM(2 * length(data) + 512), COUNT(*) FROM entries WHERE account != '' GROUP BY account;
INSERT INTO totals (id, bytes, leaves)
  SELECT 1,
    COALESCE((SELECT SUM(length(data) + 512) FROM leaves), 0) + COALESCE((SELECT SUM(length(data)) FROM entries), 0),
    (SELECT COUNT(*) FROM leaves);

-- Invitation codes (their SHA-256, hex), for sign-ups by invitation; used
-- is when an account used one.
CREATE TABLE invitations (
  code    TEXT PRIMARY KEY,
  created INTEGER NOT NULL,
  used    INTEGER,
  account TEXT
);

-- Connect codes an administration device issued (their SHA-256, hex): a
-- connection request with one is never pushed out by newer requests.
CREATE TABLE connect_codes (
  account TEXT NOT NULL,
  code    TEXT NOT NULL,
  expires INTEGER NOT NULL,
  PRIMARY KEY (account, code)
);
ALTER TABLE pending ADD COLUMN reserved INTEGER NOT NULL DEFAULT 0;

CREATE TABLE guard_quota (x INTEGER CONSTRAINT meshpass_quota CHECK (x IS NULL));
CREATE TABLE guard_full (x INTEGER CONSTRAINT meshpass_full CHECK (x IS NULL));
CREATE TABLE guard_invitation (x INTEGER CONSTRAINT meshpass_invitation CHECK (x IS NULL));
