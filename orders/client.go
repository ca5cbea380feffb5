package orders

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/oauth2"
)

// Orders API client defaults.
const (
	// DefaultBaseURL is Google's Actions API endpoint (RESERVATIONS_ORDERS_API_URL overrides it).
	DefaultBaseURL = "https://actions.googleapis.com"
	// DefaultRequestTimeout bounds one PATCH, connection and response included.
	DefaultRequestTimeout = 10 * time.Second
	// maxResponseBody caps how much of an answer is read.
	maxResponseBody = 64 << 10
)

// Metric label values for failures that have no HTTP status.
const (
	CodeTimeout  = "timeout"  // the request did not finish within its timeout
	CodeNetwork  = "network"  // connection refused, reset or dropped
	CodeToken    = "token"    // no access token could be obtained
	CodeCanceled = "canceled" // the caller gave up
)

// ClientConfig configures a [Client].
type ClientConfig struct {
	// BaseURL is the Orders API's scheme and host, optionally with a path prefix (DefaultBaseURL when empty).
	BaseURL string
	// TokenSource supplies the Bearer token; required. When it has an Invalidate(*oauth2.Token) method (as
	// [TokenSource] does) a 401 drops the refused token and the request is retried once with a new one.
	TokenSource oauth2.TokenSource
	// Timeout bounds each PATCH (DefaultRequestTimeout when zero).
	Timeout time.Duration
	// Transport carries the PATCH requests (a clone of http.DefaultTransport with timeouts when nil).
	Transport http.RoundTripper
	// Registerer receives orders_update_attempts_total and orders_update_failures_total; nil registers nothing.
	Registerer prometheus.Registerer
}

// Client sends order updates to the Orders API v3: PATCH {base}/v3/orders/{merchantOrderId}. It is safe for
// concurrent use.
type Client struct {
	base     *url.URL
	ts       oauth2.TokenSource
	hc       *http.Client
	timeout  time.Duration
	attempts *prometheus.CounterVec
	failures *prometheus.CounterVec
}

// invalidator is implemented by token sources whose cached token can be dropped.
type invalidator interface {
	Invalidate(bad *oauth2.Token)
}

// NewClient returns a client for the API at cfg.BaseURL.
func NewClient(cfg ClientConfig) (*Client, error) {
	if cfg.TokenSource == nil {
		return nil, errors.New("orders client: no token source")
	}
	raw := cfg.BaseURL
	if raw == "" {
		raw = DefaultBaseURL
	}
	base, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("orders client: base URL: %w", err)
	}
	if (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" || base.RawQuery != "" || base.Fragment != "" {
		return nil, fmt.Errorf("orders client: base URL %q: want http(s)://host[/path]", raw)
	}
	base.Path = strings.TrimSuffix(base.Path, "/")
	base.RawPath = ""
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultRequestTimeout
	}
	tr := cfg.Transport
	if tr == nil {
		tr = defaultTransport(cfg.Timeout)
	}
	return &Client{
		base:    base,
		ts:      cfg.TokenSource,
		hc:      &http.Client{Transport: tr, CheckRedirect: noRedirects},
		timeout: cfg.Timeout,
		attempts: register(cfg.Registerer, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orders_update_attempts_total",
			Help: "Orders API PATCH attempts, by HTTP status or timeout/network/token/canceled.",
		}, []string{"code"})),
		failures: register(cfg.Registerer, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orders_update_failures_total",
			Help: "Orders API PATCH attempts that did not succeed, by HTTP status or timeout/network/token/canceled.",
		}, []string{"code"})),
	}, nil
}

// NewServiceAccountClient returns a client for the API at baseURL (DefaultBaseURL when empty) that
// authenticates as the service account of creds, with the default timeouts; the client's and the token
// source's metrics go to reg (nil: not registered). cmd builds the worker's client with it.
func NewServiceAccountClient(creds *Credentials, baseURL string, reg prometheus.Registerer) (*Client, error) {
	if creds == nil {
		return nil, errors.New("orders client: no credentials")
	}
	return NewClient(ClientConfig{
		BaseURL:     baseURL,
		TokenSource: NewTokenSource(creds, TokenConfig{Registerer: reg}),
		Registerer:  reg,
	})
}

// noRedirects makes a redirect an answer of its own (a 3xx is a permanent failure) instead of a second PATCH.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// SendError is a failed PATCH. Retryable failures (429, 5xx, 401 after a token refresh, timeouts, network
// errors, no token) are worth sending again later; the others (400, 403, 404 and every other 4xx or 3xx) are
// permanent and carry the API's own message for staff.
type SendError struct {
	// Code is the HTTP status as a decimal string, or CodeTimeout, CodeNetwork, CodeToken or CodeCanceled.
	Code string
	// HTTPStatus is the response status; 0 when no response arrived.
	HTTPStatus int
	// Status is the API's error status name (INVALID_ARGUMENT, NOT_FOUND…), when it sent one.
	Status string
	// Message is the API's error message, or a description of the transport failure.
	Message   string
	Retryable bool
	// Err is the underlying transport or token error, if any.
	Err error
}

