// Package admin is the merchant staff's JSON API over the booking core: the day's reservations, one booking with
// the delivery state of each of its order updates, status changes (confirm, fulfilled, no-show, cancel,
// reject) and rescheduling. It only translates HTTP to core calls; every rule (the status lifecycle, versions,
// capacity) is the core's.
//
// [API] is an http.Handler routing with the standard library's ServeMux; cmd mounts it (behind HTTP basic
// auth) on the service's engine with the patterns [API.Patterns] lists:
//
//	GET  /admin/v1/merchants                                         {"merchants":[{"id","name","timeZone"}]}
//	GET  /admin/v1/bookings?merchant=ID&date=YYYY-MM-DD&status=A,B   a merchant's bookings of one local day
//	GET  /admin/v1/bookings/{id}                                     one booking plus its "updates"
//	POST /admin/v1/bookings/{id}/status       {"status","reason"?,"version"?}
//	POST /admin/v1/bookings/{id}/reschedule   {"start","partySize"?,"reason"?,"version"?}
//
// Errors have the JSON body of package httperr, whose reason is the core's failure code:
//
//	{"error":{"code":409,"reason":"ILLEGAL_TRANSITION","message":"…","requestId":"…"}}
//
// 400 for malformed input (reason INVALID_ARGUMENT), 403 for a change from another origin (PERMISSION_DENIED),
// 404 for an unknown booking or merchant (NOT_FOUND), 409 for a business conflict (ILLEGAL_TRANSITION,
// VERSION_MISMATCH, SLOT_UNAVAILABLE, …), 413 for a body over 64 KiB (INVALID_ARGUMENT), 415 for a body not
// declared application/json (UNSUPPORTED_MEDIA_TYPE), 503 when the store cannot be reached (UNAVAILABLE); one
// table (statuses) maps each core failure to its status. A POST may carry an Idempotency-Key header: a retry
// with the same key returns the first outcome.
//
// The API is safe to reach from a browser that holds the staff's credentials (see [API.ServeHTTP]): a
// state-changing request from another origin is refused with 403 (PERMISSION_DENIED) by the standard library's
// [http.CrossOriginProtection] (Sec-Fetch-Site, else Origin against Host), and a POST whose body is not
// declared application/json is refused with 415 (UNSUPPORTED_MEDIA_TYPE), both before the body is read. No
// answer carries a CORS header: no other origin is granted access.
package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/httperr"
)

// MaxBodyBytes is the largest request body accepted.
const MaxBodyBytes = 64 << 10

// Prefix is the path every route of the API starts with.
const Prefix = "/admin/v1"

// Deliveries reads the outbox entries of one booking, oldest first: where each of its changes is on its way to
// Google. The booking stores implement it.
type Deliveries interface {
	OutboxByBooking(ctx context.Context, bookingID string) ([]booking.OutboxEntry, error)
}

// API is the staff JSON API, an http.Handler serving the routes [API.Patterns] lists. Any other path answers
// 404 and a known path with another method 405, with the JSON error body. It does no authentication: the caller
// wraps it (cmd puts it behind HTTP basic auth).
type API struct {
	core       *booking.Core
	deliveries Deliveries
	log        *slog.Logger
	mux        *http.ServeMux
	handler    http.Handler // mux behind the cross-origin protection
}

// route is one route of the API: a method, a ServeMux path pattern and its handler.
type route struct {
	method, path string
	h            http.HandlerFunc
}

// New returns the API over the booking core; deliveries (the core's store) gives the updates of a booking.
func New(core *booking.Core, deliveries Deliveries) *API {
	a := &API{core: core, deliveries: deliveries, log: slog.Default(), mux: http.NewServeMux()}
	for _, rt := range a.routes() {
		h := rt.h
		if rt.method != http.MethodGet {
			h = requireJSON(h)
		}
		a.mux.HandleFunc(rt.method+" "+rt.path, h)
		a.mux.Handle(rt.path, methodNotAllowed(rt.method))
	}
	a.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		httperr.Write(w, r, http.StatusNotFound, httperr.Reason(http.StatusNotFound), "not found")
	})
	protect := http.NewCrossOriginProtection()
	protect.SetDenyHandler(http.HandlerFunc(a.crossOrigin))
	a.handler = protect.Handler(a.mux)
	return a
}

