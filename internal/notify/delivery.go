package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/vigil-aiops/vigil/internal/clock"
	"github.com/vigil-aiops/vigil/internal/state"
)

// Defaults of DeliveryOptions.
const (
	DefaultLease        = time.Minute
	DefaultSendTimeout  = 10 * time.Second
	DefaultPollInterval = time.Second
	DefaultBatchSize    = 16
	DefaultMinBackoff   = time.Second
	DefaultMaxBackoff   = 5 * time.Minute
)

// maxTracked bounds the number of notification keys whose latest delivered
// sequence a receiver remembers.
const maxTracked = 10000

// DeliveryOptions configures a Delivery.
type DeliveryOptions struct {
	// Store holds the outbox. It is required.
	Store *state.Store
	// Receivers maps a receiver's name to its notifier. At least one is
	// required.
	Receivers map[string]Notifier
	// Clock schedules polls and retries; nil means the wall clock.
	Clock clock.Clock
	// Logger receives the delivery's logs; nil discards them.
	Logger *slog.Logger
	// Registerer receives the vigil_notify_* metrics; nil leaves them
	// unregistered.
	Registerer prometheus.Registerer
	// Owner names this process in the outbox's claims; empty means a name
	// made of the host name, the process ID and a random suffix.
	Owner string
	// Lease is how long a claimed notification stays ours; after it, a
	// notification whose sender died is claimed again. Zero means
	// DefaultLease. It must exceed SendTimeout.
	Lease time.Duration
	// SendTimeout bounds one attempt to send; zero means
	// DefaultSendTimeout.
	SendTimeout time.Duration
	// PollInterval is how often the outbox is read for due notifications
	// when nothing wakes the delivery sooner; zero means
	// DefaultPollInterval.
	PollInterval time.Duration
	// BatchSize is how many notifications are claimed at once per
	// receiver; zero means DefaultBatchSize.
	BatchSize int
	// MinBackoff and MaxBackoff bound the exponential backoff between
	// attempts; zero means DefaultMinBackoff and DefaultMaxBackoff. A
	// receiver's Retry-After is honoured even beyond MaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// MaxAttempts is how many transient failures a notification may have
	// before it is given up as dead; zero means it is retried forever.
	MaxAttempts int
}

// Delivery sends notifications through the state store's outbox, so that
// none is lost: Enqueue writes a notification down before anything is sent,
// and Run claims what is due, sends it, and records the outcome. Transient
// failures are retried with exponential backoff, honouring Retry-After;
// permanent ones are marked dead with their reason and never retried.
//
// A notification is identified by its receiver, key, status and sequence,
// so enqueueing the same decision twice sends it once. A process that dies
// after enqueueing and before sending leaves the notification pending, and
// the next Delivery on the same store sends it. A process that dies after
// sending and before recording it leaves it claimed, and it is sent again
// once its lease expires: delivery is at least once, and the receivers'
// idempotency (PagerDuty's dedup_key, Slack's thread, Alertmanager's label
// set) makes a repeat harmless.
type Delivery struct {
	outbox    state.Outbox
	clock     clock.Clock
	logger    *slog.Logger
	metrics   *deliveryMetrics
	owner     string
	receivers map[string]*receiver
	names     []string // Sorted receiver names.

	lease, sendTimeout, poll time.Duration
	minBackoff, maxBackoff   time.Duration
	batch, maxAttempts       int
}

// receiver is one receiver's notifier and delivery state.
type receiver struct {
	name     string
	topic    string
	notifier Notifier
	// wake is signalled by Enqueue so that Run sends without waiting for
	// the next poll.
	wake chan struct{}

	mu sync.Mutex
	// latest is the highest sequence delivered per notification key, so
	// that a notification overtaken by a newer one of the same incident,
	// as a firing retried after its resolution was sent, is dropped
	// instead of sent late.
	latest map[string]uint64
}

