package server

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/reservations/reservations/httperr"
	"github.com/reservations/reservations/logging"
)

// RequestIDHeader carries the request id on requests and responses.
const RequestIDHeader = "X-Request-Id"

// maxRequestIDLen is the longest incoming request id that is kept.
const maxRequestIDLen = 64

// UnmatchedRoute is the route label of requests that matched no route (404 and 405).
const UnmatchedRoute = "unmatched"

// AbortJSON aborts the chain with status code and the JSON error body of package httperr: the reason that
// goes with the status (httperr.Reason), message and the request id.
func AbortJSON(c *gin.Context, code int, message string) {
	c.Abort()
	httperr.Write(c.Writer, c.Request, code, httperr.Reason(code), message)
}

// RequestID returns the id of the request being served (the same as logging.RequestID(c.Request.Context())).
func RequestID(c *gin.Context) string { return logging.RequestID(c.Request.Context()) }

// ValidRequestID reports whether an incoming X-Request-Id is kept: 1 to 64 characters of [A-Za-z0-9._-].
func ValidRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch b := id[i]; {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9', b == '.', b == '_', b == '-':
		default:
			return false
		}
	}
	return true
}

// requestID keeps a sane incoming X-Request-Id or generates one, echoes it on the response and puts it in the
// request context, where logging.RequestID finds it.
func requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader(RequestIDHeader)
		if !ValidRequestID(id) {
			id = rand.Text()
		}
		c.Header(RequestIDHeader, id)
		c.Request = c.Request.WithContext(logging.WithRequestID(c.Request.Context(), id))
		c.Next()
	}
}

// observe writes one access-log line and the request metrics after the rest of the chain has run.
func (s *Server) observe() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		latency := time.Since(start)

		status := c.Writer.Status()
		route := c.FullPath()
		if route == "" {
			route = UnmatchedRoute
		}
		method := methodLabel(c.Request.Method)
		code := strconv.Itoa(status)
		s.metrics.requests.WithLabelValues(route, method, code).Inc()
		s.metrics.duration.WithLabelValues(route, method, code).Observe(latency.Seconds())

		size := int64(c.Writer.Size())
		if size < 0 {
			size = 0
		}
		level := slog.LevelInfo
		if status >= http.StatusInternalServerError {
			level = slog.LevelError
		}
		// The record is handed to the handler directly, with no source location: it would always name this
		// line, and taking it (runtime.Callers) is half of the access line's cost.
		ctx := c.Request.Context()
		if h := s.log.Handler(); h.Enabled(ctx, level) {
			r := slog.NewRecord(time.Now(), level, "request", 0)
			r.AddAttrs(
				logging.HTTPRequest(method, c.Request.URL.Path, status, latency, c.ClientIP(), c.Request.UserAgent(), size),
				slog.String("route", route),
			)
			_ = h.Handle(ctx, r)
		}
	}
}

// recovery turns a panic into a 500 JSON error and an ERROR log line with the stack. The panic value is logged
// only when it is a runtime error: other values may carry request data.
func (s *Server) recovery() gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(io.Discard, func(c *gin.Context, rec any) {
		what := fmt.Sprintf("%T", rec)
		if rerr, ok := rec.(runtime.Error); ok {
			what = rerr.Error()
		}
		s.log.ErrorContext(c.Request.Context(), "panic recovered", "panic", what, "stack", string(debug.Stack()))
		if c.Writer.Written() {
			c.Abort()
			return
		}
		AbortJSON(c, http.StatusInternalServerError, "internal error")
	})
}

// bodyLimit refuses bodies over max with 413: at once when Content-Length says so, otherwise while reading
// the body through http.MaxBytesReader. The body is read here, before the handlers run, so every handler
// (including plain http.Handlers that would turn a read error into a 400) sees either a complete body or
// nothing; a body that cannot be read gets 400.
func bodyLimit(max int64) gin.HandlerFunc {
	tooLarge := fmt.Sprintf("request body too large (limit %d bytes)", max)
	return func(c *gin.Context) {
		r := c.Request
		if r.Body == nil || r.Body == http.NoBody {
			c.Next()
			return
		}
		if r.ContentLength > max {
			c.Header("Connection", "close")
			AbortJSON(c, http.StatusRequestEntityTooLarge, tooLarge)
			return
		}
		var buf bytes.Buffer
		if r.ContentLength > 0 {
			buf.Grow(int(r.ContentLength))
		}
		_, err := buf.ReadFrom(http.MaxBytesReader(c.Writer, r.Body, max))
		_ = r.Body.Close()
		if err != nil {
			c.Header("Connection", "close")
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				AbortJSON(c, http.StatusRequestEntityTooLarge, tooLarge)
				return
			}
			AbortJSON(c, http.StatusBadRequest, "unreadable request body")
			return
		}
		body := buf.Bytes()
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		c.Next()
	}
}

// methodLabel bounds the method label's values to the standard methods.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) (*httpMetrics, error) {
	labels := []string{"route", "method", "status"}
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "HTTP requests served, by route pattern, method and status code.",
		}, labels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "Time to serve HTTP requests, by route pattern, method and status code.",
			Buckets: prometheus.DefBuckets,
		}, labels),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register http metrics: %w", err)
		}
	}
	return m, nil
}
