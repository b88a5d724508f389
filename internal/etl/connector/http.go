package connector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults of the http source.
const (
	defaultHTTPTimeout = 30 * time.Second
	defaultMaxPages    = 10000
	defaultMaxBody     = 64 << 20
	errorBodyBytes     = 512 // How much of an error response's body an HTTPError keeps.
)

// httpSettings are the settings of the http source, which reads records
// from a JSON API:
//
//	url: https://shop.example/api/orders     # required
//	params: {status: paid}       # query parameters added to the url
//	headers: {Authorization: "Bearer ..."}
//	records: data.items          # the dotted path of the record array; empty when the body is the array
//	timeout: 30s                 # per request
//	max_body: 67108864           # bytes; a bigger response is an error
//	pagination: {type: page, param: page, size_param: per_page, size: 500, start: 1, max_pages: 10000}
//	# or {type: cursor, param: cursor, cursor_field: meta.next_cursor}
//	# or {type: link, next_field: links.next}  # without next_field, the Link header's rel="next"
//	columns: [...]               # as for jsonl; inferred from the first infer_rows records when absent
//	batch_size: 1024
//	infer_rows: 1000
//
// Page pagination stops at an empty page or one with fewer than size
// records; cursor pagination when the cursor is missing, null or empty; link
// pagination when there is no next link. A next link must stay on the same
// scheme and host, so headers are never sent elsewhere.
type httpSettings struct {
	URL        string             `setting:"url"`
	Params     map[string]string  `setting:"params"`
	Headers    map[string]string  `setting:"headers"`
	Records    string             `setting:"records"`
	Timeout    Duration           `setting:"timeout"`
	MaxBody    int64              `setting:"max_body"`
	Pagination paginationSettings `setting:"pagination"`
	Columns    columnsSetting     `setting:"columns"`
	BatchSize  int                `setting:"batch_size"`
	InferRows  int                `setting:"infer_rows"`
}

// paginationSettings say how to get the pages after the first.
type paginationSettings struct {
	Type        string `setting:"type"`
	Param       string `setting:"param"`
	SizeParam   string `setting:"size_param"`
	Size        int    `setting:"size"`
	Start       *int   `setting:"start"`
	CursorField string `setting:"cursor_field"`
	NextField   string `setting:"next_field"`
	MaxPages    int    `setting:"max_pages"`
}

// The pagination types.
const (
	pageNone   = ""
	pageNumber = "page"
	pageCursor = "cursor"
	pageLink   = "link"
)

func (p *paginationSettings) validate() error {
	bad := func(key, msg string) error {
		return &settingError{path: "pagination." + key, err: errors.New(msg)}
	}
	// Each setting applies to some types only; a setting given for another
	// type is a mistake worth reporting.
	only := func(key string, set bool, types ...string) error {
		for _, t := range types {
			if p.Type == t {
				return nil
			}
		}
		if set {
			return bad(key, fmt.Sprintf("applies to type %s only", strings.Join(types, " or ")))
		}
		return nil
	}
	switch p.Type {
	case pageNone, pageNumber, pageCursor, pageLink:
	default:
		return bad("type", fmt.Sprintf("unknown type %q (want page, cursor or link)", p.Type))
	}
	for _, err := range []error{
		only("param", p.Param != "", pageNumber, pageCursor),
		only("size_param", p.SizeParam != "", pageNumber),
		only("size", p.Size != 0, pageNumber),
		only("start", p.Start != nil, pageNumber),
		only("cursor_field", p.CursorField != "", pageCursor),
		only("next_field", p.NextField != "", pageLink),
		only("max_pages", p.MaxPages != 0, pageNumber, pageCursor, pageLink),
	} {
		if err != nil {
			return err
		}
	}
	switch {
	case p.Type == pageNumber && p.Param == "":
		p.Param = "page"
	case p.Type == pageCursor && p.Param == "":
		p.Param = "cursor"
	}
	switch {
	case p.Size < 0:
		return bad("size", "must not be negative")
	case p.SizeParam != "" && p.Size == 0:
		return bad("size", "is required with size_param")
	case p.Type == pageCursor && p.CursorField == "":
		return bad("cursor_field", "is required with type cursor")
	case p.MaxPages < 0:
		return bad("max_pages", "must not be negative")
	}
	if p.Type == pageNumber && p.Start == nil {
		one := 1
		p.Start = &one
	}
	if p.MaxPages == 0 {
		p.MaxPages = defaultMaxPages
	}
	return nil
}

type httpSource struct {
	env      *Env
	base     *url.URL
	headers  map[string]string
	records  string
	timeout  time.Duration
	maxBody  int64
	page     paginationSettings
	declared Schema
	batch    int
	infer    int
}

