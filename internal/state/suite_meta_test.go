package state

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

func testMeta(t *testing.T, s *Store) {
	ctx := t.Context()
	m := s.Meta()

	if _, err := m.Get(ctx, "meta/absent"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of an absent key: err = %v, want ErrNotFound", err)
	}
	if err := m.Delete(ctx, "meta/absent"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete of an absent key: err = %v, want ErrNotFound", err)
	}

	for _, value := range [][]byte{
		[]byte("first"),
		{0, 1, 2, 0, 255, 0}, // Binary, with NUL bytes.
		[]byte("second"),
	} {
		if err := m.Put(ctx, "meta/key", value); err != nil {
			t.Fatalf("Put(%q): %v", value, err)
		}
		got, err := m.Get(ctx, "meta/key")
		if err != nil {
			t.Fatalf("Get after Put(%q): %v", value, err)
		}
		if !bytes.Equal(got, value) {
			t.Fatalf("Get = %q, want %q", got, value)
		}
	}

	if err := m.Put(ctx, "meta/empty", nil); err != nil {
		t.Fatalf("Put of a nil value: %v", err)
	}
	if got, err := m.Get(ctx, "meta/empty"); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("Get of an empty value = %#v, %v; want an empty, non-nil slice", got, err)
	}

	if err := m.Delete(ctx, "meta/key"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := m.Get(ctx, "meta/key"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: err = %v, want ErrNotFound", err)
	}
	if _, err := m.Get(ctx, "meta/empty"); err != nil {
		t.Fatalf("Delete removed another key: Get(meta/empty): %v", err)
	}

	if err := m.Put(ctx, "", []byte("x")); !errors.Is(err, errInvalid) {
		t.Fatalf("Put with an empty key: err = %v, want an invalid-argument error", err)
	}
}

func testMetaLargeValue(t *testing.T, s *Store) {
	ctx := t.Context()
	m := s.Meta()
	value := make([]byte, 5<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range value {
		value[i] = byte(rng.Uint32())
	}
	if err := m.Put(ctx, "meta/large", value); err != nil {
		t.Fatalf("Put of a 5 MB value: %v", err)
	}
	got, err := m.Get(ctx, "meta/large")
	if err != nil {
		t.Fatalf("Get of a 5 MB value: %v", err)
	}
	if !bytes.Equal(got, value) {
		t.Fatalf("Get returned %d bytes that differ from the %d put", len(got), len(value))
	}
}
