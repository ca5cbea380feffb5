package soak

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"
)

// acBooking is the part of an Actions Center booking the soak reads.
type acBooking struct {
	BookingID string `json:"booking_id"`
	Status    string `json:"status"`
}

// acAnswer is a CreateBooking or UpdateBooking response.
type acAnswer struct {
	Booking        *acBooking `json:"booking"`
	BookingFailure *struct {
		Cause string `json:"cause"`
	} `json:"booking_failure"`
}

// created is one acknowledged CreateBooking: the request (to replay it) and its booking.
type created struct {
	body      []byte
	bookingID string
	start     time.Time
	party     int
}

// acLoad is the Actions Center side of the load: clients racing for the diner's slots, replaying earlier
// requests and cancelling their bookings.
type acLoad struct {
	bases   []string
	starts  []time.Time
	clients int
	http    *http.Client

	mu         sync.Mutex
	requests   int            // HTTP requests sent
	unanswered int            // transport errors and 5xx (retried with the same idempotency token)
	creates    []created      // acknowledged
	failures   map[string]int // CreateBooking answered with booking_failure, by cause
	cancels    map[string]bool
	replays    int
	mismatches []string // replays answered with another booking, or with a failure
	cancelled  map[string]bool
}

func newACLoad(bases []string, day time.Time, clients int) *acLoad {
	l := &acLoad{bases: bases, clients: clients, http: client(), failures: map[string]int{},
		cancels: map[string]bool{}, cancelled: map[string]bool{}}
	for i := range slots {
		l.starts = append(l.starts, day.Add(10*time.Hour+time.Duration(i)*30*time.Minute))
	}
	return l
}

// post sends one Actions Center call to a server; ok is false when there was no answer to use (a transport
// error or a 5xx), which the caller retries.
func (l *acLoad) post(base, method string, body []byte) (ans acAnswer, status int, ok bool) {
	l.mu.Lock()
	l.requests++
	l.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v3/"+method+"/", bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	req.SetBasicAuth(bookingServerUser, bookingServerPass)
	req.Header.Set("Content-Type", "application/json")
	resp, err := l.http.Do(req)
	if err == nil {
		defer resp.Body.Close()
		raw, rerr := io.ReadAll(resp.Body)
		if rerr == nil && resp.StatusCode < 500 {
			_ = json.Unmarshal(raw, &ans)
			return ans, resp.StatusCode, true
		}
	}
	l.mu.Lock()
	l.unanswered++
	l.mu.Unlock()
	return ans, 0, false
}

// call sends a call, retrying on other servers (up to 6 tries) while there is no answer.
func (l *acLoad) call(rng *rand.Rand, method string, body []byte) (acAnswer, int, bool) {
	for try := range 6 {
		if ans, status, ok := l.post(l.bases[rng.IntN(len(l.bases))], method, body); ok {
			return ans, status, true
		}
		time.Sleep(time.Duration(100*(try+1)) * time.Millisecond)
	}
	return acAnswer{}, 0, false
}

func (l *acLoad) run(end time.Time) {
	var wg sync.WaitGroup
	for i := range l.clients {
		wg.Go(func() { l.client(i, end) })
	}
	wg.Wait()
}

// client is one Actions Center client: mostly new bookings, some replays, some cancellations.
func (l *acLoad) client(i int, end time.Time) {
	rng := rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))
	var mine []created
	for n := 0; time.Now().Before(end); n++ {
		switch x := rng.Float64(); {
		case x < 0.15:
			l.replay(rng)
		case x < 0.3 && len(mine) > 0:
			k := rng.IntN(len(mine))
			l.cancel(rng, mine[k].bookingID)
			mine = append(mine[:k], mine[k+1:]...)
		default:
			if c, ok := l.create(rng, fmt.Sprintf("soak-%d-%d", i, n)); ok {
				mine = append(mine, c)
			}
		}
		time.Sleep(time.Duration(10+rng.IntN(40)) * time.Millisecond) // many clients, not a CPU hog
	}
}

