package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/actionscenter"
	"github.com/reservations/reservations/booking/memory"
	"github.com/reservations/reservations/httpauth"
)

// bookingServer starts the Actions Center booking server over the sample inventory on loopback.
func bookingServer(t *testing.T) *httptest.Server {
	t.Helper()
	store := memory.New()
	core, err := booking.NewService(booking.Config{Store: store, Inventory: booking.SampleInventory()})
	if err != nil {
		t.Fatal(err)
	}
	srv := actionscenter.New(core, store, actionscenter.Options{
		Credentials: []httpauth.Credential{{User: "google", Password: "pw-1"}},
		Logger:      slog.New(slog.DiscardHandler),
	})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts
}

func credentialsFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "cred.txt")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckBookingServerFlags(t *testing.T) {
	cred := credentialsFile(t, "google:pw-1\n")
	base := []string{"--url", "http://127.0.0.1:1", "--credentials-file", cred, "--merchant", "m", "--service", "s"}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no url", []string{"--credentials-file", cred, "--merchant", "m", "--service", "s"}, "--url is required"},
		{"bad url", []string{"--url", "ftp://x", "--credentials-file", cred, "--merchant", "m", "--service", "s"}, "want an http:// or https:// URL"},
		{"no credentials", []string{"--url", "http://x", "--merchant", "m", "--service", "s"}, "--credentials-file is required"},
		{"unreadable credentials", []string{"--url", "http://x", "--credentials-file", cred + ".missing", "--merchant", "m", "--service", "s"}, "--credentials-file"},
		{"malformed credentials", []string{"--url", "http://x", "--credentials-file", credentialsFile(t, "nopassword"), "--merchant", "m", "--service", "s"}, "username:password"},
		{"no merchant", []string{"--url", "http://x", "--credentials-file", cred, "--service", "s"}, "--merchant is required"},
		{"no service", []string{"--url", "http://x", "--credentials-file", cred, "--merchant", "m"}, "--service is required"},
		{"zero slots", append(append([]string{}, base...), "--slots", "0"), "--slots 0"},
		{"bad party", append(append([]string{}, base...), "--party", "0"), "--party 0"},
		{"unknown flag", append(append([]string{}, base...), "--bogus"), "flag provided but not defined"},
		{"extra argument", append(append([]string{}, base...), "extra"), `unexpected argument "extra"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := runCheckBookingServer(context.Background(), tc.args, &out, &errOut); code != exitUsage {
				t.Fatalf("exit %d, want 2; stderr %s", code, errOut.String())
			}
			if !strings.Contains(errOut.String(), tc.want) {
				t.Errorf("stderr %q does not say %q", errOut.String(), tc.want)
			}
			if strings.Contains(errOut.String(), "pw-1") {
				t.Error("stderr shows the password")
			}
		})
	}
	var out, errOut bytes.Buffer
	if code := runCheckBookingServer(context.Background(), []string{"--help"}, &out, &errOut); code != exitOK || !strings.Contains(errOut.String(), "--credentials-file") {
		t.Errorf("--help: exit %d, %s", code, errOut.String())
	}
}

// TestCheckBookingServerBinary builds the binary and runs its check-booking-server subcommand against our own
// booking server on loopback: every check passes and the exit status is 0; with wrong credentials it is 1.
func TestCheckBookingServerBinary(t *testing.T) {
	bin := buildBinary(t)
	ts := bookingServer(t)
	run := func(cred string) (int, string) {
		cmd := exec.Command(bin, "check-booking-server", "--url", ts.URL, "--credentials-file", credentialsFile(t, cred),
			"--merchant", booking.SampleMerchantID, "--service", "dinner", "--slots", "3", "--party", "4")
		cmd.Env = cleanEnv()
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), string(out)
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	code, out := run("google:pw-1\n")
	if code != 0 || !strings.Contains(out, "13 checks: 13 passed, 0 failed. All checks pass!") || strings.Count(out, "PASS ") != 13 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, check := range []string{"health", "auth", "malformed", "availability", "create", "idempotent-replay", "list", "status", "reschedule", "cancel", "cancel-again"} {
		if !strings.Contains(out, "PASS "+check+" ") {
			t.Errorf("no PASS line for %s:\n%s", check, out)
		}
	}
	code, out = run("google:wrong\n")
	if code != 1 || !strings.Contains(out, "FAIL health") || !strings.Contains(out, "failed") {
		t.Errorf("with wrong credentials: exit %d, want 1:\n%s", code, out)
	}
}
