package fulfillment

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const projectID = "reservations-test"

// testKey loads one of the throwaway test keys in testdata (generating RSA keys on every run is slow).
func testKey(t testing.TB, name string) *rsa.PrivateKey {
	t.Helper()
	block, _ := pem.Decode(readFile(t, "testdata/"+name))
	if block == nil {
		t.Fatalf("%s: no PEM block", name)
	}
	k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return k
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func b64JSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b64(b)
}

// signRS256 returns a compact JWS of claims signed by key under header.
func signRS256(t testing.TB, key *rsa.PrivateKey, header, claims map[string]any) string {
	t.Helper()
	signing := b64JSON(t, header) + "." + b64JSON(t, claims)
	digest := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + b64(sig)
}

// staticKeys is a KeySource with fixed keys; it counts refreshes when it acts as a KeyRefresher.
type staticKeys struct {
	keys      map[string]*rsa.PublicKey
	refreshed map[string]*rsa.PublicKey // what RefreshKeys returns
	refreshes int
	err       error
}

func (s *staticKeys) Keys(context.Context) (map[string]*rsa.PublicKey, error) { return s.keys, s.err }

func (s *staticKeys) RefreshKeys(context.Context) (map[string]*rsa.PublicKey, error) {
	s.refreshes++
	if s.refreshed != nil {
		s.keys = s.refreshed
	}
	return s.keys, s.err
}

