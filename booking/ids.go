package booking

import (
	"crypto/rand"
	"strings"
)

// NewID returns a random id for a hold or a booking: 26 characters of lowercase base32 (128 bits from
// crypto/rand), URL-safe and usable as a Google merchantOrderId.
func NewID() string { return strings.ToLower(rand.Text()) }

// codeAlphabet has no 0/O or 1/I, so a code read aloud or copied by hand is unambiguous. 32 symbols: a random
// byte modulo 32 is unbiased.
const codeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// NewConfirmationCode returns a random 6-character confirmation code such as "K7QX2M".
func NewConfirmationCode() string {
	var b [6]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it crashes the program instead)
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b[:])
}