// CrossOriginMessage is the message of the 403 answer to a state-changing request from another origin.
const CrossOriginMessage = "cross-origin request refused: the staff API takes changes only from its own origin"

// crossOrigin answers a state-changing request that http.CrossOriginProtection found to come from another
// origin (a page elsewhere driving the staff's browser): 403, nothing read nor changed.
func (a *API) crossOrigin(w http.ResponseWriter, r *http.Request) {
	a.log.WarnContext(r.Context(), "admin API: cross-origin request refused", "method", r.Method, "path", r.URL.Path,
		"secFetchSite", r.Header.Get("Sec-Fetch-Site"), "origin", r.Header.Get("Origin"))
	httperr.Write(w, r, http.StatusForbidden, httperr.Reason(http.StatusForbidden), CrossOriginMessage)
}

// requireJSON refuses with 415 a request whose body is not declared application/json (parameters such as
// charset allowed), before h reads it: a browser sends text/plain, form and multipart bodies to any origin
// without asking it first, but never application/json. A request with neither a body nor a Content-Type reaches
// h, which says the body is missing.
func requireJSON(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ct := r.Header.Get("Content-Type")
		if ct == "" && r.ContentLength == 0 && (r.Body == nil || r.Body == http.NoBody) {
			h(w, r)
			return
		}
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			w.Header().Set("Accept", "application/json")
			msg := "the request body must be application/json"
			if ct != "" {
				msg = fmt.Sprintf("Content-Type %q is not accepted: %s", ct, msg)
			}
			httperr.Write(w, r, http.StatusUnsupportedMediaType, httperr.Reason(http.StatusUnsupportedMediaType), msg)
			return
		}
		h(w, r)
	}
}

func (a *API) routes() []route {
	return []route{
		{http.MethodGet, Prefix + "/merchants", a.merchants},
		{http.MethodGet, Prefix + "/bookings", a.list},
		{http.MethodGet, Prefix + "/bookings/{id}", a.get},
		{http.MethodPost, Prefix + "/bookings/{id}/status", a.setStatus},
		{http.MethodPost, Prefix + "/bookings/{id}/reschedule", a.reschedule},
	}
}

// methodNotAllowed answers 405 with the Allow header.
func methodNotAllowed(allow string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		httperr.Write(w, r, http.StatusMethodNotAllowed, httperr.Reason(http.StatusMethodNotAllowed), "method not allowed")
	})
}

// Patterns returns the ServeMux patterns of the API's routes, with their methods
// ("GET /admin/v1/bookings/{id}", ...), for mounting the API on another router.
func (a *API) Patterns() []string {
	var out []string
	for _, rt := range a.routes() {
		out = append(out, rt.method+" "+rt.path)
	}
	return out
}

// ServeHTTP serves the API. A request other than GET, HEAD or OPTIONS from another origin is answered 403
// before it is routed: one whose Sec-Fetch-Site is neither same-origin nor none, or, from a browser that sends
// no Sec-Fetch-Site, whose Origin's host is not the request's Host. A request with neither header (an API
// client such as curl) passes.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.handler.ServeHTTP(w, r) }

// WithLogger sets the logger for failures the API answers with 503 (booking ids and error codes only) and for
// the cross-origin requests it refuses (method, path, Sec-Fetch-Site and Origin).
func (a *API) WithLogger(l *slog.Logger) *API {
	if l != nil {
		a.log = l
	}
	return a
}

