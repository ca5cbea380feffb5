package actionscenter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/httpauth"
	"github.com/reservations/reservations/httperr"
)

// DefaultMaxBodyBytes is the request body limit when Options.MaxBodyBytes is zero: 1 MiB.
const DefaultMaxBodyBytes = 1 << 20

// DefaultRealm is the basic-auth realm when Options.Realm is empty.
const DefaultRealm = "reservations booking server"

// healthTimeout bounds the store ping of HealthCheck.
const healthTimeout = time.Second

// Reasons recorded on the bookings this API changes (shown to staff, never personal data).
const (
	reasonCancel = "cancelled by the user through the Actions Center"
	reasonUpdate = "changed by the user through the Actions Center"
)

// Pinger reports whether the booking store answers; HealthCheck calls it. Every booking store implements it.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Options configures the booking server.
type Options struct {
	// Credentials are the accepted basic-auth pairs: one, or two while the password is being rotated. With none,
	// every request is refused with 401.
	Credentials []httpauth.Credential
	// Realm is the basic-auth realm (default DefaultRealm).
	Realm string
	// MaxBodyBytes limits request bodies; larger ones get 413 (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// Logger receives one line per business failure and per infrastructure error (default slog.Default()).
	// Lines carry booking ids, merchant ids and failure codes, never personal data.
	Logger *slog.Logger
}

// Server is the Actions Center booking server over the booking core. It is an http.Handler serving the
// routes of [Server.Patterns], each behind basic auth; any other path answers 404 and a known path with the
// wrong HTTP method 405, both with the JSON error body of package httperr and without asking for credentials.
type Server struct {
	core  *booking.Core
	store Pinger
	opts  Options
	log   *slog.Logger
	mux   *http.ServeMux
}

// New returns the booking server for core; HealthCheck pings store (the core's store).
func New(core *booking.Core, store Pinger, opts Options) *Server {
	if opts.Realm == "" {
		opts.Realm = DefaultRealm
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Server{core: core, store: store, opts: opts, log: log.With("component", "actionscenter")}
	s.mux = s.routes()
	return s
}

// methods are the API's methods with their HTTP verbs.
var methods = []struct {
	name, verb string
}{
	{"HealthCheck", http.MethodGet},
	{"BatchAvailabilityLookup", http.MethodPost},
	{"CreateBooking", http.MethodPost},
	{"UpdateBooking", http.MethodPost},
	{"GetBookingStatus", http.MethodPost},
	{"ListBookings", http.MethodPost},
}

// paths returns the paths a method is served at: /v3/Method and /v3/Method/, and the same in lower case
// (/v3/method/), as Google's Node skeleton routes lower-cased paths. The paths with a trailing slash end in
// {$}, so that they match only themselves.
func paths(method string) []string {
	names := []string{method}
	if lower := strings.ToLower(method); lower != method {
		names = append(names, lower)
	}
	var out []string
	for _, n := range names {
		out = append(out, "/v3/"+n, "/v3/"+n+"/{$}")
	}
	return out
}

// Patterns returns the ServeMux patterns of the API's routes, with their methods ("POST /v3/CreateBooking",
// "POST /v3/CreateBooking/{$}", ...), for mounting the server on another router.
func (s *Server) Patterns() []string {
	var out []string
	for _, m := range methods {
		for _, p := range paths(m.name) {
			out = append(out, m.verb+" "+p)
		}
	}
	return out
}

// routes builds the mux: each method behind basic auth, the same path with another HTTP method 405, and
// anything else 404.
func (s *Server) routes() *http.ServeMux {
	handlers := map[string]http.HandlerFunc{
		"HealthCheck":             s.healthCheck,
		"BatchAvailabilityLookup": s.batchAvailabilityLookup,
		"CreateBooking":           s.createBooking,
		"UpdateBooking":           s.updateBooking,
		"GetBookingStatus":        s.getBookingStatus,
		"ListBookings":            s.listBookings,
	}
	auth := httpauth.Basic(s.opts.Realm, s.opts.Credentials...)
	mux := http.NewServeMux()
	for _, m := range methods {
		h := auth(handlers[m.name])
		for _, p := range paths(m.name) {
			mux.Handle(m.verb+" "+p, h)
			mux.Handle(p, methodNotAllowed(m.verb))
		}
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		httperr.Write(w, r, http.StatusNotFound, httperr.Reason(http.StatusNotFound), "no such method")
	})
	return mux
}

