// Package httperr is the one JSON error body every HTTP route of the service answers with, whatever the
// protocol behind it (the staff API, the Actions Center booking server, the conversation webhooks, the
// server's own 404, 405, 413 and 500 answers):
//
//	{"error":{"code":409,"reason":"VERSION_MISMATCH","message":"…","requestId":"…"}}
//
// code repeats the HTTP status, reason is a machine-readable word (google.rpc codes such as INVALID_ARGUMENT or
// NOT_FOUND, or a core failure such as SLOT_UNAVAILABLE), message is a sentence for a person, and requestId is
// the id the request was served under (the X-Request-Id response header), so a caller can quote it.
//
// Each adapter keeps its own table from core failures to status and reason; this package only writes the body.
package httperr

import (
	"encoding/json"
	"net/http"

	"github.com/reservations/reservations/logging"
)

// Body is the JSON error answer.
type Body struct {
	Error Detail `json:"error"`
}

// Detail describes an error: the HTTP status, a machine-readable reason, a sentence and the request id.
type Detail struct {
	Code      int    `json:"code"`
	Reason    string `json:"reason"`
	Message   string `json:"message"`
	RequestID string `json:"requestId"`
}

// New returns the body for status, reason and message, with the request id found in r's context
// (see logging.RequestID).
func New(r *http.Request, status int, reason, message string) Body {
	return Body{Error: Detail{Code: status, Reason: reason, Message: message, RequestID: logging.RequestID(r.Context())}}
}

// Write answers status with the error body. It sets Content-Type and writes nothing else after it.
func Write(w http.ResponseWriter, r *http.Request, status int, reason, message string) {
	b, err := json.Marshal(New(r, status, reason, message))
	if err != nil { // cannot happen: every field is a string or an int
		http.Error(w, message, status)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// Reason returns the google.rpc reason word that usually goes with an HTTP status: INVALID_ARGUMENT for 400,
// UNAUTHENTICATED for 401, and so on; INTERNAL for a status it does not know.
func Reason(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "INVALID_ARGUMENT"
	case http.StatusUnauthorized:
		return "UNAUTHENTICATED"
	case http.StatusForbidden:
		return "PERMISSION_DENIED"
	case http.StatusNotFound:
		return "NOT_FOUND"
	case http.StatusMethodNotAllowed:
		return "UNIMPLEMENTED"
	case http.StatusConflict:
		return "ABORTED"
	case http.StatusRequestEntityTooLarge:
		return "RESOURCE_EXHAUSTED"
	case http.StatusUnsupportedMediaType:
		return "UNSUPPORTED_MEDIA_TYPE"
	case http.StatusTooManyRequests:
		return "RESOURCE_EXHAUSTED"
	case http.StatusServiceUnavailable:
		return "UNAVAILABLE"
	case http.StatusGatewayTimeout:
		return "DEADLINE_EXCEEDED"
	default:
		return "INTERNAL"
	}
}
