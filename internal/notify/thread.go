package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/vigil-aiops/vigil/internal/state"
)

// Thread is where a Slack conversation about one incident lives: the
// channel and the timestamp of its first message.
type Thread struct {
	Channel string `json:"channel"`
	TS      string `json:"ts"`
}

// ThreadStore remembers the Slack thread of each incident, so that updates
// go to the same thread after a restart. The caller persists it, for
// example in the state store's Meta repository.
type ThreadStore interface {
	// Get returns the thread stored under key, and false if there is none.
	Get(ctx context.Context, key string) (Thread, bool, error)
	// Put stores th under key, replacing what was there.
	Put(ctx context.Context, key string, th Thread) error
}

// MemoryThreadStore is a ThreadStore in memory, for tests and for running
// without a state store. It is safe for concurrent use.
type MemoryThreadStore struct {
	mu      sync.Mutex
	threads map[string]Thread
}

// NewMemoryThreadStore returns an empty MemoryThreadStore.
func NewMemoryThreadStore() *MemoryThreadStore {
	return &MemoryThreadStore{threads: make(map[string]Thread)}
}

// Get implements ThreadStore.
func (m *MemoryThreadStore) Get(_ context.Context, key string) (Thread, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	th, ok := m.threads[key]
	return th, ok, nil
}

// Put implements ThreadStore.
func (m *MemoryThreadStore) Put(_ context.Context, key string, th Thread) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.threads[key] = th
	return nil
}

// metaThreadPrefix namespaces the Slack threads in the Meta repository.
const metaThreadPrefix = "notify/slack-thread/"

// MetaThreadStore is a ThreadStore in the state store's Meta repository, so
// that an incident's Slack thread survives a restart.
type MetaThreadStore struct {
	meta state.Meta
}

// NewMetaThreadStore returns a ThreadStore that keeps threads in meta.
func NewMetaThreadStore(meta state.Meta) *MetaThreadStore {
	return &MetaThreadStore{meta: meta}
}

// Get implements ThreadStore.
func (m *MetaThreadStore) Get(ctx context.Context, key string) (Thread, bool, error) {
	b, err := m.meta.Get(ctx, metaThreadPrefix+key)
	if errors.Is(err, state.ErrNotFound) {
		return Thread{}, false, nil
	}
	if err != nil {
		return Thread{}, false, fmt.Errorf("get slack thread: %w", err)
	}
	var th Thread
	if err := json.Unmarshal(b, &th); err != nil {
		return Thread{}, false, fmt.Errorf("decode slack thread of %q: %w", key, err)
	}
	return th, true, nil
}

// Put implements ThreadStore.
func (m *MetaThreadStore) Put(ctx context.Context, key string, th Thread) error {
	b, err := json.Marshal(th)
	if err != nil {
		return fmt.Errorf("encode slack thread of %q: %w", key, err)
	}
	if err := m.meta.Put(ctx, metaThreadPrefix+key, b); err != nil {
		return fmt.Errorf("put slack thread: %w", err)
	}
	return nil
}
