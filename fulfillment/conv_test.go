package fulfillment

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/reservations/reservations/orders/orderv3"
)

const session = "projects/p/agent/sessions/s1"

var assistantSurface = &Surface{Capabilities: []Capability{{Name: CapabilityScreen}, {Name: CapabilityAudio}}}

// dialogflowTurn builds a Dialogflow request body for intent with the given incoming contexts and user storage.
func dialogflowTurn(t testing.TB, intent string, contexts []Context, userStorage string, args ...Argument) []byte {
	t.Helper()
	req := WebhookRequest{
		ResponseID: "r", Session: session,
		QueryResult: &QueryResult{QueryText: "hi", LanguageCode: "en", Intent: &Intent{DisplayName: intent}, OutputContexts: contexts},
		OriginalDetectIntentRequest: &OriginalDetectIntentRequest{Source: "google", Version: "2", Payload: &AppRequest{
			User:         &User{UserStorage: userStorage, Locale: "en-US"},
			Surface:      assistantSurface,
			Conversation: &Conversation{ConversationID: "conv-1"},
			Inputs:       []Input{{Intent: IntentText, Arguments: args}},
			IsInSandbox:  true,
		}},
	}
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func actionsSDKTurn(t testing.TB, intent, token, userStorage string, args ...Argument) []byte {
	t.Helper()
	b, err := json.Marshal(AppRequest{
		User:         &User{UserStorage: userStorage, Locale: "en-GB"},
		Surface:      assistantSurface,
		Conversation: &Conversation{ConversationID: "conv-2", ConversationToken: token},
		Inputs:       []Input{{Intent: intent, RawInputs: []RawInput{{InputType: "VOICE", Query: "book a table"}}, Arguments: args}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type cart struct {
	Party int    `json:"party"`
	Date  string `json:"date,omitempty"`
}

// TestStateAcrossTurnsDialogflow: turn 1 writes conversation data and user storage, turn 2's request carries
// them back (and changes the data), turn 3 changes nothing and nothing is rewritten.
func TestStateAcrossTurnsDialogflow(t *testing.T) {
	// Turn 1.
	c := parse(t, EnvelopeDialogflow, dialogflowTurn(t, "reservation.start", nil, ""))
	if c.Data().Len() != 0 || c.UserStorage().Len() != 0 {
		t.Fatal("fresh conversation has state")
	}
	if err := c.Data().Set("cart", cart{Party: 4}); err != nil {
		t.Fatal(err)
	}
	if err := c.UserStorage().Set("userId", "anon-1"); err != nil {
		t.Fatal(err)
	}
	c.Ask("For when?")
	r1 := respond(t, c)
	wantCtx := []any{map[string]any{
		"name":          session + "/contexts/_actions_on_google",
		"lifespanCount": float64(99),
		"parameters":    map[string]any{"data": `{"cart":{"party":4}}`},
	}}
	assertJSON(t, wantCtx, r1["outputContexts"])
	assertJSON(t, `{"data":{"userId":"anon-1"}}`, dig(t, r1, "payload", "google", "userStorage"))

	// Turn 2: Dialogflow sends the context back with a decremented lifespan, the Assistant the user storage.
	dataStr := dig(t, r1, "outputContexts", 0, "parameters", "data").(string)
	storage := dig(t, r1, "payload", "google", "userStorage").(string)
	incoming := []Context{
		{Name: session + "/contexts/_actions_on_google", LifespanCount: 98, Parameters: map[string]any{"data": dataStr}},
		{Name: session + "/contexts/actions_capability_screen_output"},
	}
	c = parse(t, EnvelopeDialogflow, dialogflowTurn(t, "reservation.details", incoming, storage))
	var got cart
	if ok, err := c.Data().Get("cart", &got); !ok || err != nil || got != (cart{Party: 4}) {
		t.Fatalf("turn 2 cart = %+v, %v, %v", got, ok, err)
	}
	if id := c.UserStorage().String("userId"); id != "anon-1" {
		t.Fatalf("turn 2 userId = %q", id)
	}
	if ctx, ok := c.Context("_actions_on_google"); !ok || ctx.LifespanCount != 98 {
		t.Errorf("Context() = %+v, %v", ctx, ok)
	}
	if err := c.UserStorage().Set("userId", "anon-1"); err != nil { // same value: no change
		t.Fatal(err)
	}
	if err := c.Data().Set("cart", cart{Party: 4, Date: "2026-05-02"}); err != nil {
		t.Fatal(err)
	}
	c.Ask("What time?")
	r2 := respond(t, c)
	assertJSON(t, `{"cart":{"party":4,"date":"2026-05-02"}}`, dig(t, r2, "outputContexts", 0, "parameters", "data"))
	if _, ok := dig(t, r2, "payload", "google").(map[string]any)["userStorage"]; ok {
		t.Error("turn 2 rewrote unchanged user storage")
	}

	// Turn 3: nothing changes; neither the context nor the user storage is written.
	incoming[0].Parameters["data"] = dig(t, r2, "outputContexts", 0, "parameters", "data")
	incoming[0].LifespanCount = 97
	c = parse(t, EnvelopeDialogflow, dialogflowTurn(t, "reservation.details", incoming, storage))
	if ok, _ := c.Data().Get("cart", &got); !ok || got.Date != "2026-05-02" {
		t.Fatalf("turn 3 cart = %+v", got)
	}
	_ = c.Data().Set("cart", got) // rewriting the same value is no change
	c.Ask("Seven it is.")
	r3 := respond(t, c)
	if _, ok := r3["outputContexts"]; ok {
		t.Errorf("turn 3 rewrote unchanged conversation data: %v", r3["outputContexts"])
	}
	if _, ok := dig(t, r3, "payload", "google").(map[string]any)["userStorage"]; ok {
		t.Error("turn 3 rewrote unchanged user storage")
	}
}

func TestStateAcrossTurnsActionsSDK(t *testing.T) {
	c := parse(t, EnvelopeActionsSDK, actionsSDKTurn(t, IntentMain, "", ""))
	_ = c.Data().Set("cart", cart{Party: 2})
	_ = c.UserStorage().Set("userId", "anon-2")
	c.Ask("For when?")
	r1 := respond(t, c)
	assertJSON(t, `{"data":{"cart":{"party":2}}}`, r1["conversationToken"])
	assertJSON(t, `{"data":{"userId":"anon-2"}}`, r1["userStorage"])

	token, storage := r1["conversationToken"].(string), r1["userStorage"].(string)
	c = parse(t, EnvelopeActionsSDK, actionsSDKTurn(t, IntentText, token, storage))
	var got cart
	if ok, err := c.Data().Get("cart", &got); !ok || err != nil || got.Party != 2 || c.UserStorage().String("userId") != "anon-2" {
		t.Fatalf("turn 2 state: %+v %v %v", got, ok, err)
	}
	c.Data().Delete("cart")
	c.Ask("Start over.")
	r2 := respond(t, c)
	assertJSON(t, `{"data":{}}`, r2["conversationToken"])
	if _, ok := r2["userStorage"]; ok {
		t.Error("turn 2 rewrote unchanged user storage")
	}

	c = parse(t, EnvelopeActionsSDK, actionsSDKTurn(t, IntentText, r2["conversationToken"].(string), storage))
	c.Ask("Anything else?")
	r3 := respond(t, c)
	for _, k := range []string{"conversationToken", "userStorage"} {
		if _, ok := r3[k]; ok {
			t.Errorf("turn 3 rewrote unchanged %s", k)
		}
	}
}

func TestCorruptStateStartsEmpty(t *testing.T) {
	bad := []Context{{Name: session + "/contexts/_actions_on_google", Parameters: map[string]any{"data": "not json"}}}
	c := parse(t, EnvelopeDialogflow, dialogflowTurn(t, "x", bad, `{"data":[1,2]}`))
	if c.Data().Len() != 0 || c.UserStorage().Len() != 0 || len(c.warnings) != 2 {
		t.Errorf("data %d, storage %d, warnings %q", c.Data().Len(), c.UserStorage().Len(), c.warnings)
	}
	c = parse(t, EnvelopeDialogflow, dialogflowTurn(t, "x", []Context{{Name: "_actions_on_google", Parameters: map[string]any{"data": 5.0}}}, ""))
	if len(c.warnings) != 1 {
		t.Errorf("warnings %q", c.warnings)
	}
	c = parse(t, EnvelopeActionsSDK, actionsSDKTurn(t, IntentText, "{oops", ""))
	if len(c.warnings) != 1 || c.Data().Len() != 0 {
		t.Errorf("warnings %q", c.warnings)
	}
}

func TestUserStorageLimit(t *testing.T) {
	c := parse(t, EnvelopeDialogflow, dialogflowTurn(t, "x", nil, ""))
	s := c.UserStorage()
	// {"data":{"k":"…"}} is 17 bytes plus the value.
	if err := s.Set("k", strings.Repeat("a", MaxUserStorageBytes-17)); err != nil {
		t.Fatalf("exactly 10000 bytes refused: %v", err)
	}
	err := s.Set("k", strings.Repeat("a", MaxUserStorageBytes-16))
	if !errors.Is(err, ErrUserStorageTooLarge) {
		t.Fatalf("10001 bytes: err = %v", err)
	}
	if len(s.String("k")) != MaxUserStorageBytes-17 {
		t.Error("a refused Set changed the stored value")
	}
	if err := s.Set("other", "x"); !errors.Is(err, ErrUserStorageTooLarge) || s.Has("other") {
		t.Errorf("new key over the limit: err %v, stored %v", err, s.Has("other"))
	}
	// Conversation data has no such limit (the 64 KiB response limit applies).
	if err := c.Data().Set("k", strings.Repeat("a", 20_000)); err != nil {
		t.Errorf("conversation data: %v", err)
	}
	if err := s.Set("bad", func() {}); err == nil {
		t.Error("unencodable value stored")
	}
}

func TestStorageAPI(t *testing.T) {
	s := newStorage(nil, 0)
	_ = s.Set("b", 2)
	_ = s.Set("a", map[string]any{"x": true})
	if got := s.Keys(); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("Keys() = %v", got)
	}
	assertJSON(t, map[string]any{"a": map[string]any{"x": true}, "b": float64(2)}, any(s.Map()))
	if raw, ok := s.Raw("b"); !ok || string(raw) != "2" {
		t.Errorf("Raw = %s %v", raw, ok)
	}
	var wrong string
	if ok, err := s.Get("b", &wrong); !ok || err == nil {
		t.Errorf("Get into the wrong type: %v %v", ok, err)
	}
	if ok, err := s.Get("missing", &wrong); ok || err != nil {
		t.Errorf("Get missing: %v %v", ok, err)
	}
	if !s.Changed() {
		t.Error("not Changed after Set")
	}
	s.Clear()
	if s.Len() != 0 || s.Changed() {
		t.Errorf("after Clear: len %d changed %v", s.Len(), s.Changed())
	}
}

// TestConsole: a Dialogflow console turn has an empty payload: no transactions, and the text mirrors carry
// the answer.
func TestConsole(t *testing.T) {
	c := parse(t, EnvelopeDialogflow, readFile(t, "testdata/console.dialogflow.json"))
	if c.CanTransact() || c.HasScreen() || c.Sandbox() || c.UserID() != "" || c.RawIntent() != "" {
		t.Errorf("console: transact %v screen %v sandbox %v", c.CanTransact(), c.HasScreen(), c.Sandbox())
	}
	if c.Intent() != "reservation.start" || c.Action() != "reservation.start" || c.Locale() != "en" ||
		c.ConversationID() != "console-1" || c.QueryText() != "book a table for four tomorrow at seven" {
		t.Errorf("intent %q action %q locale %q conv %q", c.Intent(), c.Action(), c.Locale(), c.ConversationID())
	}
	c.Ask("Booked: a table for 4.")
	r := respond(t, c)
	assertJSON(t, map[string]any{
		"fulfillmentText":     "Booked: a table for 4.",
		"fulfillmentMessages": []any{map[string]any{"text": map[string]any{"text": []any{"Booked: a table for 4."}}}},
		"payload": map[string]any{"google": map[string]any{
			"expectUserResponse": true,
			"richResponse":       map[string]any{"items": []any{map[string]any{"simpleResponse": map[string]any{"textToSpeech": "Booked: a table for 4."}}}},
		}},
	}, any(r))

	// No payload at all behaves the same.
	c = parse(t, EnvelopeDialogflow, []byte(`{"responseId":"x","session":"s","queryResult":{"queryText":"hi"}}`))
	if c.CanTransact() || c.ConversationID() != "s" {
		t.Errorf("no payload: transact %v conv %q", c.CanTransact(), c.ConversationID())
	}
	// A payload without a surface cannot transact either.
	c = parse(t, EnvelopeDialogflow, []byte(`{"queryResult":{},"originalDetectIntentRequest":{"payload":{"user":{"locale":"fr-FR"}}}}`))
	if c.CanTransact() || c.Locale() != "fr-FR" {
		t.Errorf("no surface: transact %v locale %q", c.CanTransact(), c.Locale())
	}
}

func TestParams(t *testing.T) {
	body := []byte(`{"queryResult":{"parameters":{"party_size":4,"party_str":"6","half":4.5,"empty":"",
		"date":"2026-05-02T12:00:00-07:00","person":{"name":"Jane"},"big":1e12,"nan":"NaN","null":null}}}`)
	c := parse(t, EnvelopeDialogflow, body)
	tests := []struct {
		name    string
		wantStr string
		strOK   bool
		wantNum float64
		numOK   bool
		wantInt int
		intOK   bool
	}{
		{"party_size", "", false, 4, true, 4, true},
		{"party_str", "6", true, 6, true, 6, true},
		{"half", "", false, 4.5, true, 0, false},
		{"empty", "", false, 0, false, 0, false},
		{"date", "2026-05-02T12:00:00-07:00", true, 0, false, 0, false},
		{"person", "", false, 0, false, 0, false},
		{"big", "", false, 1e12, true, 0, false},
		{"nan", "NaN", true, 0, false, 0, false},
		{"null", "", false, 0, false, 0, false},
		{"missing", "", false, 0, false, 0, false},
	}
	for _, tt := range tests {
		if s, ok := c.ParamString(tt.name); s != tt.wantStr || ok != tt.strOK {
			t.Errorf("ParamString(%s) = %q, %v", tt.name, s, ok)
		}
		if n, ok := c.ParamNumber(tt.name); n != tt.wantNum || ok != tt.numOK {
			t.Errorf("ParamNumber(%s) = %v, %v", tt.name, n, ok)
		}
		if n, ok := c.ParamInt(tt.name); n != tt.wantInt || ok != tt.intOK {
			t.Errorf("ParamInt(%s) = %v, %v", tt.name, n, ok)
		}
	}
	if v, ok := c.Param("person"); !ok || v.(map[string]any)["name"] != "Jane" {
		t.Errorf("Param(person) = %v", v)
	}
	sdk := parse(t, EnvelopeActionsSDK, actionsSDKTurn(t, IntentText, "", ""))
	if _, ok := sdk.Param("party_size"); ok || sdk.Action() != "" || sdk.QueryText() != "book a table" || sdk.Locale() != "en-GB" {
		t.Errorf("actions sdk: action %q query %q locale %q", sdk.Action(), sdk.QueryText(), sdk.Locale())
	}
	if _, ok := sdk.Context("x"); ok {
		t.Error("actions sdk has contexts")
	}
}

func TestAcceptedDecision(t *testing.T) {
	for _, tt := range []struct {
		file string
		env  Envelope
	}{
		{"testdata/decision_accepted.dialogflow.json", EnvelopeDialogflow},
		{"testdata/decision_accepted.actionssdk.json", EnvelopeActionsSDK},
	} {
		t.Run(tt.env.String(), func(t *testing.T) {
			c := parse(t, tt.env, readFile(t, tt.file))
			if c.Intent() != NameDecision || c.RawIntent() != IntentTransactionDecision {
				t.Errorf("intent %q raw %q", c.Intent(), c.RawIntent())
			}
			d, ok := c.TransactionDecision()
			if !ok || d.Decision != OrderAccepted || d.Order == nil {
				t.Fatalf("decision = %+v, %v", d, ok)
			}
			if d.Name != "Jane Doe" || d.Email != "janedoe@gmail.com" {
				t.Errorf("buyer = %q <%s>", d.Name, d.Email)
			}
			o := d.Order
			if o.GoogleOrderID != "1234567890123456789" || o.MerchantOrderID != "UNIQUE_ORDER_ID" ||
				o.Contents.LineItems[0].Reservation.PartySize != 6 || len(o.PaymentData) == 0 {
				t.Errorf("order = %+v", o)
			}
			if c.Data().String("holdId") != "UNIQUE_ORDER_ID" || c.UserStorage().String("userId") != "anon-7f3a" {
				t.Errorf("state: hold %q user %q", c.Data().String("holdId"), c.UserStorage().String("userId"))
			}
			if !c.Sandbox() || !c.UserVerified() || c.Locale() != "en-US" || c.ConversationID() != "ABwppHFx3Ykz" {
				t.Errorf("sandbox %v verified %v locale %q conv %q", c.Sandbox(), c.UserVerified(), c.Locale(), c.ConversationID())
			}
			// The receipt echoes the accepted order with the new status.
			o.Contents.LineItems[0].Reservation.Status = orderv3.ReservationConfirmed
			c.Ask("You're booked.")
			if err := c.OrderUpdate(orderv3.Snapshot(*o, "Reservation confirmed")); err != nil {
				t.Fatal(err)
			}
			b, err := c.Response()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), `"googleOrderId":"1234567890123456789"`) || !strings.Contains(string(b), `"status":"CONFIRMED"`) {
				t.Errorf("receipt lacks the echoed order: %s", b)
			}
		})
	}
}

func TestArguments(t *testing.T) {
	tests := []struct {
		name   string
		args   []Argument
		check  func(t *testing.T, c *Conv)
		errMsg string
	}{
		{"option", []Argument{{Name: ArgOption, TextValue: "slot-1900"}}, func(t *testing.T, c *Conv) {
			if k, ok := c.SelectedOption(); !ok || k != "slot-1900" {
				t.Errorf("SelectedOption() = %q, %v", k, ok)
			}
		}, ""},
		{"cannot transact", []Argument{{Name: ArgRequirementsCheckResult, Extension: json.RawMessage(
			`{"@type":"type.googleapis.com/google.actions.transactions.v3.TransactionRequirementsCheckResult","resultType":"CANNOT_TRANSACT"}`)}},
			func(t *testing.T, c *Conv) {
				if r, ok := c.RequirementsCheckResult(); !ok || r != CannotTransact {
					t.Errorf("result = %q, %v", r, ok)
				}
			}, ""},
		{"empty result", []Argument{{Name: ArgRequirementsCheckResult}}, func(t *testing.T, c *Conv) {
			if r, ok := c.RequirementsCheckResult(); !ok || r != RequirementsUnspecified {
				t.Errorf("result = %q, %v", r, ok)
			}
		}, ""},
		{"rejected", []Argument{{Name: ArgTransactionDecisionValue, Extension: json.RawMessage(`{"transactionDecision":"ORDER_REJECTED"}`)}},
			func(t *testing.T, c *Conv) {
				if d, ok := c.TransactionDecision(); !ok || d.Decision != OrderRejected || d.Order != nil || d.Name != "" {
					t.Errorf("decision = %+v", d)
				}
			}, ""},
		{"decision without value", []Argument{{Name: ArgTransactionDecisionValue, Extension: json.RawMessage(`{}`)}},
			func(t *testing.T, c *Conv) {
				if d, _ := c.TransactionDecision(); d.Decision != DecisionUnspecified {
					t.Errorf("decision = %+v", d)
				}
			}, ""},
		{"order of the wrong type", []Argument{{Name: ArgTransactionDecisionValue, Extension: json.RawMessage(`{"order":5}`)}},
			// The field path ("order: ") is encoding/json's to give: the order decodes itself (Order.UnmarshalJSON).
			nil, "malformed request: argument TRANSACTION_DECISION_VALUE: * unexpected number"},
		{"result of the wrong type", []Argument{{Name: ArgRequirementsCheckResult, Extension: json.RawMessage(`{"resultType":true}`)}},
			nil, "malformed request: argument TRANSACTION_REQUIREMENTS_CHECK_RESULT: resultType: unexpected bool"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, env := range []Envelope{EnvelopeDialogflow, EnvelopeActionsSDK} {
				var body []byte
				if env == EnvelopeDialogflow {
					body = dialogflowTurn(t, "x", nil, "", tt.args...)
				} else {
					body = actionsSDKTurn(t, IntentOption, "", "", tt.args...)
				}
				c, err := ParseDialogflow(body)
				if env == EnvelopeActionsSDK {
					c, err = ParseActionsSDK(body)
				}
				if tt.errMsg != "" {
					if err == nil || !errors.Is(err, ErrMalformedRequest) || !matchMessage(tt.errMsg, err.Error()) {
						t.Errorf("%v: err = %v, want %q", env, err, tt.errMsg)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				tt.check(t, c)
			}
		})
	}
}

func TestSimpleResponses(t *testing.T) {
	c := parse(t, EnvelopeDialogflow, dialogflowTurn(t, "x", nil, ""))
	c.AskSSML(`Table for <say-as interpret-as="cardinal">4</say-as> &amp; a high chair`, "")
	c.Ask("")
	c.Ask("Anything else?")
	c.Ask("Say yes or no.") // a third simple response is merged into the second
	r := respond(t, c)
	assertJSON(t, []any{
		map[string]any{"simpleResponse": map[string]any{"ssml": `<speak>Table for <say-as interpret-as="cardinal">4</say-as> &amp; a high chair</speak>`}},
		map[string]any{"simpleResponse": map[string]any{"textToSpeech": "Anything else? Say yes or no."}},
	}, dig(t, r, "payload", "google", "richResponse", "items"))
	assertJSON(t, "Table for 4 & a high chair Anything else? Say yes or no.", r["fulfillmentText"])
	if c.SpokenText() != "Table for 4 & a high chair Anything else? Say yes or no." {
		t.Errorf("SpokenText() = %q", c.SpokenText())
	}

	tests := []struct {
		a, b SimpleResponse
		want SimpleResponse
	}{
		{SimpleResponse{TextToSpeech: "a"}, SimpleResponse{TextToSpeech: "b"}, SimpleResponse{TextToSpeech: "a b"}},
		{SimpleResponse{TextToSpeech: "a", DisplayText: "A"}, SimpleResponse{TextToSpeech: "b"}, SimpleResponse{TextToSpeech: "a b", DisplayText: "A b"}},
		{SimpleResponse{SSML: "<speak>a<break/></speak>"}, SimpleResponse{TextToSpeech: "b & c"}, SimpleResponse{SSML: "<speak>a<break/> b &amp; c</speak>"}},
		{SimpleResponse{TextToSpeech: "a"}, SimpleResponse{SSML: "<speak>b</speak>", DisplayText: "B"}, SimpleResponse{SSML: "<speak>a b</speak>", DisplayText: "a B"}},
	}
	for _, tt := range tests {
		if got := mergeSimple(tt.a, tt.b); got != tt.want {
			t.Errorf("mergeSimple(%+v, %+v) = %+v, want %+v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestClose(t *testing.T) {
	for _, env := range []Envelope{EnvelopeDialogflow, EnvelopeActionsSDK} {
		body := dialogflowTurn(t, "x", nil, "")
		if env == EnvelopeActionsSDK {
			body = actionsSDKTurn(t, IntentText, "", "")
		}
		c := parse(t, env, body)
		c.CloseSSML("Goodbye!", "Bye")
		if !c.Closed() {
			t.Error("Closed() = false")
		}
		if err := c.RequireTransaction(); !errors.Is(err, ErrClosed) {
			t.Errorf("system intent after Close: %v", err)
		}
		r := respond(t, c)
		items := []any{map[string]any{"simpleResponse": map[string]any{"ssml": "<speak>Goodbye!</speak>", "displayText": "Bye"}}}
		if env == EnvelopeActionsSDK {
			assertJSON(t, map[string]any{"expectUserResponse": false, "finalResponse": map[string]any{"richResponse": map[string]any{"items": items}}}, any(r))
		} else {
			assertJSON(t, map[string]any{"expectUserResponse": false, "richResponse": map[string]any{"items": items}}, dig(t, r, "payload", "google"))
			assertJSON(t, "Bye", r["fulfillmentText"])
		}
	}
}

func TestSuggestionsListsCarousels(t *testing.T) {
	c := parse(t, EnvelopeDialogflow, dialogflowTurn(t, "x", nil, ""))
	items := []OptionItem{
		{Key: "t1900", Synonyms: []string{"seven"}, Title: "7:00 PM", Description: "Table for 4"},
		{Key: "t1930", Title: "7:30 PM", Image: &Image{URL: "https://img.example/t.png", AccessibilityText: "table"}},
	}
	if err := c.List("Free times", items); !errors.Is(err, ErrSimpleResponseRequired) {
		t.Errorf("List without a simple response: %v", err)
	}
	c.Ask("7 PM is taken. Which of these?")
	if err := c.Suggest("7:00 PM", "7:30 PM", "7:00 PM"); err != nil {
		t.Fatal(err)
	}
	if err := c.List("Free times", items); err != nil {
		t.Fatal(err)
	}
	r := respond(t, c)
	assertJSON(t, []any{map[string]any{"title": "7:00 PM"}, map[string]any{"title": "7:30 PM"}},
		dig(t, r, "payload", "google", "richResponse", "suggestions"))
	assertJSON(t, generic(t, []byte(`{"intent":"actions.intent.OPTION","data":{
		"@type":"type.googleapis.com/google.actions.v2.OptionValueSpec",
		"listSelect":{"title":"Free times","items":[
			{"optionInfo":{"key":"t1900","synonyms":["seven"]},"title":"7:00 PM","description":"Table for 4"},
			{"optionInfo":{"key":"t1930"},"title":"7:30 PM","image":{"url":"https://img.example/t.png","accessibilityText":"table"}}]}}}`)),
		dig(t, r, "payload", "google", "systemIntent"))

	sdk := parse(t, EnvelopeActionsSDK, actionsSDKTurn(t, IntentText, "", ""))
	sdk.Ask("Pick one.")
	if err := sdk.Carousel(items); err != nil {
		t.Fatal(err)
	}
	r = respond(t, sdk)
	assertJSON(t, generic(t, []byte(`[{"intent":"actions.intent.OPTION","inputValueData":{
		"@type":"type.googleapis.com/google.actions.v2.OptionValueSpec",
		"carouselSelect":{"items":[
			{"optionInfo":{"key":"t1900","synonyms":["seven"]},"title":"7:00 PM","description":"Table for 4"},
			{"optionInfo":{"key":"t1930"},"title":"7:30 PM","image":{"url":"https://img.example/t.png","accessibilityText":"table"}}]}}}]`)),
		dig(t, r, "expectedInputs", 0, "possibleIntents"))
	assertJSON(t, "Pick one.", dig(t, r, "expectedInputs", 0, "inputPrompt", "richInitialPrompt", "items", 0, "simpleResponse", "textToSpeech"))

	many := make([]OptionItem, 31)
	for i := range many {
		many[i] = OptionItem{Key: string(rune('a' + i)), Title: "t"}
	}
	errTests := []struct {
		name string
		do   func(c *Conv) error
		want string
	}{
		{"one item", func(c *Conv) error { return c.List("", items[:1]) }, "list: 1 items, want 2 to 30"},
		{"31 items", func(c *Conv) error { return c.List("", many) }, "list: 31 items, want 2 to 30"},
		{"11 carousel items", func(c *Conv) error { return c.Carousel(many[:11]) }, "carousel: 11 items, want 2 to 10"},
		{"duplicate key", func(c *Conv) error { return c.List("", []OptionItem{{Key: "a", Title: "x"}, {Key: "a", Title: "y"}}) }, `list: item 1: duplicate key "a"`},
		{"empty key", func(c *Conv) error { return c.List("", []OptionItem{{Title: "x"}, {Key: "a", Title: "y"}}) }, "list: item 0: empty key"},
		{"empty title", func(c *Conv) error { return c.List("", []OptionItem{{Key: "b", Title: " "}, {Key: "a", Title: "y"}}) }, "list: item 0: empty title"},
		{"long chip", func(c *Conv) error { return c.Suggest(strings.Repeat("x", 26)) }, `suggestion "xxxxxxxxxxxxxxxxxxxxxxxxxx": longer than 25 characters`},
		{"empty chip", func(c *Conv) error { return c.Suggest("") }, "suggestion: empty title"},
		{"nine chips", func(c *Conv) error { return c.Suggest("1", "2", "3", "4", "5", "6", "7", "8", "9") }, "suggestions: more than 8"},
		{"two system intents", func(c *Conv) error { _ = c.RequireTransaction(); return c.List("", items) }, ErrSystemIntentSet.Error()},
	}
	for _, tt := range errTests {
		c := parse(t, EnvelopeDialogflow, dialogflowTurn(t, "x", nil, ""))
		c.Ask("Hello.")
		if err := tt.do(c); err == nil || err.Error() != tt.want {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestResponseRules(t *testing.T) {
	tests := []struct {
		name  string
		build func(c *Conv) error
		want  error
	}{
		{"nothing", func(*Conv) error { return nil }, ErrEmptyResponse},
		{"chips without words", func(c *Conv) error { return c.Suggest("Yes") }, ErrSimpleResponseRequired},
		{"silent close", func(c *Conv) error { c.Close(""); return nil }, nil},
		{"system intent alone", func(c *Conv) error { return c.RequireTransaction() }, nil},
	}
	for _, tt := range tests {
		c := parse(t, EnvelopeDialogflow, dialogflowTurn(t, "x", nil, ""))
		if err := tt.build(c); err != nil {
			t.Fatalf("%s: build: %v", tt.name, err)
		}
		if _, err := c.Response(); !errors.Is(err, tt.want) {
			t.Errorf("%s: Response() error = %v, want %v", tt.name, err, tt.want)
		}
	}
}

// TestOrderUpdateNeedsSimpleResponse: a receipt is refused unless a simple response comes first in the same
// rich response.
func TestOrderUpdateNeedsSimpleResponse(t *testing.T) {
	u := orderv3.Snapshot(orderv3.Order{MerchantOrderID: "m1"}, "confirmed")
	for _, env := range []Envelope{EnvelopeDialogflow, EnvelopeActionsSDK} {
		body := dialogflowTurn(t, "x", nil, "")
		if env == EnvelopeActionsSDK {
			body = actionsSDKTurn(t, IntentText, "", "")
		}
		c := parse(t, env, body)
		if err := c.OrderUpdate(u); !errors.Is(err, ErrSimpleResponseRequired) {
			t.Fatalf("%v: OrderUpdate first: err = %v", env, err)
		}
		if err := c.OrderUpdate(orderv3.OrderUpdate{}); !errors.Is(err, ErrSimpleResponseRequired) {
			t.Fatalf("%v: err = %v", env, err)
		}
		c.Ask("Done!")
		if err := c.OrderUpdate(orderv3.OrderUpdate{}); err == nil {
			t.Errorf("%v: update without order accepted", env)
		}
		if err := c.OrderUpdate(u); err != nil {
			t.Fatalf("%v: after Ask: %v", env, err)
		}
		r := respond(t, c)
		path := []any{"payload", "google", "richResponse", "items"}
		if env == EnvelopeActionsSDK {
			path = []any{"expectedInputs", 0, "inputPrompt", "richInitialPrompt", "items"}
		}
		assertJSON(t, generic(t, []byte(`[{"simpleResponse":{"textToSpeech":"Done!"}},
			{"structuredResponse":{"orderUpdateV3":{"type":"SNAPSHOT","reason":"confirmed","order":{"merchantOrderId":"m1"}}}}]`)),
			dig(t, r, path...))
	}
}

// TestResponseSizeLimit: builders that would push the response past 64 KiB fail with ErrResponseTooLarge and
// change nothing.
func TestResponseSizeLimit(t *testing.T) {
	o := seedOrder(t, "06_propose_order_response.dialogflow.json", "payload", "google", "systemIntent", "data", "order")
	o.Note = strings.Repeat("n", MaxResponseBytes)
	c := parse(t, EnvelopeDialogflow, dialogflowTurn(t, "x", nil, ""))
	c.Ask("Here is your reservation.")
	if err := c.ProposeOrder(Proposal{Order: o}); !errors.Is(err, ErrResponseTooLarge) {
		t.Fatalf("ProposeOrder: err = %v", err)
	}
	if err := c.OrderUpdate(orderv3.Snapshot(o, "")); !errors.Is(err, ErrResponseTooLarge) {
		t.Fatalf("OrderUpdate: err = %v", err)
	}
	r := respond(t, c) // still sendable: nothing was added
	if _, ok := dig(t, r, "payload", "google").(map[string]any)["systemIntent"]; ok {
		t.Error("refused system intent left in the response")
	}
	if n := len(dig(t, r, "payload", "google", "richResponse", "items").([]any)); n != 1 {
		t.Errorf("%d items, want the simple response only", n)
	}
	o.Note = strings.Repeat("n", 50_000) // fits
	if err := c.ProposeOrder(Proposal{Order: o}); err != nil {
		t.Fatalf("50 kB order: %v", err)
	}
	b, err := c.Response()
	if err != nil || len(b) < 50_000 || len(b) > MaxResponseBytes {
		t.Errorf("Response() = %d bytes, %v", len(b), err)
	}
	// Too large after the fact (a long text): Response fails; the App sends the apology (see app_test.go).
	c.Ask(strings.Repeat("blah ", 4000))
	if _, err := c.Response(); !errors.Is(err, ErrResponseTooLarge) {
		t.Errorf("Response() err = %v", err)
	}
}

func TestContexts(t *testing.T) {
	c := parse(t, EnvelopeDialogflow, dialogflowTurn(t, "x", nil, ""))
	c.Ask("ok")
	if err := c.SetContext("awaiting_time", 3, map[string]any{"party": 4}); err != nil {
		t.Fatal(err)
	}
	if err := c.SetContext("awaiting_date", 2, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.SetContext("awaiting_date", 0, nil); err != nil { // replaces: delete
		t.Fatal(err)
	}
	_ = c.Data().Set("step", "time")
	for _, bad := range []string{"", "a/b", "a b", AppDataContext} {
		if err := c.SetContext(bad, 1, nil); err == nil {
			t.Errorf("SetContext(%q) accepted", bad)
		}
	}
	if err := c.SetContext("x", -1, nil); err == nil {
		t.Error("negative lifespan accepted")
	}
	r := respond(t, c)
	assertJSON(t, []any{
		map[string]any{"name": session + "/contexts/awaiting_time", "lifespanCount": float64(3), "parameters": map[string]any{"party": float64(4)}},
		map[string]any{"name": session + "/contexts/awaiting_date"},
		map[string]any{"name": session + "/contexts/_actions_on_google", "lifespanCount": float64(99), "parameters": map[string]any{"data": `{"step":"time"}`}},
	}, r["outputContexts"])
}

func TestResetUserStorage(t *testing.T) {
	c := parse(t, EnvelopeDialogflow, dialogflowTurn(t, "x", nil, `{"data":{"userId":"u"}}`))
	c.ResetUserStorage()
	c.Ask("Forgotten.")
	g := dig(t, respond(t, c), "payload", "google").(map[string]any)
	if g["resetUserStorage"] != true || g["userStorage"] != `{"data":{}}` {
		t.Errorf("google payload = %v", g)
	}
}

func TestActionsSDKIntentName(t *testing.T) {
	tests := map[string]string{
		IntentMain:                         "Default Welcome Intent",
		IntentTransactionRequirementsCheck: "reservation.requirements_check",
		IntentOption:                       "reservation.select_slot",
		IntentTransactionDecision:          "reservation.decision",
		IntentText:                         IntentText,
		"custom_intent":                    "custom_intent",
	}
	for in, want := range tests {
		if got := ActionsSDKIntentName(in); got != want {
			t.Errorf("ActionsSDKIntentName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestReprompts: Reprompt's texts go out as noInputPrompts in both envelopes, replace earlier ones, and are left
// out of an answer that closes the conversation.
func TestReprompts(t *testing.T) {
	prompts := []any{map[string]any{"textToSpeech": "For how many people?"}, map[string]any{"textToSpeech": "How many guests?"}}
	tests := []struct {
		name  string
		env   Envelope
		close bool
		path  []any
		want  any // nil: absent
	}{
		{"dialogflow", EnvelopeDialogflow, false, []any{"payload", "google", "noInputPrompts"}, prompts},
		{"actions sdk", EnvelopeActionsSDK, false, []any{"expectedInputs", 0, "inputPrompt", "noInputPrompts"}, prompts},
		{"dialogflow, closing", EnvelopeDialogflow, true, []any{"payload", "google", "noInputPrompts"}, nil},
		{"actions sdk, closing", EnvelopeActionsSDK, true, []any{"expectedInputs"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := dialogflowTurn(t, "x", nil, "")
			if tt.env == EnvelopeActionsSDK {
				body = actionsSDKTurn(t, IntentText, "", "")
			}
			c := parse(t, tt.env, body)
			if err := c.Reprompt("Sorry?"); err != nil {
				t.Fatal(err)
			}
			if err := c.Reprompt("For how many people?", "How many guests?"); err != nil { // replaces
				t.Fatal(err)
			}
			if tt.close {
				c.Close("Goodbye.")
			} else {
				c.Ask("For how many people?")
			}
			r := respond(t, c)
			var got any = r
			for _, p := range tt.path {
				m, isMap := got.(map[string]any)
				l, isList := got.([]any)
				switch k := p.(type) {
				case string:
					if !isMap {
						got = nil
						break
					}
					got = m[k]
				case int:
					if !isList || k >= len(l) {
						got = nil
						break
					}
					got = l[k]
				}
			}
			if tt.want == nil {
				if got != nil {
					t.Fatalf("%v = %v, want absent", tt.path, got)
				}
				return
			}
			assertJSON(t, tt.want, got)
		})
	}
	c := parse(t, EnvelopeDialogflow, dialogflowTurn(t, "x", nil, ""))
	if err := c.Reprompt("1", "2", "3", "4"); err == nil || err.Error() != "reprompts: more than 3" {
		t.Errorf("four reprompts: %v", err)
	}
	if err := c.Reprompt("ok", " "); err == nil || err.Error() != "reprompt: empty text" {
		t.Errorf("empty reprompt: %v", err)
	}
}

// TestActionsSDKParams: a custom intent's arguments read as Dialogflow parameters would.
func TestActionsSDKParams(t *testing.T) {
	args := []Argument{
		{Name: "party_size", IntValue: json.RawMessage(`"4"`)},
		{Name: "n", IntValue: json.RawMessage(`7`)},
		{Name: "f", FloatValue: 2.5},
		{Name: "date", DatetimeValue: json.RawMessage(`{"date":{"year":2026,"month":11,"day":23}}`)},
		{Name: "time", DatetimeValue: json.RawMessage(`{"time":{"hours":19,"minutes":30}}`)},
		{Name: "when", DatetimeValue: json.RawMessage(`{"date":{"year":2026,"month":11,"day":23},"time":{"hours":7}}`)},
		{Name: "bad", DatetimeValue: json.RawMessage(`{"date":{"year":2026,"month":13,"day":1}}`)},
		{Name: "name", TextValue: "Jane", RawText: "jane"},
		{Name: "raw", RawText: "spoken"},
	}
	c, err := ParseActionsSDK(actionsSDKTurn(t, "reservation.start", "", "", args...))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		want any
	}{
		{"party_size", 4.0}, {"n", 7.0}, {"f", 2.5}, {"date", "2026-11-23"}, {"time", "19:30:00"},
		{"when", "2026-11-23T07:00:00"}, {"bad", nil}, {"name", "Jane"}, {"raw", "spoken"}, {"absent", nil},
	}
	for _, tc := range tests {
		got, ok := c.Param(tc.name)
		if ok != (tc.want != nil) || got != tc.want {
			t.Errorf("Param(%q) = %v, %v; want %v", tc.name, got, ok, tc.want)
		}
	}
}

// matchMessage reports whether got is want, where a "* " in want stands for any words (one "*" at most).
func matchMessage(want, got string) bool {
	prefix, suffix, ok := strings.Cut(want, "* ")
	if !ok {
		return got == want
	}
	return len(got) >= len(prefix)+len(suffix) && strings.HasPrefix(got, prefix) && strings.HasSuffix(got, suffix)
}
