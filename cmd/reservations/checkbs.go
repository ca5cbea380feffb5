package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/reservations/reservations/booking/actionscenter/conformance"
)

// runCheckBookingServer implements `reservations check-booking-server`: the conformance client for any Actions
// Center booking server (v3 REST). It runs every check of package conformance (health, wrong credentials,
// malformed requests, availability, create, idempotent replay, list, status, reschedule, cancel, cancel again),
// prints one PASS/FAIL line per check and a summary line, and exits 1 when a check failed, 2 on bad flags.
//
//	reservations check-booking-server --url https://HOST/google --credentials-file cred.txt --merchant ID --service ID [--slots 10] [--party 2] [--user-id ID]
//
// The credentials file holds one line "username:password", as for Google's test utility. The bookings it makes
// (for a test user id) are cancelled before it exits.
func runCheckBookingServer(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newSubcommand("check-booking-server",
		"reservations check-booking-server --url URL --credentials-file FILE --merchant ID --service ID [--slots N] [--party N] [--user-id ID]",
		"Runs the Actions Center booking server conformance checks against URL and prints a PASS/FAIL line per check.", stderr)
	baseURL := fs.String("url", "", "the booking server URL as configured in the Partner Portal (methods are at URL/v3/...); required")
	credFile := fs.String("credentials-file", "", "file with one line username:password for HTTP basic auth; required")
	merchant := fs.String("merchant", "", "merchant id to book with; required")
	service := fs.String("service", "", "service id to book; required")
	slots := fs.Int("slots", conformance.DefaultSlots, "how many bookings to make")
	party := fs.Int("party", conformance.DefaultPartySize, "party size of every booking")
	userID := fs.String("user-id", "", "Actions Center user id to book for (default: a random conformance-… id)")
	duration := fs.Duration("duration", 0, "slot duration to ask for, e.g. 90m (default: learned from the server's first booking)")
	days := fs.Int("days", conformance.DefaultDays, "how many days from tomorrow to probe for bookable start times")
	timeout := fs.Duration("timeout", 10*time.Second, "timeout of each HTTP request")
	if code, done := fs.parse(args); done {
		return code
	}
	usage := fs.usage
	u, err := url.Parse(*baseURL)
	switch {
	case *baseURL == "":
		return usage("--url is required (the booking server URL, e.g. https://host/google)")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return usage("--url %q: want an http:// or https:// URL with a host", *baseURL)
	case *credFile == "":
		return usage("--credentials-file is required (one line username:password)")
	case *merchant == "":
		return usage("--merchant is required")
	case *service == "":
		return usage("--service is required")
	case *slots < 1 || *slots > 100:
		return usage("--slots %d: want 1 to 100", *slots)
	case *party < 1:
		return usage("--party %d: want at least 1", *party)
	case *duration < 0 || *duration%time.Second != 0:
		return usage("--duration %s: want a whole number of seconds, e.g. 90m", *duration)
	case *days < 1 || *days > 60:
		return usage("--days %d: want 1 to 60", *days)
	case *timeout <= 0:
		return usage("--timeout %s: want a positive duration", *timeout)
	}
	user, password, err := conformance.ReadCredentialsFile(*credFile)
	if err != nil {
		return usage("--credentials-file %s: %v", *credFile, err)
	}
	rep := conformance.Run(ctx, conformance.Config{
		BaseURL: *baseURL, Username: user, Password: password,
		MerchantID: *merchant, ServiceID: *service,
		Slots: *slots, PartySize: *party, UserID: *userID, Duration: *duration, Days: *days,
		Client: &http.Client{Timeout: *timeout},
	})
	if err := rep.Write(stdout); err != nil {
		fmt.Fprintf(stderr, "check-booking-server: %v\n", err)
		return exitFailure
	}
	if !rep.OK() {
		return exitFailure
	}
	return exitOK
}
