package state

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func testOutboxClaimLease(t *testing.T, s *Store) {
	const topic = "lease"
	o := s.Outbox()
	lease := 30 * time.Second
	enqueue(t, o, topic, "a", t0)
	enqueue(t, o, topic, "b", t0.Add(time.Minute))
	enqueue(t, o, topic, "c", time.Time{})
	enqueue(t, o, "lease-other-topic", "x", time.Time{})

	// Due items are claimed in NotBefore order; b is not due yet.
	first := claim(t, o, topic, "w1", 10, lease, t0, "c", "a")
	if !bytes.Equal(first[1].Payload, []byte("payload a")) || first[1].NotBefore != t0 {
		t.Errorf("claimed item a = %+v, want its payload and NotBefore", first[1])
	}
	// Leased items are not claimed again before the lease expires.
	claim(t, o, topic, "w2", 10, lease, t0.Add(lease-time.Microsecond))
	// Once it expires, another owner takes them over.
	second := claim(t, o, topic, "w2", 10, lease, t0.Add(lease), "c", "a")
	if err := o.Complete(t.Context(), second[1].ID, "w1"); !errors.Is(err, ErrNotOwner) {
		t.Fatalf("Complete by the owner whose lease expired and was taken over: err = %v, want ErrNotOwner", err)
	}
	if err := o.Complete(t.Context(), second[1].ID, "w2"); err != nil {
		t.Fatalf("Complete by the new owner: %v", err)
	}
	// At t0+1m, c's second lease has expired and b is due; n limits the claim.
	third := claim(t, o, topic, "w3", 1, lease, t0.Add(time.Minute), "c")
	claim(t, o, topic, "w3", 10, lease, t0.Add(time.Minute), "b")
	// The owner of an expired lease may still complete if nobody took over.
	if err := o.Complete(t.Context(), third[0].ID, "w3"); err != nil {
		t.Fatalf("Complete after the lease expired, not taken over: %v", err)
	}
	claim(t, o, topic, "w4", 10, lease, t0.Add(time.Hour), "b")
	claim(t, o, topic, "w4", 10, lease, t0.Add(2*time.Hour), "b")

	for _, bad := range []struct {
		topic, owner string
		n            int
		lease        time.Duration
		now          time.Time
	}{
		{"", "w", 1, lease, t0},
		{topic, "", 1, lease, t0},
		{topic, "w", 0, lease, t0},
		{topic, "w", 1, 0, t0},
		{topic, "w", 1, lease, time.Time{}},
	} {
		if _, err := o.Claim(t.Context(), bad.topic, bad.owner, bad.n, bad.lease, bad.now); !errors.Is(err, errInvalid) {
			t.Errorf("Claim(%+v): err = %v, want an invalid-argument error", bad, err)
		}
	}
}

func testOutboxOwner(t *testing.T, s *Store) {
	const topic = "owner"
	ctx := t.Context()
	o := s.Outbox()
	id := enqueue(t, o, topic, "k", t0)
	before := snapshotOperationErrors(s)

	if err := o.Complete(ctx, id, "w1"); !errors.Is(err, ErrNotOwner) {
		t.Fatalf("Complete before any claim: err = %v, want ErrNotOwner", err)
	}
	if err := o.Complete(ctx, id+1_000_000, "w1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Complete of an absent item: err = %v, want ErrNotFound", err)
	}
	claim(t, o, topic, "w1", 1, time.Minute, t0, "k")
	if err := o.Complete(ctx, id, "w2"); !errors.Is(err, ErrNotOwner) {
		t.Fatalf("Complete by another owner: err = %v, want ErrNotOwner", err)
	}
	if err := o.Retry(ctx, id, "w2", t0, "x"); !errors.Is(err, ErrNotOwner) {
		t.Fatalf("Retry by another owner: err = %v, want ErrNotOwner", err)
	}
	if err := o.Fail(ctx, id, "w2", "x"); !errors.Is(err, ErrNotOwner) {
		t.Fatalf("Fail by another owner: err = %v, want ErrNotOwner", err)
	}
	if it := item(t, o, topic, id); it.State != ItemClaimed || it.Owner != "w1" || it.Attempts != 0 {
		t.Fatalf("refused calls changed the item: %+v", it)
	}
	if err := o.Complete(ctx, id, "w1"); err != nil {
		t.Fatalf("Complete by the owner: %v", err)
	}
	if it := item(t, o, topic, id); it.State != ItemDone || !it.LeaseUntil.IsZero() {
		t.Fatalf("completed item = %+v, want done without a lease", it)
	}
	if err := o.Complete(ctx, id, "w1"); !errors.Is(err, ErrNotOwner) {
		t.Fatalf("second Complete: err = %v, want ErrNotOwner", err)
	}
	if err := o.Retry(ctx, id, "w1", t0, "x"); !errors.Is(err, ErrNotOwner) {
		t.Fatalf("Retry of a done item: err = %v, want ErrNotOwner", err)
	}
	if _, existed, err := o.Enqueue(ctx, Item{Topic: topic, Key: "k"}); err != nil || !existed {
		t.Fatalf("Enqueue of a done item's key = %v, %v; want existed", existed, err)
	}
	claim(t, o, topic, "w1", 1, time.Minute, t0.Add(time.Hour))

	if after := snapshotOperationErrors(s); after != before {
		t.Errorf("refusals counted as operation errors: %v before, %v after", before, after)
	}
}

