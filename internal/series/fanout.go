package series

import (
	"context"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/model/labels"
)

// Labels is a series' label set. It wraps Prometheus's type so that the rest
// of Vigil never imports Prometheus; it is a value, cheap to copy and safe to
// keep.
type Labels struct{ ls labels.Labels }

// Get returns the value of the label name, or "".
func (l Labels) Get(name string) string { return l.ls.Get(name) }

// Range calls fn for each label in name order.
func (l Labels) Range(fn func(name, value string)) {
	l.ls.Range(func(lb labels.Label) { fn(lb.Name, lb.Value) })
}

// Map returns the labels as a map.
func (l Labels) Map() map[string]string { return l.ls.Map() }

// Hash returns a hash of the label set, stable within one process.
func (l Labels) Hash() uint64 { return l.ls.Hash() }

// String formats the labels as {a="b", c="d"}.
func (l Labels) String() string { return l.ls.String() }

// Len returns the number of labels.
func (l Labels) Len() int { return l.ls.Len() }

// FromMap builds Labels from a map; handy for Vigil's own series.
func FromMap(m map[string]string) Labels { return Labels{labels.FromMap(m)} }

// Sample is one accepted float sample as observers see it. Native
// histogram samples are stored but not fanned out: the detectors work on
// floats.
type Sample struct {
	// Ref identifies the series for as long as it stays in the head block;
	// observers key their per-series state by it.
	Ref    uint64
	Labels Labels
	T      int64 // milliseconds since the epoch
	V      float64
}

// Observer sees every sample accepted by the store after it is committed.
// Observe is called from one goroutine per shard; all samples of a series
// go to the same shard in commit order. It must not retain batch.
type Observer interface {
	Observe(batch []Sample)
}

// fanout hands committed samples to observers through bounded per-shard
// queues. Ingestion never waits for observers: when a shard's queue is
// full the batch is dropped from the observers' view (storage already has
// it) and counted, so a slow detector can never stall or lose ingestion.
type fanout struct {
	observers []Observer
	shards    []chan []Sample
	pool      sync.Pool

	published prometheus.Counter
	dropped   prometheus.Counter
}

func newFanout(shards, queue int, reg prometheus.Registerer) *fanout {
	f := &fanout{
		shards: make([]chan []Sample, shards),
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigil_fanout_samples_published_total",
			Help: "Samples handed to observers (the engine) after commit.",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigil_fanout_samples_dropped_total",
			Help: "Samples not shown to observers because a shard queue was full. They are stored all the same.",
		}),
	}
	for i := range f.shards {
		f.shards[i] = make(chan []Sample, queue)
	}
	reg.MustRegister(f.published, f.dropped)
	return f
}

// subscribe adds an observer. It must be called before run.
func (f *fanout) subscribe(o Observer) { f.observers = append(f.observers, o) }

// active reports whether anybody listens; appenders skip all buffering if not.
func (f *fanout) active() bool { return len(f.observers) > 0 }

// publish splits committed samples by shard and enqueues them without blocking.
func (f *fanout) publish(samples []Sample) {
	if len(samples) == 0 || !f.active() {
		return
	}
	n := uint64(len(f.shards))
	if n == 1 {
		f.enqueue(0, append(f.get(len(samples)), samples...))
		return
	}
	parts := make([][]Sample, n)
	for _, s := range samples {
		i := s.Ref % n
		if parts[i] == nil {
			parts[i] = f.get(len(samples)/int(n) + 1)
		}
		parts[i] = append(parts[i], s)
	}
	for i, p := range parts {
		if p != nil {
			f.enqueue(i, p)
		}
	}
}

func (f *fanout) enqueue(shard int, batch []Sample) {
	select {
	case f.shards[shard] <- batch:
		f.published.Add(float64(len(batch)))
	default:
		f.dropped.Add(float64(len(batch)))
		f.put(batch)
	}
}

func (f *fanout) get(n int) []Sample {
	if b, ok := f.pool.Get().(*[]Sample); ok && cap(*b) >= n {
		return (*b)[:0]
	}
	return make([]Sample, 0, n)
}

func (f *fanout) put(b []Sample) {
	clear(b) // Drop label references so pooled batches do not pin memory.
	b = b[:0]
	f.pool.Put(&b)
}

// run delivers batches until ctx ends, then drains what is queued.
func (f *fanout) run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, ch := range f.shards {
		wg.Go(func() {
			for {
				select {
				case b := <-ch:
					f.deliver(b)
				case <-ctx.Done():
					for {
						select {
						case b := <-ch:
							f.deliver(b)
						default:
							return
						}
					}
				}
			}
		})
	}
	wg.Wait()
}

func (f *fanout) deliver(b []Sample) {
	for _, o := range f.observers {
		o.Observe(b)
	}
	f.put(b)
}
