package fulfillment

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Verification constants, as Google's own verifier (google-auth-library verifyIdToken) applies them.
const (
	// GoogleCertsURL is Google's JWKS of the keys that sign Assistant request tokens.
	GoogleCertsURL = "https://www.googleapis.com/oauth2/v3/certs"
	// ClockSkew is the tolerance on exp, nbf and iat.
	ClockSkew = 5 * time.Minute
	// MaxTokenLifetime is the longest exp − iat accepted.
	MaxTokenLifetime = 24 * time.Hour
	// HeaderAssistantSignature is the header Actions Builder puts the token in; the Actions SDK uses
	// Authorization.
	HeaderAssistantSignature = "Google-Assistant-Signature"
	// MinKeyRefetchInterval is how often an unknown key id may trigger a JWKS fetch.
	MinKeyRefetchInterval = time.Minute
	// maxJWKSBytes bounds the JWKS document read.
	maxJWKSBytes = 1 << 20
	// minRSABits is the smallest RSA key accepted from a JWKS.
	minRSABits = 2048
	// maxKeyCacheSeconds caps how long a JWKS is cached whatever max-age says (one day).
	maxKeyCacheSeconds = 24 * 60 * 60
)

// Google's token issuers.
var googleIssuers = []string{"https://accounts.google.com", "accounts.google.com"}

var (
	// ErrInvalidToken is wrapped by every verification failure caused by the request (no token, a malformed or
	// forged one, wrong claims): answer 401.
	ErrInvalidToken = errors.New("invalid token")
	// ErrKeysUnavailable is wrapped when Google's keys could not be obtained: the request could not be checked
	// (answer 503, not 401).
	ErrKeysUnavailable = errors.New("verification keys unavailable")
)

// KeySource supplies the RSA public keys that may sign request tokens, by key id.
type KeySource interface {
	Keys(ctx context.Context) (map[string]*rsa.PublicKey, error)
}

// KeyRefresher is a KeySource that can fetch its keys again when a token names a key id it does not know
// (Google rotates its keys). JWKS implements it.
type KeyRefresher interface {
	KeySource
	RefreshKeys(ctx context.Context) (map[string]*rsa.PublicKey, error)
}

// Claims are the verified claims of a request token.
type Claims struct {
	Issuer    string
	Subject   string
	Audience  []string
	IssuedAt  time.Time
	NotBefore time.Time // zero when the token has no nbf
	Expiry    time.Time
	ID        string
}

// Verifier checks the JWT Google signs every Actions SDK (and Actions Builder) request with: RS256 only,
// signed by one of Google's keys (by kid), issued by accounts.google.com, for the Actions project, valid now
// (exp, nbf, iat with ClockSkew) and living at most MaxTokenLifetime. It uses only the standard library.
type Verifier struct {
	projectID string
	keys      KeySource
	now       func() time.Time
}

// NewVerifier returns a verifier for tokens addressed to the Actions project projectID, checked against keys
// (usually NewJWKS("", nil, nil)) at the time now returns (time.Now when nil).
func NewVerifier(projectID string, keys KeySource, now func() time.Time) *Verifier {
	if now == nil {
		now = time.Now
	}
	return &Verifier{projectID: projectID, keys: keys, now: now}
}

// VerifyRequest checks the token in the Authorization header (optionally "Bearer "-prefixed) or, when that is
// absent, in Google-Assistant-Signature.
func (v *Verifier) VerifyRequest(r *http.Request) (*Claims, error) {
	token := strings.TrimSpace(r.Header.Get("Authorization"))
	if len(token) > 7 && strings.EqualFold(token[:7], "bearer ") {
		token = strings.TrimSpace(token[7:])
	}
	if token == "" {
		token = strings.TrimSpace(r.Header.Get(HeaderAssistantSignature))
	}
	if token == "" {
		return nil, fmt.Errorf("%w: no token in Authorization or %s", ErrInvalidToken, HeaderAssistantSignature)
	}
	return v.Verify(r.Context(), token)
}

type jwtHeader struct {
	Alg  string          `json:"alg"`
	Kid  string          `json:"kid"`
	Crit json.RawMessage `json:"crit"`
}