// Update is one change of a booking as staff see its way to Google: the outbox entry and where its delivery is.
type Update struct {
	ID            string                `json:"id"`
	Seq           int64                 `json:"seq"`
	Kind          booking.ChangeKind    `json:"kind"`
	Status        booking.Status        `json:"status"` // the booking's status after the change
	Reason        string                `json:"reason,omitempty"`
	State         booking.DeliveryState `json:"state"`
	Attempts      int                   `json:"attempts"`
	LastError     string                `json:"lastError,omitempty"`
	CreatedAt     time.Time             `json:"createdAt"`
	NextAttemptAt time.Time             `json:"nextAttemptAt,omitzero"`
	DeliveredAt   time.Time             `json:"deliveredAt,omitzero"`
	// Google says whether the change reaches the user's Google receipt: SENT (the Orders API accepted it),
	// QUEUED (waiting or being sent), FAILED (dead: see lastError), or NOT_APPLICABLE (the booking has no
	// Google order, or the change is the creation the conversation's receipt already showed).
	Google string `json:"google"`
}

// Delivery states towards Google, as [Update.Google] reports them.
const (
	GoogleSent          = "SENT"
	GoogleQueued        = "QUEUED"
	GoogleFailed        = "FAILED"
	GoogleNotApplicable = "NOT_APPLICABLE"
)

// BookingView is a booking with its updates.
type BookingView struct {
	booking.Booking
	Updates []Update `json:"updates"`
}

// DayView is the answer of GET /bookings.
type DayView struct {
	MerchantID string            `json:"merchantId"`
	Date       string            `json:"date"`
	Bookings   []booking.Booking `json:"bookings"`
}

// StatusBody is the body of POST /bookings/{id}/status.
type StatusBody struct {
	Status  booking.Status `json:"status"`
	Reason  string         `json:"reason,omitempty"`
	Version *int64         `json:"version,omitempty"`
}

// RescheduleBody is the body of POST /bookings/{id}/reschedule.
type RescheduleBody struct {
	Start     string `json:"start"`
	PartySize *int   `json:"partySize,omitempty"`
	Reason    string `json:"reason,omitempty"`
	Version   *int64 `json:"version,omitempty"`
}

// staffStatuses are the statuses staff may set (the core decides which transitions are legal).
var staffStatuses = []booking.Status{booking.StatusConfirmed, booking.StatusFulfilled, booking.StatusNoShow,
	booking.StatusCancelled, booking.StatusRejected}

// Merchant is a merchant as the staff page needs it: to choose one and show times in its zone.
type Merchant struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	TimeZone string `json:"timeZone"`
}

// merchants answers GET /merchants: {"merchants":[{"id","name","timeZone"}]}, in inventory order.
func (a *API) merchants(w http.ResponseWriter, r *http.Request) {
	inv := a.core.Inventory()
	out := make([]Merchant, 0, len(inv.Merchants))
	for _, m := range inv.Merchants {
		out = append(out, Merchant{ID: m.ID, Name: m.Name, TimeZone: m.TimeZone})
	}
	writeJSON(w, map[string][]Merchant{"merchants": out})
}

func (a *API) list(w http.ResponseWriter, r *http.Request) {
	inv := a.core.Inventory()
	q := r.URL.Query()
	merchantID := q.Get("merchant")
	if merchantID == "" {
		if len(inv.Merchants) == 0 {
			writeError(w, r, booking.CodeNotFound, "no merchants are configured")
			return
		}
		merchantID = inv.Merchants[0].ID
	} else if _, ok := inv.Merchant(merchantID); !ok {
		writeError(w, r, booking.CodeNotFound, fmt.Sprintf("unknown merchant %q", merchantID))
		return
	}
	date := q.Get("date")
	if date == "" {
		writeError(w, r, booking.CodeInvalidArgument, "date is required (YYYY-MM-DD)")
		return
	}
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		writeError(w, r, booking.CodeInvalidArgument, fmt.Sprintf("date %q is not YYYY-MM-DD", date))
		return
	}
	var want []booking.Status
	if raw := q.Get("status"); raw != "" {
		for s := range strings.SplitSeq(raw, ",") {
			st := booking.Status(strings.ToUpper(strings.TrimSpace(s)))
			if !slices.Contains(booking.Statuses(), st) {
				writeError(w, r, booking.CodeInvalidArgument, fmt.Sprintf("unknown status %q", s))
				return
			}
			want = append(want, st)
		}
	}
	day, err := a.core.Day(r.Context(), merchantID, date)
	if err != nil {
		a.fail(w, r, "", err)
		return
	}
	out := DayView{MerchantID: merchantID, Date: date, Bookings: []booking.Booking{}}
	for _, b := range day {
		if len(want) == 0 || slices.Contains(want, b.Status) {
			out.Bookings = append(out.Bookings, b)
		}
	}
	writeJSON(w, out)
}

