package logging

import (
	"context"
	"encoding"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"time"
)

// Redacted is what a sensitive attribute's value is replaced with.
const Redacted = "[REDACTED]"

// sensitiveFragments are matched, case-insensitively and ignoring '_', '-' and '.', anywhere in an attribute
// key: "customerEmail", "X_API_KEY", "user.name" and "webhook-password" all match. Over-redaction is intended:
// a redacted merchant name costs little, a logged phone number costs a lot.
var sensitiveFragments = [...]string{
	"name", "mail", "phone", "address", "contact", "customer", "buyer", "birth",
	"password", "passwd", "secret", "token", "auth", "credential", "cookie", "session",
	"apikey", "privatekey", "accesskey", "signature", "assertion", "jwt",
}

// Sensitive reports whether an attribute key looks like it names personal data or a secret.
func Sensitive(key string) bool {
	var b strings.Builder
	b.Grow(len(key))
	for _, r := range key {
		switch {
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + ('a' - 'A'))
		case r == '_' || r == '-' || r == '.' || r == ' ':
		default:
			b.WriteRune(r)
		}
	}
	k := b.String()
	for _, f := range sensitiveFragments {
		if strings.Contains(k, f) {
			return true
		}
	}
	return false
}

// NewHandler wraps next so that every record gets the request id carried by its context (see [WithRequestID])
// and every attribute whose key is [Sensitive] has its value replaced by [Redacted], also inside groups, inside
// values that resolve through slog.LogValuer, inside structs and maps logged with slog.Any (through their
// JSON form), and for every attribute under a group whose own name is sensitive.
func NewHandler(next slog.Handler) slog.Handler {
	return &handler{next: next}
}

type handler struct {
	next slog.Handler
	// redactAll is set under a group whose name is sensitive: every attribute below it is redacted.
	redactAll bool
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a, h.redactAll))
		return true
	})
	if id := RequestID(ctx); id != "" {
		out.AddAttrs(slog.String(RequestIDKey, id))
	}
	return h.next.Handle(ctx, out)
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = redactAttr(a, h.redactAll)
	}
	return &handler{next: h.next.WithAttrs(red), redactAll: h.redactAll}
}

func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &handler{next: h.next.WithGroup(name), redactAll: h.redactAll || Sensitive(name)}
}

// redactAttr returns a with sensitive values replaced; all forces redaction of every leaf.
func redactAttr(a slog.Attr, all bool) slog.Attr {
	a.Value = a.Value.Resolve()
	if a.Key != "" && (all || Sensitive(a.Key)) {
		if a.Value.Kind() == slog.KindGroup {
			return slog.Attr{Key: a.Key, Value: redactGroup(a.Value.Group(), true)}
		}
		return slog.String(a.Key, Redacted)
	}
	switch a.Value.Kind() {
	case slog.KindGroup:
		return slog.Attr{Key: a.Key, Value: redactGroup(a.Value.Group(), all)}
	case slog.KindAny:
		if v, ok := redactComposite(a.Value.Any()); ok {
			return slog.Attr{Key: a.Key, Value: slog.AnyValue(v)}
		}
	}
	return a
}

func redactGroup(attrs []slog.Attr, all bool) slog.Value {
	out := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		out[i] = redactAttr(a, all)
	}
	return slog.GroupValue(out...)
}

// redactComposite turns a struct, map or slice value into its JSON form with sensitive keys redacted. Values
// that describe themselves (errors, Stringers, text or JSON marshalers, times) are left alone, as are
// scalars; ok is false when v was left alone.
func redactComposite(v any) (any, bool) {
	switch v.(type) {
	case nil, error, fmt.Stringer, encoding.TextMarshaler, time.Time, time.Duration, []byte:
		return nil, false
	}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return nil, false
		}
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.Struct, reflect.Map, reflect.Slice, reflect.Array:
	default:
		return nil, false
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return Redacted, true
	}
	var decoded any
	if err := json.Unmarshal(raw, &decoded); err != nil {
		return Redacted, true
	}
	return redactJSON(decoded, false), true
}

func redactJSON(v any, all bool) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if all || Sensitive(k) {
				if _, isObj := e.(map[string]any); isObj {
					t[k] = redactJSON(e, true)
					continue
				}
				t[k] = Redacted
				continue
			}
			t[k] = redactJSON(e, false)
		}
		return t
	case []any:
		for i, e := range t {
			t[i] = redactJSON(e, all)
		}
		return t
	default:
		if all {
			return Redacted
		}
		return v
	}
}
