// Package admin is the merchant staff's JSON API over the booking core: the day's reservations, one booking with
// the delivery state of each of its order updates, status changes (confirm, fulfilled, no-show, cancel,
// reject) and rescheduling. It only translates HTTP to core calls; every rule (the status lifecycle, versions,
// capacity) is the core's.
//
// Routes, relative to the group the caller mounts it on (cmd mounts /admin/v1 behind HTTP basic auth):
//
//	GET  /merchants                                         {"merchants":[{"id","name","timeZone"}]}
//	GET  /bookings?merchant=ID&date=YYYY-MM-DD&status=A,B   a merchant's bookings of one local day
//	GET  /bookings/{id}                                     one booking plus its "updates"
//	POST /bookings/{id}/status       {"status","reason"?,"version"?}
//	POST /bookings/{id}/reschedule   {"start","partySize"?,"reason"?,"version"?}
//
// Errors are JSON: {"error":{"code":409,"reason":"ILLEGAL_TRANSITION","message":"…"}}. 400 for malformed
// input (reason INVALID_ARGUMENT), 404 for an unknown booking or merchant (NOT_FOUND), 409 for a business
// conflict (ILLEGAL_TRANSITION, VERSION_MISMATCH, SLOT_UNAVAILABLE, …), 413 for a body over 64 KiB, 503
// when the store cannot be reached (UNAVAILABLE). A POST may carry an Idempotency-Key header: a retry with the
// same key returns the first outcome.
package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/reservations/reservations/booking"
)

// MaxBodyBytes is the largest request body accepted.
const MaxBodyBytes = 64 << 10

// API is the staff JSON API.
type API struct {
	core *booking.Core
	log  *slog.Logger
}

// New returns the API over the booking core.
func New(core *booking.Core) *API {
	return &API{core: core, log: slog.Default()}
}

// WithLogger sets the logger for failures the API answers with 503 (booking ids and error codes only).
func (a *API) WithLogger(l *slog.Logger) *API {
	if l != nil {
		a.log = l
	}
	return a
}

// Register mounts the routes on r (cmd gives it the /admin/v1 group, behind basic auth).
func (a *API) Register(r gin.IRouter) {
	r.GET("/merchants", a.merchants)
	r.GET("/bookings", a.list)
	r.GET("/bookings/:id", a.get)
	r.POST("/bookings/:id/status", a.setStatus)
	r.POST("/bookings/:id/reschedule", a.reschedule)
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
func (a *API) merchants(c *gin.Context) {
	inv := a.core.Inventory()
	out := make([]Merchant, 0, len(inv.Merchants))
	for _, m := range inv.Merchants {
		out = append(out, Merchant{ID: m.ID, Name: m.Name, TimeZone: m.TimeZone})
	}
	c.JSON(http.StatusOK, gin.H{"merchants": out})
}

func (a *API) list(c *gin.Context) {
	inv := a.core.Inventory()
	merchantID := c.Query("merchant")
	if merchantID == "" {
		if len(inv.Merchants) == 0 {
			writeError(c, http.StatusNotFound, booking.CodeNotFound, "no merchants are configured")
			return
		}
		merchantID = inv.Merchants[0].ID
	} else if _, ok := inv.Merchant(merchantID); !ok {
		writeError(c, http.StatusNotFound, booking.CodeNotFound, fmt.Sprintf("unknown merchant %q", merchantID))
		return
	}
	date := c.Query("date")
	if date == "" {
		writeError(c, http.StatusBadRequest, booking.CodeInvalidArgument, "date is required (YYYY-MM-DD)")
		return
	}
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		writeError(c, http.StatusBadRequest, booking.CodeInvalidArgument, fmt.Sprintf("date %q is not YYYY-MM-DD", date))
		return
	}
	var want []booking.Status
	if raw := c.Query("status"); raw != "" {
		for s := range strings.SplitSeq(raw, ",") {
			st := booking.Status(strings.ToUpper(strings.TrimSpace(s)))
			if !slices.Contains(booking.Statuses(), st) {
				writeError(c, http.StatusBadRequest, booking.CodeInvalidArgument, fmt.Sprintf("unknown status %q", s))
				return
			}
			want = append(want, st)
		}
	}
	day, err := a.core.Day(c.Request.Context(), merchantID, date)
	if err != nil {
		a.fail(c, "", err)
		return
	}
	out := DayView{MerchantID: merchantID, Date: date, Bookings: []booking.Booking{}}
	for _, b := range day {
		if len(want) == 0 || slices.Contains(want, b.Status) {
			out.Bookings = append(out.Bookings, b)
		}
	}
	c.JSON(http.StatusOK, out)
}

