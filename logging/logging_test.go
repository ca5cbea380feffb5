package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
)

const (
	plantedEmail = "ada.lovelace@example.com"
	plantedPhone = "+1 650 555 0199"
	plantedPass  = "hunter2-s3cret"
)

func decodeLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %v\n%s", err, line)
		}
		out = append(out, m)
	}
	return out
}

func TestJSONUsesCloudLoggingNames(t *testing.T) {
	tests := []struct {
		level slog.Level
		want  string
	}{
		{slog.LevelDebug, "DEBUG"},
		{slog.LevelInfo, "INFO"},
		{slog.LevelWarn, "WARNING"},
		{slog.LevelError, "ERROR"},
		{slog.LevelError + 4, "ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			var buf bytes.Buffer
			log := New(&buf, Options{Level: slog.LevelDebug})
			log.Log(context.Background(), tt.level, "hello", "count", 3)
			lines := decodeLines(t, &buf)
			if len(lines) != 1 {
				t.Fatalf("got %d lines, want 1", len(lines))
			}
			m := lines[0]
			if m["severity"] != tt.want {
				t.Errorf("severity = %v, want %s", m["severity"], tt.want)
			}
			if m["message"] != "hello" {
				t.Errorf("message = %v, want hello", m["message"])
			}
			if _, ok := m["time"].(string); !ok {
				t.Errorf("time missing: %v", m)
			}
			for _, k := range []string{"level", "msg"} {
				if _, ok := m[k]; ok {
					t.Errorf("slog key %q still present: %v", k, m)
				}
			}
			if m["count"] != float64(3) {
				t.Errorf("count = %v, want 3", m["count"])
			}
		})
	}
}

func TestLevelFilters(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, Options{Level: slog.LevelWarn})
	log.Info("dropped")
	log.Warn("kept")
	lines := decodeLines(t, &buf)
	if len(lines) != 1 || lines[0]["message"] != "kept" {
		t.Fatalf("lines = %v, want only the warning", lines)
	}
}

func TestTextFormat(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, Options{Text: true})
	log.InfoContext(WithRequestID(context.Background(), "req-1"), "started", "email", plantedEmail)
	got := buf.String()
	for _, want := range []string{"level=INFO", "msg=started", "requestId=req-1", "email=[REDACTED]"} {
		if !strings.Contains(got, want) {
			t.Errorf("text line %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, plantedEmail) {
		t.Errorf("text line leaks the email: %q", got)
	}
}

func TestRequestIDFromContext(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, Options{})
	ctx := WithRequestID(context.Background(), "abc-123")
	log.InfoContext(ctx, "with id")
	log.Info("without id")
	lines := decodeLines(t, &buf)
	if lines[0][RequestIDKey] != "abc-123" {
		t.Errorf("requestId = %v, want abc-123", lines[0][RequestIDKey])
	}
	if _, ok := lines[1][RequestIDKey]; ok {
		t.Errorf("line without context has requestId: %v", lines[1])
	}
	if got := RequestID(context.Background()); got != "" {
		t.Errorf("RequestID(empty) = %q", got)
	}
}

