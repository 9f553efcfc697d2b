-- Device check-ins (issue 12, docs/protocol.md): the latest signed
-- check-in of each device of a personal profile (mmm.DeviceCheckIn, JSON
-- of the signed object), so a profile's devices see each other's view of
-- the log. time is the check-in's own Time (Unix ms): a device's older
-- check-in never replaces a newer one. Only a device's latest is kept,
-- and at most mmm.MaxCheckIns rows per profile.
CREATE TABLE checkins (
  profile TEXT NOT NULL,
  device  TEXT NOT NULL,
  time    INTEGER NOT NULL,
  data    BLOB NOT NULL,
  PRIMARY KEY (profile, device)
);
