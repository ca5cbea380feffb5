// Package orderstest runs a fake Orders API v3 and a fake OAuth token endpoint on loopback, for tests of the
// orders worker and of the packages that wire it (cmd, intents).
//
// The fake checks what Google checks that a test can observe: the method and path, a Bearer token it issued
// itself and that is neither expired nor revoked, a JSON body with header.isInSandbox and an orderUpdate whose
// order.merchantOrderId matches the path, a non-empty updateMask and an order.lastUpdateTime. It answers like
// Google does (`{"error":{"code","message","status"}}` on failure) and can inject faults at random, from a seed:
// 500, 503, 429, slow answers (longer than the client's timeout) and dropped connections.
//
// The token endpoint accepts the JWT-bearer grant of a service account: the assertion must be an RS256 JWT
// signed with the key of [Server.ServiceAccountJSON], with iss = its client_email, aud = the token URL and the
// Orders API scope.
package orderstest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Scope is the OAuth scope the token endpoint requires.
const Scope = "https://www.googleapis.com/auth/actions.order.developer"

// ClientEmail is the service account of the generated key.
const ClientEmail = "orders-worker@reservations-test.iam.gserviceaccount.com"

// Faults are the probabilities (0..1, summed at most 1) that a PATCH gets each failure instead of being processed.
type Faults struct {
	P500  float64 // 500 INTERNAL "could not be updated. Please try again."
	P503  float64 // 503 UNAVAILABLE
	P429  float64 // 429 RESOURCE_EXHAUSTED
	PSlow float64 // no answer for SlowDelay (the client should time out); the update is not applied
	PDrop float64 // the connection is closed without an answer; the update is not applied
}

// Config configures a [Server]; the zero value is a well-behaved fake.
type Config struct {
	// Seed makes the fault sequence reproducible (for a given arrival order of requests).
	Seed uint64
	// Faults are injected at random on PATCH requests.
	Faults Faults
	// SlowDelay is how long a slow answer takes (default 5 s). Keep it well above the client's timeout.
	SlowDelay time.Duration
	// TokenLifetime is the expires_in of issued tokens (default 1 h).
	TokenLifetime time.Duration
	// Latency is added to every PATCH before it is processed (default none).
	Latency time.Duration
}

// Update is one PATCH the fake accepted (answered 2xx).
type Update struct {
	OrderID        string          // merchantOrderId from the path, unescaped
	Body           json.RawMessage // the request body as sent
	Sandbox        bool            // header.isInSandbox
	UpdateMask     string
	LastUpdateTime string // order.lastUpdateTime
	Status         string // contents.lineItems[0].reservation.status
	Label          string // contents.lineItems[0].reservation.userVisibleStatusLabel
	Reason         string
	Notification   *Notification
	ReceivedAt     time.Time
}

// Notification is orderUpdate.userNotification.
type Notification struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

// Key identifies one change as Google would see it: two accepted PATCHes with the same Key are a duplicate.
type Key struct {
	OrderID, LastUpdateTime, Status string
}

// Key returns the update's identity.
func (u Update) Key() Key { return Key{u.OrderID, u.LastUpdateTime, u.Status} }

// Failure is a fixed answer for one order, set with [Server.FailOrder].
type Failure struct {
	HTTPStatus int
	Status     string // e.g. NOT_FOUND
	Message    string
}

// Server is the fake Orders API plus token endpoint. Its methods are safe for concurrent use.
type Server struct {
	// URL is the Orders API base URL (pass it as the client's BaseURL).
	URL string
	// TokenURL is the token endpoint (the generated key's token_uri).
	TokenURL string

	srv  *httptest.Server
	key  *rsa.PrivateKey
	slow time.Duration
	life time.Duration
	lat  time.Duration

	mu        sync.Mutex
	rng       *mrand.Rand
	faults    Faults
	tokens    map[string]time.Time // access token → expiry
	revoked   map[string]bool
	tokenReqs int
	attempts  int
	injected  map[string]int // fault name → count
	updates   []Update
	failOrder map[string]Failure
	waiters   []chan struct{}
}

