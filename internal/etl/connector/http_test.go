package connector

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// recordsOf returns n records {"id": first..first+n-1}.
func recordsOf(first, n int) []map[string]any {
	var out []map[string]any
	for i := first; i < first+n; i++ {
		out = append(out, map[string]any{"id": i, "name": "n" + strconv.Itoa(i)})
	}
	return out
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// ids returns the id column of rows read from an http source.
func idsOf(rows [][]any) []int64 {
	var out []int64
	for _, r := range rows {
		out = append(out, r[0].(int64))
	}
	return out
}

func TestHTTPPagePagination(t *testing.T) {
	var mu sync.Mutex
	var pages []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		pages = append(pages, r.URL.RawQuery)
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer t0ken" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		size, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
		n := max(0, min(size, 5-(page-1)*size))
		writeJSON(w, map[string]any{"data": recordsOf((page-1)*size+1, n)})
	}))
	defer srv.Close()
	src := mustSource(t, NewRegistry(Options{}), "http", map[string]any{
		"url": srv.URL + "/orders", "params": map[string]any{"status": "paid"}, "records": "data",
		"headers":    map[string]any{"Authorization": "Bearer t0ken"},
		"pagination": map[string]any{"type": "page", "param": "page", "size_param": "per_page", "size": 2},
	})
	schema, rows, bad := read(t, src, RunInfo{})
	if !schema.Equal(Schema{{"id", TypeInt}, {"name", TypeString}}) || len(bad) != 0 {
		t.Errorf("schema %s, bad %v", schema, bad)
	}
	if got := idsOf(rows); !reflect.DeepEqual(got, []int64{1, 2, 3, 4, 5}) {
		t.Errorf("ids = %v", got)
	}
	want := []string{"page=1&per_page=2&status=paid", "page=2&per_page=2&status=paid", "page=3&per_page=2&status=paid"}
	if !reflect.DeepEqual(pages, want) {
		t.Errorf("requests = %v, want %v (the short third page is the last)", pages, want)
	}
}

func TestHTTPCursorPagination(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("after") {
		case "":
			writeJSON(w, map[string]any{"items": recordsOf(1, 2), "meta": map[string]any{"next": "c2"}})
		case "c2":
			writeJSON(w, map[string]any{"items": recordsOf(3, 2), "meta": map[string]any{"next": 4}})
		case "4":
			writeJSON(w, map[string]any{"items": recordsOf(5, 1), "meta": map[string]any{"next": nil}})
		default:
			http.Error(w, "bad cursor", http.StatusBadRequest)
		}
	}))
	defer srv.Close()
	src := mustSource(t, NewRegistry(Options{}), "http", map[string]any{"url": srv.URL, "records": "items",
		"pagination": map[string]any{"type": "cursor", "param": "after", "cursor_field": "meta.next"}})
	_, rows, _ := read(t, src, RunInfo{})
	if got := idsOf(rows); !reflect.DeepEqual(got, []int64{1, 2, 3, 4, 5}) {
		t.Errorf("ids = %v", got)
	}
}

func TestHTTPCursorLoop(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"items": recordsOf(1, 1), "next": "same"})
	}))
	defer srv.Close()
	src := mustSource(t, NewRegistry(Options{}), "http", map[string]any{"url": srv.URL, "records": "items",
		"pagination": map[string]any{"type": "cursor", "cursor_field": "next"}})
	err := src.Read(context.Background(), func(Batch) error { return nil })
	if Classify(err) != ClassData || !strings.Contains(err.Error(), `returned cursor "same" twice`) {
		t.Errorf("Read = %v", err)
	}
}

