// Package phone reads telephone numbers as people type them ("(415) 555-0134", "+44 20 7946 0000") and writes
// them in E.164 ("+14155550134"), with the metadata of github.com/nyaruka/phonenumbers (a Go port of Google's
// libphonenumber). A number without an international prefix is read as a number of the region the caller names
// (the merchant's address region code), so that a host typing a local number and a guest abroad typing theirs
// with "+" both end up with the one form that bookings, duplicates and messages compare.
package phone

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// MaxLen is the longest input Normalize reads, in bytes; longer input is refused without parsing.
const MaxLen = 64

// ErrInvalid is in the chain of every error Normalize returns. The errors' messages are sentences for a person
// (staff, a guest) and never repeat the number.
var ErrInvalid = errors.New("invalid phone number")

// invalid returns an error wrapping ErrInvalid with a message.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrInvalid)
}

// Normalize returns raw in E.164 form. raw may carry spaces, dots, dashes, parentheses and an extension
// (dropped); without a leading "+" (or the region's international call prefix) it is read as a number of
// region, an ISO 3166-1 alpha-2 code such as "US" (case-insensitive; empty: only international numbers are
// understood). Empty or blank raw returns "" and no error: a phone number is optional wherever it is asked
// for. A number that cannot be read, or that is not a valid number (its length or its ranges are not those of
// any allocated number of its country), fails with an error wrapping [ErrInvalid].
func Normalize(raw, region string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", nil
	}
	if len(s) > MaxLen {
		return "", invalid("a phone number has at most %d characters", MaxLen)
	}
	region = strings.ToUpper(strings.TrimSpace(region))
	n, err := phonenumbers.Parse(s, region)
	if err != nil || n.GetCountryCode() == 0 {
		if !strings.HasPrefix(s, "+") && !knownRegion(region) {
			return "", invalid("not a phone number the service can read: write it with its country code, starting with +")
		}
		return "", invalid("not a phone number: use digits, with the country code (+…) for a number abroad")
	}
	if !phonenumbers.IsValidNumber(n) {
		if knownRegion(region) && !strings.HasPrefix(s, "+") {
			return "", invalid("not a valid phone number in %s: check the digits, or add the country code (+…) for a number abroad", region)
		}
		return "", invalid("not a valid phone number: check the digits and the country code")
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// knownRegion reports whether phonenumbers has metadata for the region code.
func knownRegion(region string) bool {
	return region != "" && phonenumbers.GetCountryCodeForRegion(region) != 0
}

// Valid reports whether s is already a number in the E.164 form Normalize writes: a "+", a country code, and
// a valid number of that country, nothing else.
func Valid(s string) bool {
	out, err := Normalize(s, "")
	return err == nil && out != "" && out == s
}
