package soak

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/redis"
	"github.com/reservations/reservations/orders/orderstest"
)

// adminBooking is the part of the admin API's booking view the soak reads.
type adminBooking struct {
	ID        string    `json:"id"`
	Status    string    `json:"status"`
	Version   int64     `json:"version"`
	Start     time.Time `json:"start"`
	PartySize int       `json:"partySize"`
	Updates   []struct {
		Seq    int64  `json:"seq"`
		Kind   string `json:"kind"`
		Status string `json:"status"`
		Google string `json:"google"`
	} `json:"updates"`
}

// admin calls the staff API of the servers, trying each in turn while none answers.
type admin struct {
	bases []string
	http  *http.Client
}

// errNoAnswer is a call that got no usable answer from any server.
var errNoAnswer = errors.New("no server answered")

// do sends one call to the servers in turn (up to 6 tries); a 2xx answer is decoded into out, another 4xx is
// an error with its status.
func (a admin) do(method, path, key string, body, out any) error {
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	for try := range 6 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		req, err := http.NewRequestWithContext(ctx, method, a.bases[try%len(a.bases)]+path, bytes.NewReader(raw))
		if err != nil {
			cancel()
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		req.SetBasicAuth(adminUser, adminPass)
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		resp, err := a.http.Do(req)
		if err == nil {
			b, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case rerr != nil || resp.StatusCode >= 500:
			case resp.StatusCode >= 300:
				cancel()
				return fmt.Errorf("%s %s: HTTP %d %s", method, path, resp.StatusCode, b)
			default:
				cancel()
				return json.Unmarshal(b, out)
			}
		}
		cancel()
		time.Sleep(time.Duration(150*(try+1)) * time.Millisecond)
	}
	return fmt.Errorf("%s %s: %w", method, path, errNoAnswer)
}

func (a admin) booking(id string) (adminBooking, error) {
	var b adminBooking
	err := a.do(http.MethodGet, "/admin/v1/bookings/"+url.PathEscape(id), "", nil, &b)
	return b, err
}

func (a admin) day(merchant, date string) ([]adminBooking, error) {
	var v struct {
		Bookings []adminBooking `json:"bookings"`
	}
	err := a.do(http.MethodGet, "/admin/v1/bookings?merchant="+merchant+"&date="+date, "", nil, &v)
	return v.Bookings, err
}

// change is one staff change the admin API acknowledged.
type change struct {
	version int64
	status  string
}

// staffLoad is the staff side: Assistant bookings of the salon (with Google orders) confirmed, moved twice
// and cancelled through the admin API; each change goes to the Orders API through the workers.
type staffLoad struct {
	a         admin
	redisURL  string
	inventory string
	day       time.Time

	mu       sync.Mutex
	ids      []string
	seeds    int // Assistant bookings begun (each gets its own user)
	acked    map[string][]change
	failed   []string // changes answered with an error (not a fault)
	requests int
}

func newStaffLoad(bases []string, redisURL, inventory string, day time.Time) *staffLoad {
	return &staffLoad{a: admin{bases: bases, http: client()}, redisURL: redisURL, inventory: inventory, day: day,
		acked: map[string][]change{}}
}