func (a *API) get(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	b, err := a.core.Booking(r.Context(), id)
	if err != nil {
		a.fail(w, r, id, err)
		return
	}
	entries, err := a.deliveries.OutboxByBooking(r.Context(), id)
	if err != nil {
		a.fail(w, r, id, err)
		return
	}
	writeJSON(w, view(b, entries))
}

// view joins a booking and its outbox entries.
func view(b booking.Booking, entries []booking.OutboxEntry) BookingView {
	v := BookingView{Booking: b, Updates: make([]Update, 0, len(entries))}
	for _, e := range entries {
		v.Updates = append(v.Updates, Update{
			ID: e.ID, Seq: e.Seq, Kind: e.Kind, Status: e.Booking.Status, Reason: e.Reason, State: e.State,
			Attempts: e.Attempts, LastError: e.LastError, CreatedAt: e.CreatedAt, NextAttemptAt: e.NextAttemptAt,
			DeliveredAt: e.DeliveredAt, Google: googleState(e),
		})
	}
	return v
}

// googleState is where an entry is on its way to the user's Google receipt. Only changes (not the creation) of
// bookings with a Google order (booking.Booking.HasGoogleOrder) are sent to the Orders API; the orders worker
// applies the same rule (orders.Sendable).
func googleState(e booking.OutboxEntry) string {
	if !e.Booking.HasGoogleOrder() || e.Kind == booking.ChangeCreated {
		return GoogleNotApplicable
	}
	switch e.State {
	case booking.DeliveryDelivered:
		return GoogleSent
	case booking.DeliveryDead:
		return GoogleFailed
	default:
		return GoogleQueued
	}
}

func (a *API) setStatus(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var body StatusBody
	if !decode(w, r, &body) {
		return
	}
	body.Status = booking.Status(strings.ToUpper(strings.TrimSpace(string(body.Status))))
	if !slices.Contains(staffStatuses, body.Status) {
		writeError(w, r, booking.CodeInvalidArgument,
			fmt.Sprintf("status must be one of CONFIRMED, FULFILLED, NO_SHOW, CANCELLED, REJECTED, not %q", body.Status))
		return
	}
	req := booking.StatusRequest{BookingID: id, Status: body.Status, Reason: strings.TrimSpace(body.Reason),
		IdempotencyKey: r.Header.Get("Idempotency-Key")}
	if body.Version != nil {
		if *body.Version < 1 {
			writeError(w, r, booking.CodeInvalidArgument, "version must be ≥ 1")
			return
		}
		req.ExpectVersion = *body.Version
	}
	b, err := a.core.SetStatus(r.Context(), req)
	if err != nil {
		a.fail(w, r, id, err)
		return
	}
	writeJSON(w, b)
}

