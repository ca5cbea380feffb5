package proccpu

import (
	"runtime"
	"testing"
	"time"
)

func TestUsedGrowsWithWork(t *testing.T) {
	before, ok := Used()
	if !ok {
		if runtime.GOOS == "linux" || runtime.GOOS == "darwin" {
			t.Fatalf("Used not known on %s", runtime.GOOS)
		}
		t.Skip("no process CPU time on this platform")
	}
	deadline := time.Now().Add(50 * time.Millisecond)
	x := 0
	for time.Now().Before(deadline) {
		x++
	}
	after, _ := Used()
	if after <= before {
		t.Fatalf("CPU time %v after %d iterations of work, %v before", after, x, before)
	}
}
