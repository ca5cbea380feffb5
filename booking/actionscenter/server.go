package actionscenter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/httpauth"
	"github.com/reservations/reservations/logging"
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

// Server is the Actions Center booking server over the booking core.
type Server struct {
	core *booking.Core
	opts Options
	log  *slog.Logger
}

// New returns the booking server for core.
func New(core *booking.Core, opts Options) *Server {
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
	return &Server{core: core, opts: opts, log: log.With("component", "actionscenter")}
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

// Register mounts the API under /v3 on r, behind basic auth: each method at /v3/Method/ and /v3/Method, and
// also in lower case (/v3/method/), as Google's Node skeleton routes lower-cased paths.
func (s *Server) Register(r gin.IRouter) {
	handlers := map[string]gin.HandlerFunc{
		"HealthCheck":             s.healthCheck,
		"BatchAvailabilityLookup": s.batchAvailabilityLookup,
		"CreateBooking":           s.createBooking,
		"UpdateBooking":           s.updateBooking,
		"GetBookingStatus":        s.getBookingStatus,
		"ListBookings":            s.listBookings,
	}
	g := r.Group("/v3", httpauth.Basic(s.opts.Realm, s.opts.Credentials...))
	for _, m := range methods {
		h := handlers[m.name]
		names := []string{m.name}
		if lower := strings.ToLower(m.name); lower != m.name {
			names = append(names, lower)
		}
		for _, n := range names {
			g.Handle(m.verb, "/"+n, h)
			g.Handle(m.verb, "/"+n+"/", h)
		}
	}
}

// Handler returns a standalone http.Handler serving only this API (unknown paths 404 JSON, wrong methods 405
// JSON), for tests and tools; the service mounts the API on its own engine with Register.
func (s *Server) Handler() http.Handler {
	e := gin.New()
	e.HandleMethodNotAllowed = true
	if err := e.SetTrustedProxies(nil); err != nil {
		s.log.Error("set trusted proxies", "error", err)
	}
	e.Use(gin.CustomRecoveryWithWriter(io.Discard, func(c *gin.Context, _ any) {
		s.log.Error("panic in handler", "path", c.FullPath())
		writeError(c, http.StatusInternalServerError, "INTERNAL", "internal error")
	}))
	s.Register(e)
	e.NoRoute(func(c *gin.Context) { writeError(c, http.StatusNotFound, "NOT_FOUND", "no such method") })
	e.NoMethod(func(c *gin.Context) {
		writeError(c, http.StatusMethodNotAllowed, "UNIMPLEMENTED", "method not allowed")
	})
	return e
}

// writeError answers a JSON error.
func writeError(c *gin.Context, code int, status, msg string) {
	c.AbortWithStatusJSON(code, ErrorBody{Error: ErrorDetail{
		Code: code, Status: status, Message: msg, RequestID: logging.RequestID(c.Request.Context()),
	}})
}

func badRequest(c *gin.Context, format string, args ...any) {
	writeError(c, http.StatusBadRequest, "INVALID_ARGUMENT", fmt.Sprintf(format, args...))
}

// readRequest reads and decodes the body into v, answering 413 or 400 itself when it cannot.
func (s *Server) readRequest(c *gin.Context, v any) bool {
	if c.Request.ContentLength > s.opts.MaxBodyBytes {
		writeError(c, http.StatusRequestEntityTooLarge, "RESOURCE_EXHAUSTED", fmt.Sprintf("request body over %d bytes", s.opts.MaxBodyBytes))
		return false
	}
	data, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.opts.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(c, http.StatusRequestEntityTooLarge, "RESOURCE_EXHAUSTED", fmt.Sprintf("request body over %d bytes", s.opts.MaxBodyBytes))
			return false
		}
		badRequest(c, "reading the request body failed")
		return false
	}
	if len(bytes.TrimSpace(data)) == 0 {
		badRequest(c, "empty request body: want a JSON object")
		return false
	}
	if err := Decode(data, v); err != nil {
		badRequest(c, "%s", err.Error())
		return false
	}
	return true
}

