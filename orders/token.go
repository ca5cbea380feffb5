package orders

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"golang.org/x/oauth2/jwt"
)

// OrdersScope is the OAuth scope a service account needs to PATCH orders.
const OrdersScope = "https://www.googleapis.com/auth/actions.order.developer"

// CredentialsEnv is the environment variable that names the service-account key file.
const CredentialsEnv = "GOOGLE_APPLICATION_CREDENTIALS"

// Token source defaults.
const (
	// DefaultTokenTimeout bounds one request to the token endpoint.
	DefaultTokenTimeout = 10 * time.Second
	// DefaultEarlyRefresh is how long before its expiry a cached access token is replaced.
	DefaultEarlyRefresh = 2 * time.Minute
)

// Credentials is a parsed service-account key, ready to mint access tokens for [OrdersScope]. It holds the
// private key: it prints and logs as the service account's e-mail address only.
type Credentials struct {
	cfg *jwt.Config
}

// serviceAccountKey is the part of a key file that is checked before the oauth2 library reads it.
type serviceAccountKey struct {
	Type        string `json:"type"`
	ClientEmail string `json:"client_email"`
	PrivateKey  string `json:"private_key"`
	TokenURI    string `json:"token_uri"`
}

// LoadCredentials reads the service-account JSON key at path (the value of GOOGLE_APPLICATION_CREDENTIALS).
// The error names the path and the problem (missing file, unreadable, not JSON, not a service-account key,
// no usable private key) and never echoes the key's contents.
func LoadCredentials(path string) (*Credentials, error) {
	if path == "" {
		return nil, errors.New("service-account key: no path given")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("service-account key %s: file does not exist: %w", path, err)
		}
		return nil, fmt.Errorf("service-account key %s: cannot read: %w", path, err)
	}
	c, err := ParseCredentials(data)
	if err != nil {
		return nil, fmt.Errorf("service-account key %s: %w", path, err)
	}
	return c, nil
}

// ParseCredentials parses a service-account JSON key. The key's token_uri is honoured (Google's token endpoint
// when absent).
func ParseCredentials(data []byte) (*Credentials, error) {
	var k serviceAccountKey
	if err := json.Unmarshal(data, &k); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, fmt.Errorf("not a JSON key file (syntax error at byte %d)", syn.Offset)
		}
		return nil, errors.New("not a JSON key file (want an object with type, client_email and private_key)")
	}
	if k.Type != "service_account" {
		return nil, fmt.Errorf("credential type is %q, want \"service_account\"", k.Type)
	}
	if k.ClientEmail == "" {
		return nil, errors.New("client_email is missing")
	}
	if k.PrivateKey == "" {
		return nil, errors.New("private_key is missing")
	}
	if err := checkPrivateKey([]byte(k.PrivateKey)); err != nil {
		return nil, err
	}
	cfg, err := google.JWTConfigFromJSON(data, OrdersScope)
	if err != nil {
		return nil, fmt.Errorf("read service-account key: %w", err)
	}
	return &Credentials{cfg: cfg}, nil
}

// checkPrivateKey reports whether key is an RSA private key the oauth2 library can sign with, so that a broken
// key fails at start-up rather than at the first update.
func checkPrivateKey(key []byte) error {
	if block, _ := pem.Decode(key); block != nil {
		key = block.Bytes
	}
	parsed, err := x509.ParsePKCS8PrivateKey(key)
	if err != nil {
		rk, err1 := x509.ParsePKCS1PrivateKey(key)
		if err1 != nil {
			return errors.New("private_key is not a PEM-encoded PKCS#8 or PKCS#1 RSA key")
		}
		parsed = rk
	}
	if _, ok := parsed.(*rsa.PrivateKey); !ok {
		return errors.New("private_key is not an RSA key")
	}
	return nil
}

// ClientEmail is the service account's e-mail address.
func (c *Credentials) ClientEmail() string { return c.cfg.Email }

// TokenURL is where access tokens are requested.
func (c *Credentials) TokenURL() string { return c.cfg.TokenURL }

// String identifies the service account without revealing the key.
func (c *Credentials) String() string { return "service account " + c.cfg.Email }

