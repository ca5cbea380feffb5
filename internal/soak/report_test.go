package soak

import (
	"fmt"
	"strings"
	"time"
)

// report is the soak's figures.
type report struct {
	load, drain  time.Duration
	drained      bool
	faults       []string
	exits        []string
	acRequests   int
	acUnanswered int
	creates      int
	failures     map[string]int
	cancels      int
	cancelled    int
	replays      int
	seats        []int

	assistant     int
	staffRequests int
	staffAcked    int
	sendable      int
	delivered     int
	duplicates    int
	outOfOrder    int
	attempts      int
	injected      int
}

func (r report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "soak: load %s, drain %s (drained: %v)\n", r.load.Round(time.Second), r.drain.Round(100*time.Millisecond), r.drained)
	fmt.Fprintf(&b, "  faults (SIGKILL + restart): %d: %s; processes that exited by themselves: %d %v\n",
		len(r.faults), strings.Join(r.faults, ", "), len(r.exits), r.exits)
	fmt.Fprintf(&b, "  Actions Center: %d HTTP requests (%d without an answer, retried), %d bookings acknowledged, refused %v, "+
		"%d cancellations tried (%d acknowledged), %d replays answered, seats per slot %v (capacity %d)\n",
		r.acRequests, r.acUnanswered, r.creates, r.failures, r.cancels, r.cancelled, r.replays, r.seats, capacity)
	fmt.Fprintf(&b, "  staff: %d Assistant bookings, %d changes acknowledged (%d calls), %d changes to send\n",
		r.assistant, r.staffAcked, r.staffRequests, r.sendable)
	fmt.Fprintf(&b, "  Orders API: %d PATCH attempts, %d answered 503, %d accepted, %d duplicates, %d out of order",
		r.attempts, r.injected, r.delivered, r.duplicates, r.outOfOrder)
	return b.String()
}
