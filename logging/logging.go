// Package logging builds the service's log/slog loggers: JSON with Google Cloud Logging's field names in
// production, human-readable text in development, and in both cases a handler that adds the request id from
// the context and redacts every attribute whose key looks like personal data or a secret.
//
// Rules for callers: pass the request context to the *Context logging methods so the line carries the request
// id; never put personal data or secrets in a message (only attribute values are redacted); never log headers,
// bodies or query strings.
package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// Options configure [New].
type Options struct {
	// Level is the minimum level written; nil means slog.LevelInfo.
	Level slog.Leveler
	// Text selects the text format for development instead of Cloud Logging JSON.
	Text bool
}

// Cloud Logging's names for the built-in keys and the access-log group.
const (
	// SeverityKey replaces slog's "level" in JSON output.
	SeverityKey = "severity"
	// MessageKey replaces slog's "msg" in JSON output.
	MessageKey = "message"
	// RequestIDKey is the attribute that carries the request id.
	RequestIDKey = "requestId"
	// HTTPRequestKey is the group Cloud Logging reads as the LogEntry's httpRequest.
	HTTPRequestKey = "httpRequest"
)

// New returns a logger writing to w: Cloud Logging JSON ({"time","severity","message",...}) unless opts.Text,
// with the request id from the context added and sensitive attributes redacted (see [NewHandler]).
func New(w io.Writer, opts Options) *slog.Logger {
	level := opts.Level
	if level == nil {
		level = slog.LevelInfo
	}
	var base slog.Handler
	if opts.Text {
		base = slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})
	} else {
		base = slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: cloudLoggingNames})
	}
	return slog.New(NewHandler(base))
}

// cloudLoggingNames renames slog's built-in level and message keys to Cloud Logging's and maps levels to its
// severities.
func cloudLoggingNames(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.LevelKey:
		if l, ok := a.Value.Any().(slog.Level); ok {
			return slog.String(SeverityKey, Severity(l))
		}
	case slog.MessageKey:
		a.Key = MessageKey
	}
	return a
}

// Severity maps a slog level to a Cloud Logging severity: DEBUG, INFO, WARNING or ERROR.
func Severity(l slog.Level) string {
	switch {
	case l < slog.LevelInfo:
		return "DEBUG"
	case l < slog.LevelWarn:
		return "INFO"
	case l < slog.LevelError:
		return "WARNING"
	default:
		return "ERROR"
	}
}

// ParseLevel reads a level name: debug, info, warn (or warning) or error, in any case.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("unknown log level %q (want debug, info, warn or error)", s)
}

type requestIDKey struct{}

// WithRequestID returns a context carrying the request id; loggers from [New] add it to every line logged
// with that context.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id carried by ctx, or "".
func RequestID(ctx context.Context) string {
	if ctx == nil {
		return ""
	}
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// HTTPRequest returns the access-log group in Cloud Logging's HttpRequest shape. path must be the URL path
// only: the query string may carry personal data and is never logged.
func HTTPRequest(method, path string, status int, latency time.Duration, remoteIP, userAgent string, size int64) slog.Attr {
	return slog.Group(HTTPRequestKey,
		slog.String("requestMethod", method),
		slog.String("requestUrl", path),
		slog.Int("status", status),
		slog.String("latency", FormatLatency(latency)),
		slog.String("remoteIp", remoteIP),
		slog.String("userAgent", userAgent),
		slog.Int64("responseSize", size),
	)
}

// FormatLatency writes d as Cloud Logging's duration string: seconds with a fractional part and an "s" suffix,
// such as "0.012s".
func FormatLatency(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
}
