package demo

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"testing"
	"time"
)

func TestOrdersAreAFunctionOfTime(t *testing.T) {
	at := time.Date(2026, 11, 24, 18, 0, 0, 0, time.UTC)
	a, b := Orders(at), Orders(at.Add(7*time.Minute))
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same window gave different orders")
	}
	night, evening := 0, 0
	for d := range 14 {
		day := at.AddDate(0, 0, -d)
		night += len(Orders(time.Date(day.Year(), day.Month(), day.Day(), 3, 0, 0, 0, time.UTC)))
		evening += len(Orders(time.Date(day.Year(), day.Month(), day.Day(), 19, 0, 0, 0, time.UTC)))
	}
	if evening < 2*night {
		t.Fatalf("no daily rhythm: %d orders at 03:00, %d at 19:00 over two weeks", night, evening)
	}
	seen := map[int64]bool{}
	for w := range 8 {
		for _, o := range Orders(at.Add(time.Duration(w) * Window)) {
			if seen[o.ID] {
				t.Fatalf("order ID %d repeats across windows", o.ID)
			}
			seen[o.ID] = true
			if o.CustomerID < 1 || o.CustomerID > Customers {
				t.Fatalf("customer %d out of range", o.CustomerID)
			}
		}
	}
}

func TestShopPages(t *testing.T) {
	now := time.Date(2026, 11, 24, 19, 7, 0, 0, time.UTC)
	srv := httptest.NewServer(&Shop{Now: func() time.Time { return now }})
	defer srv.Close()
	want := Orders(time.Date(2026, 11, 24, 18, 45, 0, 0, time.UTC))
	var got []Order
	for page := 1; ; page++ {
		resp, err := http.Get(srv.URL + "/demo/orders?per_page=7&page=" + strconv.Itoa(page))
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Data  []Order `json:"data"`
			Total int     `json:"total"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got = append(got, body.Data...)
		if len(body.Data) < 7 || page > 100 {
			break
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("paging returned %d orders, want the last complete window's %d", len(got), len(want))
	}
	resp, _ := http.Get(srv.URL + "/demo/orders?page=0")
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("page 0: %d", resp.StatusCode)
	}
}