// Error reads "HTTP 404 NOT_FOUND: Requested entity was not found." or "timeout: no answer in time"; it is
// what the dead letter shows staff.
func (e *SendError) Error() string {
	var b strings.Builder
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, "HTTP %d", e.HTTPStatus)
		if e.Status != "" {
			b.WriteString(" " + e.Status)
		}
	} else {
		b.WriteString(e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

// Unwrap returns the transport or token error, if any.
func (e *SendError) Unwrap() error { return e.Err }

// googleError is the error body Google APIs answer with.
type googleError struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
	} `json:"error"`
}

// Patch sends one order update for merchantOrderID. A nil error means the API accepted it (2xx); otherwise the
// error is a *SendError.
func (c *Client) Patch(ctx context.Context, merchantOrderID string, req *PatchRequest) error {
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("orders client: encode update for %s: %w", merchantOrderID, err)
	}
	tok, err := c.ts.Token()
	if err != nil {
		return c.count("", &SendError{Code: CodeToken, Message: "no access token: " + err.Error(), Retryable: true, Err: err})
	}
	err = c.count(c.do(ctx, merchantOrderID, body, tok))
	var se *SendError
	if !errors.As(err, &se) || se.HTTPStatus != http.StatusUnauthorized {
		return err
	}
	// 401: the token expired early or was revoked. Drop it and try once more with a new one.
	inv, ok := c.ts.(invalidator)
	if !ok {
		return err
	}
	inv.Invalidate(tok)
	if tok, err = c.ts.Token(); err != nil {
		return c.count("", &SendError{Code: CodeToken, Message: "no access token: " + err.Error(), Retryable: true, Err: err})
	}
	return c.count(c.do(ctx, merchantOrderID, body, tok))
}

// count records one attempt's outcome in the metrics (code is the HTTP status of a success) and passes the
// error through.
func (c *Client) count(code string, err error) error {
	var se *SendError
	switch {
	case err == nil:
	case errors.As(err, &se):
		code = se.Code
	default:
		code = CodeNetwork
	}
	c.attempts.WithLabelValues(code).Inc()
	if err != nil {
		c.failures.WithLabelValues(code).Inc()
	}
	return err
}

// do sends one PATCH with tok and classifies the outcome; code is the HTTP status of a success.
func (c *Client) do(ctx context.Context, merchantOrderID string, body []byte, tok *oauth2.Token) (code string, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	u := *c.base
	u.Path = c.base.Path + "/v3/orders/" + merchantOrderID
	u.RawPath = c.base.EscapedPath() + "/v3/orders/" + url.PathEscape(merchantOrderID)
	req, err := http.NewRequestWithContext(ctx, http.MethodPatch, u.String(), bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("orders client: build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	tok.SetAuthHeader(req)
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", transportError(ctx, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil && resp.StatusCode/100 != 2 {
		return "", transportError(ctx, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBody))
	if resp.StatusCode/100 == 2 {
		return strconv.Itoa(resp.StatusCode), nil
	}
	se := &SendError{Code: strconv.Itoa(resp.StatusCode), HTTPStatus: resp.StatusCode}
	var ge googleError
	if json.Unmarshal(data, &ge) == nil && (ge.Error.Message != "" || ge.Error.Status != "") {
		se.Status = ge.Error.Status
		se.Message = ge.Error.Message
	} else {
		se.Message = shorten(strings.TrimSpace(string(data)), 300)
	}
	if se.Message == "" {
		se.Message = http.StatusText(resp.StatusCode)
	}
	se.Retryable = resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 ||
		resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusRequestTimeout
	return "", se
}

// transportError classifies a failure to get a complete response.
func transportError(ctx context.Context, err error) *SendError {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout()):
		return &SendError{Code: CodeTimeout, Message: "no answer in time", Retryable: true, Err: err}
	case errors.Is(err, context.Canceled):
		return &SendError{Code: CodeCanceled, Message: "request canceled", Retryable: true, Err: err}
	default:
		return &SendError{Code: CodeNetwork, Message: "connection failed: " + rootCause(err), Retryable: true, Err: err}
	}
}

// rootCause is the innermost error's text ("connection reset by peer", "EOF"), without the URL.
func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// shorten cuts s to at most n bytes on a rune boundary, marking the cut.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