// methodNotAllowed answers 405 with the Allow header.
func methodNotAllowed(allow string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		httperr.Write(w, r, http.StatusMethodNotAllowed, httperr.Reason(http.StatusMethodNotAllowed), "method not allowed")
	})
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// writeJSON answers 200 with v as JSON.
func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil { // the wire types always encode
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(b)
}

// writeError answers an HTTP error with the JSON error body; the reason is the google.rpc code of the status.
func writeError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	httperr.Write(w, r, status, httperr.Reason(status), msg)
}

func badRequest(w http.ResponseWriter, r *http.Request, format string, args ...any) {
	writeError(w, r, http.StatusBadRequest, fmt.Sprintf(format, args...))
}

// readRequest reads and decodes the body into v, answering 413 or 400 itself when it cannot.
func (s *Server) readRequest(w http.ResponseWriter, r *http.Request, v any) bool {
	tooBig := fmt.Sprintf("request body over %d bytes", s.opts.MaxBodyBytes)
	if r.ContentLength > s.opts.MaxBodyBytes {
		writeError(w, r, http.StatusRequestEntityTooLarge, tooBig)
		return false
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, r, http.StatusRequestEntityTooLarge, tooBig)
			return false
		}
		badRequest(w, r, "reading the request body failed")
		return false
	}
	if len(bytes.TrimSpace(data)) == 0 {
		badRequest(w, r, "empty request body: want a JSON object")
		return false
	}
	if err := Decode(data, v); err != nil {
		badRequest(w, r, "%s", err.Error())
		return false
	}
	return true
}

// infraError answers an error that is not a business failure: the store could not be reached or failed.
func (s *Server) infraError(w http.ResponseWriter, r *http.Request, rpc string, err error) {
	s.log.ErrorContext(r.Context(), "booking core unavailable", "rpc", rpc, "error", err)
	writeError(w, r, http.StatusServiceUnavailable, "the booking store is unavailable; retry later")
}

// fail answers err from the core with its outcome in [failures], or the one refine gives (nil: none). A
// failure with a cause is a booking_failure (HTTP 200) when withCause is set (CreateBooking, UpdateBooking);
// any other is an HTTP error; an error that is not a core failure is 503.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, rpc string, err error, withCause bool, refine refinement) {
	var be *booking.Error
	if !errors.As(err, &be) {
		s.infraError(w, r, rpc, err)
		return
	}
	o, ok := failures[be.Code]
	if refine != nil {
		if ro, rok := refine(be); rok {
			o, ok = ro, true
		}
	}
	switch {
	case !ok:
		s.infraError(w, r, rpc, err)
	case o.Cause != "" && withCause:
		s.businessFailure(w, r, rpc, be, o.Cause)
	default:
		status, msg := o.Status, o.Message
		if status == 0 {
			status = http.StatusBadRequest
		}
		if msg == "" {
			msg = be.Error()
		}
		s.log.InfoContext(r.Context(), "request refused", "rpc", rpc, "code", string(be.Code), "field", be.Field)
		writeError(w, r, status, msg)
	}
}

func (s *Server) businessFailure(w http.ResponseWriter, r *http.Request, rpc string, be *booking.Error, fc FailureCause) {
	desc := be.Message
	if desc == "" {
		desc = string(be.Code)
	}
	s.log.InfoContext(r.Context(), "booking failure", "rpc", rpc, "code", string(be.Code), "field", be.Field, "cause", string(fc))
	writeJSON(w, CreateBookingResponse{BookingFailure: &BookingFailure{Cause: fc, Description: desc}})
}

// plainFailure answers a business failure this package detects itself.
func (s *Server) plainFailure(w http.ResponseWriter, r *http.Request, rpc string, fc FailureCause, desc string) {
	s.log.InfoContext(r.Context(), "booking failure", "rpc", rpc, "cause", string(fc))
	writeJSON(w, CreateBookingResponse{BookingFailure: &BookingFailure{Cause: fc, Description: desc}})
}

func (s *Server) healthCheck(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.infraError(w, r, "HealthCheck", err)
		return
	}
	writeJSON(w, map[string]string{"status": "SERVING"})
}

// serviceDurationSec is a service's slot duration in seconds.
func serviceDurationSec(sv *booking.Service) int64 { return int64(sv.Duration.D() / time.Second) }