// infraError answers an error that is not a business failure: the store could not be reached or failed.
func (s *Server) infraError(c *gin.Context, rpc string, err error) {
	s.log.Error("booking core unavailable", "rpc", rpc, "error", err)
	writeError(c, http.StatusServiceUnavailable, "UNAVAILABLE", "the booking store is unavailable; retry later")
}

// failure answers err from the core on CreateBooking or UpdateBooking: a business failure with HTTP 200 and a
// specific cause, an HTTP error for invalid arguments and conflicts, or 503.
func (s *Server) failure(c *gin.Context, rpc string, err error, cause func(*booking.Error) (FailureCause, bool)) {
	var be *booking.Error
	if !errors.As(err, &be) {
		s.infraError(c, rpc, err)
		return
	}
	if cause != nil {
		if fc, ok := cause(be); ok {
			s.businessFailure(c, rpc, be, fc)
			return
		}
	}
	o, ok := failureOutcomes[be.Code]
	if !ok {
		s.infraError(c, rpc, err)
		return
	}
	if o.Cause != "" {
		s.businessFailure(c, rpc, be, o.Cause)
		return
	}
	s.log.Info("request refused", "rpc", rpc, "code", string(be.Code), "field", be.Field)
	writeError(c, o.Status, o.StatusName, be.Error())
}

func (s *Server) businessFailure(c *gin.Context, rpc string, be *booking.Error, fc FailureCause) {
	s.log.Info("booking failure", "rpc", rpc, "code", string(be.Code), "field", be.Field, "cause", string(fc))
	desc := be.Message
	if desc == "" {
		desc = string(be.Code)
	}
	c.JSON(http.StatusOK, CreateBookingResponse{BookingFailure: &BookingFailure{Cause: fc, Description: desc}})
}

// plainFailure answers a business failure this package detects itself.
func (s *Server) plainFailure(c *gin.Context, rpc string, fc FailureCause, desc string) {
	s.log.Info("booking failure", "rpc", rpc, "cause", string(fc))
	c.JSON(http.StatusOK, CreateBookingResponse{BookingFailure: &BookingFailure{Cause: fc, Description: desc}})
}

func (s *Server) healthCheck(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), healthTimeout)
	defer cancel()
	if err := s.core.Store().Ping(ctx); err != nil {
		s.infraError(c, "HealthCheck", err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "SERVING"})
}

// serviceDurationSec is a service's slot duration in seconds.
func serviceDurationSec(sv *booking.Service) int64 { return int64(sv.Duration.D() / time.Second) }

