package state

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// enqueue adds an item and fails the test if it existed or failed.
func enqueue(t *testing.T, o Outbox, topic, key string, notBefore time.Time) int64 {
	t.Helper()
	id, existed, err := o.Enqueue(t.Context(), Item{Topic: topic, Key: key, Payload: []byte("payload " + key), NotBefore: notBefore})
	if err != nil {
		t.Fatalf("Enqueue(%s/%s): %v", topic, key, err)
	}
	if existed {
		t.Fatalf("Enqueue(%s/%s) reported an existing item", topic, key)
	}
	return id
}

// claim claims items and fails the test unless it gets exactly the keys want, in order.
func claim(t *testing.T, o Outbox, topic, owner string, n int, lease time.Duration, now time.Time, want ...string) []Item {
	t.Helper()
	items, err := o.Claim(t.Context(), topic, owner, n, lease, now)
	if err != nil {
		t.Fatalf("Claim(%s, %s, n=%d, at %v): %v", topic, owner, n, now, err)
	}
	got := make([]string, len(items))
	for i, it := range items {
		got[i] = it.Key
		if it.State != ItemClaimed || it.Owner != owner || !it.LeaseUntil.Equal(now.Add(lease)) {
			t.Errorf("claimed item %s: state %s, owner %q, lease until %v; want claimed, %q, %v",
				it.Key, it.State, it.Owner, it.LeaseUntil, owner, now.Add(lease))
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Claim(%s, %s, n=%d, at %v) = %q, want %q", topic, owner, n, now, got, want)
	}
	return items
}

// item returns the item with the given ID, found with List.
func item(t *testing.T, o Outbox, topic string, id int64) Item {
	t.Helper()
	items, err := o.List(t.Context(), ListFilter{Topic: topic, AfterID: id - 1, Limit: 1})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(items) != 1 || items[0].ID != id {
		t.Fatalf("item %d not found in topic %s", id, topic)
	}
	return items[0]
}

func testOutboxEnqueue(t *testing.T, s *Store) {
	ctx := t.Context()
	o := s.Outbox()
	first := Item{Topic: "enqueue", Key: "k1", Payload: []byte("first"), NotBefore: t0.Add(time.Minute)}
	id, existed, err := o.Enqueue(ctx, first)
	if err != nil || existed || id <= 0 {
		t.Fatalf("first Enqueue = %d, %v, %v; want a new ID, false, nil", id, existed, err)
	}

	again := first
	again.Payload = []byte("second")
	again.NotBefore = t0
	id2, existed, err := o.Enqueue(ctx, again)
	if err != nil || !existed || id2 != id {
		t.Fatalf("second Enqueue of the same key = %d, %v, %v; want %d, true, nil", id2, existed, err, id)
	}

	other := first
	other.Topic = "enqueue-other"
	id3, existed, err := o.Enqueue(ctx, other)
	if err != nil || existed || id3 == id {
		t.Fatalf("Enqueue of the same key in another topic = %d, %v, %v; want a new ID, false, nil", id3, existed, err)
	}

	items, err := o.List(ctx, ListFilter{Topic: "enqueue"})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(items) != 1 {
		t.Fatalf("topic holds %d items, want 1", len(items))
	}
	got := items[0]
	if got.ID != id || got.Key != "k1" || !bytes.Equal(got.Payload, []byte("first")) ||
		!got.NotBefore.Equal(first.NotBefore) || got.State != ItemPending || got.Attempts != 0 ||
		got.Owner != "" || !got.LeaseUntil.IsZero() || got.LastError != "" {
		t.Fatalf("stored item = %+v, want the first version, pending", got)
	}

	nilPayload, _, err := o.Enqueue(ctx, Item{Topic: "enqueue", Key: "nil-payload"})
	if err != nil {
		t.Fatalf("Enqueue with a nil payload and zero NotBefore: %v", err)
	}
	if it := item(t, o, "enqueue", nilPayload); it.Payload == nil || len(it.Payload) != 0 || !it.NotBefore.IsZero() {
		t.Fatalf("item with nil payload and zero NotBefore = %+v", it)
	}

	// Concurrent enqueues of one key keep one item.
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created int
		seen    = make(map[int64]bool)
	)
	for range 4 {
		wg.Go(func() {
			id, existed, err := o.Enqueue(ctx, Item{Topic: "enqueue", Key: "raced"})
			if err != nil {
				t.Errorf("concurrent Enqueue: %v", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			seen[id] = true
			if !existed {
				created++
			}
		})
	}
	wg.Wait()
	if created != 1 || len(seen) != 1 {
		t.Errorf("4 concurrent enqueues of one key created %d items with IDs %v, want 1 item", created, seen)
	}

	for _, bad := range []Item{{Key: "k"}, {Topic: "t"}} {
		if _, _, err := o.Enqueue(ctx, bad); !errors.Is(err, errInvalid) {
			t.Errorf("Enqueue(%+v): err = %v, want an invalid-argument error", bad, err)
		}
	}
}

func testOutboxList(t *testing.T, s *Store) {
	const topic = "list"
	ctx := t.Context()
	o := s.Outbox()
	var ids []int64
	for i := range 5 {
		ids = append(ids, enqueue(t, o, topic, fmt.Sprint("k", i), t0))
	}
	claimed := claim(t, o, topic, "w", 2, time.Minute, t0, "k0", "k1")
	if err := o.Complete(ctx, claimed[0].ID, "w"); err != nil {
		t.Fatal(err)
	}

	listIDs := func(f ListFilter) []int64 {
		t.Helper()
		items, err := o.List(ctx, f)
		if err != nil {
			t.Fatalf("List(%+v): %v", f, err)
		}
		var got []int64
		for _, it := range items {
			got = append(got, it.ID)
		}
		return got
	}
	for _, tc := range []struct {
		name string
		f    ListFilter
		want []int64
	}{
		{"topic", ListFilter{Topic: topic}, ids},
		{"pending", ListFilter{Topic: topic, States: []ItemState{ItemPending}}, ids[2:]},
		{"claimed or done", ListFilter{Topic: topic, States: []ItemState{ItemClaimed, ItemDone}}, ids[:2]},
		{"dead", ListFilter{Topic: topic, States: []ItemState{ItemDead}}, nil},
		{"limit", ListFilter{Topic: topic, Limit: 2}, ids[:2]},
		{"page", ListFilter{Topic: topic, AfterID: ids[1], Limit: 2}, ids[2:4]},
		{"last page", ListFilter{Topic: topic, AfterID: ids[3], Limit: 2}, ids[4:]},
	} {
		if got := listIDs(tc.f); !slices.Equal(got, tc.want) {
			t.Errorf("%s: List = %v, want %v", tc.name, got, tc.want)
		}
	}
	if all := listIDs(ListFilter{Limit: 1000}); len(all) < len(ids) || !slices.IsSorted(all) {
		t.Errorf("List of all topics = %v, want at least this topic's items, sorted", all)
	}
	if _, err := o.List(ctx, ListFilter{States: []ItemState{"lost"}}); !errors.Is(err, errInvalid) {
		t.Errorf("List with an unknown state: err = %v, want an invalid-argument error", err)
	}
}