func (l *acLoad) create(rng *rand.Rand, key string) (created, bool) {
	start := l.starts[rng.IntN(len(l.starts))]
	party := 1 + rng.IntN(3)
	body, _ := json.Marshal(map[string]any{
		"idempotency_token": key,
		"slot": map[string]any{"merchant_id": diner, "service_id": dinerService,
			"start_sec": start.Unix(), "duration_sec": 1800, "resources": map[string]int{"party_size": party}},
		"user_information":    map[string]string{"user_id": "user-" + key, "given_name": "Soak", "family_name": key},
		"payment_information": map[string]string{"prepayment_status": "PREPAYMENT_NOT_PROVIDED"},
	})
	ans, _, ok := l.call(rng, "CreateBooking", body)
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case !ok:
		return created{}, false
	case ans.Booking != nil && ans.Booking.BookingID != "":
		c := created{body: body, bookingID: ans.Booking.BookingID, start: start, party: party}
		l.creates = append(l.creates, c)
		return c, true
	case ans.BookingFailure != nil:
		l.failures[ans.BookingFailure.Cause]++
	default:
		l.failures["OTHER"]++
	}
	return created{}, false
}

// replay sends an acknowledged CreateBooking again, byte for byte: it must answer the same booking.
func (l *acLoad) replay(rng *rand.Rand) {
	l.mu.Lock()
	if len(l.creates) == 0 {
		l.mu.Unlock()
		return
	}
	c := l.creates[rng.IntN(len(l.creates))]
	l.mu.Unlock()
	ans, status, ok := l.call(rng, "CreateBooking", c.body)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.replays++
	if ans.Booking == nil || ans.Booking.BookingID != c.bookingID {
		got, _ := json.Marshal(ans)
		l.mismatches = append(l.mismatches, fmt.Sprintf("replay of %s: HTTP %d %s", c.bookingID, status, got))
	}
}

// cancel cancels a booking through UpdateBooking; an answer with status CANCELED acknowledges it.
func (l *acLoad) cancel(rng *rand.Rand, id string) {
	body, _ := json.Marshal(map[string]any{"booking": map[string]string{"booking_id": id, "status": "CANCELED"}})
	ans, _, ok := l.call(rng, "UpdateBooking", body)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cancels[id] = true
	if ok && ans.Booking != nil && ans.Booking.Status == "CANCELED" {
		l.cancelled[id] = true
	}
}

// check reads every acknowledged booking back through the admin API and the diner's day: none lost, every
// acknowledged cancellation kept, no start over capacity, every replay answered with its booking.
func (l *acLoad) check(t *testing.T, r *report) {
	t.Helper()
	a := admin{bases: l.bases, http: client()}
	for _, c := range l.creates {
		b, err := a.booking(c.bookingID)
		switch {
		case err != nil:
			t.Errorf("acknowledged booking %s lost: %v", c.bookingID, err)
		case l.cancelled[c.bookingID] && b.Status != "CANCELLED":
			t.Errorf("acknowledged cancellation of %s lost: status %s", c.bookingID, b.Status)
		case b.PartySize != c.party || !b.Start.Equal(c.start):
			t.Errorf("booking %s: party %d at %s, acknowledged %d at %s", c.bookingID, b.PartySize, b.Start, c.party, c.start)
		}
	}
	day, err := a.day(diner, l.starts[0].Format(time.DateOnly))
	if err != nil {
		t.Fatalf("the diner's day: %v", err)
	}
	seats := map[time.Time]int{}
	for _, b := range day {
		if live(b.Status) {
			seats[b.Start.UTC()] += b.PartySize
		}
	}
	for _, s := range l.starts {
		if seats[s] > capacity {
			t.Errorf("slot %s oversold: %d seats booked, capacity %d", s, seats[s], capacity)
		}
		r.seats = append(r.seats, seats[s])
	}
	for _, m := range l.mismatches {
		t.Errorf("%s", m)
	}
	r.acRequests, r.acUnanswered, r.creates, r.failures = l.requests, l.unanswered, len(l.creates), l.failures
	r.cancels, r.cancelled, r.replays = len(l.cancels), len(l.cancelled), l.replays
}

// live reports whether a booking in this status holds its seats.
func live(status string) bool {
	return status == "CONFIRMED" || status == "PENDING" || status == "CHANGE_REQUESTED"
}