func (a *API) get(c *gin.Context) {
	id := c.Param("id")
	b, err := a.core.Booking(c.Request.Context(), id)
	if err != nil {
		a.fail(c, id, err)
		return
	}
	entries, err := a.core.Store().OutboxByBooking(c.Request.Context(), id)
	if err != nil {
		a.fail(c, id, err)
		return
	}
	c.JSON(http.StatusOK, view(b, entries))
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

func (a *API) setStatus(c *gin.Context) {
	id := c.Param("id")
	var body StatusBody
	if !decode(c, &body) {
		return
	}
	body.Status = booking.Status(strings.ToUpper(strings.TrimSpace(string(body.Status))))
	if !slices.Contains(staffStatuses, body.Status) {
		writeError(c, http.StatusBadRequest, booking.CodeInvalidArgument,
			fmt.Sprintf("status must be one of CONFIRMED, FULFILLED, NO_SHOW, CANCELLED, REJECTED, not %q", body.Status))
		return
	}
	req := booking.StatusRequest{BookingID: id, Status: body.Status, Reason: strings.TrimSpace(body.Reason),
		IdempotencyKey: c.GetHeader("Idempotency-Key")}
	if body.Version != nil {
		if *body.Version < 1 {
			writeError(c, http.StatusBadRequest, booking.CodeInvalidArgument, "version must be ≥ 1")
			return
		}
		req.ExpectVersion = *body.Version
	}
	b, err := a.core.SetStatus(c.Request.Context(), req)
	if err != nil {
		a.fail(c, id, err)
		return
	}
	c.JSON(http.StatusOK, b)
}

func (a *API) reschedule(c *gin.Context) {
	id := c.Param("id")
	var body RescheduleBody
	if !decode(c, &body) {
		return
	}
	if body.Start == "" {
		writeError(c, http.StatusBadRequest, booking.CodeInvalidArgument, "start is required (RFC 3339)")
		return
	}
	start, err := time.Parse(time.RFC3339, body.Start)
	if err != nil {
		writeError(c, http.StatusBadRequest, booking.CodeInvalidArgument, fmt.Sprintf("start %q is not an RFC 3339 time", body.Start))
		return
	}
	req := booking.UpdateRequest{BookingID: id, Start: start, Reason: strings.TrimSpace(body.Reason),
		IdempotencyKey: c.GetHeader("Idempotency-Key")}
	if body.PartySize != nil {
		if *body.PartySize < 1 {
			writeError(c, http.StatusBadRequest, booking.CodeInvalidArgument, "partySize must be ≥ 1")
			return
		}
		req.PartySize = *body.PartySize
	}
	if body.Version != nil {
		if *body.Version < 1 {
			writeError(c, http.StatusBadRequest, booking.CodeInvalidArgument, "version must be ≥ 1")
			return
		}
		req.ExpectVersion = *body.Version
	}
	b, err := a.core.Update(c.Request.Context(), req)
	if err != nil {
		a.fail(c, id, err)
		return
	}
	c.JSON(http.StatusOK, b)
}

// decode reads the JSON body into v (at most MaxBodyBytes, no unknown fields, nothing after it), answering the
// error itself when it fails.
func decode(c *gin.Context, v any) bool {
	r := http.MaxBytesReader(c.Writer, c.Request.Body, MaxBodyBytes)
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			err = errors.New("unexpected data after the JSON object")
		}
	}
	if err == nil {
		return true
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeError(c, http.StatusRequestEntityTooLarge, booking.CodeInvalidArgument,
			fmt.Sprintf("request body is larger than %d bytes", MaxBodyBytes))
		return false
	}
	if errors.Is(err, io.EOF) {
		err = errors.New("empty body")
	}
	writeError(c, http.StatusBadRequest, booking.CodeInvalidArgument, "malformed JSON body: "+err.Error())
	return false
}

// fail answers a core error: business failures by their code, anything else as 503.
func (a *API) fail(c *gin.Context, bookingID string, err error) {
	var be *booking.Error
	if !errors.As(err, &be) {
		a.log.Error("admin API: store unavailable", "booking", bookingID, "err", err)
		writeError(c, http.StatusServiceUnavailable, "UNAVAILABLE", "the booking store is not available; try again")
		return
	}
	status := http.StatusConflict
	switch be.Code {
	case booking.CodeNotFound:
		status = http.StatusNotFound
	case booking.CodeInvalidArgument:
		status = http.StatusBadRequest
	}
	msg := be.Message
	if msg == "" {
		msg = string(be.Code)
	}
	if be.Field != "" && be.Code == booking.CodeInvalidArgument {
		msg = be.Field + ": " + msg
	}
	writeError(c, status, be.Code, msg)
}

// ErrorBody is the JSON error answer.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail describes an error: the HTTP status, a machine-readable reason and a sentence.
type ErrorDetail struct {
	Code    int    `json:"code"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

func writeError[R ~string](c *gin.Context, status int, reason R, message string) {
	c.AbortWithStatusJSON(status, ErrorBody{Error: ErrorDetail{Code: status, Reason: string(reason), Message: message}})
}
