package sqlstore

import (
	"context"

	"github.com/meshpass/meshpass/portal-worker/portal"
)

// PutCheckIn implements portal.Store: one batch, whose guard counts the
// profile's other devices' check-ins, and an upsert that keeps the later
// of the stored and the new check-in.
func (s *Store) PutCheckIn(ctx context.Context, c *portal.CheckIn, max int) error {
	return classify(s.db.Batch(ctx, []Stmt{
		guard("guard_limit", `(SELECT COUNT(*) FROM checkins WHERE profile = ? AND device != ?) >= ?`, c.Profile, c.Device, max),
		{`INSERT INTO checkins (profile, device, time, data) VALUES (?, ?, ?, ?)
			ON CONFLICT (profile, device) DO UPDATE SET time = excluded.time, data = excluded.data
			WHERE excluded.time >= checkins.time`, []any{c.Profile, c.Device, millis(c.Time), c.Data}},
	}))
}

// CheckIns implements portal.Store.
func (s *Store) CheckIns(ctx context.Context, profile string) ([]*portal.CheckIn, error) {
	rows, err := s.db.Query(ctx, `SELECT device, time, data FROM checkins WHERE profile = ? ORDER BY device`, profile)
	if err != nil {
		return nil, err
	}
	out := make([]*portal.CheckIn, len(rows))
	for i, r := range rows {
		out[i] = &portal.CheckIn{Profile: profile, Device: toString(r[0]), Time: fromMillis(r[1]), Data: toBytes(r[2])}
	}
	return out, nil
}
