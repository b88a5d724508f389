// Package demo is the made-up outside world of the example warehouse and
// of `vigil demo`: a shop whose order API the example pipelines extract
// from. Its data is a pure function of time, so a replay gives the same
// orders, and it follows a daily rhythm so that baselines have something
// to learn.
package demo

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Window is the span of orders one request returns: the last complete
// one, as a shop API that publishes every quarter of an hour would.
const Window = 15 * time.Minute

// Customers is the number of customers orders are spread over; the CRM
// export of the example fleet generates the same IDs.
const Customers = 2000

// Order is one record of the API.
type Order struct {
	ID         int64   `json:"id"`
	CustomerID int64   `json:"customer_id"`
	Amount     float64 `json:"amount"`
	Currency   string  `json:"currency"`
	Status     string  `json:"status"`
	CreatedAt  string  `json:"created_at"`
}

// Shop serves GET /demo/orders?page=N&per_page=M: the orders of the last
// complete window, paged, as {"data": [...], "page": N, "total": T}.
type Shop struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Outage, when set, is asked on every request: while it returns true
	// the API answers 503, as a shop whose backend is down does. `vigil
	// demo` uses it to inject faults.
	Outage func() bool
}

// Orders returns the orders created in the window starting at start. The
// volume follows the hour of day: quiet at night, busiest in the evening.
func Orders(start time.Time) []Order {
	start = start.UTC().Truncate(Window)
	win := start.Unix() / int64(Window/time.Second)
	r := rand.New(rand.NewPCG(uint64(win), 0x5eed))
	hour := float64(start.Hour()) + float64(start.Minute())/60
	rate := 40 * (1 + 0.6*math.Sin((hour-13)/24*2*math.Pi))
	n := int(rate + r.NormFloat64()*math.Sqrt(rate))
	if n < 0 {
		n = 0
	}
	out := make([]Order, 0, n)
	for i := range n {
		o := Order{
			ID:         win*10000 + int64(i),
			CustomerID: 1 + r.Int64N(Customers),
			Amount:     math.Round(math.Exp(3+0.8*r.NormFloat64())*100) / 100,
			Currency:   "USD",
			Status:     "paid",
			CreatedAt:  start.Add(time.Duration(r.Int64N(int64(Window)))).Format(time.RFC3339),
		}
		if r.IntN(4) == 0 {
			o.Currency = "EUR"
		}
		if r.IntN(50) == 0 {
			o.Status, o.Amount = "refunded", -o.Amount
		}
		out = append(out, o)
	}
	return out
}

func (s *Shop) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "GET only", http.StatusMethodNotAllowed)
		return
	}
	if s.Outage != nil && s.Outage() {
		http.Error(w, "the shop's backend is down", http.StatusServiceUnavailable)
		return
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	page, err1 := intParam(r, "page", 1)
	perPage, err2 := intParam(r, "per_page", 100)
	if err1 != nil || err2 != nil || page < 1 || perPage < 1 || perPage > 1000 {
		http.Error(w, "page must be ≥ 1 and per_page in 1..1000", http.StatusBadRequest)
		return
	}
	orders := Orders(now().Truncate(Window).Add(-Window))
	from := min((page-1)*perPage, len(orders))
	to := min(from+perPage, len(orders))
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"data": orders[from:to], "page": page, "total": len(orders)})
}

func intParam(r *http.Request, name string, def int) (int, error) {
	v := r.FormValue(name)
	if v == "" {
		return def, nil
	}
	return strconv.Atoi(v)
}
