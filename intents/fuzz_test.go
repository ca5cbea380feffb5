package intents_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime/pprof"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/memory"
	"github.com/reservations/reservations/fulfillment"
	"github.com/reservations/reservations/intents"
)

// FuzzConversationTurn sends one webhook turn with an arbitrary intent, query, parameters, option key and
// conversation data (the cart a client sends back) to the conversation over the memory store, on a phone or
// the console. Every turn must be answered with HTTP 200 and a valid answer, and no handler may panic (the app
// would recover and apologize; its log says so).
func FuzzConversationTurn(f *testing.F) {
	gin.SetMode(gin.TestMode)
	start, _ := time.Parse(time.RFC3339, "2026-11-22T10:00:00-08:00")
	var logs panicWatch
	core, err := booking.NewService(booking.Config{Store: memory.New(), Inventory: booking.SampleInventory(),
		Now: func() time.Time { return start }})
	if err != nil {
		f.Fatal(err)
	}
	ctx := f.Context()
	if _, err := core.CreateBooking(ctx, booking.CreateRequest{MerchantID: booking.SampleMerchantID,
		Start: start.Add(33 * time.Hour), PartySize: 2, Customer: booking.Customer{Name: "Walk-in"},
		Source: booking.SourceAdmin}); err != nil {
		f.Fatal(err)
	}
	app := fulfillment.NewApp(slog.New(slog.NewJSONHandler(&logs, nil)))
	if err := intents.Register(app, intents.Deps{Core: core, Logger: slog.New(slog.NewJSONHandler(&logs, nil))}); err != nil {
		f.Fatal(err)
	}
	h := mount(f, app)

	names := []string{intents.IntentWelcome, intents.IntentStart, intents.IntentDetails, intents.IntentSelectSlot,
		intents.IntentContact, intents.IntentConfirm, intents.IntentRequirementsCheck, intents.IntentDecision,
		intents.IntentList, intents.IntentCancel, intents.IntentFallback}
	f.Add(uint8(1), "book a table", `{"date":"2026-11-23T12:00:00-08:00","party_size":2,"time":"2026-11-22T19:00:00-08:00"}`, "", `{}`, true)
	f.Add(uint8(3), "", `{}`, "slot:2026-11-24T03:00:00Z", `{"stage":"choose_slot","slots":["2026-11-24T03:00:00Z"],"party":2}`, true)
	f.Add(uint8(5), "yes", `{}`, "", `{"stage":"confirm","hold":"nope","party":2,"date":"2026-11-23","time":"19:00","name":"A","phone":"1"}`, false)
	f.Add(uint8(7), "", `{}`, "", `{"stage":"proposed","hold":"rsv-x","party":-1,"date":"2026-13-45","time":"25:99"}`, true)
	f.Add(uint8(9), "cancel", `{"date":"tomorrow","time":7}`, "booking:x", `{"stage":"cancel_choose","choices":["a",""]}`, true)
	f.Add(uint8(2), "6", `{"party_size":1e300,"date":null,"time":[]}`, "", `{"attempt":-9,"service":"\u0000"}`, false)
	f.Add(uint8(4), "Sam", `{"name":{"name":["x"]},"phone":{}}`, "", `not json`, false)
	f.Fuzz(func(t *testing.T, which uint8, query, params, option, cart string, phone bool) {
		var p map[string]any
		if json.Unmarshal([]byte(params), &p) != nil {
			p = map[string]any{}
		}
		data, _ := json.Marshal(map[string]json.RawMessage{"cart": rawOrString(cart)})
		intent := names[int(which)%len(names)]
		session := sessionPrefix + "fuzz"
		req := map[string]any{
			"responseId": "fuzz-1",
			"session":    session,
			"queryResult": map[string]any{
				"queryText": query, "parameters": p, "languageCode": "en",
				"intent": map[string]any{"displayName": intent},
				"outputContexts": []map[string]any{{"name": session + "/contexts/_actions_on_google", "lifespanCount": 99,
					"parameters": map[string]any{"data": string(data)}}},
			},
		}
		if phone {
			input := map[string]any{"intent": fulfillment.IntentText, "rawInputs": []map[string]any{{"inputType": "VOICE", "query": query}}}
			if option != "" {
				input["intent"] = fulfillment.IntentOption
				input["arguments"] = []map[string]any{{"name": fulfillment.ArgOption, "textValue": option}}
			}
			req["originalDetectIntentRequest"] = map[string]any{"source": "google", "version": "2", "payload": map[string]any{
				"surface":      map[string]any{"capabilities": []map[string]string{{"name": fulfillment.CapabilityScreen}, {"name": fulfillment.CapabilityAudio}}},
				"inputs":       []any{input},
				"user":         map[string]any{"locale": "en-US", "userStorage": `{"data":{"uid":"u-fuzz"}}`},
				"conversation": map[string]any{"conversationId": "fuzz", "type": "ACTIVE"},
			}}
		}
		body, err := json.Marshal(req)
		if err != nil {
			t.Skip() // invalid UTF-8 the encoder cannot carry
		}
		r := httptest.NewRequest(http.MethodPost, webhookPath, bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.SetBasicAuth(webhookUser, webhookPass)
		w := httptest.NewRecorder()
		done := make(chan struct{})
		go func() { defer close(done); h.ServeHTTP(w, r) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			var stacks bytes.Buffer
			_ = pprof.Lookup("goroutine").WriteTo(&stacks, 2)
			t.Fatalf("no answer within 5 s to %s\n%s", body, stacks.String())
		}
		out, _ := io.ReadAll(w.Body)
		if w.Code != http.StatusOK || !json.Valid(out) {
			t.Fatalf("status %d, answer %.300s\nrequest %s", w.Code, out, body)
		}
		if l := logs.last.Load(); l != nil {
			t.Fatalf("a handler panicked on %s:\n%s", body, *l)
		}
	})
}

// panicWatch is a log destination that keeps only the last line reporting a handler panic (a fuzz run logs
// too much to keep).
type panicWatch struct{ last atomic.Pointer[string] }

func (w *panicWatch) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("panicked")) {
		line := string(p)
		w.last.Store(&line)
	}
	return len(p), nil
}

// rawOrString returns s as raw JSON when it is JSON, else as a JSON string.
func rawOrString(s string) json.RawMessage {
	if json.Valid([]byte(s)) {
		return json.RawMessage(s)
	}
	b, _ := json.Marshal(s)
	return b
}
