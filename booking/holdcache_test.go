package booking

import (
	"fmt"
	"testing"
)

func TestHoldCacheEvictsOldestFirst(t *testing.T) {
	c := newHoldCache()
	for i := range holdCacheSize + 2 {
		c.put(Hold{ID: fmt.Sprintf("h%d", i)})
	}
	c.drop("h5")
	tests := []struct {
		id   string
		want bool
	}{
		{"h0", false}, // evicted: two more than the cache holds were put
		{"h1", false},
		{"h2", true},
		{"h5", false}, // dropped
		{fmt.Sprintf("h%d", holdCacheSize+1), true},
	}
	for _, tt := range tests {
		if h, ok := c.get(tt.id); ok != tt.want || (ok && h.ID != tt.id) {
			t.Errorf("get(%s) = %+v, %v; want found=%v", tt.id, h, ok, tt.want)
		}
	}
	if len(c.holds) != holdCacheSize-1 {
		t.Errorf("cache holds %d holds, want %d", len(c.holds), holdCacheSize-1)
	}
}