// New starts a fake on a loopback port. Call Close when done (NewTB does it for you).
func New(cfg Config) *Server {
	key, err := rsa.GenerateKey(rand.Reader, 1024) // a throwaway test key; 1024 bits keeps -race runs fast
	if err != nil {
		panic(fmt.Sprintf("orderstest: generate RSA key: %v", err))
	}
	if cfg.SlowDelay <= 0 {
		cfg.SlowDelay = 5 * time.Second
	}
	if cfg.TokenLifetime <= 0 {
		cfg.TokenLifetime = time.Hour
	}
	s := &Server{
		key:       key,
		slow:      cfg.SlowDelay,
		life:      cfg.TokenLifetime,
		lat:       cfg.Latency,
		rng:       mrand.New(mrand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		faults:    cfg.Faults,
		tokens:    map[string]time.Time{},
		revoked:   map[string]bool{},
		injected:  map[string]int{},
		failOrder: map[string]Failure{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/token", s.token)
	mux.HandleFunc("/v3/orders/", s.patch)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	s.TokenURL = s.srv.URL + "/token"
	return s
}

// NewTB starts a fake and closes it when the test ends.
func NewTB(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	s := New(cfg)
	tb.Cleanup(s.Close)
	return s
}

// Close stops the server.
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// ServiceAccountJSON is a service-account key file whose token_uri is this fake's token endpoint.
func (s *Server) ServiceAccountJSON() []byte {
	der, err := x509.MarshalPKCS8PrivateKey(s.key)
	if err != nil {
		panic(fmt.Sprintf("orderstest: marshal key: %v", err))
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	out, err := json.MarshalIndent(map[string]string{
		"type":                        "service_account",
		"project_id":                  "reservations-test",
		"private_key_id":              "test-key-1",
		"private_key":                 string(pemKey),
		"client_email":                ClientEmail,
		"client_id":                   "100000000000000000001",
		"auth_uri":                    s.URL + "/auth",
		"token_uri":                   s.TokenURL,
		"auth_provider_x509_cert_url": s.URL + "/certs",
	}, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("orderstest: encode key: %v", err))
	}
	return out
}

// WriteServiceAccountKey writes [Server.ServiceAccountJSON] into a temporary directory of the test and returns
// its path (what GOOGLE_APPLICATION_CREDENTIALS would name).
func (s *Server) WriteServiceAccountKey(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "service-account.json")
	if err := os.WriteFile(path, s.ServiceAccountJSON(), 0o600); err != nil {
		tb.Fatalf("write key: %v", err)
	}
	return path
}

// SetFaults replaces the fault probabilities.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// FailOrder makes every PATCH of the order answer f (a permanent failure such as 404 NOT_FOUND).
func (s *Server) FailOrder(orderID string, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failOrder[orderID] = f
}

// RevokeTokens makes every token issued so far invalid: the next PATCH with one gets 401.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for t := range s.tokens {
		s.revoked[t] = true
	}
}

// TokenRequests is how many token requests the endpoint has received.
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenReqs
}

// Attempts is how many PATCH requests arrived, accepted or not.
func (s *Server) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// Injected reports how many faults of each kind ("500", "503", "429", "slow", "drop") were injected.
func (s *Server) Injected() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.injected))
	for k, v := range s.injected {
		out[k] = v
	}
	return out
}

// Updates returns the accepted updates in the order they were accepted.
func (s *Server) Updates() []Update {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.updates)
}

// UpdatesFor returns the accepted updates of one order, in the order they were accepted.
func (s *Server) UpdatesFor(orderID string) []Update {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Update
	for _, u := range s.updates {
		if u.OrderID == orderID {
			out = append(out, u)
		}
	}
	return out
}

// Counts returns how many times each change was accepted.
func (s *Server) Counts() map[Key]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[Key]int{}
	for _, u := range s.updates {
		out[u.Key()]++
	}
	return out
}

// Duplicates returns the changes accepted more than once.
func (s *Server) Duplicates() []Key {
	var out []Key
	for k, n := range s.Counts() {
		if n > 1 {
			out = append(out, k)
		}
	}
	return out
}

// WaitUpdates waits until at least n updates were accepted or the timeout passes, and reports whether they were.
func (s *Server) WaitUpdates(n int, timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if len(s.updates) >= n {
			s.mu.Unlock()
			return true
		}
		ch := make(chan struct{})
		s.waiters = append(s.waiters, ch)
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			s.mu.Lock()
			ok := len(s.updates) >= n
			s.mu.Unlock()
			return ok
		}
	}
}