// NewDelivery returns a Delivery.
func NewDelivery(opts DeliveryOptions) (*Delivery, error) {
	if opts.Store == nil {
		return nil, errors.New("new notification delivery: store must be set")
	}
	if len(opts.Receivers) == 0 {
		return nil, errors.New("new notification delivery: at least one receiver must be set")
	}
	d := &Delivery{
		outbox:      opts.Store.Outbox(),
		clock:       opts.Clock,
		logger:      opts.Logger,
		owner:       opts.Owner,
		receivers:   make(map[string]*receiver, len(opts.Receivers)),
		lease:       orDefault(opts.Lease, DefaultLease),
		sendTimeout: orDefault(opts.SendTimeout, DefaultSendTimeout),
		poll:        orDefault(opts.PollInterval, DefaultPollInterval),
		minBackoff:  orDefault(opts.MinBackoff, DefaultMinBackoff),
		maxBackoff:  orDefault(opts.MaxBackoff, DefaultMaxBackoff),
		batch:       orDefault(opts.BatchSize, DefaultBatchSize),
		maxAttempts: opts.MaxAttempts,
	}
	if d.clock == nil {
		d.clock = clock.Real{}
	}
	if d.logger == nil {
		d.logger = slog.New(slog.DiscardHandler)
	}
	if d.lease <= d.sendTimeout {
		return nil, fmt.Errorf("new notification delivery: lease %s must exceed send timeout %s", d.lease, d.sendTimeout)
	}
	if d.minBackoff > d.maxBackoff {
		return nil, fmt.Errorf("new notification delivery: min backoff %s exceeds max backoff %s", d.minBackoff, d.maxBackoff)
	}
	if d.owner == "" {
		owner, err := defaultOwner()
		if err != nil {
			return nil, fmt.Errorf("new notification delivery: %w", err)
		}
		d.owner = owner
	}
	for name, n := range opts.Receivers {
		if name == "" || n == nil {
			return nil, fmt.Errorf("new notification delivery: receiver %q must have a name and a notifier", name)
		}
		d.receivers[name] = &receiver{
			name:     name,
			topic:    Topic(name),
			notifier: n,
			wake:     make(chan struct{}, 1),
			latest:   make(map[string]uint64),
		}
		d.names = append(d.names, name)
	}
	slices.Sort(d.names)
	m, err := newDeliveryMetrics(opts.Registerer)
	if err != nil {
		return nil, fmt.Errorf("new notification delivery: register metrics: %w", err)
	}
	d.metrics = m
	return d, nil
}

// Topic returns the outbox topic of a receiver's notifications.
func Topic(receiver string) string { return "notify/" + receiver }

// ItemKey returns the outbox key of n: the same incident, status and
// sequence make the same key, so the same decision is delivered once.
func ItemKey(n Notification) string {
	return n.Key + "/" + string(n.Status) + "/" + strconv.FormatUint(n.Sequence, 10)
}

// Enqueue writes n down for receiver in the outbox; Run sends it. It
// returns once n is stored, and does nothing if the same notification is
// already there, in any state.
func (d *Delivery) Enqueue(ctx context.Context, receiver string, n Notification) error {
	return d.enqueue(ctx, d.outbox, receiver, n)
}

// EnqueueTx is Enqueue within tx, so that a notification is stored if and
// only if the decision it reports is.
func (d *Delivery) EnqueueTx(ctx context.Context, tx *state.Tx, receiver string, n Notification) error {
	return d.enqueue(ctx, tx.Outbox(), receiver, n)
}

// enqueue implements Enqueue and EnqueueTx.
func (d *Delivery) enqueue(ctx context.Context, ob state.Outbox, name string, n Notification) error {
	r, ok := d.receivers[name]
	if !ok {
		return fmt.Errorf("enqueue notification %q: unknown receiver %q", n.Key, name)
	}
	if err := n.Validate(); err != nil {
		return fmt.Errorf("enqueue notification for %s: %w", name, err)
	}
	payload, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("enqueue notification %q for %s: encode: %w", n.Key, name, err)
	}
	_, existed, err := ob.Enqueue(ctx, state.Item{
		Topic:     r.topic,
		Key:       ItemKey(n),
		Payload:   payload,
		NotBefore: d.clock.Now(),
	})
	if err != nil {
		return fmt.Errorf("enqueue notification for %s: %w", name, err)
	}
	if existed {
		d.logger.Debug("notification already enqueued", "receiver", name, "key", ItemKey(n))
		return nil
	}
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return nil
}

// Run sends due notifications until ctx ends, with one worker per
// receiver so that a slow receiver delays no other. It returns nil when
// ctx ends.
func (d *Delivery) Run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	for _, name := range d.names {
		r := d.receivers[name]
		g.Go(func() error { return d.runReceiver(gctx, r) })
	}
	return g.Wait()
}

// runReceiver is the worker of one receiver.
func (d *Delivery) runReceiver(ctx context.Context, r *receiver) error {
	for {
		n, err := d.drain(ctx, r)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			d.logger.Warn("notification delivery failed", "receiver", r.name, "err", err)
		}
		if err == nil && n == d.batch {
			continue // More may be due at once.
		}
		timer := d.clock.NewTimer(d.poll)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-r.wake:
			timer.Stop()
		case <-timer.C():
		}
	}
}

