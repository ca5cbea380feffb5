// Package conformance checks any Actions Center booking server (v3 REST) the way Google's booking server test
// utility does: health, availability, create, idempotent replay, list, status, reschedule, cancel, cancel
// again, wrong credentials and malformed requests. The reservations binary's check-booking-server subcommand
// runs it; the project's tests run it against their own server.
package conformance

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	ac "github.com/reservations/reservations/booking/actionscenter"
)

// Defaults for Config.
const (
	DefaultSlots     = 10
	DefaultPartySize = 2
	// DefaultDays is how many days, from tomorrow, are probed for bookable start times.
	DefaultDays = 7
	// probeGrid is the spacing of the probed start times.
	probeGrid = 15 * time.Minute
	// probeBatch is how many slot times one probing BatchAvailabilityLookup carries.
	probeBatch = 250
	// balDeadline is the Actions Center's latency objective for BatchAvailabilityLookup.
	balDeadline = 1500 * time.Millisecond
)

// Config says which server to check and with what.
type Config struct {
	// BaseURL is the booking server URL as configured in the Partner Portal, e.g. https://host/google; the
	// methods are called at BaseURL + "/v3/Method/".
	BaseURL            string
	Username, Password string
	MerchantID         string
	ServiceID          string
	// Slots is how many bookings are made (default 10).
	Slots int
	// PartySize is the party of every booking (default 2).
	PartySize int
	// UserID is the Actions Center user the bookings are made for (default: a random "conformance-…" id, so
	// that ListBookings sees only this run's bookings).
	UserID string
	// Duration is the slot duration to ask for; zero leaves duration_sec out of the availability probes and of
	// the first booking and learns it from the server's answer.
	Duration time.Duration
	// Days is how many days from tomorrow are probed for start times (default 7).
	Days int
	// Client makes the requests (default: a client with a 10 s timeout).
	Client *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Result is the outcome of one check.
type Result struct {
	Name    string
	Passed  bool
	Detail  string
	Elapsed time.Duration
}

// Report is the outcome of a run, one Result per check in the order they ran.
type Report struct {
	Results []Result
}

// Failed returns how many checks failed.
func (r Report) Failed() int {
	n := 0
	for _, res := range r.Results {
		if !res.Passed {
			n++
		}
	}
	return n
}

// OK reports whether every check passed.
func (r Report) OK() bool { return len(r.Results) > 0 && r.Failed() == 0 }

// Write prints one line per check and a summary line.
func (r Report) Write(w io.Writer) error {
	for _, res := range r.Results {
		verdict := "PASS"
		if !res.Passed {
			verdict = "FAIL"
		}
		line := fmt.Sprintf("%s %-18s %6dms", verdict, res.Name, res.Elapsed.Milliseconds())
		if res.Detail != "" {
			line += "  " + res.Detail
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	summary := fmt.Sprintf("%d checks: %d passed, %d failed", len(r.Results), len(r.Results)-r.Failed(), r.Failed())
	if r.OK() {
		summary += ". All checks pass!"
	}
	if _, err := fmt.Fprintln(w, summary); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// ReadCredentialsFile reads a credentials file as Google's test utility does: one line "username:password".
func ReadCredentialsFile(path string) (user, password string, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", "", fmt.Errorf("read credentials file: %w", err)
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(data)), "\n")
	line = strings.TrimRight(line, "\r")
	user, password, ok := strings.Cut(line, ":")
	if !ok || user == "" || password == "" {
		return "", "", errors.New("credentials file: want one line username:password")
	}
	return user, password, nil
}

// Run performs every check against the server and reports the outcome. It never returns early: a check whose
// prerequisite failed fails with a note saying so. Bookings it made are cancelled before it returns.
func Run(ctx context.Context, cfg Config) Report {
	r := newRunner(cfg)
	r.run(ctx)
	return Report{Results: r.results}
}

type runner struct {
	cfg     Config
	results []Result

	duration time.Duration // slot duration, from cfg or learned from the first booking
	free     []int64       // start_sec of probed start times reported available, in time order
	bookings []made        // bookings made, in order
}

// made is a booking this run created.
type made struct {
	id       string
	start    int64
	request  ac.CreateBookingRequest
	response []byte
	canceled bool
}

func newRunner(cfg Config) *runner {
	if cfg.Slots <= 0 {
		cfg.Slots = DefaultSlots
	}
	if cfg.PartySize <= 0 {
		cfg.PartySize = DefaultPartySize
	}
	if cfg.Days <= 0 {
		cfg.Days = DefaultDays
	}
	if cfg.UserID == "" {
		cfg.UserID = "conformance-" + strings.ToLower(rand.Text()[:12])
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &runner{cfg: cfg, duration: cfg.Duration}
}

// check runs fn as the named check and records its outcome.
func (r *runner) check(name string, fn func() (string, error)) bool {
	start := time.Now()
	detail, err := fn()
	res := Result{Name: name, Passed: err == nil, Detail: detail, Elapsed: time.Since(start)}
	if err != nil {
		res.Detail = err.Error()
	}
	r.results = append(r.results, res)
	return err == nil
}

func (r *runner) run(ctx context.Context) {
	r.check("health", func() (string, error) { return r.health(ctx) })
	r.check("auth", func() (string, error) { return r.auth(ctx) })
	r.check("malformed", func() (string, error) { return r.malformed(ctx) })
	r.check("unknown-merchant", func() (string, error) { return r.unknownMerchant(ctx) })
	r.check("unknown-booking", func() (string, error) { return r.unknownBooking(ctx) })
	haveSlots := r.check("availability", func() (string, error) { return r.availability(ctx) })
	created := haveSlots && r.check("create", func() (string, error) { return r.create(ctx) })
	if !haveSlots {
		r.skip("create", "availability")
	}
	for _, c := range []struct {
		name string
		fn   func(context.Context) (string, error)
	}{
		{"idempotent-replay", r.replay},
		{"list", r.list},
		{"status", r.status},
		{"reschedule", r.reschedule},
		{"cancel", r.cancel},
		{"cancel-again", r.cancelAgain},
	} {
		if !created {
			r.skip(c.name, "create")
			continue
		}
		r.check(c.name, func() (string, error) { return c.fn(ctx) })
	}
	r.cleanup(ctx)
}

func (r *runner) skip(name, prerequisite string) {
	r.results = append(r.results, Result{Name: name, Detail: "not run: check " + prerequisite + " failed"})
}

// authMode says which credentials a request carries.
type authMode int

const (
	authGood authMode = iota
	authWrong
	authNone
)

// call makes one request and returns the status, the body and how long the server took.
func (r *runner) call(ctx context.Context, method, rpc string, body []byte, auth authMode) (int, []byte, time.Duration, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.cfg.BaseURL+"/v3/"+rpc, rd)
	if err != nil {
		return 0, nil, 0, fmt.Errorf("%s: build request: %w", rpc, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch auth {
	case authGood:
		req.SetBasicAuth(r.cfg.Username, r.cfg.Password)
	case authWrong:
		req.SetBasicAuth(r.cfg.Username+"-wrong", r.cfg.Password+"-wrong")
	}
	start := time.Now()
	resp, err := r.cfg.Client.Do(req)
	if err != nil {
		return 0, nil, 0, fmt.Errorf("%s: %w", rpc, err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	elapsed := time.Since(start)
	if err != nil {
		return 0, nil, 0, fmt.Errorf("%s: read response: %w", rpc, err)
	}
	return resp.StatusCode, data, elapsed, nil
}

// post sends msg to the method and decodes a 200 answer into out.
func (r *runner) post(ctx context.Context, rpc string, msg, out any) ([]byte, time.Duration, error) {
	body, err := json.Marshal(msg)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: encode request: %w", rpc, err)
	}
	status, data, elapsed, err := r.call(ctx, http.MethodPost, rpc+"/", body, authGood)
	if err != nil {
		return nil, 0, err
	}
	if status != http.StatusOK {
		return data, elapsed, fmt.Errorf("%s: HTTP %d: %s", rpc, status, snippet(data))
	}
	if err := ac.Decode(data, out); err != nil {
		return data, elapsed, fmt.Errorf("%s: decode response: %w", rpc, err)
	}
	return data, elapsed, nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func (r *runner) health(ctx context.Context) (string, error) {
	for _, path := range []string{"HealthCheck/", "HealthCheck"} {
		status, body, _, err := r.call(ctx, http.MethodGet, path, nil, authGood)
		if err != nil {
			return "", err
		}
		if status != http.StatusOK {
			return "", fmt.Errorf("GET /v3/%s: HTTP %d, want 200: %s", path, status, snippet(body))
		}
	}
	return "HealthCheck answers 200 with and without the trailing slash", nil
}

func (r *runner) auth(ctx context.Context) (string, error) {
	probes := []struct {
		method, rpc string
		body        []byte
		mode        authMode
		what        string
	}{
		{http.MethodGet, "HealthCheck/", nil, authWrong, "wrong credentials"},
		{http.MethodGet, "HealthCheck/", nil, authNone, "no credentials"},
		{http.MethodPost, "BatchAvailabilityLookup/", []byte(`{"merchant_id":"` + r.cfg.MerchantID + `"}`), authWrong, "wrong credentials"},
		{http.MethodPost, "CreateBooking/", []byte(`{}`), authWrong, "wrong credentials"},
	}
	for _, p := range probes {
		status, body, _, err := r.call(ctx, p.method, p.rpc, p.body, p.mode)
		if err != nil {
			return "", err
		}
		if status != http.StatusUnauthorized {
			return "", fmt.Errorf("%s /v3/%s with %s: HTTP %d, want 401: %s", p.method, p.rpc, p.what, status, snippet(body))
		}
	}
	return "wrong or missing credentials are refused with 401", nil
}

func (r *runner) malformed(ctx context.Context) (string, error) {
	for _, rpc := range []string{"BatchAvailabilityLookup/", "CreateBooking/", "UpdateBooking/", "GetBookingStatus/", "ListBookings/"} {
		status, body, _, err := r.call(ctx, http.MethodPost, rpc, []byte(`{"slot": {`), authGood)
		if err != nil {
			return "", err
		}
		if status != http.StatusBadRequest {
			return "", fmt.Errorf("POST /v3/%s with malformed JSON: HTTP %d, want 400: %s", rpc, status, snippet(body))
		}
	}
	return "malformed JSON is refused with 400 by every method", nil
}

func (r *runner) unknownMerchant(ctx context.Context) (string, error) {
	req := ac.BatchAvailabilityLookupRequest{
		MerchantID: "no-such-merchant-" + strings.ToLower(rand.Text()[:8]),
		SlotTime:   []ac.SlotTime{{ServiceID: r.cfg.ServiceID, StartSec: ac.Int64(r.cfg.Now().Add(48 * time.Hour).Unix())}},
	}
	body, _ := json.Marshal(req)
	status, data, _, err := r.call(ctx, http.MethodPost, "BatchAvailabilityLookup/", body, authGood)
	if err != nil {
		return "", err
	}
	if status != http.StatusBadRequest {
		return "", fmt.Errorf("BatchAvailabilityLookup for an unknown merchant: HTTP %d, want 400: %s", status, snippet(data))
	}
	return "BatchAvailabilityLookup for an unknown merchant is 400", nil
}

func (r *runner) unknownBooking(ctx context.Context) (string, error) {
	body, _ := json.Marshal(ac.GetBookingStatusRequest{BookingID: "no-such-booking-" + strings.ToLower(rand.Text()[:8])})
	status, data, _, err := r.call(ctx, http.MethodPost, "GetBookingStatus/", body, authGood)
	if err != nil {
		return "", err
	}
	if status != http.StatusNotFound && status != http.StatusBadRequest {
		return "", fmt.Errorf("GetBookingStatus for an unknown booking: HTTP %d, want 404 (or 400): %s", status, snippet(data))
	}
	return fmt.Sprintf("GetBookingStatus for an unknown booking is %d", status), nil
}

// slotTime is the probe for one start time.
func (r *runner) slotTime(start int64) ac.SlotTime {
	st := ac.SlotTime{ServiceID: r.cfg.ServiceID, StartSec: ac.Int64(start), ResourceIDs: &ac.ResourceIDs{PartySize: ac.Int32(r.cfg.PartySize)}}
	if r.duration > 0 {
		st.DurationSec = ac.Int64(r.duration / time.Second)
	}
	return st
}

// lookup asks about the start times and checks the answer's shape: one entry per slot time, echoing it, in
// time; it returns which were available.
func (r *runner) lookup(ctx context.Context, starts []int64) ([]bool, error) {
	req := ac.BatchAvailabilityLookupRequest{MerchantID: r.cfg.MerchantID}
	for _, s := range starts {
		req.SlotTime = append(req.SlotTime, r.slotTime(s))
	}
	var resp ac.BatchAvailabilityLookupResponse
	_, elapsed, err := r.post(ctx, "BatchAvailabilityLookup", req, &resp)
	if err != nil {
		return nil, err
	}
	if elapsed > balDeadline {
		return nil, fmt.Errorf("BatchAvailabilityLookup of %d slot times took %s, over the %s objective", len(starts), elapsed, balDeadline)
	}
	if len(resp.SlotTimeAvailability) != len(req.SlotTime) {
		return nil, fmt.Errorf("BatchAvailabilityLookup: %d slot_time_availability entries for %d slot_time entries", len(resp.SlotTimeAvailability), len(req.SlotTime))
	}
	out := make([]bool, len(starts))
	for i, got := range resp.SlotTimeAvailability {
		want := req.SlotTime[i]
		echo := got.SlotTime
		res := echo.ResourceIDs
		if res == nil {
			res = echo.Resources
		}
		if echo.ServiceID != want.ServiceID || echo.StartSec != want.StartSec || echo.DurationSec != want.DurationSec ||
			res == nil || res.PartySize != want.ResourceIDs.PartySize {
			return nil, fmt.Errorf("BatchAvailabilityLookup entry %d does not echo its slot_time (service %q start %d duration %d)", i, echo.ServiceID, echo.StartSec, echo.DurationSec)
		}
		out[i] = got.Available
	}
	return out, nil
}

func (r *runner) availability(ctx context.Context) (string, error) {
	now := r.cfg.Now()
	first := now.Add(24 * time.Hour).Truncate(probeGrid).Add(probeGrid)
	var probes []int64
	for t := first; t.Before(first.Add(time.Duration(r.cfg.Days) * 24 * time.Hour)); t = t.Add(probeGrid) {
		probes = append(probes, t.Unix())
	}
	for i := 0; i < len(probes); i += probeBatch {
		batch := probes[i:min(i+probeBatch, len(probes))]
		avail, err := r.lookup(ctx, batch)
		if err != nil {
			return "", err
		}
		for j, ok := range avail {
			if ok {
				r.free = append(r.free, batch[j])
			}
		}
	}
	if len(r.free) == 0 {
		return "", fmt.Errorf("none of %d start times over the next %d days is available for a party of %d", len(probes), r.cfg.Days, r.cfg.PartySize)
	}
	return fmt.Sprintf("%d of %d probed start times available", len(r.free), len(probes)), nil
}

// overlaps reports whether a booking starting at start overlaps one of the run's active bookings other than skip.
func (r *runner) overlaps(start int64, skip string) bool {
	d := int64(r.duration / time.Second)
	for _, b := range r.bookings {
		if b.canceled || b.id == skip {
			continue
		}
		if start < b.start+d && b.start < start+d {
			return true
		}
	}
	return false
}

// nextFree returns the first available start time that overlaps none of the run's bookings except skip, and
// is not one of used.
func (r *runner) nextFree(skip string, used map[int64]bool) (int64, bool) {
	for _, s := range r.free {
		if !used[s] && !r.overlaps(s, skip) {
			return s, true
		}
	}
	return 0, false
}

func (r *runner) createRequest(start int64, n int) ac.CreateBookingRequest {
	slot := &ac.Slot{
		MerchantID: r.cfg.MerchantID, ServiceID: r.cfg.ServiceID, StartSec: ac.Int64(start),
		Resources: &ac.ResourceIDs{PartySize: ac.Int32(r.cfg.PartySize)}, ConfirmationMode: ac.ConfirmationSync,
	}
	if r.duration > 0 {
		slot.DurationSec = ac.Int64(r.duration / time.Second)
	}
	return ac.CreateBookingRequest{
		Slot:               slot,
		UserInformation:    &ac.UserInformation{UserID: r.cfg.UserID, GivenName: "Conformance", FamilyName: fmt.Sprintf("Check%d", n), Telephone: "+1 415-555-0100", Email: "conformance@example.com"},
		PaymentInformation: &ac.PaymentInformation{PrepaymentStatus: ac.PrepaymentNotProvided},
		IdempotencyToken:   strings.ToLower(rand.Text()),
	}
}

func (r *runner) create(ctx context.Context) (string, error) {
	used := map[int64]bool{}
	for n := range r.cfg.Slots {
		start, ok := r.nextFree("", used)
		if !ok {
			return "", fmt.Errorf("only %d non-overlapping available start times found, need %d", n, r.cfg.Slots)
		}
		used[start] = true
		req := r.createRequest(start, n)
		var resp ac.CreateBookingResponse
		raw, _, err := r.post(ctx, "CreateBooking", req, &resp)
		if err != nil {
			return "", err
		}
		if resp.BookingFailure != nil {
			return "", fmt.Errorf("CreateBooking at %d (reported available): booking_failure %s", start, resp.BookingFailure.Cause)
		}
		b := resp.Booking
		if b == nil || b.BookingID == "" {
			return "", fmt.Errorf("CreateBooking at %d: no booking.booking_id in %s", start, snippet(raw))
		}
		r.bookings = append(r.bookings, made{id: b.BookingID, start: start, request: req, response: raw})
		if b.Status != ac.BookingStatusConfirmed && b.Status != ac.BookingStatusPending {
			return "", fmt.Errorf("CreateBooking %s: status %q, want CONFIRMED or PENDING_MERCHANT_CONFIRMATION", b.BookingID, b.Status)
		}
		if err := r.checkSlot(b, start); err != nil {
			return "", fmt.Errorf("CreateBooking %s: %w", b.BookingID, err)
		}
		u := b.UserInformation
		want := req.UserInformation
		if u == nil || u.UserID != want.UserID || u.GivenName != want.GivenName || u.FamilyName != want.FamilyName ||
			u.Email != want.Email || u.Telephone != want.Telephone {
			return "", fmt.Errorf("CreateBooking %s: user_information is not the request's", b.BookingID)
		}
		if r.duration == 0 {
			r.duration = time.Duration(b.Slot.DurationSec) * time.Second
			if r.duration <= 0 {
				return "", fmt.Errorf("CreateBooking %s: the booking's slot has no duration_sec", b.BookingID)
			}
		}
	}
	return fmt.Sprintf("%d bookings made for user %s", len(r.bookings), r.cfg.UserID), nil
}

// checkSlot checks that the booking's slot is the one asked for.
func (r *runner) checkSlot(b *ac.Booking, start int64) error {
	s := b.Slot
	if s == nil {
		return errors.New("the booking has no slot")
	}
	if s.MerchantID != r.cfg.MerchantID || s.ServiceID != r.cfg.ServiceID || int64(s.StartSec) != start {
		return fmt.Errorf("slot is merchant %q service %q start %d, want %q %q %d", s.MerchantID, s.ServiceID, s.StartSec, r.cfg.MerchantID, r.cfg.ServiceID, start)
	}
	if r.duration > 0 && time.Duration(s.DurationSec)*time.Second != r.duration {
		return fmt.Errorf("slot duration_sec %d, want %d", s.DurationSec, int64(r.duration/time.Second))
	}
	if s.Resources == nil || int(s.Resources.PartySize) != r.cfg.PartySize {
		return fmt.Errorf("slot party size is not %d", r.cfg.PartySize)
	}
	return nil
}

func (r *runner) replay(ctx context.Context) (string, error) {
	first := r.bookings[0]
	var resp ac.CreateBookingResponse
	raw, _, err := r.post(ctx, "CreateBooking", first.request, &resp)
	if err != nil {
		return "", err
	}
	var a, b any
	if err := json.Unmarshal(first.response, &a); err != nil {
		return "", fmt.Errorf("decode first response: %w", err)
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return "", fmt.Errorf("decode replayed response: %w", err)
	}
	if !reflect.DeepEqual(a, b) {
		return "", fmt.Errorf("the replayed CreateBooking answered %s, the first %s", snippet(raw), snippet(first.response))
	}
	ids, err := r.listIDs(ctx)
	if err != nil {
		return "", err
	}
	if len(ids) != len(r.bookings) {
		return "", fmt.Errorf("after the replay ListBookings has %d bookings, want %d", len(ids), len(r.bookings))
	}
	return "the same idempotency_token returns the same response and no second booking", nil
}

func (r *runner) listIDs(ctx context.Context) ([]string, error) {
	var resp ac.ListBookingsResponse
	if _, _, err := r.post(ctx, "ListBookings", ac.ListBookingsRequest{UserID: r.cfg.UserID}, &resp); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(resp.Bookings))
	for _, b := range resp.Bookings {
		ids = append(ids, b.BookingID)
	}
	slices.Sort(ids)
	return ids, nil
}

func (r *runner) activeIDs() []string {
	var ids []string
	for _, b := range r.bookings {
		if !b.canceled {
			ids = append(ids, b.id)
		}
	}
	slices.Sort(ids)
	return ids
}

func (r *runner) list(ctx context.Context) (string, error) {
	ids, err := r.listIDs(ctx)
	if err != nil {
		return "", err
	}
	if want := r.activeIDs(); !slices.Equal(ids, want) {
		return "", fmt.Errorf("ListBookings returned %d bookings %v, want the %d just made", len(ids), ids, len(want))
	}
	return fmt.Sprintf("ListBookings returns the %d bookings made", len(ids)), nil
}

func (r *runner) status(ctx context.Context) (string, error) {
	for _, b := range r.bookings {
		var resp ac.GetBookingStatusResponse
		if _, _, err := r.post(ctx, "GetBookingStatus", ac.GetBookingStatusRequest{BookingID: b.id}, &resp); err != nil {
			return "", err
		}
		if resp.BookingID != b.id {
			return "", fmt.Errorf("GetBookingStatus %s answered booking_id %q", b.id, resp.BookingID)
		}
		if resp.BookingStatus != ac.BookingStatusConfirmed && resp.BookingStatus != ac.BookingStatusPending {
			return "", fmt.Errorf("GetBookingStatus %s: booking_status %q, want CONFIRMED or PENDING_MERCHANT_CONFIRMATION", b.id, resp.BookingStatus)
		}
		if resp.PrepaymentStatus == "" {
			return "", fmt.Errorf("GetBookingStatus %s: no prepayment_status", b.id)
		}
	}
	return fmt.Sprintf("GetBookingStatus answers for all %d bookings", len(r.bookings)), nil
}

func (r *runner) reschedule(ctx context.Context) (string, error) {
	b := &r.bookings[0]
	used := map[int64]bool{b.start: true}
	to, ok := r.nextFree(b.id, used)
	if !ok {
		return "", errors.New("no other available start time to move the booking to")
	}
	// As in Google's sample: booking_id and the new start and duration only, int64 as strings.
	body := fmt.Sprintf(`{"booking":{"booking_id":%q,"slot":{"duration_sec":"%d","start_sec":"%d"}}}`, b.id, int64(r.duration/time.Second), to)
	status, data, _, err := r.call(ctx, http.MethodPost, "UpdateBooking/", []byte(body), authGood)
	if err != nil {
		return "", err
	}
	if status != http.StatusOK {
		return "", fmt.Errorf("UpdateBooking (reschedule): HTTP %d: %s", status, snippet(data))
	}
	var resp ac.UpdateBookingResponse
	if err := ac.Decode(data, &resp); err != nil {
		return "", fmt.Errorf("UpdateBooking: decode response: %w", err)
	}
	if resp.BookingFailure != nil {
		return "", fmt.Errorf("UpdateBooking (reschedule to an available time): booking_failure %s", resp.BookingFailure.Cause)
	}
	if resp.Booking == nil || resp.Booking.BookingID != b.id {
		return "", fmt.Errorf("UpdateBooking (reschedule): the response is not booking %s: %s", b.id, snippet(data))
	}
	if err := r.checkSlot(resp.Booking, to); err != nil {
		return "", fmt.Errorf("UpdateBooking (reschedule): %w", err)
	}
	if s := resp.Booking.Status; s != ac.BookingStatusConfirmed && s != ac.BookingStatusPending {
		return "", fmt.Errorf("UpdateBooking (reschedule): status %q", s)
	}
	b.start = to
	return fmt.Sprintf("booking moved to %s", time.Unix(to, 0).UTC().Format(time.RFC3339)), nil
}

// cancelOne sends a cancel and returns the response.
func (r *runner) cancelOne(ctx context.Context, id string) (ac.UpdateBookingResponse, error) {
	var resp ac.UpdateBookingResponse
	req := ac.UpdateBookingRequest{Booking: &ac.Booking{BookingID: id, Status: ac.BookingStatusCanceled}}
	_, _, err := r.post(ctx, "UpdateBooking", req, &resp)
	return resp, err
}

func (r *runner) cancel(ctx context.Context) (string, error) {
	for i := range r.bookings {
		b := &r.bookings[i]
		resp, err := r.cancelOne(ctx, b.id)
		if err != nil {
			return "", err
		}
		if resp.BookingFailure != nil {
			return "", fmt.Errorf("UpdateBooking (cancel %s): booking_failure %s", b.id, resp.BookingFailure.Cause)
		}
		if resp.Booking == nil || resp.Booking.BookingID != b.id || resp.Booking.Status != ac.BookingStatusCanceled {
			return "", fmt.Errorf("UpdateBooking (cancel %s): want the booking with status CANCELED", b.id)
		}
		b.canceled = true
	}
	ids, err := r.listIDs(ctx)
	if err != nil {
		return "", err
	}
	if len(ids) != 0 {
		return "", fmt.Errorf("after cancelling, ListBookings still returns %v", ids)
	}
	var st ac.GetBookingStatusResponse
	if _, _, err := r.post(ctx, "GetBookingStatus", ac.GetBookingStatusRequest{BookingID: r.bookings[0].id}, &st); err != nil {
		return "", err
	}
	if st.BookingStatus != ac.BookingStatusCanceled {
		return "", fmt.Errorf("GetBookingStatus after cancelling: %q, want CANCELED", st.BookingStatus)
	}
	return fmt.Sprintf("%d bookings cancelled; ListBookings is empty and GetBookingStatus says CANCELED", len(r.bookings)), nil
}

func (r *runner) cancelAgain(ctx context.Context) (string, error) {
	b := r.bookings[0]
	if !b.canceled {
		return "", errors.New("the booking was not cancelled by the cancel check")
	}
	resp, err := r.cancelOne(ctx, b.id)
	if err != nil {
		return "", err
	}
	if resp.BookingFailure == nil || resp.BookingFailure.Cause != ac.CauseBookingAlreadyCancelled {
		return "", fmt.Errorf("a second cancel answered %+v, want booking_failure BOOKING_ALREADY_CANCELLED", resp.BookingFailure)
	}
	return "a second cancel answers BOOKING_ALREADY_CANCELLED", nil
}

// cleanup cancels whatever the run booked and did not cancel (after a failed check).
func (r *runner) cleanup(ctx context.Context) {
	for i := range r.bookings {
		if !r.bookings[i].canceled {
			if _, err := r.cancelOne(ctx, r.bookings[i].id); err == nil {
				r.bookings[i].canceled = true
			}
		}
	}
}
