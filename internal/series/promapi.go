package series

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/util/annotations"
)

// The Prometheus HTTP API's error types, with the status codes Prometheus
// uses for them, so that Grafana and other clients react the same way.
const (
	errBadData   = "bad_data"
	errExecution = "execution"
	errTimeout   = "timeout"
	errCanceled  = "canceled"
	errInternal  = "internal"
	errNotFound  = "not_found"
)

func statusFor(errType string) int {
	switch errType {
	case errBadData:
		return http.StatusBadRequest
	case errExecution:
		return http.StatusUnprocessableEntity
	case errCanceled:
		return 499 // Client closed request, as Prometheus answers.
	case errTimeout:
		return http.StatusServiceUnavailable
	case errNotFound:
		return http.StatusNotFound
	default:
		return http.StatusInternalServerError
	}
}

// maxPointsPerSeries is Prometheus's limit on a range query's resolution.
const maxPointsPerSeries = 11000

var (
	minTime = time.Unix(math.MinInt64/1000+62135596801, 0).UTC()
	maxTime = time.Unix(math.MaxInt64/1000-62135596801, 999999999).UTC()
)

// BuildInfo is what /api/v1/status/buildinfo reports.
type BuildInfo struct {
	Version   string `json:"version"`
	Revision  string `json:"revision"`
	Branch    string `json:"branch"`
	BuildUser string `json:"buildUser"`
	BuildDate string `json:"buildDate"`
	GoVersion string `json:"goVersion"`
}

type apiResponse struct {
	Status    string   `json:"status"`
	Data      any      `json:"data,omitempty"`
	ErrorType string   `json:"errorType,omitempty"`
	Error     string   `json:"error,omitempty"`
	Warnings  []string `json:"warnings,omitempty"`
	Infos     []string `json:"infos,omitempty"`
}

type queryData struct {
	ResultType parser.ValueType `json:"resultType"`
	Result     parser.Value     `json:"result"`
}

type apiError struct {
	typ string
	err error
}

// api serves the read side of Prometheus's HTTP API.
type api struct {
	s        *Store
	parser   parser.Parser
	build    BuildInfo
	requests *prometheus.CounterVec
}

// APIHandler returns a handler for Prometheus's query API under /api/v1/,
// for GET and POST. Grafana's Prometheus data source works against it
// unchanged.
func (s *Store) APIHandler(build BuildInfo, reg prometheus.Registerer) http.Handler {
	a := &api{
		s:      s,
		parser: parser.NewParser(parser.Options{}),
		build:  build,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_query_api_requests_total",
			Help: "Prometheus API requests by endpoint and error type (\"\" for success).",
		}, []string{"endpoint", "error_type"}),
	}
	reg.MustRegister(a.requests)
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/query", a.wrap("query", a.query))
	mux.HandleFunc("/api/v1/query_range", a.wrap("query_range", a.queryRange))
	mux.HandleFunc("/api/v1/series", a.wrap("series", a.series))
	mux.HandleFunc("/api/v1/labels", a.wrap("labels", a.labelNames))
	mux.HandleFunc("/api/v1/label/{name}/values", a.wrap("label_values", a.labelValues))
	mux.HandleFunc("/api/v1/status/buildinfo", a.wrap("buildinfo", a.buildInfo))
	mux.HandleFunc("/api/v1/metadata", a.wrap("metadata", a.metadata))
	mux.HandleFunc("/api/v1/query_exemplars", a.wrap("query_exemplars", a.exemplars))
	return mux
}

type apiFunc func(r *http.Request) (any, annotations.Annotations, *apiError)

func (a *api) wrap(endpoint string, f apiFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodPost {
			w.Header().Set("Allow", "GET, POST")
			a.respondError(w, endpoint, &apiError{errBadData, fmt.Errorf("method %s not allowed; use GET or POST", r.Method)})
			return
		}
		if err := r.ParseForm(); err != nil {
			a.respondError(w, endpoint, &apiError{errBadData, fmt.Errorf("parse form: %w", err)})
			return
		}
		data, annos, apiErr := f(r)
		if apiErr != nil {
			a.respondError(w, endpoint, apiErr)
			return
		}
		a.requests.WithLabelValues(endpoint, "").Inc()
		warnings, infos := annos.AsStrings(r.FormValue("query"), 10, 10)
		writeJSON(w, http.StatusOK, apiResponse{Status: "success", Data: data, Warnings: warnings, Infos: infos})
	}
}

