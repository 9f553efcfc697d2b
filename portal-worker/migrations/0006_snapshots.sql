-- Vault format 2, issue 17 (docs/vault.md): the versions of every record
-- in a catalog, so that the portal refuses a record whose parents it does
-- not hold, and signed snapshots of catalogs.

-- Each record's version (base32 SHA-256 of its JSON) and entry, by
-- catalog. catalog_heads.indexed is how many of the catalog's items have
-- their records here: a catalog written before this migration is indexed
-- by the portal at its next append.
CREATE TABLE catalog_versions (
  catalog TEXT NOT NULL,
  version TEXT NOT NULL,
  entry   TEXT NOT NULL,
  PRIMARY KEY (catalog, version)
);
ALTER TABLE catalog_heads ADD COLUMN indexed INTEGER NOT NULL DEFAULT 0;

-- Snapshots: at most one complete (the one served) and one being uploaded
-- per catalog. hash is the base64url SHA-256 of the signed manifest;
-- bytes what the snapshot is charged (manifest and chunks), refunded when
-- it is replaced.
CREATE TABLE catalog_snapshots (
  catalog  TEXT NOT NULL,
  hash     TEXT NOT NULL,
  manifest BLOB NOT NULL,
  position INTEGER NOT NULL,
  chunks   INTEGER NOT NULL,
  complete INTEGER NOT NULL DEFAULT 0,
  account  TEXT NOT NULL,
  bytes    INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (catalog, hash)
);

-- A snapshot's sealed chunks, numbered from 0 (each at most 640 KiB: D1
-- rows hold 2 MB).
CREATE TABLE catalog_snapshot_chunks (
  catalog TEXT NOT NULL,
  hash    TEXT NOT NULL,
  n       INTEGER NOT NULL,
  data    BLOB NOT NULL,
  PRIMARY KEY (catalog, hash, n)
);