func (s *Server) batchAvailabilityLookup(w http.ResponseWriter, r *http.Request) {
	var req BatchAvailabilityLookupRequest
	if !s.readRequest(w, r, &req) {
		return
	}
	if req.MerchantID == "" {
		badRequest(w, r, "merchant_id is required")
		return
	}
	m, ok := s.core.Inventory().Merchant(req.MerchantID)
	if !ok {
		badRequest(w, r, "unknown merchant_id %q", req.MerchantID)
		return
	}
	// Group the slot times by service, so that each service's window is read with one Availability call.
	groups := map[string][]int{}
	for i := range req.SlotTime {
		st := &req.SlotTime[i]
		if st.ResourceIDs == nil {
			st.ResourceIDs, st.Resources = st.Resources, nil
		} else {
			st.Resources = nil
		}
		if st.ServiceID == "" {
			badRequest(w, r, "slot_time[%d].service_id is required", i)
			return
		}
		if _, ok := m.Service(st.ServiceID); !ok {
			badRequest(w, r, "slot_time[%d]: unknown service_id %q", i, st.ServiceID)
			return
		}
		if st.StartSec <= 0 {
			badRequest(w, r, "slot_time[%d].start_sec is required", i)
			return
		}
		groups[st.ServiceID] = append(groups[st.ServiceID], i)
	}
	resp := BatchAvailabilityLookupResponse{SlotTimeAvailability: make([]SlotTimeAvailability, len(req.SlotTime))}
	// Slot times are echoed as sent, except that a manual-confirmation merchant's say they are asynchronous.
	async := ConfirmationModeOf(m) == ConfirmationAsync
	for i, st := range req.SlotTime {
		if async {
			st.ConfirmationMode = ConfirmationAsync
		}
		resp.SlotTimeAvailability[i].SlotTime = st
	}
	for serviceID, idx := range groups {
		sv, _ := m.Service(serviceID)
		free, err := s.freeStarts(r.Context(), m.ID, sv, req.SlotTime, idx)
		if err != nil {
			s.fail(w, r, "BatchAvailabilityLookup", err, false, nil)
			return
		}
		dur := serviceDurationSec(sv)
		for _, i := range idx {
			st := req.SlotTime[i]
			party := sv.MinParty
			if st.ResourceIDs != nil && st.ResourceIDs.PartySize != 0 {
				party = int(st.ResourceIDs.PartySize)
			}
			remaining, open := free[int64(st.StartSec)]
			resp.SlotTimeAvailability[i].Available = open &&
				(st.DurationSec == 0 || int64(st.DurationSec) == dur) &&
				party >= sv.MinParty && party <= sv.MaxParty && remaining >= party
		}
	}
	writeJSON(w, resp)
}

// freeStarts returns, for the asked start times of one service, the capacity left at each bookable one. It calls
// the core's Availability once per window of at most 31 days covering the asked times (once, for the usual
// request spanning a few days), with the service's smallest party, so that every party size can be answered.
func (s *Server) freeStarts(ctx context.Context, merchantID string, sv *booking.Service, times []SlotTime, idx []int) (map[int64]int, error) {
	starts := make([]int64, 0, len(idx))
	for _, i := range idx {
		starts = append(starts, int64(times[i].StartSec))
	}
	sort.Slice(starts, func(a, b int) bool { return starts[a] < starts[b] })
	free := map[int64]int{}
	window := int64(booking.MaxAvailabilityWindow / time.Second)
	for i := 0; i < len(starts); {
		from := starts[i]
		j := i
		for j < len(starts) && starts[j] < from+window {
			j++
		}
		to := starts[j-1] + 1
		slots, err := s.core.Availability(ctx, booking.AvailabilityQuery{
			MerchantID: merchantID, ServiceID: sv.ID, PartySize: sv.MinParty,
			From: time.Unix(from, 0).UTC(), To: time.Unix(to, 0).UTC(),
		})
		if err != nil {
			return nil, fmt.Errorf("availability of %s/%s: %w", merchantID, sv.ID, err)
		}
		for _, sl := range slots {
			free[sl.Start.Unix()] = sl.Remaining
		}
		i = j
	}
	return free, nil
}