// writeError answers with Google's error JSON.
func writeError(w http.ResponseWriter, code int, status, message string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code": code, "message": message, "status": status,
	}})
}

// patchBody is the part of the request body the fake checks.
type patchBody struct {
	Header *struct {
		IsInSandbox *bool `json:"isInSandbox"`
	} `json:"header"`
	OrderUpdate *struct {
		UpdateMask string `json:"updateMask"`
		Reason     string `json:"reason"`
		Order      *struct {
			MerchantOrderID string `json:"merchantOrderId"`
			LastUpdateTime  string `json:"lastUpdateTime"`
			Contents        struct {
				LineItems []struct {
					ID          string `json:"id"`
					Reservation *struct {
						Status string `json:"status"`
						Label  string `json:"userVisibleStatusLabel"`
					} `json:"reservation"`
				} `json:"lineItems"`
			} `json:"contents"`
		} `json:"order"`
		UserNotification *Notification `json:"userNotification"`
	} `json:"orderUpdate"`
}

func (s *Server) patch(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.attempts++
	s.mu.Unlock()
	if r.Method != http.MethodPatch {
		writeError(w, http.StatusMethodNotAllowed, "INVALID_ARGUMENT", "method not allowed")
		return
	}
	id, err := url.PathUnescape(strings.TrimPrefix(r.URL.EscapedPath(), "/v3/orders/"))
	if err != nil || id == "" || strings.Contains(strings.TrimPrefix(r.URL.EscapedPath(), "/v3/orders/"), "/") {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "Requested entity was not found.")
		return
	}
	if !s.authorized(r) {
		writeError(w, http.StatusUnauthorized, "UNAUTHENTICATED",
			"Request had invalid authentication credentials. Expected OAuth 2 access token.")
		return
	}
	// Reading the whole body first lets the server notice when the client hangs up (r.Context is cancelled).
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return
	}
	if s.lat > 0 {
		time.Sleep(s.lat)
	}
	switch s.rollFault() {
	case "500":
		writeError(w, http.StatusInternalServerError, "INTERNAL",
			"Order "+id+" for project reservations-test could not be updated. Please try again.")
		return
	case "503":
		writeError(w, http.StatusServiceUnavailable, "UNAVAILABLE", "The service is currently unavailable.")
		return
	case "429":
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, "RESOURCE_EXHAUSTED", "Quota exceeded.")
		return
	case "slow":
		select {
		case <-r.Context().Done():
			return // the client gave up: nothing applied
		case <-time.After(s.slow):
		}
	case "drop":
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Content-Type must be application/json")
		return
	}
	var body patchBody
	if err := json.Unmarshal(raw, &body); err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid JSON payload received. "+err.Error())
		return
	}
	if msg := checkBody(&body, id); msg != "" {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", msg)
		return
	}
	if r.Context().Err() != nil {
		return // the client gave up (timed out) before the update was applied: nothing applied
	}
	s.mu.Lock()
	if f, ok := s.failOrder[id]; ok {
		s.mu.Unlock()
		writeError(w, f.HTTPStatus, f.Status, f.Message)
		return
	}
	ou := body.OrderUpdate
	u := Update{
		OrderID:        id,
		Body:           raw,
		Sandbox:        *body.Header.IsInSandbox,
		UpdateMask:     ou.UpdateMask,
		LastUpdateTime: ou.Order.LastUpdateTime,
		Reason:         ou.Reason,
		Notification:   ou.UserNotification,
		ReceivedAt:     time.Now(),
	}
	if li := ou.Order.Contents.LineItems; len(li) > 0 && li[0].Reservation != nil {
		u.Status = li[0].Reservation.Status
		u.Label = li[0].Reservation.Label
	}
	s.updates = append(s.updates, u)
	for _, ch := range s.waiters {
		close(ch)
	}
	s.waiters = nil
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	// The real API answers with the updated order; echoing the patched part is enough for a client.
	_, _ = fmt.Fprintf(w, `{"merchantOrderId":%q,"lastUpdateTime":%q}`, id, u.LastUpdateTime)
}

