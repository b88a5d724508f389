package notify

import (
	"testing"
)

func TestThreadStores(t *testing.T) {
	stores := map[string]func(t *testing.T) ThreadStore{
		"memory": func(*testing.T) ThreadStore { return NewMemoryThreadStore() },
		"meta": func(t *testing.T) ThreadStore {
			return NewMetaThreadStore(openStore(t, t.TempDir()).Meta())
		},
	}
	for name, newStore := range stores {
		t.Run(name, func(t *testing.T) {
			s := newStore(t)
			if _, ok, err := s.Get(t.Context(), "C1/inc-1"); ok || err != nil {
				t.Fatalf("Get(missing) = %v, %v; want not found", ok, err)
			}
			want := Thread{Channel: "C1", TS: "1700000000.000100"}
			if err := s.Put(t.Context(), "C1/inc-1", want); err != nil {
				t.Fatal(err)
			}
			got, ok, err := s.Get(t.Context(), "C1/inc-1")
			if err != nil || !ok || got != want {
				t.Fatalf("Get = %+v, %v, %v; want %+v", got, ok, err, want)
			}
		})
	}
}

// TestSlackAPIThreadSurvivesRestart checks that a new SlackAPI notifier on
// the same Meta repository updates the thread the first one started.
func TestSlackAPIThreadSurvivesRestart(t *testing.T) {
	nc := notifierCases()[1]
	f, srv := newFakeReceiver(t, nc)
	store := openStore(t, t.TempDir())
	newNotifier := func() Notifier {
		n, err := NewSlackAPI(SlackAPIOptions{Token: testSecret, Channel: "C0INCIDENTS", Threads: NewMetaThreadStore(store.Meta()), BaseURL: srv.URL + "/api"})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	first := testNotification(StatusFiring, 1)
	f.expect(first)
	if err := newNotifier().Notify(t.Context(), first); err != nil {
		t.Fatal(err)
	}
	update := testNotification(StatusResolved, 2)
	f.expect(update)
	if err := newNotifier().Notify(t.Context(), update); err != nil {
		t.Fatal(err)
	}
	// checkSlackAPI verifies that the update went to the first thread.
	if got := f.hitCount(); got != 3 {
		t.Fatalf("%d requests, want a post, then an update and a reply", got)
	}
}
