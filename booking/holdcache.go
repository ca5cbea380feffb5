package booking

import "sync"

// holdCacheSize bounds the holds a Core remembers (a few MiB): the last 16 s of holds at 1,000 holds/s, minutes of
// them at ordinary loads. A hold confirmed after it left the cache is read from the store as before.
const holdCacheSize = 16384

// holdCache remembers the holds this Core placed, so that confirming or releasing one of them needs no read:
// a hold never changes once placed (it is only deleted), and the commit that consumes it checks that it is
// still stored (Mutation.RequireHold), so a cached copy is never trusted for more than its contents. Holds
// placed by another instance are read from the store as before. Oldest entries are dropped first.
type holdCache struct {
	mu    sync.Mutex
	holds map[string]Hold
	order []string // ring of ids in insertion order
	next  int
}

func newHoldCache() *holdCache {
	return &holdCache{holds: make(map[string]Hold, holdCacheSize), order: make([]string, holdCacheSize)}
}

func (c *holdCache) put(h Hold) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.order[c.next]; old != "" {
		delete(c.holds, old)
	}
	c.order[c.next] = h.ID
	c.next = (c.next + 1) % len(c.order)
	c.holds[h.ID] = h
}

func (c *holdCache) get(id string) (Hold, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.holds[id]
	return h, ok
}

// drop forgets a hold; its ring slot is reused in turn.
func (c *holdCache) drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.holds, id)
}
