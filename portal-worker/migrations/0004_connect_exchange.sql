-- The witness exchange of connection requests (issue 12): an
-- administration device's signed contribution to a pending request and
-- the requesting device's signed reveal of the nonce its request committed
-- to (JSON, NULL until posted; a new request from the device clears both).
ALTER TABLE pending ADD COLUMN contribution BLOB;
ALTER TABLE pending ADD COLUMN reveal BLOB;
