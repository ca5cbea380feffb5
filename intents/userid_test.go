package intents

import (
	"regexp"
	"testing"

	"github.com/reservations/reservations/fulfillment"
)

// TestMakeUserIDIsStablePerTurn: a first-time Assistant user's id is the same for a re-sent webhook call (same
// conversation and turn ids), different for another turn or conversation, and random without a turn id.
func TestMakeUserIDIsStablePerTurn(t *testing.T) {
	conv := func(conversation, response string) *fulfillment.Conv {
		t.Helper()
		body := `{"responseId":"` + response + `","session":"projects/p/agent/sessions/s","queryResult":{"queryText":"hi"},` +
			`"originalDetectIntentRequest":{"payload":{"user":{"locale":"en-US"},"conversation":{"conversationId":"` + conversation + `"}}}}`
		c, err := fulfillment.ParseDialogflow([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a := &adapter{}
	first := a.makeUserID(conv("c1", "r1"))
	if !regexp.MustCompile(`^u-[a-z2-7]{26}$`).MatchString(first) {
		t.Fatalf("id %q, want u- and 26 base32 letters", first)
	}
	if again := a.makeUserID(conv("c1", "r1")); again != first {
		t.Errorf("a re-sent call made %q, the first %q", again, first)
	}
	if other := a.makeUserID(conv("c1", "r2")); other == first {
		t.Error("another turn made the same id")
	}
	if other := a.makeUserID(conv("c2", "r1")); other == first {
		t.Error("another conversation made the same id")
	}
	if x, y := a.makeUserID(conv("c1", "")), a.makeUserID(conv("c1", "")); x == y {
		t.Errorf("without a turn id the ids should be random, got %q twice", x)
	}
	fixed := &adapter{newUserID: func() string { return "u-fixed" }}
	if got := fixed.makeUserID(conv("c1", "r1")); got != "u-fixed" {
		t.Errorf("Deps.NewUserID ignored: %q", got)
	}
}