func (a *api) respondError(w http.ResponseWriter, endpoint string, e *apiError) {
	a.requests.WithLabelValues(endpoint, e.typ).Inc()
	writeJSON(w, statusFor(e.typ), apiResponse{Status: "error", ErrorType: e.typ, Error: e.err.Error()})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code = http.StatusInternalServerError
		b, _ = json.Marshal(apiResponse{Status: "error", ErrorType: errInternal, Error: "encode response: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// acquire bounds concurrent queries; a query waiting past its context's
// end is canceled rather than queued forever.
func (a *api) acquire(ctx context.Context) (func(), *apiError) {
	select {
	case a.s.queries <- struct{}{}:
		return func() { <-a.s.queries }, nil
	case <-ctx.Done():
		return nil, &apiError{errCanceled, ctx.Err()}
	}
}

func (a *api) query(r *http.Request) (any, annotations.Annotations, *apiError) {
	ts, err := parseTimeParam(r, "time", time.Now())
	if err != nil {
		return nil, nil, &apiError{errBadData, err}
	}
	ctx, cancel, apiErr := withTimeout(r)
	if apiErr != nil {
		return nil, nil, apiErr
	}
	defer cancel()
	opts, apiErr := a.queryOpts(r)
	if apiErr != nil {
		return nil, nil, apiErr
	}
	release, apiErr := a.acquire(ctx)
	if apiErr != nil {
		return nil, nil, apiErr
	}
	defer release()
	qry, err := a.s.engine.NewInstantQuery(ctx, a.s.queryable(), opts, r.FormValue("query"), ts)
	if err != nil {
		return nil, nil, invalidParam(err, "query")
	}
	return a.exec(ctx, qry)
}

func (a *api) queryRange(r *http.Request) (any, annotations.Annotations, *apiError) {
	start, err := parseTime(r.FormValue("start"))
	if err != nil {
		return nil, nil, invalidParam(err, "start")
	}
	end, err := parseTime(r.FormValue("end"))
	if err != nil {
		return nil, nil, invalidParam(err, "end")
	}
	if end.Before(start) {
		return nil, nil, &apiError{errBadData, errors.New("end timestamp must not be before start time")}
	}
	step, err := parseDuration(r.FormValue("step"))
	if err != nil {
		return nil, nil, invalidParam(err, "step")
	}
	if step <= 0 {
		return nil, nil, &apiError{errBadData, errors.New("zero or negative query resolution step widths are not accepted. Try a positive integer")}
	}
	if end.Sub(start)/step > maxPointsPerSeries {
		return nil, nil, &apiError{errBadData, errors.New("exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)")}
	}
	ctx, cancel, apiErr := withTimeout(r)
	if apiErr != nil {
		return nil, nil, apiErr
	}
	defer cancel()
	opts, apiErr := a.queryOpts(r)
	if apiErr != nil {
		return nil, nil, apiErr
	}
	release, apiErr := a.acquire(ctx)
	if apiErr != nil {
		return nil, nil, apiErr
	}
	defer release()
	qry, err := a.s.engine.NewRangeQuery(ctx, a.s.queryable(), opts, r.FormValue("query"), start, end, step)
	if err != nil {
		return nil, nil, invalidParam(err, "query")
	}
	return a.exec(ctx, qry)
}

func (a *api) queryOpts(r *http.Request) (promql.QueryOpts, *apiError) {
	var lookback time.Duration
	if v := r.FormValue("lookback_delta"); v != "" {
		d, err := parseDuration(v)
		if err != nil {
			return nil, invalidParam(err, "lookback_delta")
		}
		lookback = d
	}
	return promql.NewPrometheusQueryOpts(false, lookback, nil), nil
}

func (a *api) exec(ctx context.Context, qry promql.Query) (any, annotations.Annotations, *apiError) {
	defer qry.Close()
	res := qry.Exec(ctx)
	if res.Err != nil {
		return nil, res.Warnings, queryError(res.Err)
	}
	return queryData{ResultType: res.Value.Type(), Result: res.Value}, res.Warnings, nil
}

func queryError(err error) *apiError {
	var (
		eqc promql.ErrQueryCanceled
		eqt promql.ErrQueryTimeout
		es  promql.ErrStorage
	)
	switch {
	case errors.As(err, &eqc), errors.Is(err, context.Canceled):
		return &apiError{errCanceled, err}
	case errors.As(err, &eqt):
		return &apiError{errTimeout, err}
	case errors.As(err, &es):
		return &apiError{errInternal, err}
	}
	return &apiError{errExecution, err}
}

func (a *api) series(r *http.Request) (any, annotations.Annotations, *apiError) {
	matchers := r.Form["match[]"]
	if len(matchers) == 0 {
		return nil, nil, &apiError{errBadData, errors.New("no match[] parameter provided")}
	}
	sets, start, end, limit, apiErr := a.selection(r, matchers)
	if apiErr != nil {
		return nil, nil, apiErr
	}
	q, err := a.s.queryable().Querier(timestamp(start), timestamp(end))
	if err != nil {
		return nil, nil, &apiError{errExecution, err}
	}
	defer q.Close()
	hints := &storage.SelectHints{Start: timestamp(start), End: timestamp(end), Func: "series", Limit: limitHint(limit)}
	var ss storage.SeriesSet
	if len(sets) > 1 {
		var all []storage.SeriesSet
		for _, ms := range sets {
			all = append(all, q.Select(r.Context(), true, hints, ms...))
		}
		ss = storage.NewMergeSeriesSet(all, 0, storage.ChainedSeriesMerge)
	} else {
		ss = q.Select(r.Context(), false, hints, sets[0]...)
	}
	out := []labels.Labels{}
	var warnings annotations.Annotations
	for ss.Next() {
		out = append(out, ss.At().Labels())
		if limit > 0 && len(out) > limit {
			out = out[:limit]
			warnings.Add(errors.New("results truncated due to limit"))
			break
		}
	}
	warnings.Merge(ss.Warnings())
	if err := ss.Err(); err != nil {
		return nil, warnings, queryError(err)
	}
	return out, warnings, nil
}

func (a *api) labelNames(r *http.Request) (any, annotations.Annotations, *apiError) {
	return a.labelQuery(r, func(q storage.Querier, hints *storage.LabelHints, ms []*labels.Matcher) ([]string, annotations.Annotations, error) {
		return q.LabelNames(r.Context(), hints, ms...)
	})
}

func (a *api) labelValues(r *http.Request) (any, annotations.Annotations, *apiError) {
	name := r.PathValue("name")
	if strings.HasPrefix(name, "U__") {
		name = model.UnescapeName(name, model.ValueEncodingEscaping)
	}
	if !model.UTF8Validation.IsValidLabelName(name) {
		return nil, nil, &apiError{errBadData, fmt.Errorf("invalid label name: %q", name)}
	}
	return a.labelQuery(r, func(q storage.Querier, hints *storage.LabelHints, ms []*labels.Matcher) ([]string, annotations.Annotations, error) {
		return q.LabelValues(r.Context(), name, hints, ms...)
	})
}

// labelQuery runs get once per match[] set (or once without matchers) and
// returns the sorted union, truncated to the limit.
func (a *api) labelQuery(r *http.Request, get func(storage.Querier, *storage.LabelHints, []*labels.Matcher) ([]string, annotations.Annotations, error)) (any, annotations.Annotations, *apiError) {
	sets, start, end, limit, apiErr := a.selection(r, r.Form["match[]"])
	if apiErr != nil {
		return nil, nil, apiErr
	}
	q, err := a.s.queryable().Querier(timestamp(start), timestamp(end))
	if err != nil {
		return nil, nil, &apiError{errExecution, err}
	}
	defer q.Close()
	if len(sets) == 0 {
		sets = [][]*labels.Matcher{nil}
	}
	hints := &storage.LabelHints{Limit: limitHint(limit)}
	var (
		out      []string
		warnings annotations.Annotations
		seen     = map[string]struct{}{}
	)
	for _, ms := range sets {
		vals, ws, err := get(q, hints, ms)
		if err != nil {
			return nil, nil, &apiError{errExecution, err}
		}
		warnings.Merge(ws)
		for _, v := range vals {
			if _, ok := seen[v]; !ok {
				seen[v] = struct{}{}
				out = append(out, v)
			}
		}
	}
	return truncateSorted(out, limit, &warnings), warnings, nil
}

func (a *api) buildInfo(*http.Request) (any, annotations.Annotations, *apiError) {
	return a.build, nil, nil
}

// metadata answers with no metadata; Grafana asks for it to show help
// texts and copes with an empty answer.
func (a *api) metadata(*http.Request) (any, annotations.Annotations, *apiError) {
	return map[string]any{}, nil, nil
}

// exemplars answers with none; Vigil does not serve exemplars yet.
func (a *api) exemplars(*http.Request) (any, annotations.Annotations, *apiError) {
	return []any{}, nil, nil
}

// selection parses the parameters shared by series and label endpoints.
func (a *api) selection(r *http.Request, matchers []string) (sets [][]*labels.Matcher, start, end time.Time, limit int, _ *apiError) {
	var err error
	if start, err = parseTimeParam(r, "start", minTime); err != nil {
		return nil, start, end, 0, &apiError{errBadData, err}
	}
	if end, err = parseTimeParam(r, "end", maxTime); err != nil {
		return nil, start, end, 0, &apiError{errBadData, err}
	}
	if end.Before(start) {
		return nil, start, end, 0, &apiError{errBadData, errors.New("end timestamp must not be before start time")}
	}
	if v := r.FormValue("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 0 {
			return nil, start, end, 0, &apiError{errBadData, errors.New("limit must be a non-negative number")}
		}
	}
	if len(matchers) > 0 {
		if sets, err = a.parser.ParseMetricSelectors(matchers); err != nil {
			return nil, start, end, 0, invalidParam(err, "match[]")
		}
		for _, ms := range sets {
			if !matchesSomething(ms) {
				return nil, start, end, 0, &apiError{errBadData, errors.New("match[] must contain at least one non-empty matcher")}
			}
		}
	}
	return sets, start, end, limit, nil
}

func matchesSomething(ms []*labels.Matcher) bool {
	for _, m := range ms {
		if m != nil && !m.Matches("") {
			return true
		}
	}
	return false
}

func truncateSorted(vals []string, limit int, warnings *annotations.Annotations) []string {
	slices.Sort(vals)
	if vals == nil {
		vals = []string{}
	}
	if limit > 0 && len(vals) > limit {
		vals = vals[:limit]
		warnings.Add(errors.New("results truncated due to limit"))
	}
	return vals
}

// limitHint asks storage for one more than the limit, so that truncation
// can be detected and reported.
func limitHint(limit int) int {
	if limit > 0 {
		return limit + 1
	}
	return 0
}

func withTimeout(r *http.Request) (context.Context, context.CancelFunc, *apiError) {
	ctx := r.Context()
	if v := r.FormValue("timeout"); v != "" {
		d, err := parseDuration(v)
		if err != nil {
			return nil, nil, invalidParam(err, "timeout")
		}
		ctx, cancel := context.WithTimeout(ctx, d)
		return ctx, cancel, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	return ctx, cancel, nil
}

func invalidParam(err error, name string) *apiError {
	return &apiError{errBadData, fmt.Errorf("invalid parameter %q: %w", name, err)}
}

func parseTimeParam(r *http.Request, name string, def time.Time) (time.Time, error) {
	v := r.FormValue(name)
	if v == "" {
		return def, nil
	}
	t, err := parseTime(v)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid time value for '%s': %w", name, err)
	}
	return t, nil
}

// parseTime accepts Unix seconds with a fraction, or RFC 3339, as Prometheus does.
func parseTime(s string) (time.Time, error) {
	if t, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(t) || math.IsInf(t, 0) || t > float64(maxTime.Unix()) || t < float64(minTime.Unix()) {
			return time.Time{}, fmt.Errorf("cannot parse %q to a valid timestamp", s)
		}
		sec, frac := math.Modf(t)
		frac = math.Round(frac*1000) / 1000
		return time.Unix(int64(sec), int64(frac*float64(time.Second))).UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	switch s {
	case minTime.Format(time.RFC3339Nano):
		return minTime, nil
	case maxTime.Format(time.RFC3339Nano):
		return maxTime, nil
	}
	return time.Time{}, fmt.Errorf("cannot parse %q to a valid timestamp", s)
}

// parseDuration accepts seconds with a fraction, or a Prometheus duration.
func parseDuration(s string) (time.Duration, error) {
	if d, err := strconv.ParseFloat(s, 64); err == nil {
		ts := d * float64(time.Second)
		if math.IsNaN(ts) || ts >= float64(math.MaxInt64) || ts < float64(math.MinInt64) {
			return 0, fmt.Errorf("cannot parse %q to a valid duration. It overflows int64", s)
		}
		return time.Duration(ts), nil
	}
	if d, err := model.ParseDuration(s); err == nil {
		return time.Duration(d), nil
	}
	return 0, fmt.Errorf("cannot parse %q to a valid duration", s)
}

func timestamp(t time.Time) int64 {
	return t.Unix()*1000 + int64(t.Nanosecond())/int64(time.Millisecond)
}