func TestSensitive(t *testing.T) {
	tests := []struct {
		key  string
		want bool
	}{
		{"name", true},
		{"Name", true},
		{"customerName", true},
		{"email", true},
		{"EMAIL_ADDRESS", true},
		{"phone", true},
		{"phoneNumber", true},
		{"password", true},
		{"webhook-password", true},
		{"secret", true},
		{"client_secret", true},
		{"token", true},
		{"accessToken", true},
		{"Authorization", true},
		{"credentials", true},
		{"customer", true},
		{"X-Api-Key", true},
		{"cookie", true},
		{"status", false},
		{"requestId", false},
		{"route", false},
		{"latency", false},
		{"userAgent", false},
		{"remoteIp", false},
		{"bookingId", false},
		{"merchantId", false},
		{"err", false},
	}
	for _, tt := range tests {
		if got := Sensitive(tt.key); got != tt.want {
			t.Errorf("Sensitive(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
}

type contact struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone"`
	Party int    `json:"partySize"`
}

type secretValue string

func (s secretValue) LogValue() slog.Value {
	return slog.GroupValue(slog.String("password", string(s)), slog.String("kind", "basic"))
}

func TestRedaction(t *testing.T) {
	tests := []struct {
		name string
		log  func(l *slog.Logger)
		// keep are values that must still appear (to prove the line was written and not over-redacted).
		keep []string
	}{
		{
			name: "top-level attributes",
			log: func(l *slog.Logger) {
				l.Info("booked", "email", plantedEmail, "phone", plantedPhone, "password", plantedPass, "partySize", 4)
			},
			keep: []string{`"partySize":4`},
		},
		{
			name: "nested groups",
			log: func(l *slog.Logger) {
				l.Info("booked", slog.Group("booking", slog.String("id", "b-1"),
					slog.Group("customer", slog.String("mail", plantedEmail), slog.String("tel", plantedPhone))))
			},
			keep: []string{`"id":"b-1"`},
		},
		{
			name: "WithGroup named like personal data",
			log: func(l *slog.Logger) {
				l.WithGroup("customer").Info("booked", "x", plantedEmail, "y", plantedPhone)
			},
			keep: []string{`"message":"booked"`},
		},
		{
			name: "WithAttrs",
			log: func(l *slog.Logger) {
				l.With("authorization", "Basic "+plantedPass, "merchantId", "sample-bistro").Info("call")
			},
			keep: []string{`"merchantId":"sample-bistro"`},
		},
		{
			name: "LogValuer resolving to a group",
			log: func(l *slog.Logger) {
				l.Info("config", "webhook", secretValue(plantedPass))
			},
			keep: []string{`"kind":"basic"`},
		},
		{
			name: "struct through slog.Any",
			log: func(l *slog.Logger) {
				l.Info("booked", "who", contact{Name: "Ada", Email: plantedEmail, Phone: plantedPhone, Party: 2})
			},
			keep: []string{`"partySize":2`},
		},
		{
			name: "pointer to struct and map",
			log: func(l *slog.Logger) {
				l.Info("booked", "who", &contact{Email: plantedEmail, Party: 5},
					"m", map[string]string{"Phone": plantedPhone, "day": "2026-11-22"})
			},
			keep: []string{`"partySize":5`, `"day":"2026-11-22"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tt.log(New(&buf, Options{}))
			out := buf.String()
			for _, planted := range []string{plantedEmail, plantedPhone, plantedPass} {
				if strings.Contains(out, planted) {
					t.Errorf("log leaks %q:\n%s", planted, out)
				}
			}
			if !strings.Contains(out, Redacted) {
				t.Errorf("nothing was redacted:\n%s", out)
			}
			for _, k := range tt.keep {
				if !strings.Contains(out, k) {
					t.Errorf("log lacks %s:\n%s", k, out)
				}
			}
			decodeLines(t, &buf)
		})
	}
}

func TestHTTPRequestShape(t *testing.T) {
	var buf bytes.Buffer
	New(&buf, Options{}).Info("request",
		HTTPRequest("POST", "/fulfillment/dialogflow", 200, 12*time.Millisecond, "203.0.113.9", "Go-http-client/1.1", 42))
	m := decodeLines(t, &buf)[0]
	got, err := json.Marshal(m[HTTPRequestKey])
	if err != nil {
		t.Fatal(err)
	}
	want := `{"latency":"0.012s","remoteIp":"203.0.113.9","requestMethod":"POST","requestUrl":"/fulfillment/dialogflow","responseSize":42,"status":200,"userAgent":"Go-http-client/1.1"}`
	if string(got) != want {
		t.Errorf("httpRequest = %s\nwant          %s", got, want)
	}
}

func TestFormatLatency(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{12 * time.Millisecond, "0.012s"},
		{1500 * time.Millisecond, "1.5s"},
		{0, "0s"},
		{1234567 * time.Nanosecond, "0.001234567s"},
	}
	for _, tt := range tests {
		if got := FormatLatency(tt.d); got != tt.want {
			t.Errorf("FormatLatency(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in      string
		want    slog.Level
		wantErr bool
	}{
		{"debug", slog.LevelDebug, false},
		{"INFO", slog.LevelInfo, false},
		{"warn", slog.LevelWarn, false},
		{"Warning", slog.LevelWarn, false},
		{"error", slog.LevelError, false},
		{"loud", 0, true},
		{"", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseLevel(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v, err=%v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
