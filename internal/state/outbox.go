package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ItemState is where an outbox item is in its life.
type ItemState string

// The states of an outbox item. An item starts pending; Claim makes it
// claimed; Complete makes it done, Retry pending again, Fail dead. A claimed
// item whose lease has expired can be claimed again.
const (
	ItemPending ItemState = "pending"
	ItemClaimed ItemState = "claimed"
	ItemDone    ItemState = "done"
	ItemDead    ItemState = "dead"
)

// itemStates returns every ItemState.
func itemStates() []ItemState {
	return []ItemState{ItemPending, ItemClaimed, ItemDone, ItemDead}
}

// defaultListLimit is the number of items List returns when the filter sets
// no limit.
const defaultListLimit = 100

// outboxColumns are the columns scanItem reads, in its order.
const outboxColumns = `id, topic, key, payload, state, attempts, not_before_us, owner, lease_until_us, last_error`

// Item is a unit of work in the outbox. Times are kept to the microsecond
// and returned in UTC; a zero NotBefore means at once.
type Item struct {
	ID int64
	// Topic names the kind of work, such as "notify" or "remediate";
	// each consumer claims from its own topic.
	Topic string
	// Key identifies the work within its topic: enqueueing a key that the
	// topic already holds, in any state, does nothing.
	Key     string
	Payload []byte
	// NotBefore is when the item becomes due.
	NotBefore time.Time

	// The fields below are maintained by the outbox; Enqueue ignores them.

	State ItemState
	// Attempts counts the failed attempts recorded by Retry and Fail.
	Attempts int
	// Owner is who claimed the item last.
	Owner string
	// LeaseUntil is when the current claim expires.
	LeaseUntil time.Time
	// LastError is the error recorded by the last Retry or Fail.
	LastError string
}

// ListFilter selects the items List returns, in ascending ID order.
type ListFilter struct {
	// Topic selects one topic; empty selects all.
	Topic string
	// States selects items in these states; empty selects all.
	States []ItemState
	// AfterID selects items with a greater ID, for paging.
	AfterID int64
	// Limit caps the number of items; zero or less means 100.
	Limit int
}

// Outbox is the durable outbox: work that must not be lost, such as a
// notification or a remediation action, is enqueued here before it is
// acted on, then claimed by a worker for a lease, and completed, retried
// later or failed for good. An item whose worker died is claimed again once
// its lease expires, so work is done at least once; the Key lets consumers
// make repeats harmless. Times are always passed in; the outbox never reads
// the clock.
type Outbox struct {
	sc scope
}

// Enqueue adds item as pending, unless its topic already holds its key, in
// which case it changes nothing and reports existed. It returns the ID of
// the item that holds the key.
func (o Outbox) Enqueue(ctx context.Context, item Item) (id int64, existed bool, err error) {
	if item.Topic == "" || item.Key == "" {
		return 0, false, fmt.Errorf("enqueue outbox item: %w: topic and key must be set", errInvalid)
	}
	defer o.sc.store.observe(opOutboxEnqueue, &err)
	payload := item.Payload
	if payload == nil {
		payload = []byte{}
	}
	err = o.sc.atomic(ctx, func(c conn) error {
		err := c.queryRow(ctx,
			`INSERT INTO outbox (topic, key, payload, state, not_before_us)
			VALUES ($1, $2, $3, 'pending', $4)
			ON CONFLICT (topic, key) DO NOTHING
			RETURNING id`,
			item.Topic, item.Key, payload, toMicros(item.NotBefore)).Scan(&id)
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		existed = true
		return c.queryRow(ctx, `SELECT id FROM outbox WHERE topic = $1 AND key = $2`, item.Topic, item.Key).Scan(&id)
	})
	if err != nil {
		return 0, false, fmt.Errorf("enqueue outbox item %s/%s: %w", item.Topic, item.Key, err)
	}
	return id, existed, nil
}

// List returns the items that match f, in ascending ID order.
func (o Outbox) List(ctx context.Context, f ListFilter) (_ []Item, err error) {
	for _, st := range f.States {
		if !slices.Contains(itemStates(), st) {
			return nil, fmt.Errorf("list outbox items: %w: unknown state %q", errInvalid, st)
		}
	}
	defer o.sc.store.observe(opOutboxList, &err)
	args := []any{f.AfterID}
	where := []string{"id > $1"}
	if f.Topic != "" {
		args = append(args, f.Topic)
		where = append(where, fmt.Sprintf("topic = $%d", len(args)))
	}
	if len(f.States) > 0 {
		marks := make([]string, len(f.States))
		for i, st := range f.States {
			args = append(args, string(st))
			marks[i] = fmt.Sprintf("$%d", len(args))
		}
		where = append(where, "state IN ("+strings.Join(marks, ", ")+")")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = defaultListLimit
	}
	args = append(args, limit)
	query := fmt.Sprintf("SELECT %s FROM outbox WHERE %s ORDER BY id LIMIT $%d",
		outboxColumns, strings.Join(where, " AND "), len(args))
	items, err := queryItems(ctx, o.sc.conn(), query, args...)
	if err != nil {
		return nil, fmt.Errorf("list outbox items: %w", err)
	}
	return items, nil
}

// count returns the number of items by topic and state.
func (o Outbox) count(ctx context.Context) (_ map[string]map[ItemState]int, err error) {
	defer o.sc.store.observe(opOutboxCount, &err)
	rows, err := o.sc.conn().query(ctx, `SELECT topic, state, COUNT(*) FROM outbox GROUP BY topic, state`)
	if err != nil {
		return nil, fmt.Errorf("count outbox items: %w", err)
	}
	defer rows.Close()
	counts := make(map[string]map[ItemState]int)
	for rows.Next() {
		var (
			topic string
			st    ItemState
			n     int
		)
		if err := rows.Scan(&topic, &st, &n); err != nil {
			return nil, fmt.Errorf("count outbox items: %w", err)
		}
		if counts[topic] == nil {
			counts[topic] = make(map[ItemState]int)
		}
		counts[topic][st] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count outbox items: %w", err)
	}
	return counts, nil
}

// queryItems runs a query that selects outboxColumns and scans its rows.
func queryItems(ctx context.Context, c conn, query string, args ...any) ([]Item, error) {
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var items []Item
	for rows.Next() {
		var (
			it                    Item
			notBefore, leaseUntil int64
		)
		err := rows.Scan(&it.ID, &it.Topic, &it.Key, &it.Payload, &it.State, &it.Attempts,
			&notBefore, &it.Owner, &leaseUntil, &it.LastError)
		if err != nil {
			return nil, err
		}
		it.NotBefore, it.LeaseUntil = fromMicros(notBefore), fromMicros(leaseUntil)
		if it.Payload == nil {
			it.Payload = []byte{} // As Meta.Get, the same on both backends.
		}
		items = append(items, it)
	}
	return items, rows.Err()
}

// toMicros converts t to Unix microseconds, mapping the zero time to 0.
func toMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromMicros is the inverse of toMicros.
func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}