func (s *Server) batchAvailabilityLookup(c *gin.Context) {
	var req BatchAvailabilityLookupRequest
	if !s.readRequest(c, &req) {
		return
	}
	if req.MerchantID == "" {
		badRequest(c, "merchant_id is required")
		return
	}
	m, ok := s.core.Inventory().Merchant(req.MerchantID)
	if !ok {
		badRequest(c, "unknown merchant_id %q", req.MerchantID)
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
			badRequest(c, "slot_time[%d].service_id is required", i)
			return
		}
		if _, ok := m.Service(st.ServiceID); !ok {
			badRequest(c, "slot_time[%d]: unknown service_id %q", i, st.ServiceID)
			return
		}
		if st.StartSec <= 0 {
			badRequest(c, "slot_time[%d].start_sec is required", i)
			return
		}
		groups[st.ServiceID] = append(groups[st.ServiceID], i)
	}
	resp := BatchAvailabilityLookupResponse{SlotTimeAvailability: make([]SlotTimeAvailability, len(req.SlotTime))}
	for i, st := range req.SlotTime {
		resp.SlotTimeAvailability[i].SlotTime = st
	}
	for serviceID, idx := range groups {
		sv, _ := m.Service(serviceID)
		free, err := s.freeStarts(c.Request.Context(), m.ID, sv, req.SlotTime, idx)
		if err != nil {
			var be *booking.Error
			if errors.As(err, &be) {
				badRequest(c, "%s", be.Error())
				return
			}
			s.infraError(c, "BatchAvailabilityLookup", err)
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
	c.JSON(http.StatusOK, resp)
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

func (s *Server) createBooking(c *gin.Context) {
	const rpc = "CreateBooking"
	var req CreateBookingRequest
	if !s.readRequest(c, &req) {
		return
	}
	slot := req.Slot
	switch {
	case slot == nil:
		badRequest(c, "slot is required")
		return
	case slot.MerchantID == "":
		badRequest(c, "slot.merchant_id is required")
		return
	case slot.ServiceID == "":
		badRequest(c, "slot.service_id is required")
		return
	case slot.StartSec <= 0:
		badRequest(c, "slot.start_sec is required")
		return
	case req.IdempotencyToken == "":
		badRequest(c, "idempotency_token is required")
		return
	case req.UserInformation == nil || req.UserInformation.UserID == "":
		badRequest(c, "user_information.user_id is required")
		return
	}
	m, ok := s.core.Inventory().Merchant(slot.MerchantID)
	if !ok {
		badRequest(c, "unknown slot.merchant_id %q", slot.MerchantID)
		return
	}
	sv, ok := m.Service(slot.ServiceID)
	if !ok {
		badRequest(c, "unknown slot.service_id %q", slot.ServiceID)
		return
	}
	switch {
	case req.OfferID != "":
		s.plainFailure(c, rpc, CauseOfferUnavailable, "this merchant has no offers")
		return
	case req.DealID != "":
		s.plainFailure(c, rpc, CauseDealUnavailable, "this merchant has no deals")
		return
	case slot.DurationSec != 0 && int64(slot.DurationSec) != serviceDurationSec(sv):
		s.plainFailure(c, rpc, CauseSlotUnavailable, fmt.Sprintf("the service is booked for %d seconds", serviceDurationSec(sv)))
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
	b, err := s.core.CreateBooking(c.Request.Context(), booking.CreateRequest{
		MerchantID:     m.ID,
		ServiceID:      sv.ID,
		Start:          time.Unix(int64(slot.StartSec), 0).UTC(),
		PartySize:      party,
		Customer:       customerOf(req.UserInformation),
		Source:         booking.SourceActionsCenter,
		HoldID:         holdID,
		IdempotencyKey: req.IdempotencyToken,
		RetryFailures:  true,
	})
	if err != nil {
		s.failure(c, rpc, err, func(be *booking.Error) (FailureCause, bool) {
			// A lease that is gone (expired and swept) is an expired lease, not a bad request.
			if be.Code == booking.CodeNotFound && holdID != "" && be.Field != "merchant_id" && be.Field != "service_id" {
				return CauseLeaseExpired, true
			}
			return "", false
		})
		return
	}
	s.log.Info("booking created", "rpc", rpc, "booking_id", b.ID, "merchant_id", b.MerchantID, "status", string(b.Status))
	c.JSON(http.StatusOK, CreateBookingResponse{Booking: wireBooking(b, req.UserInformation)})
}

func (s *Server) updateBooking(c *gin.Context) {
	const rpc = "UpdateBooking"
	var req UpdateBookingRequest
	if !s.readRequest(c, &req) {
		return
	}
	if req.Booking == nil || req.Booking.BookingID == "" {
		badRequest(c, "booking.booking_id is required")
		return
	}
	ctx := c.Request.Context()
	want := req.Booking
	current, err := s.core.Booking(ctx, want.BookingID)
	if err != nil {
		s.lookupError(c, rpc, err)
		return
	}
	illegal := func(be *booking.Error) (FailureCause, bool) {
		if be.Code == booking.CodeIllegalTransition {
			return illegalTransitionCause(current.Status), true
		}
		return "", false
	}
	if want.Status == BookingStatusCanceled {
		b, err := s.core.Cancel(ctx, booking.CancelRequest{BookingID: current.ID, Reason: reasonCancel})
		if err != nil {
			s.failure(c, rpc, err, illegal)
			return
		}
		s.log.Info("booking cancelled", "rpc", rpc, "booking_id", b.ID, "merchant_id", b.MerchantID)
		c.JSON(http.StatusOK, UpdateBookingResponse{Booking: wireBooking(b, nil)})
		return
	}
	if want.Status != "" && want.Status != BookingStatusUnspecified && want.Status != statusOf(current.Status) {
		badRequest(c, "booking.status %s cannot be set through UpdateBooking; only CANCELED", want.Status)
		return
	}
	upd := booking.UpdateRequest{BookingID: current.ID, Reason: reasonUpdate}
	if sl := want.Slot; sl != nil {
		if sl.MerchantID != "" && sl.MerchantID != current.MerchantID {
			badRequest(c, "booking.slot.merchant_id does not match the booking's merchant")
			return
		}
		if sl.ServiceID != "" && sl.ServiceID != current.ServiceID {
			badRequest(c, "booking.slot.service_id does not match the booking's service; cancel and book again")
			return
		}
		if sl.DurationSec < 0 || sl.StartSec < 0 {
			badRequest(c, "booking.slot.start_sec and duration_sec must not be negative")
			return
		}
		if sl.DurationSec != 0 && int64(sl.DurationSec) != int64(current.End.Sub(current.Start)/time.Second) {
			s.plainFailure(c, rpc, CauseSlotUnavailable, "the booking's duration cannot be changed")
			return
		}
		if sl.StartSec != 0 {
			upd.Start = time.Unix(int64(sl.StartSec), 0).UTC()
		}
		if sl.Resources != nil {
			if sl.Resources.PartySize < 0 {
				badRequest(c, "booking.slot.resources.party_size must not be negative")
				return
			}
			upd.PartySize = int(sl.Resources.PartySize)
		}
	}
	b := current
	if !upd.Start.IsZero() || upd.PartySize != 0 {
		b, err = s.core.Update(ctx, upd)
		if err != nil {
			s.failure(c, rpc, err, illegal)
			return
		}
		s.log.Info("booking updated", "rpc", rpc, "booking_id", b.ID, "merchant_id", b.MerchantID, "version", b.Version)
	}
	c.JSON(http.StatusOK, UpdateBookingResponse{Booking: wireBooking(b, nil)})
}

// lookupError answers a failed lookup of a booking by id: 404 when it does not exist.
func (s *Server) lookupError(c *gin.Context, rpc string, err error) {
	switch booking.CodeOf(err) {
	case booking.CodeNotFound:
		writeError(c, http.StatusNotFound, "NOT_FOUND", "booking id not found")
	case "":
		s.infraError(c, rpc, err)
	default:
		badRequest(c, "%s", err.Error())
	}
}

func (s *Server) getBookingStatus(c *gin.Context) {
	var req GetBookingStatusRequest
	if !s.readRequest(c, &req) {
		return
	}
	if req.BookingID == "" {
		badRequest(c, "booking_id is required")
		return
	}
	b, err := s.core.Booking(c.Request.Context(), req.BookingID)
	if err != nil {
		s.lookupError(c, "GetBookingStatus", err)
		return
	}
	c.JSON(http.StatusOK, GetBookingStatusResponse{
		BookingID: b.ID, BookingStatus: statusOf(b.Status), PrepaymentStatus: PrepaymentNotProvided,
	})
}

func (s *Server) listBookings(c *gin.Context) {
	var req ListBookingsRequest
	if !s.readRequest(c, &req) {
		return
	}
	if req.UserID == "" {
		badRequest(c, "user_id is required")
		return
	}
	bs, err := s.core.Upcoming(c.Request.Context(), req.UserID)
	if err != nil {
		var be *booking.Error
		if errors.As(err, &be) {
			badRequest(c, "%s", be.Error())
			return
		}
		s.infraError(c, "ListBookings", err)
		return
	}
	resp := ListBookingsResponse{Bookings: []Booking{}}
	for _, b := range bs {
		// Only what the Actions Center booked and is still to come: other channels' user ids are another
		// namespace, and ended or cancelled bookings are not listed.
		if b.Source != booking.SourceActionsCenter || !b.Active() {
			continue
		}
		resp.Bookings = append(resp.Bookings, *wireBooking(b, nil))
	}
	c.JSON(http.StatusOK, resp)
}