func (s *Server) createBooking(w http.ResponseWriter, r *http.Request) {
	const rpc = "CreateBooking"
	var req CreateBookingRequest
	if !s.readRequest(w, r, &req) {
		return
	}
	slot := req.Slot
	switch {
	case slot == nil:
		badRequest(w, r, "slot is required")
		return
	case slot.MerchantID == "":
		badRequest(w, r, "slot.merchant_id is required")
		return
	case slot.ServiceID == "":
		badRequest(w, r, "slot.service_id is required")
		return
	case slot.StartSec <= 0:
		badRequest(w, r, "slot.start_sec is required")
		return
	case req.IdempotencyToken == "":
		badRequest(w, r, "idempotency_token is required")
		return
	case req.UserInformation == nil || req.UserInformation.UserID == "":
		badRequest(w, r, "user_information.user_id is required")
		return
	}
	m, ok := s.core.Inventory().Merchant(slot.MerchantID)
	if !ok {
		badRequest(w, r, "unknown slot.merchant_id %q", slot.MerchantID)
		return
	}
	sv, ok := m.Service(slot.ServiceID)
	if !ok {
		badRequest(w, r, "unknown slot.service_id %q", slot.ServiceID)
		return
	}
	switch {
	case req.OfferID != "":
		s.plainFailure(w, r, rpc, CauseOfferUnavailable, "this merchant has no offers")
		return
	case req.DealID != "":
		s.plainFailure(w, r, rpc, CauseDealUnavailable, "this merchant has no deals")
		return
	case slot.DurationSec != 0 && int64(slot.DurationSec) != serviceDurationSec(sv):
		s.plainFailure(w, r, rpc, CauseSlotUnavailable, fmt.Sprintf("the service is booked for %d seconds", serviceDurationSec(sv)))
		return
	}
	party := sv.MinParty
	if slot.Resources != nil && slot.Resources.PartySize != 0 {
		party = int(slot.Resources.PartySize)
	}
	var holdID string
	if req.LeaseRef != nil {
		holdID = req.LeaseRef.LeaseID
	}
	b, err := s.core.CreateBooking(r.Context(), booking.CreateRequest{
		MerchantID:      m.ID,
		ServiceID:       sv.ID,
		Start:           time.Unix(int64(slot.StartSec), 0).UTC(),
		PartySize:       party,
		Customer:        customerOf(req.UserInformation),
		Source:          booking.SourceActionsCenter,
		Notes:           strings.TrimSpace(req.AdditionalRequest),
		AvailabilityTag: slot.AvailabilityTag,
		HoldID:          holdID,
		IdempotencyKey:  req.IdempotencyToken,
		RetryFailures:   true,
	})
	if err != nil {
		s.fail(w, r, rpc, err, true, func(be *booking.Error) (outcome, bool) {
			// A lease that is gone (expired and swept) is an expired lease, not a bad request.
			if be.Code == booking.CodeNotFound && holdID != "" && be.Field != "merchant_id" && be.Field != "service_id" {
				return outcome{Cause: CauseLeaseExpired}, true
			}
			return outcome{}, false
		})
		return
	}
	s.log.Info("booking created", "rpc", rpc, "booking_id", b.ID, "merchant_id", b.MerchantID, "status", string(b.Status))
	writeJSON(w, CreateBookingResponse{Booking: wireBooking(b, req.UserInformation, ConfirmationModeOf(m))})
}