func TestVerifier(t *testing.T) {
	key, other := testKey(t, "test_key1.pem"), testKey(t, "test_key2.pem")
	now := time.Unix(1_780_000_000, 0)
	claims := func(mod func(m map[string]any)) map[string]any {
		m := map[string]any{
			"iss": "https://accounts.google.com", "aud": projectID, "sub": "actions",
			"iat": now.Add(-time.Minute).Unix(), "nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(59 * time.Minute).Unix(),
			"jti": "j1",
		}
		if mod != nil {
			mod(m)
		}
		return m
	}
	hdr := map[string]any{"alg": "RS256", "kid": "k1", "typ": "JWT"}
	good := signRS256(t, key, hdr, claims(nil))
	hs256 := func() string {
		// The classic confusion attack: HMAC over the token with the public key as the secret.
		h := b64JSON(t, map[string]any{"alg": "HS256", "kid": "k1"}) + "." + b64JSON(t, claims(nil))
		mac := hmac.New(sha256.New, x509.MarshalPKCS1PublicKey(&key.PublicKey))
		mac.Write([]byte(h))
		return h + "." + b64(mac.Sum(nil))
	}()
	tampered := func() string {
		p := strings.Split(good, ".")
		p[1] = b64JSON(t, claims(func(m map[string]any) { m["sub"] = "attacker" }))
		return strings.Join(p, ".")
	}()

	tests := []struct {
		name    string
		header  string // header name; "" = Authorization
		token   string
		wantErr string // "" = valid
	}{
		{"valid", "", good, ""},
		{"valid bearer", "", "Bearer " + good, ""},
		{"valid lower-case bearer", "", "bearer " + good, ""},
		{"valid assistant signature", HeaderAssistantSignature, good, ""},
		{"valid issuer without scheme", "", signRS256(t, key, hdr, claims(func(m map[string]any) { m["iss"] = "accounts.google.com" })), ""},
		{"valid audience list", "", signRS256(t, key, hdr, claims(func(m map[string]any) { m["aud"] = []string{"x", projectID} })), ""},
		{"valid without nbf", "", signRS256(t, key, hdr, claims(func(m map[string]any) { delete(m, "nbf") })), ""},
		{"expired within skew", "", signRS256(t, key, hdr, claims(func(m map[string]any) {
			m["iat"] = now.Add(-time.Hour).Unix()
			m["nbf"] = now.Add(-time.Hour).Unix()
			m["exp"] = now.Add(-4 * time.Minute).Unix()
		})), ""},
		{"exp before iat", "", signRS256(t, key, hdr, claims(func(m map[string]any) { m["exp"] = now.Add(-2 * time.Minute).Unix() })),
			"invalid token: token expires before it was issued"},
		{"nbf within skew", "", signRS256(t, key, hdr, claims(func(m map[string]any) { m["nbf"] = now.Add(4 * time.Minute).Unix() })), ""},
		{"lifetime exactly a day", "", signRS256(t, key, hdr, claims(func(m map[string]any) {
			m["iat"] = now.Add(-time.Hour).Unix()
			m["exp"] = now.Add(23 * time.Hour).Unix()
		})), ""},
		{"missing header", "", "", "invalid token: no token in Authorization or Google-Assistant-Signature"},
		{"not a JWT", "", "abc.def", "invalid token: not a JWT"},
		{"garbage header", "", "!!!.e30.sig", "invalid token: header: illegal base64 data at input byte 0"},
		{"wrong issuer", "", signRS256(t, key, hdr, claims(func(m map[string]any) { m["iss"] = "https://evil.example" })),
			`invalid token: wrong issuer "https://evil.example"`},
		{"wrong audience", "", signRS256(t, key, hdr, claims(func(m map[string]any) { m["aud"] = "other-project" })), "invalid token: wrong audience"},
		{"no audience", "", signRS256(t, key, hdr, claims(func(m map[string]any) { delete(m, "aud") })), "invalid token: wrong audience"},
		{"audience of the wrong type", "", signRS256(t, key, hdr, claims(func(m map[string]any) { m["aud"] = 7 })),
			"invalid token: aud: neither a string nor an array of strings"},
		{"expired", "", signRS256(t, key, hdr, claims(func(m map[string]any) {
			m["iat"] = now.Add(-2 * time.Hour).Unix()
			m["exp"] = now.Add(-6 * time.Minute).Unix()
		})), "invalid token: token expired"},
		{"not yet valid", "", signRS256(t, key, hdr, claims(func(m map[string]any) { m["nbf"] = now.Add(6 * time.Minute).Unix() })),
			"invalid token: token not yet valid"},
		{"issued in the future", "", signRS256(t, key, hdr, claims(func(m map[string]any) {
			m["iat"] = now.Add(6 * time.Minute).Unix()
			m["exp"] = now.Add(time.Hour).Unix()
		})), "invalid token: token issued in the future"},
		{"lifetime over a day", "", signRS256(t, key, hdr, claims(func(m map[string]any) {
			m["iat"] = now.Add(-time.Hour).Unix()
			m["exp"] = now.Add(23*time.Hour + time.Second).Unix()
		})), "invalid token: token lifetime longer than 24h0m0s"},
		{"no exp", "", signRS256(t, key, hdr, claims(func(m map[string]any) { delete(m, "exp") })), "invalid token: exp and iat are required"},
		{"no iat", "", signRS256(t, key, hdr, claims(func(m map[string]any) { delete(m, "iat") })), "invalid token: exp and iat are required"},
		{"exp of the wrong type", "", signRS256(t, key, hdr, claims(func(m map[string]any) { m["exp"] = "tomorrow" })),
			"invalid token: claims: exp: unexpected string"},
		{"bad signature", "", signRS256(t, other, hdr, claims(nil)), "invalid token: bad signature"},
		{"tampered claims", "", tampered, "invalid token: bad signature"},
		{"alg none", "", b64JSON(t, map[string]any{"alg": "none", "kid": "k1"}) + "." + b64JSON(t, claims(nil)) + ".",
			`invalid token: algorithm "none" not accepted (RS256 only)`},
		{"alg HS256", "", hs256, `invalid token: algorithm "HS256" not accepted (RS256 only)`},
		{"alg RS512", "", signRS256(t, key, map[string]any{"alg": "RS512", "kid": "k1"}, claims(nil)), `invalid token: algorithm "RS512" not accepted (RS256 only)`},
		{"unknown kid", "", signRS256(t, key, map[string]any{"alg": "RS256", "kid": "k9"}, claims(nil)), `invalid token: unknown key id "k9"`},
		{"no kid", "", signRS256(t, key, map[string]any{"alg": "RS256"}, claims(nil)), "invalid token: no key id"},
		{"crit header", "", signRS256(t, key, map[string]any{"alg": "RS256", "kid": "k1", "crit": []string{"exp"}}, claims(nil)),
			"invalid token: critical header extensions not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys := &staticKeys{keys: map[string]*rsa.PublicKey{"k1": &key.PublicKey}}
			v := NewVerifier(projectID, keys, func() time.Time { return now })
			req := httptest.NewRequest(http.MethodPost, "/fulfillment/actions-sdk", nil)
			if tt.token != "" {
				name := tt.header
				if name == "" {
					name = "Authorization"
				}
				req.Header.Set(name, tt.token)
			}
			cl, err := v.VerifyRequest(req)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if cl.Subject != "actions" || cl.Issuer == "" || len(cl.Audience) == 0 || cl.IssuedAt.IsZero() || cl.Expiry.IsZero() {
					t.Errorf("claims = %+v", cl)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr || !errors.Is(err, ErrInvalidToken) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}

	t.Run("unknown kid refreshes the keys", func(t *testing.T) {
		keys := &staticKeys{keys: map[string]*rsa.PublicKey{"k1": &key.PublicKey},
			refreshed: map[string]*rsa.PublicKey{"k2": &other.PublicKey}}
		v := NewVerifier(projectID, keys, func() time.Time { return now })
		tok := signRS256(t, other, map[string]any{"alg": "RS256", "kid": "k2"}, claims(nil))
		if _, err := v.Verify(context.Background(), tok); err != nil || keys.refreshes != 1 {
			t.Errorf("err = %v, refreshes %d", err, keys.refreshes)
		}
	})
	t.Run("keys unavailable", func(t *testing.T) {
		v := NewVerifier(projectID, &staticKeys{err: errors.New("dial tcp: refused")}, func() time.Time { return now })
		if _, err := v.Verify(context.Background(), good); !errors.Is(err, ErrKeysUnavailable) || errors.Is(err, ErrInvalidToken) {
			t.Errorf("err = %v", err)
		}
		if _, err := NewVerifier(projectID, nil, nil).Verify(context.Background(), good); !errors.Is(err, ErrKeysUnavailable) {
			t.Errorf("nil key source: err = %v", err)
		}
	})
	t.Run("no project configured", func(t *testing.T) {
		v := NewVerifier("", &staticKeys{keys: map[string]*rsa.PublicKey{"k1": &key.PublicKey}}, func() time.Time { return now })
		if _, err := v.Verify(context.Background(), good); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("err = %v", err)
		}
	})

	// Through the HTTP handler: 401 with a JSON error, 503 when keys are unavailable, 200 when valid.
	t.Run("http", func(t *testing.T) {
		app, _ := newTestApp()
		app.Fallback(func(_ context.Context, c *Conv) error { c.Ask("verified"); return nil })
		v := NewVerifier(projectID, &staticKeys{keys: map[string]*rsa.PublicKey{"k1": &key.PublicKey}}, func() time.Time { return now })
		h := app.ActionsSDK(v)
		body := actionsSDKTurn(t, IntentText, "", "")
		if w := post(t, h, body, "Authorization", good); w.Code != 200 || !strings.Contains(w.Body.String(), "verified") {
			t.Errorf("valid: %d %s", w.Code, w.Body.String())
		}
		assertErrorBody(t, post(t, h, body), 401,
			"request verification failed: invalid token: no token in Authorization or Google-Assistant-Signature", testRequestID)
		if w := post(t, h, body, "Authorization", signRS256(t, other, hdr, claims(nil))); w.Code != 401 {
			t.Errorf("bad signature: %d", w.Code)
		}
		down := app.ActionsSDK(NewVerifier(projectID, &staticKeys{err: errors.New("down")}, nil))
		if w := post(t, down, body, "Authorization", good); w.Code != 503 {
			t.Errorf("keys down: %d", w.Code)
		} else if e, _ := generic(t, w.Body.Bytes()).(map[string]any)["error"].(map[string]any); e["reason"] != "UNAVAILABLE" {
			t.Errorf("keys down: %s", w.Body.Bytes())
		}
	})
}

// jwksServer serves the given keys with a Cache-Control max-age and counts fetches.
type jwksServer struct {
	*httptest.Server
	hits   atomic.Int32
	keys   atomic.Value // map[string]*rsa.PublicKey
	maxAge int
	fail   atomic.Bool
}

func newJWKSServer(t *testing.T, maxAge int, keys map[string]*rsa.PublicKey) *jwksServer {
	s := &jwksServer{maxAge: maxAge}
	s.keys.Store(keys)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if s.fail.Load() {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		var set struct {
			Keys []map[string]string `json:"keys"`
		}
		for kid, k := range s.keys.Load().(map[string]*rsa.PublicKey) {
			set.Keys = append(set.Keys, map[string]string{"kid": kid, "kty": "RSA", "alg": "RS256", "use": "sig",
				"n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())})
		}
		// Keys Google does not sign request tokens with are skipped.
		set.Keys = append(set.Keys, map[string]string{"kid": "ec", "kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"})
		w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d, must-revalidate, no-transform", s.maxAge))
		_ = json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(s.Close)
	return s
}

func TestJWKS(t *testing.T) {
	k1, k2 := testKey(t, "test_key1.pem"), testKey(t, "test_key2.pem")
	clock := time.Unix(1_780_000_000, 0)
	now := func() time.Time { return clock }
	srv := newJWKSServer(t, 3600, map[string]*rsa.PublicKey{"k1": &k1.PublicKey})
	j := NewJWKS(srv.URL, srv.Client(), now)
	ctx := context.Background()

	keys, err := j.Keys(ctx)
	if err != nil || len(keys) != 1 || keys["k1"].N.Cmp(k1.N) != 0 {
		t.Fatalf("Keys() = %v, %v", keys, err)
	}
	clock = clock.Add(59 * time.Minute)
	if _, _ = j.Keys(ctx); srv.hits.Load() != 1 {
		t.Errorf("within max-age: %d fetches, want 1", srv.hits.Load())
	}
	clock = clock.Add(2 * time.Minute) // past max-age
	if _, _ = j.Keys(ctx); srv.hits.Load() != 2 {
		t.Errorf("after max-age: %d fetches, want 2", srv.hits.Load())
	}

	// Google rotates its keys: a token signed by k2 triggers one refetch, then verifies.
	srv.keys.Store(map[string]*rsa.PublicKey{"k1": &k1.PublicKey, "k2": &k2.PublicKey})
	v := NewVerifier(projectID, j, now)
	tok := signRS256(t, k2, map[string]any{"alg": "RS256", "kid": "k2"}, map[string]any{
		"iss": "https://accounts.google.com", "aud": projectID, "iat": clock.Unix(), "exp": clock.Add(time.Hour).Unix()})
	if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrInvalidToken) || srv.hits.Load() != 2 {
		t.Errorf("unknown kid within a minute of the last fetch: err %v, %d fetches (want no refetch)", err, srv.hits.Load())
	}
	clock = clock.Add(MinKeyRefetchInterval)
	if _, err := v.Verify(ctx, tok); err != nil || srv.hits.Load() != 3 {
		t.Errorf("unknown kid: err %v, %d fetches, want 3", err, srv.hits.Load())
	}
	// An unknown kid again right away does not fetch again.
	bad := signRS256(t, k2, map[string]any{"alg": "RS256", "kid": "k7"}, map[string]any{
		"iss": "https://accounts.google.com", "aud": projectID, "iat": clock.Unix(), "exp": clock.Add(time.Hour).Unix()})
	for range 3 {
		if _, err := v.Verify(ctx, bad); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("err = %v", err)
		}
	}
	if srv.hits.Load() != 3 {
		t.Errorf("unknown kids caused %d fetches, want 3", srv.hits.Load())
	}

	// The server fails: cached keys keep working.
	srv.fail.Store(true)
	clock = clock.Add(2 * time.Hour)
	if keys, err := j.Keys(ctx); err != nil || len(keys) != 2 || srv.hits.Load() != 4 {
		t.Errorf("stale keys on failure: %d keys, %v, %d fetches", len(keys), err, srv.hits.Load())
	}
	// With nothing cached, the failure is an error and the verifier says keys are unavailable.
	fresh := NewJWKS(srv.URL, srv.Client(), now)
	if _, err := fresh.Keys(ctx); err == nil || !strings.Contains(err.Error(), "HTTP 503") {
		t.Errorf("err = %v", err)
	}
	if _, err := NewVerifier(projectID, fresh, now).Verify(ctx, tok); !errors.Is(err, ErrKeysUnavailable) {
		t.Errorf("verify with no keys: %v", err)
	}
}

func TestJWKSDocuments(t *testing.T) {
	k, small := testKey(t, "test_key1.pem"), testKey(t, "test_key_weak.pem")
	jwk := func(kid, alg string, key *rsa.PublicKey) map[string]string {
		return map[string]string{"kid": kid, "kty": "RSA", "alg": alg, "n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes())}
	}
	tests := []struct {
		name     string
		status   int
		body     any
		wantKids []string
		wantErr  string
	}{
		{"good", 200, map[string]any{"keys": []any{jwk("a", "RS256", &k.PublicKey), jwk("b", "", &k.PublicKey)}}, []string{"a", "b"}, ""},
		{"weak and foreign keys skipped", 200, map[string]any{"keys": []any{jwk("weak", "RS256", &small.PublicKey),
			jwk("ps", "PS256", &k.PublicKey), jwk("ok", "RS256", &k.PublicKey)}}, []string{"ok"}, ""},
		{"no usable key", 200, map[string]any{"keys": []any{jwk("weak", "RS256", &small.PublicKey)}}, nil, "jwks: no usable RS256 keys"},
		{"not JSON", 200, "<html>", nil, "jwks decode: body: unexpected string"},
		{"server error", 500, map[string]any{}, nil, "jwks fetch: HTTP 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tt.status)
				_ = json.NewEncoder(w).Encode(tt.body)
			}))
			defer srv.Close()
			keys, err := NewJWKS(srv.URL, srv.Client(), nil).Keys(context.Background())
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(keys) != len(tt.wantKids) {
				t.Fatalf("keys %v, err %v", keys, err)
			}
			for _, kid := range tt.wantKids {
				if keys[kid] == nil {
					t.Errorf("key %s missing", kid)
				}
			}
		})
	}
}

func TestCacheMaxAge(t *testing.T) {
	tests := []struct {
		cc, age string
		want    time.Duration
	}{
		{"public, max-age=19204, must-revalidate, no-transform", "", 19204 * time.Second},
		{"max-age=3600", "600", 3000 * time.Second},
		{"max-age=60", "600", 0},
		{"no-cache", "", 0},
		{"", "", 0},
		{"max-age=abc", "", 0},
		{`max-age="120"`, "", 120 * time.Second},
		{"MAX-AGE=5", "", 5 * time.Second},
		{"max-age=99999999999999", "", 24 * time.Hour},
	}
	for _, tt := range tests {
		h := http.Header{}
		h.Set("Cache-Control", tt.cc)
		if tt.age != "" {
			h.Set("Age", tt.age)
		}
		if got := cacheMaxAge(h); got != tt.want {
			t.Errorf("cacheMaxAge(%q, age %q) = %v, want %v", tt.cc, tt.age, got, tt.want)
		}
	}
}
