-- Vault format 2 (issue 17, docs/vault.md): the catalog of each format-2
-- vault, a sequence of signed items (records and batches of records)
-- numbered from 0, and its head, which one log leaf commits per append.

-- Items: hash is the base64url SHA-256 of data, unique in its catalog (an
-- item is appended once; a replay is refused).
CREATE TABLE catalog_items (
  catalog  TEXT NOT NULL,
  position INTEGER NOT NULL,
  hash     TEXT NOT NULL,
  data     BLOB NOT NULL,
  PRIMARY KEY (catalog, position),
  UNIQUE (catalog, hash)
);

-- The latest head of each catalog that has items: its size, chain hash
-- (vault.ChainHead), the log leaf that committed it, and the account that
-- owns the vault (charged for its items).
CREATE TABLE catalog_heads (
  catalog TEXT PRIMARY KEY,
  size    INTEGER NOT NULL,
  head    TEXT NOT NULL,
  leaf    INTEGER NOT NULL,
  account TEXT NOT NULL
);

-- A catalog or its vault's profile changed while a write was prepared.
CREATE TABLE guard_moved (x INTEGER CONSTRAINT meshpass_moved CHECK (x IS NULL));