func TestHTTPLinkPagination(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/a", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", `<http://`+r.Host+`/z>; rel="last", <http://`+r.Host+`/b?x=1>; rel="next"`)
		writeJSON(w, recordsOf(1, 2))
	})
	mux.HandleFunc("/b", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, recordsOf(3, 1))
	})
	mux.HandleFunc("/body/1", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"results": recordsOf(1, 1), "links": map[string]any{"next": "2"}})
	})
	mux.HandleFunc("/body/2", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"results": recordsOf(2, 1), "links": map[string]any{"next": nil}})
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	r := NewRegistry(Options{})
	_, rows, _ := read(t, mustSource(t, r, "http", map[string]any{"url": srv.URL + "/a", "pagination": map[string]any{"type": "link"}}), RunInfo{})
	if got := idsOf(rows); !reflect.DeepEqual(got, []int64{1, 2, 3}) {
		t.Errorf("Link header: ids = %v", got)
	}
	_, rows, _ = read(t, mustSource(t, r, "http", map[string]any{"url": srv.URL + "/body/1", "records": "results",
		"pagination": map[string]any{"type": "link", "next_field": "links.next"}}), RunInfo{})
	if got := idsOf(rows); !reflect.DeepEqual(got, []int64{1, 2}) {
		t.Errorf("relative next field: ids = %v", got)
	}
}

func TestHTTPLinkToAnotherHostIsRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", `<http://elsewhere.example/steal>; rel="next"`)
		writeJSON(w, recordsOf(1, 1))
	}))
	defer srv.Close()
	src := mustSource(t, NewRegistry(Options{}), "http", map[string]any{"url": srv.URL, "headers": map[string]any{"X-Key": "s3cret"},
		"pagination": map[string]any{"type": "link"}})
	err := src.Read(context.Background(), func(Batch) error { return nil })
	if Classify(err) != ClassConfig || !strings.Contains(err.Error(), "refusing to send the source's headers") {
		t.Errorf("Read = %v", err)
	}
}

func TestHTTPStatusErrors(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	f := func(status int, header map[string]string, want Class, retry time.Duration) {
		t.Helper()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for k, v := range header {
				w.Header().Set(k, v)
			}
			w.WriteHeader(status)
			fmt.Fprint(w, "  {\"error\": \"nope\"}\n")
		}))
		defer srv.Close()
		src := mustSource(t, NewRegistry(Options{Now: func() time.Time { return now }}), "http", map[string]any{"url": srv.URL + "/x"})
		err := src.Read(context.Background(), func(Batch) error { return nil })
		if Classify(err) != want {
			t.Errorf("status %d: Classify(%v) = %s, want %s", status, err, Classify(err), want)
		}
		wantMsg := fmt.Sprintf(`GET %s/x: %d %s: {"error": "nope"}`, srv.URL, status, http.StatusText(status))
		if err == nil || err.Error() != wantMsg {
			t.Errorf("status %d: error %q, want %q", status, err, wantMsg)
		}
		if got, _ := RetryAfter(err); got != retry {
			t.Errorf("status %d: RetryAfter = %v, want %v", status, got, retry)
		}
	}
	f(http.StatusTooManyRequests, map[string]string{"Retry-After": "7"}, ClassRateLimited, 7*time.Second)
	f(http.StatusServiceUnavailable, map[string]string{"Retry-After": "Mon, 01 Jan 2024 00:00:30 GMT"}, ClassHTTP5xx, 30*time.Second)
	f(http.StatusInternalServerError, nil, ClassHTTP5xx, 0)
	f(http.StatusNotFound, nil, ClassHTTP4xx, 0)
	f(http.StatusForbidden, nil, ClassHTTP4xx, 0)
}

func TestHTTPTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	src := mustSource(t, NewRegistry(Options{}), "http", map[string]any{"url": srv.URL, "timeout": "50ms"})
	err := src.Read(context.Background(), func(Batch) error { return nil })
	if Classify(err) != ClassTimeout {
		t.Errorf("Read = %v (class %s), want timeout", err, Classify(err))
	}
}

func TestHTTPConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	err := mustSource(t, NewRegistry(Options{}), "http", map[string]any{"url": url}).Read(context.Background(), func(Batch) error { return nil })
	if Classify(err) != ClassConnection {
		t.Errorf("Read = %v (class %s), want connection", err, Classify(err))
	}
}

