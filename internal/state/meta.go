package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Meta is a small key/value store for values the whole instance shares, such
// as its ID and snapshots. Values are opaque bytes of up to a few megabytes.
type Meta struct {
	sc scope
}

// Get returns the value stored under key, or an error wrapping ErrNotFound.
func (m Meta) Get(ctx context.Context, key string) (_ []byte, err error) {
	defer m.sc.store.observe(opMetaGet, &err)
	var v []byte
	err = m.sc.conn().queryRow(ctx, `SELECT value FROM meta WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get meta %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get meta %q: %w", key, err)
	}
	if v == nil {
		v = []byte{} // SQLite returns an empty BLOB as nil; PostgreSQL does not.
	}
	return v, nil
}

// Put stores value under key, replacing any previous value. A nil value is
// stored as an empty one, which Get returns as an empty, non-nil slice.
func (m Meta) Put(ctx context.Context, key string, value []byte) (err error) {
	if key == "" {
		return fmt.Errorf("put meta: %w: empty key", errInvalid)
	}
	defer m.sc.store.observe(opMetaPut, &err)
	if value == nil {
		value = []byte{}
	}
	_, err = m.sc.conn().exec(ctx,
		`INSERT INTO meta (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
		key, value)
	if err != nil {
		return fmt.Errorf("put meta %q: %w", key, err)
	}
	return nil
}

// Delete removes key. It returns an error wrapping ErrNotFound if the key
// does not exist.
func (m Meta) Delete(ctx context.Context, key string) (err error) {
	defer m.sc.store.observe(opMetaDelete, &err)
	res, err := m.sc.conn().exec(ctx, `DELETE FROM meta WHERE key = $1`, key)
	if err != nil {
		return fmt.Errorf("delete meta %q: %w", key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("delete meta %q: count deleted rows: %w", key, err)
	}
	if n == 0 {
		return fmt.Errorf("delete meta %q: %w", key, ErrNotFound)
	}
	return nil
}
