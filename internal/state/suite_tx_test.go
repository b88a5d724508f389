package state

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func testInTx(t *testing.T, s *Store) {
	ctx := t.Context()
	errAbort := errors.New("abort")

	// A failing function rolls back everything it wrote.
	err := s.InTx(ctx, func(tx *Tx) error {
		if err := tx.Meta().Put(ctx, "tx/rolled-back", []byte("x")); err != nil {
			return err
		}
		if _, _, err := tx.Outbox().Enqueue(ctx, Item{Topic: "tx", Key: "rolled-back"}); err != nil {
			return err
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("InTx = %v, want the function's error", err)
	}
	if _, err := s.Meta().Get(ctx, "tx/rolled-back"); !errors.Is(err, ErrNotFound) {
		t.Errorf("meta written in a rolled-back transaction: Get err = %v, want ErrNotFound", err)
	}
	if items, err := s.Outbox().List(ctx, ListFilter{Topic: "tx"}); err != nil || len(items) != 0 {
		t.Errorf("outbox after a rolled-back transaction = %+v, %v; want empty", items, err)
	}

	// A succeeding function commits everything it wrote, and its reads see
	// its own writes.
	var claimed []Item
	err = s.InTx(ctx, func(tx *Tx) error {
		if err := tx.Meta().Put(ctx, "tx/committed", []byte("y")); err != nil {
			return err
		}
		if got, err := tx.Meta().Get(ctx, "tx/committed"); err != nil || !bytes.Equal(got, []byte("y")) {
			t.Errorf("Get inside the transaction = %q, %v; want y", got, err)
		}
		if _, _, err := tx.Outbox().Enqueue(ctx, Item{Topic: "tx", Key: "committed", NotBefore: t0}); err != nil {
			return err
		}
		var err error
		claimed, err = tx.Outbox().Claim(ctx, "tx", "w", 10, time.Minute, t0)
		return err
	})
	if err != nil {
		t.Fatalf("InTx: %v", err)
	}
	if len(claimed) != 1 || claimed[0].Key != "committed" {
		t.Fatalf("Claim inside the transaction = %+v, want the item enqueued in it", claimed)
	}
	if got, err := s.Meta().Get(ctx, "tx/committed"); err != nil || !bytes.Equal(got, []byte("y")) {
		t.Errorf("meta after commit = %q, %v; want y", got, err)
	}
	if err := s.Outbox().Complete(ctx, claimed[0].ID, "w"); err != nil {
		t.Errorf("complete the item claimed in the transaction: %v", err)
	}
}