// seed makes one Assistant booking the way the conversation does (a hold, then its confirmation with the
// Google order id), through the booking core on the same Redis the servers use; while Redis is down it tries
// again until end.
func (s *staffLoad) seed(ctx context.Context, core *booking.Core, end time.Time) (string, bool) {
	s.mu.Lock()
	i := s.seeds
	s.seeds++
	s.mu.Unlock()
	start := s.day.Add(8*time.Hour + time.Duration(i%20)*30*time.Minute)
	user := fmt.Sprintf("assistant-user-%d", i)
	for time.Now().Before(end) {
		h, err := core.PlaceHold(ctx, booking.HoldRequest{MerchantID: salon, Start: start, PartySize: 1, UserID: user,
			IdempotencyKey: "soak-hold-" + user})
		if err == nil {
			var b booking.Booking
			b, err = core.ConfirmHold(ctx, booking.ConfirmRequest{MerchantID: salon, HoldID: h.ID,
				Customer: booking.Customer{Name: "Assistant Guest", UserID: user}, Source: booking.SourceAssistant,
				GoogleOrderID: fmt.Sprintf("GO-soak-%d", i), IdempotencyKey: "soak-confirm-" + user})
			if err == nil {
				s.mu.Lock()
				s.ids = append(s.ids, b.ID)
				s.mu.Unlock()
				return b.ID, true
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return "", false
}

// run has four staff members, until end, each take a new Assistant booking and work it through.
func (s *staffLoad) run(t *testing.T, end time.Time) {
	ctx := context.Background()
	inv, err := booking.LoadInventoryFile(s.inventory)
	if err != nil {
		t.Error(err)
		return
	}
	st, err := redis.Open(ctx, s.redisURL, redis.Options{})
	if err != nil {
		t.Errorf("open the store: %v", err)
		return
	}
	defer st.Close()
	core, err := booking.NewService(booking.Config{Store: st, Inventory: inv})
	if err != nil {
		t.Error(err)
		return
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for time.Now().Before(end) {
				if id, ok := s.seed(ctx, core, end); ok {
					s.work(rng, id, end)
				}
			}
		})
	}
	wg.Wait()
}

// work takes one booking from PENDING through CONFIRMED, two moves and CANCELLED. Each change carries the
// version last seen and an Idempotency-Key, so a retry after a fault replays it instead of doing it twice.
func (s *staffLoad) work(rng *rand.Rand, id string, end time.Time) {
	version := int64(1)
	b0, err := s.a.booking(id)
	if err == nil {
		version = b0.Version
	}
	steps := []struct {
		path string
		body map[string]any
	}{
		{"status", map[string]any{"status": "CONFIRMED"}},
		{"reschedule", map[string]any{"start": b0.Start.Add(30 * time.Minute).Format(time.RFC3339)}},
		{"reschedule", map[string]any{"start": b0.Start.Add(60 * time.Minute).Format(time.RFC3339)}},
		{"status", map[string]any{"status": "CANCELLED", "reason": "staff: soak"}},
	}
	for i, st := range steps {
		if time.Now().After(end) {
			return
		}
		st.body["version"] = version
		var b adminBooking
		err := errNoAnswer
		// No answer (servers or Redis down): the same call again, with the same key, for a while.
		for tries := 0; errors.Is(err, errNoAnswer) && tries < 10; tries++ {
			err = s.a.do(http.MethodPost, "/admin/v1/bookings/"+id+"/"+st.path, fmt.Sprintf("soak-%s-%d", id, i), st.body, &b)
		}
		s.mu.Lock()
		s.requests++
		if err != nil {
			s.failed = append(s.failed, fmt.Sprintf("%s step %d: %v", id, i, err))
			s.mu.Unlock()
			return
		}
		s.acked[id] = append(s.acked[id], change{version: b.Version, status: b.Status})
		s.mu.Unlock()
		version = b.Version
		time.Sleep(time.Duration(50+rng.IntN(200)) * time.Millisecond)
	}
}

// sendable is the booking's changes that go to the Orders API (all but the creation), and whether all of
// them were sent.
func sendable(b adminBooking) (n int, sent bool) {
	sent = true
	for _, u := range b.Updates {
		if u.Kind == "CREATED" {
			continue
		}
		n++
		if u.Google != "SENT" {
			sent = false
		}
	}
	return n, sent
}

// waitDrained waits (up to bound) until every change of every Assistant booking is SENT.
func (s *staffLoad) waitDrained(t *testing.T, bound time.Duration) bool {
	t.Helper()
	return waitUntil(bound, func() bool {
		for _, id := range s.ids {
			b, err := s.a.booking(id)
			if err != nil {
				return false
			}
			if _, sent := sendable(b); !sent {
				return false
			}
		}
		return true
	})
}

// check compares what the Orders API received with the bookings: every acknowledged change delivered,
// in order per order (lastUpdateTime never goes back), and counts the duplicates.
func (s *staffLoad) check(t *testing.T, fake *orderstest.Server, r *report) {
	t.Helper()
	for _, f := range s.failed {
		t.Errorf("staff change refused: %s", f)
	}
	for _, id := range s.ids {
		b, err := s.a.booking(id)
		if err != nil {
			t.Errorf("Assistant booking %s lost: %v", id, err)
			continue
		}
		n, sent := sendable(b)
		if !sent {
			t.Errorf("%s: not every change was sent after the drain: %+v", id, b.Updates)
		}
		for _, c := range s.acked[id] {
			if c.version > b.Version {
				t.Errorf("%s: acknowledged version %d lost (store has %d)", id, c.version, b.Version)
			}
		}
		if len(s.acked[id]) > 0 && b.Status != s.acked[id][len(s.acked[id])-1].status {
			t.Errorf("%s: status %s, last acknowledged %s", id, b.Status, s.acked[id][len(s.acked[id])-1].status)
		}
		r.staffAcked += len(s.acked[id])
		r.sendable += n
		s.checkDeliveries(t, fake.UpdatesFor(id), id, n, r)
	}
	r.assistant, r.staffRequests = len(s.ids), s.requests
}

// checkDeliveries checks one order's accepted updates: lastUpdateTime never goes back (a redelivery of the
// same change may repeat it), and as many distinct changes as the booking has sendable changes.
func (s *staffLoad) checkDeliveries(t *testing.T, ups []orderstest.Update, id string, want int, r *report) {
	t.Helper()
	seen := map[orderstest.Key]bool{}
	var last time.Time
	for _, u := range ups {
		lut, err := time.Parse(time.RFC3339Nano, u.LastUpdateTime)
		if err != nil {
			t.Errorf("%s: lastUpdateTime %q", id, u.LastUpdateTime)
			continue
		}
		if lut.Before(last) {
			t.Errorf("%s: out of order: %s (%s) delivered after %s", id, u.LastUpdateTime, u.Status, last.Format(time.RFC3339Nano))
			r.outOfOrder++
		}
		if seen[u.Key()] {
			r.duplicates++
		}
		seen[u.Key()] = true
		last = lut
	}
	if len(seen) != want {
		t.Errorf("%s: %d distinct changes reached the Orders API, the booking has %d", id, len(seen), want)
	}
	r.delivered += len(ups)
}
