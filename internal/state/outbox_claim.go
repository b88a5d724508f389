package state

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ErrNotOwner is returned when an outbox item is completed, retried or failed
// by someone who does not hold its claim: another owner claimed it after the
// lease expired, or it is no longer claimed at all.
var ErrNotOwner = errors.New("outbox item is not claimed by this owner")

// Claim claims for owner, until now+lease, up to n items of topic that are
// due at now: pending items whose NotBefore has come, and claimed items
// whose lease has expired. Items are claimed in NotBefore, then ID, order
// and returned in that order. No item is ever under two unexpired claims:
// on PostgreSQL concurrent claimers skip the rows others are claiming, on
// SQLite they take turns.
func (o Outbox) Claim(ctx context.Context, topic, owner string, n int, lease time.Duration, now time.Time) (_ []Item, err error) {
	if topic == "" || owner == "" || n <= 0 || lease <= 0 || now.IsZero() {
		return nil, fmt.Errorf("claim outbox items: %w: topic, owner, a positive count and lease, and now must be set", errInvalid)
	}
	defer o.sc.store.observe(opOutboxClaim, &err)
	// SQLite has no row locks and needs none: its write lock already makes
	// claimers take turns.
	lock := ""
	if o.sc.store.dialect == DialectPostgres {
		lock = "FOR UPDATE SKIP LOCKED"
	}
	query := fmt.Sprintf(`WITH due AS (
			SELECT id FROM outbox
			WHERE topic = $1
				AND ((state = 'pending' AND not_before_us <= $2)
					OR (state = 'claimed' AND lease_until_us <= $2))
			ORDER BY not_before_us, id
			LIMIT $3
			%s
		)
		UPDATE outbox SET state = 'claimed', owner = $4, lease_until_us = $5
		WHERE id IN (SELECT id FROM due)
		RETURNING %s`, lock, outboxColumns)
	var items []Item
	err = o.sc.atomic(ctx, func(c conn) error {
		var err error
		items, err = queryItems(ctx, c, query, topic, now.UnixMicro(), n, owner, now.Add(lease).UnixMicro())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim outbox items of %s for %s: %w", topic, owner, err)
	}
	// RETURNING promises no order.
	slices.SortFunc(items, func(a, b Item) int {
		return cmp.Or(a.NotBefore.Compare(b.NotBefore), cmp.Compare(a.ID, b.ID))
	})
	return items, nil
}

// Complete marks item id, claimed by owner, as done. It succeeds after the
// lease has expired too, as long as nobody else has claimed the item since.
func (o Outbox) Complete(ctx context.Context, id int64, owner string) (err error) {
	defer o.sc.store.observe(opOutboxComplete, &err)
	err = o.release(ctx, id, owner, `state = 'done', lease_until_us = 0`)
	if err != nil {
		return fmt.Errorf("complete outbox item %d: %w", id, err)
	}
	return nil
}

// Retry makes item id, claimed by owner, pending again from notBefore,
// counts a failed attempt and records lastErr.
func (o Outbox) Retry(ctx context.Context, id int64, owner string, notBefore time.Time, lastErr string) (err error) {
	defer o.sc.store.observe(opOutboxRetry, &err)
	err = o.release(ctx, id, owner,
		`state = 'pending', owner = '', lease_until_us = 0, attempts = attempts + 1, not_before_us = $3, last_error = $4`,
		toMicros(notBefore), lastErr)
	if err != nil {
		return fmt.Errorf("retry outbox item %d: %w", id, err)
	}
	return nil
}

// Fail marks item id, claimed by owner, as dead: it is never claimed again
// but kept for inspection, with a failed attempt counted and lastErr
// recorded.
func (o Outbox) Fail(ctx context.Context, id int64, owner, lastErr string) (err error) {
	defer o.sc.store.observe(opOutboxFail, &err)
	err = o.release(ctx, id, owner,
		`state = 'dead', lease_until_us = 0, attempts = attempts + 1, last_error = $3`,
		lastErr)
	if err != nil {
		return fmt.Errorf("fail outbox item %d: %w", id, err)
	}
	return nil
}

// release applies the assignments set, whose placeholders start at $3, to
// item id if owner holds its claim. Otherwise it returns an error wrapping
// ErrNotFound or ErrNotOwner.
func (o Outbox) release(ctx context.Context, id int64, owner, set string, args ...any) error {
	return o.sc.atomic(ctx, func(c conn) error {
		res, err := c.exec(ctx,
			`UPDATE outbox SET `+set+` WHERE id = $1 AND owner = $2 AND state = 'claimed'`,
			append([]any{id, owner}, args...)...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("count updated rows: %w", err)
		}
		if n == 1 {
			return nil
		}
		var (
			state  ItemState
			holder string
		)
		err = c.queryRow(ctx, `SELECT state, owner FROM outbox WHERE id = $1`, id).Scan(&state, &holder)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("read item: %w", err)
		}
		if holder == "" {
			return fmt.Errorf("%w %q: the item is %s", ErrNotOwner, owner, state)
		}
		return fmt.Errorf("%w %q: the item is %s, last claimed by %q", ErrNotOwner, owner, state, holder)
	})
}