type jwtClaims struct {
	Iss string          `json:"iss"`
	Sub string          `json:"sub"`
	Aud json.RawMessage `json:"aud"`
	Exp *float64        `json:"exp"`
	Nbf *float64        `json:"nbf"`
	Iat *float64        `json:"iat"`
	Jti string          `json:"jti"`
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidToken, fmt.Sprintf(format, args...))
}

// Verify checks a compact JWS token and returns its claims.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	if v.projectID == "" {
		return nil, invalid("no Actions project id configured")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, invalid("not a JWT")
	}
	var hdr jwtHeader
	if err := decodeSegment(parts[0], &hdr); err != nil {
		return nil, invalid("header: %v", err)
	}
	switch {
	case hdr.Alg != "RS256":
		return nil, invalid("algorithm %q not accepted (RS256 only)", hdr.Alg)
	case len(hdr.Crit) > 0:
		return nil, invalid("critical header extensions not supported")
	case hdr.Kid == "":
		return nil, invalid("no key id")
	}
	sig, err := decodeB64(parts[2])
	if err != nil {
		return nil, invalid("signature: %v", err)
	}

	key, err := v.key(ctx, hdr.Kid)
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig); err != nil {
		return nil, invalid("bad signature")
	}

	var raw jwtClaims
	if err := decodeSegment(parts[1], &raw); err != nil {
		return nil, invalid("claims: %v", err)
	}
	cl := &Claims{Issuer: raw.Iss, Subject: raw.Sub, ID: raw.Jti}
	if cl.Audience, err = parseAudience(raw.Aud); err != nil {
		return nil, invalid("aud: %v", err)
	}
	if !slices.Contains(googleIssuers, cl.Issuer) {
		return nil, invalid("wrong issuer %q", cl.Issuer)
	}
	if !slices.Contains(cl.Audience, v.projectID) {
		return nil, invalid("wrong audience")
	}
	if raw.Exp == nil || raw.Iat == nil {
		return nil, invalid("exp and iat are required")
	}
	if cl.Expiry, err = unixTime(*raw.Exp); err != nil {
		return nil, invalid("exp: %v", err)
	}
	if cl.IssuedAt, err = unixTime(*raw.Iat); err != nil {
		return nil, invalid("iat: %v", err)
	}
	if raw.Nbf != nil {
		if cl.NotBefore, err = unixTime(*raw.Nbf); err != nil {
			return nil, invalid("nbf: %v", err)
		}
	}
	now := v.now()
	switch {
	case now.After(cl.Expiry.Add(ClockSkew)):
		return nil, invalid("token expired")
	case cl.IssuedAt.After(now.Add(ClockSkew)):
		return nil, invalid("token issued in the future")
	case !cl.NotBefore.IsZero() && cl.NotBefore.After(now.Add(ClockSkew)):
		return nil, invalid("token not yet valid")
	case !cl.Expiry.After(cl.IssuedAt):
		return nil, invalid("token expires before it was issued")
	case cl.Expiry.Sub(cl.IssuedAt) > MaxTokenLifetime:
		return nil, invalid("token lifetime longer than %s", MaxTokenLifetime)
	}
	return cl, nil
}

// key finds the public key for kid, refreshing the source once when the id is unknown.
func (v *Verifier) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	if v.keys == nil {
		return nil, fmt.Errorf("%w: no key source", ErrKeysUnavailable)
	}
	keys, err := v.keys.Keys(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeysUnavailable, err)
	}
	if k, ok := keys[kid]; ok {
		return k, nil
	}
	if r, ok := v.keys.(KeyRefresher); ok {
		keys, err = r.RefreshKeys(ctx)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrKeysUnavailable, err)
		}
		if k, ok := keys[kid]; ok {
			return k, nil
		}
	}
	return nil, invalid("unknown key id %q", kid)
}

// decodeB64 decodes base64url without padding (padding, which JWS forbids, is tolerated).
func decodeB64(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

func decodeSegment(s string, dst any) error {
	b, err := decodeB64(s)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return errors.New(describeJSONError(err))
	}
	return nil
}

func parseAudience(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, errors.New("neither a string nor an array of strings")
	}
	return many, nil
}

// unixTime converts a NumericDate; fractions of a second are dropped.
func unixTime(f float64) (time.Time, error) {
	if math.IsNaN(f) || f < 0 || f > 1<<40 {
		return time.Time{}, fmt.Errorf("out of range")
	}
	return time.Unix(int64(f), 0), nil
}