func testOutboxRetryFail(t *testing.T, s *Store) {
	const topic = "retry"
	ctx := t.Context()
	o := s.Outbox()
	id := enqueue(t, o, topic, "k", t0)

	claim(t, o, topic, "w1", 1, time.Minute, t0, "k")
	if err := o.Retry(ctx, id, "w1", t0.Add(5*time.Minute), "connection refused"); err != nil {
		t.Fatalf("Retry: %v", err)
	}
	it := item(t, o, topic, id)
	if it.State != ItemPending || it.Attempts != 1 || it.LastError != "connection refused" ||
		it.Owner != "" || !it.LeaseUntil.IsZero() || !it.NotBefore.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("retried item = %+v, want pending from t0+5m with 1 attempt and the error", it)
	}

	claim(t, o, topic, "w2", 1, time.Minute, t0.Add(5*time.Minute-time.Microsecond))
	claim(t, o, topic, "w2", 1, time.Minute, t0.Add(5*time.Minute), "k")
	if err := o.Fail(ctx, id, "w2", "HTTP 400: bad request"); err != nil {
		t.Fatalf("Fail: %v", err)
	}
	it = item(t, o, topic, id)
	if it.State != ItemDead || it.Attempts != 2 || it.LastError != "HTTP 400: bad request" || it.Owner != "w2" {
		t.Fatalf("failed item = %+v, want dead with 2 attempts, the error and its last owner", it)
	}
	claim(t, o, topic, "w3", 1, time.Minute, t0.Add(24*time.Hour))

	dead, err := o.List(ctx, ListFilter{Topic: topic, States: []ItemState{ItemDead}})
	if err != nil || len(dead) != 1 || dead[0].ID != id {
		t.Fatalf("List of dead items = %+v, %v; want the failed item", dead, err)
	}
}

func testOutboxConcurrentClaimers(t *testing.T, s *Store) {
	const (
		topic    = "concurrent"
		items    = 200
		claimers = 4
	)
	o := s.Outbox()
	for i := range items {
		enqueue(t, o, topic, fmt.Sprint("k", i), t0)
	}

	var (
		mu        sync.Mutex
		completed = make(map[int64]string)
		wg        sync.WaitGroup
	)
	for w := range claimers {
		owner := fmt.Sprint("w", w)
		wg.Go(func() {
			for {
				batch, err := o.Claim(t.Context(), topic, owner, 7, time.Hour, t0)
				if err != nil {
					t.Errorf("%s: Claim: %v", owner, err)
					return
				}
				if len(batch) == 0 {
					return
				}
				for _, it := range batch {
					if err := o.Complete(t.Context(), it.ID, owner); err != nil {
						t.Errorf("%s: Complete(%d): %v", owner, it.ID, err)
					}
					mu.Lock()
					if prev, dup := completed[it.ID]; dup {
						t.Errorf("item %d claimed by both %s and %s", it.ID, prev, owner)
					}
					completed[it.ID] = owner
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()

	if len(completed) != items {
		t.Errorf("%d distinct items completed, want %d", len(completed), items)
	}
	done, err := o.List(t.Context(), ListFilter{Topic: topic, States: []ItemState{ItemDone}, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(done) != items {
		t.Errorf("%d items are done, want %d", len(done), items)
	}
	perOwner := make(map[string]int)
	for _, owner := range completed {
		perOwner[owner]++
	}
	t.Logf("items completed per claimer: %v", perOwner)
}