func (a *API) reschedule(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var body RescheduleBody
	if !decode(w, r, &body) {
		return
	}
	if body.Start == "" {
		writeError(w, r, booking.CodeInvalidArgument, "start is required (RFC 3339)")
		return
	}
	start, err := time.Parse(time.RFC3339, body.Start)
	if err != nil {
		writeError(w, r, booking.CodeInvalidArgument, fmt.Sprintf("start %q is not an RFC 3339 time", body.Start))
		return
	}
	req := booking.UpdateRequest{BookingID: id, Start: start, Reason: strings.TrimSpace(body.Reason),
		IdempotencyKey: r.Header.Get("Idempotency-Key")}
	if body.PartySize != nil {
		if *body.PartySize < 1 {
			writeError(w, r, booking.CodeInvalidArgument, "partySize must be ≥ 1")
			return
		}
		req.PartySize = *body.PartySize
	}
	if body.Version != nil {
		if *body.Version < 1 {
			writeError(w, r, booking.CodeInvalidArgument, "version must be ≥ 1")
			return
		}
		req.ExpectVersion = *body.Version
	}
	b, err := a.core.Update(r.Context(), req)
	if err != nil {
		a.fail(w, r, id, err)
		return
	}
	writeJSON(w, b)
}

// decode reads the JSON body into v (at most MaxBodyBytes, no unknown fields, nothing after it), answering the
// error itself when it fails.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	// The body is read whole before decoding, so that a body over the limit is told from malformed JSON
	// whichever encoding/json wraps the reader's error.
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			httperr.Write(w, r, http.StatusRequestEntityTooLarge, string(booking.CodeInvalidArgument),
				fmt.Sprintf("request body is larger than %d bytes", MaxBodyBytes))
			return false
		}
		writeError(w, r, booking.CodeInvalidArgument, "unreadable request body")
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			err = errors.New("unexpected data after the JSON object")
		}
	}
	if err == nil {
		return true
	}
	if errors.Is(err, io.EOF) {
		err = errors.New("empty body")
	}
	writeError(w, r, booking.CodeInvalidArgument, "malformed JSON body: "+err.Error())
	return false
}

// statuses is the one table from core failures to this API's HTTP status; the error body's reason is the
// failure's code. A code missing here is 409, a business conflict.
var statuses = map[booking.Code]int{
	booking.CodeInvalidArgument:           http.StatusBadRequest,
	booking.CodeNotFound:                  http.StatusNotFound,
	booking.CodeSlotUnavailable:           http.StatusConflict,
	booking.CodeSlotAlreadyBookedByUser:   http.StatusConflict,
	booking.CodeHoldExpired:               http.StatusConflict,
	booking.CodeOutsideCancellationWindow: http.StatusConflict,
	booking.CodeBookingAlreadyCancelled:   http.StatusConflict,
	booking.CodeBookingNotCancellable:     http.StatusConflict,
	booking.CodeVersionMismatch:           http.StatusConflict,
	booking.CodeIdempotencyConflict:       http.StatusConflict,
	booking.CodeIllegalTransition:         http.StatusConflict,
}

// writeError answers a failure with its status in [statuses] and the JSON error body (reason: the code).
func writeError(w http.ResponseWriter, r *http.Request, code booking.Code, message string) {
	status, ok := statuses[code]
	if !ok {
		status = http.StatusConflict
	}
	httperr.Write(w, r, status, string(code), message)
}

// fail answers a core error: business failures by their code, anything else as 503.
func (a *API) fail(w http.ResponseWriter, r *http.Request, bookingID string, err error) {
	var be *booking.Error
	if !errors.As(err, &be) {
		a.log.ErrorContext(r.Context(), "admin API: store unavailable", "booking", bookingID, "err", err)
		httperr.Write(w, r, http.StatusServiceUnavailable, "UNAVAILABLE", "the booking store is not available; try again")
		return
	}
	msg := be.Message
	if msg == "" {
		msg = string(be.Code)
	}
	if be.Field != "" && be.Code == booking.CodeInvalidArgument {
		msg = be.Field + ": " + msg
	}
	writeError(w, r, be.Code, msg)
}

// writeJSON answers 200 with v as JSON.
func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil { // bookings and views always encode
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(b)
}