func newHTTPSource(env *Env, settings map[string]any) (Source, error) {
	var s httpSettings
	if err := DecodeSettings(settings, &s); err != nil {
		return nil, err
	}
	u, err := url.Parse(s.URL)
	switch {
	case s.URL == "":
		return nil, &settingError{path: "url", err: errors.New("is required")}
	case err != nil:
		return nil, &settingError{path: "url", err: errors.New("is not a valid URL")} // Not quoted: it may hold a password.
	case (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return nil, &settingError{path: "url", err: fmt.Errorf("want an http or https URL, got %q", u.Redacted())}
	}
	if err := nonNegative(map[string]int64{"timeout": int64(s.Timeout), "max_body": s.MaxBody,
		"batch_size": int64(s.BatchSize), "infer_rows": int64(s.InferRows)}); err != nil {
		return nil, err
	}
	if err := s.Pagination.validate(); err != nil {
		return nil, err
	}
	q := u.Query()
	for k, v := range s.Params {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	src := &httpSource{env: env, base: u, headers: s.Headers, records: s.Records, timeout: time.Duration(s.Timeout),
		maxBody: s.MaxBody, page: s.Pagination, declared: Schema(s.Columns), batch: s.BatchSize, infer: s.InferRows}
	if src.timeout == 0 {
		src.timeout = defaultHTTPTimeout
	}
	if src.maxBody == 0 {
		src.maxBody = defaultMaxBody
	}
	if src.batch == 0 {
		src.batch = defaultBatchSize
	}
	if src.infer == 0 {
		src.infer = defaultInferRows
	}
	return src, nil
}

// Read fetches every page, failing at the first bad record.
func (s *httpSource) Read(ctx context.Context, emit func(Batch) error) error {
	return s.ReadRun(ctx, ReadOptions{}, emit)
}

// ReadRun fetches every page, handing bad records to opts.OnRowError.
func (s *httpSource) ReadRun(ctx context.Context, opts ReadOptions, emit func(Batch) error) error {
	p := &pager{src: s, next: s.firstURL()}
	d := &objectDecoder{source: s.base.Redacted(), declared: s.declared, inferRows: s.infer, opts: opts}
	return d.run(ctx, s.batch, emit, func() (objectRecord, error) { return p.record(ctx) })
}

// firstURL returns the URL of the first page.
func (s *httpSource) firstURL() *url.URL {
	u := *s.base
	if s.page.Type == pageNumber {
		q := u.Query()
		q.Set(s.page.Param, strconv.Itoa(*s.page.Start))
		if s.page.SizeParam != "" {
			q.Set(s.page.SizeParam, strconv.Itoa(s.page.Size))
		}
		u.RawQuery = q.Encode()
	}
	return &u
}

// pager walks the pages and hands out their records one by one.
type pager struct {
	src     *httpSource
	next    *url.URL // The next page to fetch; nil after the last.
	pages   int
	pageNum int
	cursor  string
	records []json.RawMessage
}

// record returns the next record, fetching pages as needed, or io.EOF.
func (p *pager) record(ctx context.Context) (objectRecord, error) {
	for len(p.records) == 0 {
		if p.next == nil {
			return objectRecord{}, io.EOF
		}
		if err := p.fetch(ctx); err != nil {
			return objectRecord{}, err
		}
	}
	raw := p.records[0]
	p.records = p.records[1:]
	rec := objectRecord{}
	rec.fields, rec.err = decodeObject(raw)
	if rec.err != nil {
		rec.raw = string(raw)
	}
	return rec, nil
}

// fetch gets the page at p.next, keeps its records, and works out the next
// page's URL.
func (p *pager) fetch(ctx context.Context) error {
	s := p.src
	cur := p.next
	p.pages++
	if p.pages > s.page.MaxPages {
		return Errorf(ClassConfig, "GET %s: stopped after %d pages; raise pagination.max_pages if the API has more", s.base.Redacted(), s.page.MaxPages)
	}
	body, header, err := s.get(ctx, cur)
	if err != nil {
		return err
	}
	raw, ok, err := jsonAt(body, s.records)
	switch {
	case err != nil:
		return Errorf(ClassSchema, "GET %s: records %q: %w", cur.Redacted(), s.records, err)
	case !ok:
		return Errorf(ClassSchema, "GET %s: the response has no field %q holding the records", cur.Redacted(), s.records)
	}
	p.records = nil
	if string(raw) != "null" {
		if err := json.Unmarshal(raw, &p.records); err != nil {
			return Errorf(ClassSchema, "GET %s: want an array of records at %q, got %s", cur.Redacted(), s.records, jsonKind(raw))
		}
	}
	p.next, err = p.following(cur, body, header)
	return err
}

// following returns the URL of the page after cur, or nil if cur was the
// last.
func (p *pager) following(cur *url.URL, body []byte, header http.Header) (*url.URL, error) {
	s := p.src
	switch s.page.Type {
	case pageNumber:
		if len(p.records) == 0 || (s.page.Size > 0 && len(p.records) < s.page.Size) {
			return nil, nil
		}
		p.pageNum++
		next := *cur
		q := next.Query()
		q.Set(s.page.Param, strconv.Itoa(*s.page.Start+p.pageNum))
		next.RawQuery = q.Encode()
		return &next, nil
	case pageCursor:
		raw, ok, err := jsonAt(body, s.page.CursorField)
		if err != nil || !ok {
			return nil, nil //nolint:nilerr // A missing cursor ends the pages.
		}
		v, err := jsonScalar(raw)
		if err != nil || v == nil || v == "" {
			return nil, nil //nolint:nilerr // So does a null or empty one.
		}
		c := FormatValue(v)
		if c == p.cursor {
			return nil, Errorf(ClassData, "GET %s: the API returned cursor %q twice", cur.Redacted(), c)
		}
		p.cursor = c
		next := *cur
		q := next.Query()
		q.Set(s.page.Param, c)
		next.RawQuery = q.Encode()
		return &next, nil
	case pageLink:
		link := ""
		if s.page.NextField != "" {
			if raw, ok, err := jsonAt(body, s.page.NextField); err == nil && ok {
				if v, err := jsonScalar(raw); err == nil {
					link, _ = v.(string)
				}
			}
		} else {
			link = nextLink(header.Values("Link"))
		}
		if link == "" {
			return nil, nil
		}
		next, err := cur.Parse(link)
		if err != nil {
			return nil, Errorf(ClassData, "GET %s: invalid next link %q", cur.Redacted(), link)
		}
		if next.Scheme != s.base.Scheme || next.Host != s.base.Host {
			return nil, Errorf(ClassConfig, "GET %s: next link %s leaves %s://%s; refusing to send the source's headers there",
				cur.Redacted(), next.Redacted(), s.base.Scheme, s.base.Host)
		}
		if next.String() == cur.String() {
			return nil, nil
		}
		return next, nil
	}
	return nil, nil
}

// nextLink returns the target of the rel="next" link in Link header values.
func nextLink(values []string) string {
	for _, v := range values {
		for len(v) > 0 {
			start := strings.IndexByte(v, '<')
			end := strings.IndexByte(v, '>')
			if start < 0 || end < start {
				break
			}
			target := v[start+1 : end]
			v = v[end+1:]
			params := v
			if i := strings.IndexByte(v, '<'); i >= 0 {
				params = v[:i]
			}
			for param := range strings.SplitSeq(params, ";") {
				name, val, ok := strings.Cut(strings.TrimSpace(param), "=")
				if !ok || !strings.EqualFold(strings.TrimSpace(name), "rel") {
					continue
				}
				for rel := range strings.FieldsSeq(strings.Trim(strings.TrimSpace(val), `"`)) {
					if strings.EqualFold(rel, "next") {
						return target
					}
				}
			}
		}
	}
	return ""
}

// get fetches one page and returns its body.
func (s *httpSource) get(ctx context.Context, u *url.URL) ([]byte, http.Header, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, nil, Errorf(ClassConfig, "GET %s: %w", u.Redacted(), err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "vigil-etl")
	for k, v := range s.headers {
		req.Header.Set(k, v)
	}
	resp, err := s.env.HTTPClient().Do(req)
	if err != nil {
		// The url.Error repeats the URL, unredacted: keep only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, nil, orClass(ClassConnection, fmt.Errorf("GET %s: %w", u.Redacted(), err))
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, nil, s.statusError(u, resp)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.maxBody+1))
	if err != nil {
		return nil, nil, orClass(ClassConnection, fmt.Errorf("GET %s: read body: %w", u.Redacted(), err))
	}
	if int64(len(body)) > s.maxBody {
		return nil, nil, Errorf(ClassData, "GET %s: the response is larger than max_body (%d bytes)", u.Redacted(), s.maxBody)
	}
	if !json.Valid(body) {
		return nil, nil, Errorf(ClassData, "GET %s: the response is not valid JSON: %q", u.Redacted(), shorten(string(body), 120))
	}
	return body, resp.Header, nil
}

// HTTPError is a response with a status other than 2xx.
type HTTPError struct {
	Method     string
	URL        string // Without the password of any user info.
	StatusCode int
	Status     string // Such as "429 Too Many Requests".
	Body       string // The start of the response body.
}

// Error names the request, the status and the body's start.
func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("%s %s: %s", e.Method, e.URL, e.Status)
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// statusError classifies a failed response: 429 as ClassRateLimited, other
// 4xx as ClassHTTP4xx, 5xx as ClassHTTP5xx, with any Retry-After.
func (s *httpSource) statusError(u *url.URL, resp *http.Response) error {
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, errorBodyBytes))
	he := &HTTPError{Method: http.MethodGet, URL: u.Redacted(), StatusCode: resp.StatusCode,
		Status: resp.Status, Body: strings.TrimSpace(strings.ToValidUTF8(string(snippet), "\uFFFD"))}
	ce := &ClassError{Class: ClassHTTP4xx, Err: he, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), s.env.Now())}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		ce.Class = ClassRateLimited
	case resp.StatusCode >= 500:
		ce.Class = ClassHTTP5xx
	}
	return ce
}

// retryAfter parses a Retry-After header, in seconds or as an HTTP date,
// into a wait from now. It returns 0 when there is none.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(24*time.Hour/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
