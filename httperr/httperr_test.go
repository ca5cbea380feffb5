package httperr

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/reservations/reservations/logging"
)

func TestWrite(t *testing.T) {
	tests := []struct {
		name                   string
		status                 int
		reason, message, reqID string
		want                   string
	}{
		{"conflict", 409, "VERSION_MISMATCH", "the booking changed", "req-1",
			`{"error":{"code":409,"reason":"VERSION_MISMATCH","message":"the booking changed","requestId":"req-1"}}` + "\n"},
		{"no request id", 400, "INVALID_ARGUMENT", `bad "x" <y>`, "",
			`{"error":{"code":400,"reason":"INVALID_ARGUMENT","message":"bad \"x\" \u003cy\u003e","requestId":""}}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r = r.WithContext(logging.WithRequestID(r.Context(), tt.reqID))
			w := httptest.NewRecorder()
			Write(w, r, tt.status, tt.reason, tt.message)
			if w.Code != tt.status {
				t.Errorf("status %d, want %d", w.Code, tt.status)
			}
			if got := w.Header().Get("Content-Type"); got != "application/json; charset=utf-8" {
				t.Errorf("Content-Type %q", got)
			}
			if w.Body.String() != tt.want {
				t.Errorf("body\n%s\nwant\n%s", w.Body.String(), tt.want)
			}
		})
	}
}

func TestReason(t *testing.T) {
	for status, want := range map[int]string{400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 404: "NOT_FOUND",
		405: "UNIMPLEMENTED", 413: "RESOURCE_EXHAUSTED", 415: "UNSUPPORTED_MEDIA_TYPE", 503: "UNAVAILABLE", 500: "INTERNAL", 418: "INTERNAL"} {
		if got := Reason(status); got != want {
			t.Errorf("Reason(%d) = %q, want %q", status, got, want)
		}
	}
}
