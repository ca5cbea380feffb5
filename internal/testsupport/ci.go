package testsupport

import (
	"os"
	"testing"
)

// UnderCI reports whether the tests run under CI (the environment variable CI is "true", as .ci/run and most
// CI services set it). There, a test that needs Redis, redis-server or a browser fails instead of skipping.
func UnderCI() bool {
	return os.Getenv("CI") == "true"
}

// Require stops tb unless ok: under CI it fails the test, elsewhere it skips it. what names the missing
// requirement, for the message ("redis-server on PATH", "Redis at redis://127.0.0.1:6379/0: connection
// refused").
func Require(tb testing.TB, ok bool, what string) {
	tb.Helper()
	if ok {
		return
	}
	SkipUnlessCI(tb, "needs "+what)
}

// SkipUnlessCI stops tb with reason: under CI the test fails, elsewhere it is skipped. Call it when something
// the test needs is missing.
func SkipUnlessCI(tb testing.TB, reason string) {
	tb.Helper()
	if UnderCI() {
		tb.Fatalf("%s (required when CI=true)", reason)
	}
	tb.Skip(reason)
}
