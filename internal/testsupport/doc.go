// Package testsupport holds the small helpers the module's tests share: a fake clock ([Clock]), a log buffer
// that concurrent goroutines may write to ([LogBuffer]), the "required under CI, skipped elsewhere" check
// ([Require], [SkipUnlessCI]) and the lookup of a Chromium binary for browser tests ([FindChromium]).
//
// Only tests and the store conformance suite (booking/storetest) import it.
package testsupport