// RunOnce claims and sends, for every receiver, one batch of the
// notifications due now, and returns how many it handled. It is the step
// Run repeats, for tests and simulations that drive time themselves.
func (d *Delivery) RunOnce(ctx context.Context) (int, error) {
	total := 0
	var errs []error
	for _, name := range d.names {
		n, err := d.drain(ctx, d.receivers[name])
		total += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return total, errors.Join(errs...)
}

// drain claims one batch of r's due notifications and handles them.
func (d *Delivery) drain(ctx context.Context, r *receiver) (int, error) {
	items, err := d.outbox.Claim(ctx, r.topic, d.owner, d.batch, d.lease, d.clock.Now())
	if err != nil {
		return 0, fmt.Errorf("claim notifications for %s: %w", r.name, err)
	}
	var errs []error
	for i, it := range items {
		if err := d.handle(ctx, r, it); err != nil {
			if ctx.Err() != nil {
				// Shutting down: the remaining items stay claimed and are
				// claimed again when their lease expires.
				return i, ctx.Err()
			}
			errs = append(errs, err)
		}
	}
	return len(items), errors.Join(errs...)
}

// handle sends one claimed item and records the outcome in the outbox.
func (d *Delivery) handle(ctx context.Context, r *receiver, it state.Item) error {
	var n Notification
	if err := json.Unmarshal(it.Payload, &n); err != nil {
		d.metrics.failed.WithLabelValues(r.name, string(ReasonInvalid)).Inc()
		d.logger.Error("undecodable notification dropped", "receiver", r.name, "item", it.Key, "err", err)
		return d.record(d.outbox.Fail(ctx, it.ID, d.owner, fmt.Sprintf("decode notification: %v", err)))
	}
	log := d.logger.With("receiver", r.name, "key", n.Key, "status", n.Status, "sequence", n.Sequence)
	if r.superseded(n) {
		log.Debug("notification superseded by a newer one, dropped")
		d.metrics.superseded.WithLabelValues(r.name).Inc()
		return d.record(d.outbox.Complete(ctx, it.ID, d.owner))
	}
	sendCtx, cancel := context.WithTimeout(ctx, d.sendTimeout)
	start := d.clock.Now()
	err := r.notifier.Notify(sendCtx, n)
	d.metrics.duration.WithLabelValues(r.name).Observe(d.clock.Now().Sub(start).Seconds())
	cancel()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err == nil {
		r.delivered(n)
		d.metrics.sent.WithLabelValues(r.name).Inc()
		log.Debug("notification sent")
		return d.record(d.outbox.Complete(ctx, it.ID, d.owner))
	}
	cerr := Classify(err)
	attempts := it.Attempts + 1
	if cerr.Reason.Permanent() || (d.maxAttempts > 0 && attempts >= d.maxAttempts) {
		d.metrics.failed.WithLabelValues(r.name, string(cerr.Reason)).Inc()
		log.Error("notification failed for good", "attempts", attempts, "reason", cerr.Reason, "err", err)
		return d.record(d.outbox.Fail(ctx, it.ID, d.owner, err.Error()))
	}
	delay := max(d.backoff(attempts), cerr.RetryAfter)
	d.metrics.retried.WithLabelValues(r.name, string(cerr.Reason)).Inc()
	log.Warn("notification failed, will retry", "attempts", attempts, "reason", cerr.Reason, "retry_in", delay, "err", err)
	return d.record(d.outbox.Retry(ctx, it.ID, d.owner, d.clock.Now().Add(delay), err.Error()))
}

// record turns an outbox error into the error of handle. Losing the claim
// is not an error of this process: the lease expired and another owner
// took the item over.
func (d *Delivery) record(err error) error {
	if errors.Is(err, state.ErrNotOwner) {
		d.logger.Warn("notification claim lost before its outcome was recorded", "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("record notification outcome: %w", err)
	}
	return nil
}

// backoff returns the delay before the attempt after the given number of
// failed ones: MinBackoff doubled for each failure after the first, capped
// at MaxBackoff.
func (d *Delivery) backoff(failures int) time.Duration {
	delay := d.minBackoff
	for i := 1; i < failures && delay < d.maxBackoff; i++ {
		delay *= 2
	}
	return min(delay, d.maxBackoff)
}

// superseded reports whether a newer notification with n's key has been
// delivered to r.
func (r *receiver) superseded(n Notification) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	latest, ok := r.latest[n.Key]
	return ok && latest > n.Sequence
}

// delivered records that n has been delivered to r.
func (r *receiver) delivered(n Notification) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.latest[n.Key]; !ok && len(r.latest) >= maxTracked {
		clear(r.latest)
	}
	r.latest[n.Key] = max(r.latest[n.Key], n.Sequence)
}

// defaultOwner names this process for outbox claims.
func defaultOwner() (string, error) {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("make owner name: %w", err)
	}
	return fmt.Sprintf("notify@%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:])), nil
}

// orDefault returns v, or def if v is zero.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