// JWKS is a KeySource that fetches a JSON Web Key Set over HTTP (Google's certs by default) and caches it for
// the response's Cache-Control max-age (at least MinKeyRefetchInterval). When a token names an unknown key id it
// fetches again, at most once per MinKeyRefetchInterval. When a fetch fails and keys are cached, the cached keys
// keep being used. It is safe for concurrent use.
type JWKS struct {
	url    string
	client *http.Client
	now    func() time.Time

	mu      sync.Mutex
	keys    map[string]*rsa.PublicKey
	expires time.Time
	fetched time.Time // last fetch attempt
}

// NewJWKS returns a key source reading url (GoogleCertsURL when empty) with client (one with a 10 s timeout
// when nil), on the clock now (time.Now when nil).
func NewJWKS(url string, client *http.Client, now func() time.Time) *JWKS {
	if url == "" {
		url = GoogleCertsURL
	}
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	if now == nil {
		now = time.Now
	}
	return &JWKS{url: url, client: client, now: now}
}

// Keys returns the cached keys, fetching them when the cache is empty or expired.
func (j *JWKS) Keys(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	now := j.now()
	if j.keys != nil && (now.Before(j.expires) || now.Sub(j.fetched) < MinKeyRefetchInterval) {
		return j.keys, nil
	}
	return j.fetchLocked(ctx, now)
}

// RefreshKeys fetches the keys again unless they were fetched less than MinKeyRefetchInterval ago.
func (j *JWKS) RefreshKeys(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	now := j.now()
	if j.keys != nil && now.Sub(j.fetched) < MinKeyRefetchInterval {
		return j.keys, nil
	}
	return j.fetchLocked(ctx, now)
}

func (j *JWKS) fetchLocked(ctx context.Context, now time.Time) (map[string]*rsa.PublicKey, error) {
	j.fetched = now
	keys, maxAge, err := j.fetch(ctx)
	if err != nil {
		if j.keys != nil {
			return j.keys, nil
		}
		return nil, err
	}
	j.keys = keys
	j.expires = now.Add(max(maxAge, MinKeyRefetchInterval))
	return keys, nil
}

type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	N   string `json:"n"`
	E   string `json:"e"`
}

func (j *JWKS) fetch(ctx context.Context) (map[string]*rsa.PublicKey, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.url, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("jwks request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := j.client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("jwks fetch: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes))
	if err != nil {
		return nil, 0, fmt.Errorf("jwks read: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("jwks fetch: HTTP %d", resp.StatusCode)
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, 0, fmt.Errorf("jwks decode: %s", describeJSONError(err))
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" || k.Kid == "" || (k.Alg != "" && k.Alg != "RS256") || (k.Use != "" && k.Use != "sig") {
			continue
		}
		pub, err := rsaKey(k.N, k.E)
		if err != nil {
			continue
		}
		keys[k.Kid] = pub
	}
	if len(keys) == 0 {
		return nil, 0, errors.New("jwks: no usable RS256 keys")
	}
	return keys, cacheMaxAge(resp.Header), nil
}

func rsaKey(n64, e64 string) (*rsa.PublicKey, error) {
	nb, err := decodeB64(n64)
	if err != nil {
		return nil, err
	}
	eb, err := decodeB64(e64)
	if err != nil {
		return nil, err
	}
	if len(eb) == 0 || len(eb) > 4 {
		return nil, errors.New("bad exponent")
	}
	e := 0
	for _, b := range eb {
		e = e<<8 | int(b)
	}
	n := new(big.Int).SetBytes(nb)
	if n.BitLen() < minRSABits || e < 3 || e%2 == 0 {
		return nil, errors.New("weak key")
	}
	return &rsa.PublicKey{N: n, E: e}, nil
}

// cacheMaxAge returns Cache-Control max-age minus Age, or 0.
func cacheMaxAge(h http.Header) time.Duration {
	var maxAge int64 = -1
	for _, part := range strings.Split(h.Get("Cache-Control"), ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && strings.EqualFold(name, "max-age") {
			if n, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64); err == nil && n >= 0 {
				maxAge = n
			}
		}
	}
	if maxAge < 0 {
		return 0
	}
	if age, err := strconv.ParseInt(h.Get("Age"), 10, 64); err == nil && age > 0 {
		maxAge -= age
	}
	return time.Duration(min(max(maxAge, 0), maxKeyCacheSeconds)) * time.Second
}
