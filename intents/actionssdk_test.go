package intents_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/memory"
	"github.com/reservations/reservations/fulfillment"
	"github.com/reservations/reservations/intents"
)

// The Actions SDK envelope reaches the same handlers: MAIN is the welcome, TEXT the fallback, and the cart
// travels in the conversation token.
func TestActionsSDKEnvelope(t *testing.T) {
	core, err := booking.NewService(booking.Config{Store: memory.New()})
	if err != nil {
		t.Fatal(err)
	}
	app := fulfillment.NewApp(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := intents.Register(app, intents.Deps{Core: core}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.ActionsSDK(nil))
	defer srv.Close()
	tests := []struct {
		intent, query, token string
		want                 []string
	}{
		{fulfillment.IntentMain, "talk to Sample Bistro", "", []string{"Welcome to Sample Bistro!", `"expectUserResponse":true`, `\"cart\":{}`}},
		{fulfillment.IntentText, "what's the weather", "", []string{"Sorry, I didn't get that. I can book a table"}},
		{fulfillment.IntentText, "uh", `{"data":{"cart":{"merchant":"sample-bistro","service":"dinner","party":2,"stage":"assembling"}}}`,
			[]string{`"textToSpeech":"Sorry, I didn't get that."`, `"textToSpeech":"Which day would you like? For example: tomorrow, or Friday."`}},
	}
	for _, tc := range tests {
		req := map[string]any{
			"user":         map[string]any{"locale": "en-US"},
			"conversation": map[string]any{"conversationId": "c1", "type": "ACTIVE", "conversationToken": tc.token},
			"inputs":       []any{map[string]any{"intent": tc.intent, "rawInputs": []any{map[string]any{"query": tc.query}}}},
			"surface":      map[string]any{"capabilities": []any{map[string]any{"name": fulfillment.CapabilityScreen}}},
		}
		body, _ := json.Marshal(req)
		res, err := http.Post(srv.URL, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d: %s", tc.intent, res.StatusCode, out)
		}
		for _, w := range tc.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("%s %q: response lacks %s:\n%s", tc.intent, tc.query, w, out)
			}
		}
	}
}