// LogValue identifies the service account in structured logs without revealing the key.
func (c *Credentials) LogValue() slog.Value { return slog.StringValue(c.String()) }

// TokenConfig tunes a [TokenSource]; the zero value is usable.
type TokenConfig struct {
	// Timeout bounds each request to the token endpoint (DefaultTokenTimeout when zero).
	Timeout time.Duration
	// EarlyRefresh replaces a cached token this long before it expires (DefaultEarlyRefresh when zero).
	EarlyRefresh time.Duration
	// Transport carries token requests (a clone of http.DefaultTransport when nil).
	Transport http.RoundTripper
	// Registerer receives orders_token_refreshes_total; nil registers nothing.
	Registerer prometheus.Registerer
}

// TokenSource mints and caches access tokens for the Orders API from a service-account key. It is an
// [oauth2.TokenSource] safe for concurrent use: concurrent callers share one token and one refresh. A token
// that the API refused can be dropped with [TokenSource.Invalidate].
type TokenSource struct {
	creds *Credentials
	ctx   context.Context // carries the token HTTP client (oauth2.HTTPClient)
	early time.Duration

	mu  sync.Mutex
	cur oauth2.TokenSource
}

// NewTokenSource returns a token source for creds. Tokens come from the key's token_uri through an HTTP client
// with timeouts; each token request counts in orders_token_refreshes_total.
func NewTokenSource(creds *Credentials, cfg TokenConfig) *TokenSource {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTokenTimeout
	}
	if cfg.EarlyRefresh <= 0 {
		cfg.EarlyRefresh = DefaultEarlyRefresh
	}
	base := cfg.Transport
	if base == nil {
		base = defaultTransport(cfg.Timeout)
	}
	refreshes := register[prometheus.Counter](cfg.Registerer, prometheus.NewCounter(prometheus.CounterOpts{
		Name: "orders_token_refreshes_total",
		Help: "Requests for a new Orders API access token sent to the token endpoint.",
	}))
	hc := &http.Client{
		Transport: countingTransport{base: base, n: refreshes},
		Timeout:   cfg.Timeout,
	}
	s := &TokenSource{
		creds: creds,
		ctx:   context.WithValue(context.Background(), oauth2.HTTPClient, hc),
		early: cfg.EarlyRefresh,
	}
	s.cur = s.fresh()
	return s
}

// fresh builds a new caching source with an empty cache.
func (s *TokenSource) fresh() oauth2.TokenSource {
	// jwt.Config.TokenSource is already a ReuseTokenSource; wrapping it again only sets its early expiry.
	return oauth2.ReuseTokenSourceWithExpiry(nil, s.creds.cfg.TokenSource(s.ctx), s.early)
}

// Token returns a valid access token, fetching a new one when the cached one is within EarlyRefresh of expiry.
func (s *TokenSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	src := s.cur
	s.mu.Unlock()
	t, err := src.Token()
	if err != nil {
		return nil, fmt.Errorf("orders token: %w", err)
	}
	return t, nil
}

// Invalidate drops the cached token if it is still bad (the one the API refused), so the next Token call
// fetches a new one. Concurrent callers that saw the same bad token cause a single refresh.
func (s *TokenSource) Invalidate(bad *oauth2.Token) {
	if bad == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, err := s.cur.Token()
	if err != nil || cur.AccessToken == bad.AccessToken {
		s.cur = s.fresh()
	}
}

// countingTransport counts every request it carries.
type countingTransport struct {
	base http.RoundTripper
	n    prometheus.Counter
}

func (t countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.n.Inc()
	return t.base.RoundTrip(r)
}

// defaultTransport is a transport with connection, TLS and response-header timeouts.
func defaultTransport(timeout time.Duration) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: min(timeout, 5*time.Second), KeepAlive: 30 * time.Second}).DialContext
	tr.TLSHandshakeTimeout = min(timeout, 5*time.Second)
	tr.ResponseHeaderTimeout = timeout
	tr.MaxIdleConns = 64
	tr.MaxIdleConnsPerHost = 32
	return tr
}

// register registers c on reg and returns the collector to use: c, or the identical one registered before (a
// second worker in the same process shares the series). Other registration errors leave c unregistered.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if reg == nil {
		return c
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
	}
	return c
}