func TestHTTPBadResponses(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<html>oops</html>") })
	mux.HandleFunc("/object", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, map[string]any{"other": 1}) })
	mux.HandleFunc("/scalar", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, map[string]any{"data": 1}) })
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, recordsOf(1, 100)) })
	mux.HandleFunc("/mixed", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"data": [{"id": 1}, 7, {"id": "two"}, {"id": 3}]}`)
	})
	mux.HandleFunc("/null", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"data": null}`) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	r := NewRegistry(Options{})
	f := func(settings map[string]any, want Class, msg string) {
		t.Helper()
		err := mustSource(t, r, "http", settings).Read(context.Background(), func(Batch) error { return nil })
		if Classify(err) != want || !strings.Contains(err.Error(), msg) {
			t.Errorf("Read(%v) = %v (class %s), want %s mentioning %q", settings, err, Classify(err), want, msg)
		}
	}
	f(map[string]any{"url": srv.URL + "/html"}, ClassData, "not valid JSON")
	f(map[string]any{"url": srv.URL + "/object", "records": "data"}, ClassSchema, `no field "data"`)
	f(map[string]any{"url": srv.URL + "/scalar", "records": "data"}, ClassSchema, `want an array of records at "data", got a number`)
	f(map[string]any{"url": srv.URL + "/big", "max_body": 100}, ClassData, "larger than max_body")
	f(map[string]any{"url": srv.URL + "/big", "pagination": map[string]any{"type": "page", "max_pages": 2}}, ClassConfig, "stopped after 2 pages")

	_, rows, bad := read(t, mustSource(t, r, "http", map[string]any{"url": srv.URL + "/mixed", "records": "data",
		"columns": map[string]any{"id": "int"}}), RunInfo{})
	if got := idsOf(rows); !reflect.DeepEqual(got, []int64{1, 3}) || len(bad) != 2 {
		t.Fatalf("ids %v, bad %v", got, bad)
	}
	if bad[0].Record != 2 || bad[0].Raw != "7" || !strings.Contains(bad[1].Error(), `record 3, column "id": "two" is not an int`) {
		t.Errorf("bad = %v", bad)
	}
	_, rows, _ = read(t, mustSource(t, r, "http", map[string]any{"url": srv.URL + "/null", "records": "data",
		"columns": map[string]any{"id": "int"}}), RunInfo{})
	if len(rows) != 0 {
		t.Errorf("null records: %v", rows)
	}
}

func TestHTTPSettings(t *testing.T) {
	r := NewRegistry(Options{})
	f := func(settings map[string]any, want string) {
		t.Helper()
		_, err := r.NewSource("http", settings)
		if err == nil || err.Error() != want {
			t.Errorf("NewSource(%v) = %v, want %q", settings, err, want)
		}
	}
	f(map[string]any{}, `http source: key "url": is required`)
	f(map[string]any{"url": "ftp://x"}, `http source: key "url": want an http or https URL, got "ftp://x"`)
	f(map[string]any{"url": "http://x", "pagination": map[string]any{"type": "offset"}}, `http source: key "pagination.type": unknown type "offset" (want page, cursor or link)`)
	f(map[string]any{"url": "http://x", "pagination": map[string]any{"type": "cursor"}}, `http source: key "pagination.cursor_field": is required with type cursor`)
	f(map[string]any{"url": "http://x", "pagination": map[string]any{"type": "link", "size": 3}}, `http source: key "pagination.size": applies to type page only`)
	f(map[string]any{"url": "http://x", "pagination": map[string]any{"size": 3}}, `http source: key "pagination.size": applies to type page only`)
	f(map[string]any{"url": "http://x", "pagination": map[string]any{"type": "page", "size_param": "n"}}, `http source: key "pagination.size": is required with size_param`)
}

func TestNextLink(t *testing.T) {
	f := func(values []string, want string) {
		t.Helper()
		if got := nextLink(values); got != want {
			t.Errorf("nextLink(%q) = %q, want %q", values, got, want)
		}
	}
	f(nil, "")
	f([]string{`<https://a/2>; rel="next"`}, "https://a/2")
	f([]string{`<https://a/1>; rel="prev", <https://a/3>; rel=next`}, "https://a/3")
	f([]string{`<https://a/1>; rel="prev"`, `<https://a/4>; title="x,y"; rel="last next"`}, "https://a/4")
	f([]string{`broken; rel="next"`}, "")
}