// checkBody returns why the body would be refused, or "".
func checkBody(b *patchBody, id string) string {
	switch {
	case b.Header == nil || b.Header.IsInSandbox == nil:
		return "header.isInSandbox is required"
	case b.OrderUpdate == nil || b.OrderUpdate.Order == nil:
		return "orderUpdate.order is required"
	case b.OrderUpdate.Order.MerchantOrderID != id:
		return "order.merchantOrderId does not match the order in the path"
	case b.OrderUpdate.UpdateMask == "":
		return "orderUpdate.updateMask is required"
	case b.OrderUpdate.Order.LastUpdateTime == "":
		return "order.lastUpdateTime is required"
	}
	if _, err := time.Parse(time.RFC3339Nano, b.OrderUpdate.Order.LastUpdateTime); err != nil {
		return "order.lastUpdateTime is not a timestamp"
	}
	for i, li := range b.OrderUpdate.Order.Contents.LineItems {
		if li.ID == "" {
			return fmt.Sprintf("order.contents.lineItems[%d].id is required", i)
		}
		if li.Reservation == nil || li.Reservation.Status == "" || li.Reservation.Label == "" {
			return fmt.Sprintf("order.contents.lineItems[%d].reservation needs status and userVisibleStatusLabel", i)
		}
	}
	if n := b.OrderUpdate.UserNotification; n != nil && (len([]rune(n.Title)) > 30 || len([]rune(n.Text)) > 100) {
		return "orderUpdate.userNotification: title over 30 or text over 100 characters"
	}
	return ""
}

// rollFault picks a fault for one request, or "".
func (s *Server) rollFault() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faults
	if f == (Faults{}) {
		return ""
	}
	x := s.rng.Float64()
	for _, c := range []struct {
		name string
		p    float64
	}{{"500", f.P500}, {"503", f.P503}, {"429", f.P429}, {"slow", f.PSlow}, {"drop", f.PDrop}} {
		if x < c.p {
			s.injected[c.name]++
			return c.name
		}
		x -= c.p
	}
	return ""
}

// authorized reports whether the request carries a live token issued by this fake.
func (s *Server) authorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.tokens[tok]
	return ok && !s.revoked[tok] && time.Now().Before(exp)
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.tokenReqs++
	n := s.tokenReqs
	s.mu.Unlock()
	tokenError := func(desc string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant", "error_description": desc})
	}
	if r.Method != http.MethodPost {
		tokenError("POST required")
		return
	}
	if err := r.ParseForm(); err != nil {
		tokenError("bad form")
		return
	}
	if r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		tokenError("unsupported grant_type")
		return
	}
	if msg := s.checkAssertion(r.PostForm.Get("assertion")); msg != "" {
		tokenError(msg)
		return
	}
	tok := fmt.Sprintf("fake-access-token-%d-%x", n, s.rng2())
	s.mu.Lock()
	s.tokens[tok] = time.Now().Add(s.life)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"access_token": tok, "token_type": "Bearer", "expires_in": int(s.life / time.Second),
	})
}

// rng2 is a random suffix for tokens.
func (s *Server) rng2() uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.Uint32()
}

// checkAssertion verifies the service account's signed JWT and returns why it is refused, or "".
func (s *Server) checkAssertion(a string) string {
	parts := strings.Split(a, ".")
	if len(parts) != 3 {
		return "assertion is not a JWT"
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	if err := decodeSegment(parts[0], &hdr); err != nil || hdr.Alg != "RS256" {
		return "assertion header: want alg RS256"
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return "assertion signature is not base64url"
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(&s.key.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		return "assertion signature does not verify"
	}
	var claims struct {
		Iss   string `json:"iss"`
		Scope string `json:"scope"`
		Aud   string `json:"aud"`
		Exp   int64  `json:"exp"`
		Iat   int64  `json:"iat"`
	}
	if err := decodeSegment(parts[1], &claims); err != nil {
		return "assertion claims are not JSON"
	}
	now := time.Now().Unix()
	switch {
	case claims.Iss != ClientEmail:
		return "assertion iss is not the service account"
	case claims.Aud != s.TokenURL:
		return "assertion aud is not the token URL"
	case !slices.Contains(strings.Fields(claims.Scope), Scope):
		return "assertion scope lacks " + Scope
	case claims.Exp < now || claims.Iat > now+300:
		return "assertion expired or not yet valid"
	}
	return ""
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return fmt.Errorf("decode segment: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode segment: %w", err)
	}
	return nil
}
