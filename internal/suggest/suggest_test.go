package suggest

import "testing"

func TestClosest(t *testing.T) {
	f := func(s string, candidates []string, want string) {
		t.Helper()
		if got := Closest(s, candidates); got != want {
			t.Fatalf("Closest(%q, %v) = %q, want %q", s, candidates, got, want)
		}
	}
	f("listn", []string{"listen", "tls"}, "listen")
	f("retension", []string{"retention", "data_dir"}, "retention")
	f("tiemout", []string{"timeout", "retries"}, "timeout") // A transposition is one edit.
	f("raw_orders", []string{"warehouse.raw_orders"}, "warehouse.raw_orders")
	f("zzzzzzzz", []string{"listen"}, "")
	f("ab", []string{"ba", "ab"}, "ba") // Never the word itself.
	if DidYouMean("listn", []string{"listen"}) != ` (did you mean "listen"?)` || DidYouMean("q", nil) != "" {
		t.Fatal("DidYouMean")
	}
}
