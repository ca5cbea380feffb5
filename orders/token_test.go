package orders_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/reservations/reservations/orders"
	"github.com/reservations/reservations/orders/orderstest"
)

func TestLoadCredentials(t *testing.T) {
	fake := orderstest.NewTB(t, orderstest.Config{})
	good := fake.ServiceAccountJSON()
	dir := t.TempDir()
	write := func(name string, data []byte, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	with := func(change func(map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		change(m)
		b, _ := json.Marshal(m)
		return b
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	ecPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}))

	tests := []struct {
		name    string
		path    string
		wantErr string
	}{
		{"valid", write("good.json", good, 0o600), ""},
		{"empty path", "", "no path given"},
		{"missing file", filepath.Join(dir, "absent.json"), "file does not exist"},
		{"directory", dir, "cannot read"},
		{"not JSON", write("garbage.json", []byte("not json {"), 0o600), "not a JSON key file"},
		{"JSON array", write("array.json", []byte(`[1,2]`), 0o600), "not a JSON key file"},
		{"user credentials", write("user.json", []byte(`{"type":"authorized_user","client_id":"x","client_secret":"y","refresh_token":"z"}`), 0o600), `credential type is "authorized_user", want "service_account"`},
		{"no client_email", write("noemail.json", with(func(m map[string]any) { delete(m, "client_email") }), 0o600), "client_email is missing"},
		{"no private_key", write("nokey.json", with(func(m map[string]any) { delete(m, "private_key") }), 0o600), "private_key is missing"},
		{"broken private_key", write("badkey.json", with(func(m map[string]any) {
			m["private_key"] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
		}), 0o600), "not a PEM-encoded PKCS#8 or PKCS#1 RSA key"},
		{"EC private_key", write("eckey.json", with(func(m map[string]any) { m["private_key"] = ecPEM }), 0o600), "private_key is not an RSA key"},
	}
	if os.Geteuid() != 0 { // root reads anything
		tests = append(tests, struct {
			name    string
			path    string
			wantErr string
		}{"unreadable", write("unreadable.json", good, 0o000), "cannot read"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := orders.LoadCredentials(tt.path)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("LoadCredentials: %v", err)
				}
				if c.ClientEmail() != orderstest.ClientEmail || c.TokenURL() != fake.TokenURL {
					t.Errorf("email %q token URL %q", c.ClientEmail(), c.TokenURL())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			if tt.path != "" && !strings.Contains(err.Error(), tt.path) {
				t.Errorf("err %q does not name the path", err)
			}
			if strings.Contains(err.Error(), "PRIVATE KEY") || strings.Contains(err.Error(), "MII") {
				t.Errorf("err %q leaks key material", err)
			}
		})
	}
}

func TestCredentialsNeverPrintTheKey(t *testing.T) {
	fake := orderstest.NewTB(t, orderstest.Config{})
	c, err := orders.ParseCredentials(fake.ServiceAccountJSON())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("loaded", "creds", c)
	out := fmt.Sprintf("%v %s %+v", c, c, c) + buf.String()
	if strings.Contains(out, "PRIVATE") || !strings.Contains(out, orderstest.ClientEmail) {
		t.Errorf("printed credentials: %s", out)
	}
}

func TestTokenSourceReusesAndRefreshesEarly(t *testing.T) {
	tests := []struct {
		name     string
		lifetime time.Duration
		calls    int
		want     int
	}{
		// A token valid for an hour serves every call.
		{"long-lived token is reused", time.Hour, 5, 1},
		// A token that expires within the 2-minute early-refresh window is replaced on every call.
		{"token inside the early-refresh window is replaced", 100 * time.Second, 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := orderstest.NewTB(t, orderstest.Config{TokenLifetime: tt.lifetime})
			creds, err := orders.ParseCredentials(fake.ServiceAccountJSON())
			if err != nil {
				t.Fatal(err)
			}
			reg := prometheus.NewRegistry()
			ts := orders.NewTokenSource(creds, orders.TokenConfig{Registerer: reg})
			for i := 0; i < tt.calls; i++ {
				tok, err := ts.Token()
				if err != nil {
					t.Fatalf("Token: %v", err)
				}
				if !strings.HasPrefix(tok.AccessToken, "fake-access-token-") {
					t.Fatalf("token %q", tok.AccessToken)
				}
			}
			if got := fake.TokenRequests(); got != tt.want {
				t.Errorf("token requests = %d, want %d", got, tt.want)
			}
			if got := (&env{tb: t, reg: reg}).metric("orders_token_refreshes_total"); got != float64(tt.want) {
				t.Errorf("orders_token_refreshes_total = %v, want %d", got, tt.want)
			}
		})
	}
}

func TestTokenSourceInvalidateRefreshesOnceForManyCallers(t *testing.T) {
	fake := orderstest.NewTB(t, orderstest.Config{})
	creds, err := orders.ParseCredentials(fake.ServiceAccountJSON())
	if err != nil {
		t.Fatal(err)
	}
	ts := orders.NewTokenSource(creds, orders.TokenConfig{})
	bad, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			ts.Invalidate(bad)
			if tok, err := ts.Token(); err != nil || tok.AccessToken == bad.AccessToken {
				t.Errorf("after Invalidate: %v, %v", tok, err)
			}
		})
	}
	wg.Wait()
	if got := fake.TokenRequests(); got != 2 {
		t.Errorf("token requests = %d, want 2 (the first and one refresh)", got)
	}
}

func TestTokenSourceRefusedGrant(t *testing.T) {
	fake := orderstest.NewTB(t, orderstest.Config{})
	other := orderstest.NewTB(t, orderstest.Config{})
	// A key signed by another fake's private key, pointing at this fake: the signature does not verify.
	var key map[string]any
	_ = json.Unmarshal(other.ServiceAccountJSON(), &key)
	key["token_uri"] = fake.TokenURL
	data, _ := json.Marshal(key)
	creds, err := orders.ParseCredentials(data)
	if err != nil {
		t.Fatal(err)
	}
	_, err = orders.NewTokenSource(creds, orders.TokenConfig{}).Token()
	if err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("err = %v, want the endpoint's invalid_grant", err)
	}
}

// FuzzParseCredentials: a key file of any content gives a credential or an error, never a panic, and an error
// never echoes a private key.
func FuzzParseCredentials(f *testing.F) {
	fake := orderstest.New(orderstest.Config{})
	defer fake.Close()
	f.Add(fake.ServiceAccountJSON())
	f.Add([]byte(`{"type":"service_account","client_email":"a@b","private_key":"-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n"}`))
	f.Add([]byte(`{"type":"authorized_user"}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"type":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := orders.ParseCredentials(data)
		if err == nil {
			if c.ClientEmail() == "" {
				t.Error("accepted credentials without a client e-mail")
			}
			return
		}
		if strings.Contains(err.Error(), "PRIVATE KEY-----\n") {
			t.Errorf("error echoes key material: %v", err)
		}
	})
}
