package intents_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/memory"
	"github.com/reservations/reservations/fulfillment"
	"github.com/reservations/reservations/intents"
)

// actionsSDKServer serves the conversation over core on the Actions SDK envelope, on a loopback listener.
func actionsSDKServer(t *testing.T, core *booking.Core) *httptest.Server {
	t.Helper()
	app := fulfillment.NewApp(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := intents.Register(app, intents.Deps{Core: core}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.ActionsSDK(nil))
	t.Cleanup(srv.Close)
	return srv
}

// The Actions SDK envelope reaches the same handlers: MAIN is the welcome, TEXT the fallback, and the cart
// travels in the conversation token.
func TestActionsSDKEnvelope(t *testing.T) {
	core, err := booking.NewService(booking.Config{Store: memory.New()})
	if err != nil {
		t.Fatal(err)
	}
	srv := actionsSDKServer(t, core)
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

// asdk plays a conversation over the Actions SDK handler, carrying the conversation token and user storage from
// each answer to the next request, as the Assistant does.
type asdk struct {
	t       *testing.T
	url     string
	conv    string
	token   string
	storage string
	order   json.RawMessage // the order of the last TRANSACTION_DECISION
}

// turn posts one AppRequest and returns the answer's JSON text.
func (a *asdk) turn(intent, query string, args ...map[string]any) string {
	a.t.Helper()
	in := map[string]any{"intent": intent, "rawInputs": []any{map[string]any{"inputType": "KEYBOARD", "query": query}}}
	if len(args) > 0 {
		in["arguments"] = args
	}
	req := map[string]any{
		"user":         map[string]any{"locale": "en-US", "userStorage": a.storage, "userVerificationStatus": "VERIFIED"},
		"conversation": map[string]any{"conversationId": a.conv, "type": "ACTIVE", "conversationToken": a.token},
		"inputs":       []any{in},
		"surface":      map[string]any{"capabilities": []any{map[string]any{"name": fulfillment.CapabilityScreen}, map[string]any{"name": fulfillment.CapabilityAudio}}},
		"isInSandbox":  true,
	}
	body, _ := json.Marshal(req)
	res, err := http.Post(a.url, "application/json", bytes.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	out, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		a.t.Fatalf("%s %q: status %d: %s", intent, query, res.StatusCode, out)
	}
	var r struct {
		ConversationToken string `json:"conversationToken"`
		UserStorage       string `json:"userStorage"`
		ExpectedInputs    []struct {
			PossibleIntents []struct {
				Intent         string `json:"intent"`
				InputValueData struct {
					Order json.RawMessage `json:"order"`
				} `json:"inputValueData"`
			} `json:"possibleIntents"`
		} `json:"expectedInputs"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		a.t.Fatalf("answer is not JSON: %s", out)
	}
	if r.ConversationToken != "" {
		a.token = r.ConversationToken
	}
	if r.UserStorage != "" {
		a.storage = r.UserStorage
	}
	for _, e := range r.ExpectedInputs {
		for _, p := range e.PossibleIntents {
			if p.Intent == fulfillment.IntentTransactionDecision {
				a.order = p.InputValueData.Order
			}
		}
	}
	return string(out)
}

// TestActionsSDKConversation books, lists and cancels over the Actions SDK envelope, where no Dialogflow reads
// the words: typed requests arrive as actions.intent.TEXT and the conversation reads them itself.
func TestActionsSDKConversation(t *testing.T) {
	now, _ := time.Parse(time.RFC3339, "2026-11-22T10:00:00-08:00")
	var n int
	core, err := booking.NewService(booking.Config{Store: memory.New(), Now: func() time.Time { return now },
		NewID: func() string { n++; return fmt.Sprintf("rsv-%04d", n) }})
	if err != nil {
		t.Fatal(err)
	}
	srv := actionsSDKServer(t, core)
	a := &asdk{t: t, url: srv.URL, conv: "asdk-1"}
	steps := []struct {
		intent, query string
		args          []map[string]any
		want          []string
	}{
		{fulfillment.IntentMain, "talk to sample bistro", nil, []string{"Welcome to Sample Bistro!"}},
		{fulfillment.IntentText, "book a table for 4 tomorrow at 7 pm", nil, []string{`"intent":"actions.intent.TRANSACTION_REQUIREMENTS_CHECK"`}},
		{fulfillment.IntentTransactionRequirementsCheck, "", []map[string]any{{"name": fulfillment.ArgRequirementsCheckResult, "extension": map[string]any{
			"@type": "type.googleapis.com/google.transactions.v3.TransactionRequirementsCheckResult", "resultType": "CAN_TRANSACT"}}},
			[]string{"Here's a table for 4 at Sample Bistro on Monday, November 23 at 7 PM.", `"intent":"actions.intent.TRANSACTION_DECISION"`, `"partySize":4`}},
	}
	for _, s := range steps {
		out := a.turn(s.intent, s.query, s.args...)
		for _, w := range s.want {
			if !strings.Contains(out, w) {
				t.Fatalf("%s %q: answer lacks %s:\n%s", s.intent, s.query, w, out)
			}
		}
	}
	var order map[string]any
	if err := json.Unmarshal(a.order, &order); err != nil {
		t.Fatalf("no proposed order: %v", err)
	}
	order["googleOrderId"] = "G-1"
	order["buyerInfo"] = map[string]any{"displayName": "Jane Doe", "email": "jane@example.com"}
	out := a.turn(fulfillment.IntentTransactionDecision, "", map[string]any{"name": fulfillment.ArgTransactionDecisionValue,
		"extension": map[string]any{"@type": "type.googleapis.com/google.actions.transactions.v3.TransactionDecisionValue",
			"transactionDecision": "ORDER_ACCEPTED", "order": order}})
	for _, w := range []string{"You're all set: a table for 4 at Sample Bistro on Monday, November 23 at 7 PM.", `"orderUpdateV3"`, `"status":"CONFIRMED"`, `"expectUserResponse":false`} {
		if !strings.Contains(out, w) {
			t.Fatalf("receipt lacks %s:\n%s", w, out)
		}
	}

	// A new conversation of the same user (user storage kept): list, cancel, yes; and "no, thanks" says goodbye.
	a.conv, a.token = "asdk-2", ""
	for _, s := range []struct{ query, want string }{
		{"what are my reservations", "You have one upcoming reservation: a table for 4 at Sample Bistro on Monday, November 23 at 7 PM."},
		{"cancel my reservation", "Cancel a table for 4 on Monday, November 23 at 7 PM?"},
		{"yes", "I've cancelled a table for 4 on Monday, November 23 at 7 PM."},
	} {
		if out := a.turn(fulfillment.IntentText, s.query); !strings.Contains(out, s.want) {
			t.Fatalf("%q: answer lacks %q:\n%s", s.query, s.want, out)
		}
	}
	b, err := core.Booking(context.Background(), "rsv-0001")
	if err != nil || b.Status != booking.StatusCancelled {
		t.Fatalf("booking after the cancellation: %+v, %v", b, err)
	}
	a.conv, a.token = "asdk-3", ""
	for _, s := range []struct{ query, want string }{
		{"book a table", `"intent":"actions.intent.TRANSACTION_REQUIREMENTS_CHECK"`},
		{"no thanks, what are my reservations", "You have no upcoming reservations. Would you like to book a table?"},
		{"no, thanks", "Alright, goodbye!"},
	} {
		if out := a.turn(fulfillment.IntentText, s.query); !strings.Contains(out, s.want) {
			t.Fatalf("%q: answer lacks %q:\n%s", s.query, s.want, out)
		}
	}
}
