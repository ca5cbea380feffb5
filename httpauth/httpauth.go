// Package httpauth is reusable authentication middleware for net/http (func(http.Handler) http.Handler): HTTP
// basic authentication with one or more
// credential pairs (any pair passes, so credentials can be rotated without downtime) and a required header
// carrying a shared secret, as Dialogflow's fulfillment settings and the Actions Center booking server
// configuration send them.
//
// Secrets are compared in constant time on fixed-length SHA-256 digests, so neither their content nor their
// length leaks through timing. Credentials never print themselves: String, GoString and LogValue give
// "[REDACTED]".
package httpauth

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/textproto"
	"strings"

	"github.com/reservations/reservations/httperr"
)

const redacted = "[REDACTED]"

// Credential is one user and password pair for HTTP basic authentication.
type Credential struct {
	User     string
	Password string
}

// String returns "[REDACTED]": a credential is never printed.
func (Credential) String() string { return redacted }

// GoString returns "[REDACTED]" so %#v does not print the secret either.
func (Credential) GoString() string { return redacted }

// LogValue returns "[REDACTED]" so log/slog never writes the secret.
func (Credential) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText returns "[REDACTED]" so encoders never write the secret.
func (Credential) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// ParseCredentials reads "user:password[,user2:password2...]". The user is what precedes the first colon, so a
// password may contain colons but not commas; spaces around each pair are ignored. Errors say which pair is
// wrong and why, never what it contains.
func ParseCredentials(s string) ([]Credential, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("empty: want user:password[,user2:password2]")
	}
	parts := strings.Split(s, ",")
	creds := make([]Credential, 0, len(parts))
	for i, p := range parts {
		p = strings.TrimSpace(p)
		where := ""
		if len(parts) > 1 {
			where = fmt.Sprintf("pair %d of %d: ", i+1, len(parts))
		}
		user, pass, ok := strings.Cut(p, ":")
		switch {
		case p == "":
			return nil, fmt.Errorf("%sempty: want user:password", where)
		case !ok:
			return nil, fmt.Errorf("%smissing ':' between user and password", where)
		case user == "":
			return nil, fmt.Errorf("%sempty user before ':'", where)
		case pass == "":
			return nil, fmt.Errorf("%sempty password after ':'", where)
		case strings.ContainsFunc(user, isControlOrSpace):
			return nil, fmt.Errorf("%suser contains spaces or control characters", where)
		case strings.ContainsFunc(pass, isControl):
			return nil, fmt.Errorf("%spassword contains control characters", where)
		}
		creds = append(creds, Credential{User: user, Password: pass})
	}
	return creds, nil
}

// HeaderSecret is a header that must be present with exactly this value.
type HeaderSecret struct {
	Name  string // canonical header name, such as "X-Webhook-Secret"
	Value string
}

// String returns the header name with the value redacted.
func (h HeaderSecret) String() string { return h.Name + ": " + redacted }

// GoString is String, so %#v does not print the value either.
func (h HeaderSecret) GoString() string { return h.String() }

// LogValue logs the header name only.
func (h HeaderSecret) LogValue() slog.Value {
	return slog.GroupValue(slog.String("header", h.Name), slog.String("value", redacted))
}

// MarshalText returns String, so encoders never write the value.
func (h HeaderSecret) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// ParseHeader reads "Name: value". The name must be a valid HTTP header name and is canonicalised; spaces
// around the name and the value are ignored. Errors never echo the value.
func ParseHeader(s string) (HeaderSecret, error) {
	name, value, ok := strings.Cut(s, ":")
	if !ok {
		return HeaderSecret{}, errors.New("missing ':' between header name and value (want Name: value)")
	}
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if name == "" {
		return HeaderSecret{}, errors.New("empty header name before ':'")
	}
	for i, r := range name {
		if !isTokenChar(r) {
			return HeaderSecret{}, fmt.Errorf("header name has a character not allowed in HTTP header names at byte %d", i+1)
		}
	}
	if value == "" {
		return HeaderSecret{}, fmt.Errorf("empty value for header %s", textproto.CanonicalMIMEHeaderKey(name))
	}
	if strings.ContainsFunc(value, isControl) {
		return HeaderSecret{}, fmt.Errorf("value for header %s contains control characters", textproto.CanonicalMIMEHeaderKey(name))
	}
	return HeaderSecret{Name: textproto.CanonicalMIMEHeaderKey(name), Value: value}, nil
}

