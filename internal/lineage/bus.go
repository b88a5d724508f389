package lineage

import "sync"

// Bus is the in-process channel for RunEvents: the runtime emits to it,
// and whoever cares (the forwarder to an external OpenLineage backend,
// later the engine) subscribes. Delivery is synchronous and in order;
// subscribers must not block.
type Bus struct {
	mu   sync.RWMutex
	subs []func(RunEvent)
}

// Subscribe adds fn to the receivers of every later event.
func (b *Bus) Subscribe(fn func(RunEvent)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.subs = append(b.subs, fn)
}

// Emit hands ev to every subscriber.
func (b *Bus) Emit(ev RunEvent) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, fn := range b.subs {
		fn(ev)
	}
}