func (s *Server) updateBooking(w http.ResponseWriter, r *http.Request) {
	const rpc = "UpdateBooking"
	var req UpdateBookingRequest
	if !s.readRequest(w, r, &req) {
		return
	}
	if req.Booking == nil || req.Booking.BookingID == "" {
		badRequest(w, r, "booking.booking_id is required")
		return
	}
	ctx := r.Context()
	want := req.Booking
	current, err := s.core.Booking(ctx, want.BookingID)
	if err != nil {
		s.fail(w, r, rpc, err, false, bookingLookup)
		return
	}
	illegal := func(be *booking.Error) (outcome, bool) {
		if be.Code == booking.CodeIllegalTransition {
			return outcome{Cause: illegalTransitionCause(current.Status)}, true
		}
		return outcome{}, false
	}
	if want.Status == BookingStatusCanceled {
		b, err := s.core.Cancel(ctx, booking.CancelRequest{BookingID: current.ID, Reason: reasonCancel})
		if err != nil {
			s.fail(w, r, rpc, err, true, illegal)
			return
		}
		s.log.Info("booking cancelled", "rpc", rpc, "booking_id", b.ID, "merchant_id", b.MerchantID)
		writeJSON(w, UpdateBookingResponse{Booking: s.wire(b)})
		return
	}
	if want.Status != "" && want.Status != BookingStatusUnspecified && want.Status != statusOf(current.Status) {
		badRequest(w, r, "booking.status %s cannot be set through UpdateBooking; only CANCELED", want.Status)
		return
	}
	upd := booking.UpdateRequest{BookingID: current.ID, Reason: reasonUpdate}
	if sl := want.Slot; sl != nil {
		if sl.MerchantID != "" && sl.MerchantID != current.MerchantID {
			badRequest(w, r, "booking.slot.merchant_id does not match the booking's merchant")
			return
		}
		if sl.ServiceID != "" && sl.ServiceID != current.ServiceID {
			badRequest(w, r, "booking.slot.service_id does not match the booking's service; cancel and book again")
			return
		}
		if sl.DurationSec < 0 || sl.StartSec < 0 {
			badRequest(w, r, "booking.slot.start_sec and duration_sec must not be negative")
			return
		}
		if sl.DurationSec != 0 && int64(sl.DurationSec) != int64(current.End.Sub(current.Start)/time.Second) {
			s.plainFailure(w, r, rpc, CauseSlotUnavailable, "the booking's duration cannot be changed")
			return
		}
		if sl.StartSec != 0 {
			upd.Start = time.Unix(int64(sl.StartSec), 0).UTC()
		}
		if sl.Resources != nil {
			if sl.Resources.PartySize < 0 {
				badRequest(w, r, "booking.slot.resources.party_size must not be negative")
				return
			}
			upd.PartySize = int(sl.Resources.PartySize)
		}
	}
	b := current
	if !upd.Start.IsZero() || upd.PartySize != 0 {
		if m, _ := s.core.Inventory().Merchant(current.MerchantID); asyncBooking(m, current) {
			s.plainFailure(w, r, rpc, CauseSlotUnavailable,
				"asynchronously confirmed bookings cannot be modified; cancel it and book again")
			return
		}
		b, err = s.core.Update(ctx, upd)
		if err != nil {
			s.fail(w, r, rpc, err, true, illegal)
			return
		}
		s.log.Info("booking updated", "rpc", rpc, "booking_id", b.ID, "merchant_id", b.MerchantID, "version", b.Version)
	}
	writeJSON(w, UpdateBookingResponse{Booking: s.wire(b)})
}

// wire renders a stored booking with its merchant's confirmation mode.
func (s *Server) wire(b booking.Booking) *Booking {
	m, _ := s.core.Inventory().Merchant(b.MerchantID)
	return wireBooking(b, nil, ConfirmationModeOf(m))
}

func (s *Server) getBookingStatus(w http.ResponseWriter, r *http.Request) {
	var req GetBookingStatusRequest
	if !s.readRequest(w, r, &req) {
		return
	}
	if req.BookingID == "" {
		badRequest(w, r, "booking_id is required")
		return
	}
	b, err := s.core.Booking(r.Context(), req.BookingID)
	if err != nil {
		s.fail(w, r, "GetBookingStatus", err, false, bookingLookup)
		return
	}
	writeJSON(w, GetBookingStatusResponse{
		BookingID: b.ID, BookingStatus: statusOf(b.Status), PrepaymentStatus: PrepaymentNotProvided,
	})
}

func (s *Server) listBookings(w http.ResponseWriter, r *http.Request) {
	var req ListBookingsRequest
	if !s.readRequest(w, r, &req) {
		return
	}
	if req.UserID == "" {
		badRequest(w, r, "user_id is required")
		return
	}
	bs, err := s.core.Upcoming(r.Context(), req.UserID)
	if err != nil {
		s.fail(w, r, "ListBookings", err, false, nil)
		return
	}
	resp := ListBookingsResponse{Bookings: []Booking{}}
	for _, b := range bs {
		// Only what the Actions Center booked and is still to come: other channels' user ids are another
		// namespace, and ended or cancelled bookings are not listed.
		if b.Source != booking.SourceActionsCenter || !b.Active() {
			continue
		}
		resp.Bookings = append(resp.Bookings, *s.wire(b))
	}
	writeJSON(w, resp)
}
