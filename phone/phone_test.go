package phone_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/reservations/reservations/phone"
)

func TestNormalize(t *testing.T) {
	cases := []struct {
		raw, region, want string
		wantErr           string // a part of the message; "" for success
	}{
		{"(415) 555-0134", "US", "+14155550134", ""},
		{"415.555.0134", "us", "+14155550134", ""},
		{"+1 415-555-0134", "US", "+14155550134", ""},
		{"+1 415-555-0134", "GB", "+14155550134", ""},
		{"+44 20 7946 0000", "US", "+442079460000", ""},
		{"020 7946 0000", "GB", "+442079460000", ""},
		{"01 42 68 53 00", "FR", "+33142685300", ""},
		{"(415) 555-2671 ext. 3", "US", "+14155552671", ""},
		{"  ", "US", "", ""},
		{"", "", "", ""},
		{"+14155550134", "", "+14155550134", ""},
		{"415 555 0134", "", "", "country code"},
		{"020 7946 0000", "US", "", "not a valid phone number in US"},
		{"555 0100", "US", "", "not a valid phone number in US"},
		{"+1 555 0100", "US", "", "check the digits and the country code"},
		{"call me", "US", "", "not a phone number"},
		{"1", "US", "", "not a phone number"},
		{strings.Repeat("1", 65), "US", "", "at most 64"},
	}
	for _, tc := range cases {
		t.Run(tc.raw+"/"+tc.region, func(t *testing.T) {
			got, err := phone.Normalize(tc.raw, tc.region)
			if tc.wantErr == "" {
				if err != nil || got != tc.want {
					t.Fatalf("Normalize(%q, %q) = %q, %v; want %q", tc.raw, tc.region, got, err, tc.want)
				}
				return
			}
			if err == nil || !errors.Is(err, phone.ErrInvalid) || !strings.Contains(err.Error(), tc.wantErr) || got != "" {
				t.Fatalf("Normalize(%q, %q) = %q, %v; want an error with %q", tc.raw, tc.region, got, err, tc.wantErr)
			}
			if digits := strings.Trim(tc.raw, " +()"); len(digits) > 3 && strings.Contains(err.Error(), digits) {
				t.Fatalf("the message repeats the number: %v", err)
			}
		})
	}
}

func TestValid(t *testing.T) {
	for s, want := range map[string]bool{"+14155550134": true, "+1 415 555 0134": false, "4155550134": false, "": false, "+15550100": false} {
		if got := phone.Valid(s); got != want {
			t.Errorf("Valid(%q) = %v, want %v", s, got, want)
		}
	}
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

// FuzzNormalize: any input either fails with ErrInvalid and an empty result, or gives an E.164 number that
// normalises to itself in any region.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"(415) 555-0134", "+44 20 7946 0000", "020 7946 0000", "call me", "+1 555 0100", "", "+", "00442079460000", "011 44 20 7946 0000", "tel:+1-415-555-0134", "+1 415 555 0134 ext 99"} {
		f.Add(s, "US")
	}
	f.Add("01 42 68 53 00", "FR")
	f.Add("0312345678", "JP")
	f.Fuzz(func(t *testing.T, raw, region string) {
		out, err := phone.Normalize(raw, region)
		if err != nil {
			if out != "" || !errors.Is(err, phone.ErrInvalid) {
				t.Fatalf("Normalize(%q, %q) = %q, %v", raw, region, out, err)
			}
			return
		}
		if out == "" {
			if strings.TrimSpace(raw) != "" {
				t.Fatalf("Normalize(%q, %q) = empty without an error", raw, region)
			}
			return
		}
		if !e164.MatchString(out) {
			t.Fatalf("Normalize(%q, %q) = %q, not E.164", raw, region, out)
		}
		for _, r := range []string{"", region, "US"} {
			if again, err := phone.Normalize(out, r); err != nil || again != out {
				t.Fatalf("Normalize(%q, %q) = %q, %v; not stable", out, r, again, err)
			}
		}
	})
}