// Check decides whether a request carries valid credentials. Build one with [BasicCheck] or [HeaderCheck].
type Check interface {
	// Allow reports whether r authenticates.
	Allow(r *http.Request) bool
	// Challenge is the WWW-Authenticate value sent with a 401 when no check passes, or "".
	Challenge() string
}

type digest = [sha256.Size]byte

type basicCheck struct {
	realm string
	users []digest
	pass  []digest
}

// BasicCheck passes requests whose HTTP basic credentials match any of creds. With no credentials it passes
// nothing.
func BasicCheck(realm string, creds ...Credential) Check {
	b := &basicCheck{realm: realm}
	for _, c := range creds {
		b.users = append(b.users, sha256.Sum256([]byte(c.User)))
		b.pass = append(b.pass, sha256.Sum256([]byte(c.Password)))
	}
	return b
}

func (b *basicCheck) Allow(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return false
	}
	u, p := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(pass))
	match := 0
	// Every pair is compared, so the time taken does not depend on which pair matches.
	for i := range b.users {
		match |= subtle.ConstantTimeCompare(u[:], b.users[i][:]) & subtle.ConstantTimeCompare(p[:], b.pass[i][:])
	}
	return match == 1
}

func (b *basicCheck) Challenge() string {
	realm := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(b.realm)
	return `Basic realm="` + realm + `", charset="UTF-8"`
}

type headerCheck struct {
	name  string
	value digest
	set   bool
}

// HeaderCheck passes requests that carry header h.Name with exactly h.Value. A zero HeaderSecret passes
// nothing.
func HeaderCheck(h HeaderSecret) Check {
	return &headerCheck{
		name:  textproto.CanonicalMIMEHeaderKey(h.Name),
		value: sha256.Sum256([]byte(h.Value)),
		set:   h.Name != "" && h.Value != "",
	}
}

func (c *headerCheck) Allow(r *http.Request) bool {
	vals := r.Header.Values(c.name)
	if !c.set || len(vals) != 1 {
		return false
	}
	got := sha256.Sum256([]byte(vals[0]))
	return subtle.ConstantTimeCompare(got[:], c.value[:]) == 1
}

func (c *headerCheck) Challenge() string { return "" }

// Middleware wraps a handler with a check: the handler runs only for requests that pass.
type Middleware = func(http.Handler) http.Handler

// Basic returns middleware requiring HTTP basic authentication with any of creds; failures get a 401 JSON
// error and a WWW-Authenticate challenge for realm.
func Basic(realm string, creds ...Credential) Middleware {
	return Any(BasicCheck(realm, creds...))
}

// Header returns middleware requiring header h; failures get a 401 JSON error.
func Header(h HeaderSecret) Middleware {
	return Any(HeaderCheck(h))
}

// Any returns middleware that lets a request through when at least one of checks passes, and otherwise answers
// 401 with the JSON error body of package httperr (reason UNAUTHENTICATED, message "unauthorized", the request
// id), plus the WWW-Authenticate challenges of the checks that have one. With no checks every request is
// refused.
func Any(checks ...Check) Middleware {
	var challenges []string
	for _, c := range checks {
		if ch := c.Challenge(); ch != "" {
			challenges = append(challenges, ch)
		}
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ok := false
			for _, chk := range checks {
				// Evaluate every check: which one passes should not show in the timing.
				if chk.Allow(r) {
					ok = true
				}
			}
			if ok {
				next.ServeHTTP(w, r)
				return
			}
			for _, ch := range challenges {
				w.Header().Add("WWW-Authenticate", ch)
			}
			httperr.Write(w, r, http.StatusUnauthorized, httperr.Reason(http.StatusUnauthorized), "unauthorized")
		})
	}
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func isControlOrSpace(r rune) bool { return isControl(r) || r == ' ' }

// isTokenChar reports whether r may appear in an HTTP header name (RFC 9110 tchar).
func isTokenChar(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune("!#$%&'*+-.^_`|~", r)
}
