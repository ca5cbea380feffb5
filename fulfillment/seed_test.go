package fulfillment

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/reservations/reservations/orders/orderv3"
)

// TestSeedFixturesComplete makes sure no seed fixture escapes the round-trip table.
func TestSeedFixturesComplete(t *testing.T) {
	entries, err := os.ReadDir(seedDir)
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{"12_order_update_patch.json": true} // the orders package round-trips it
	for _, tt := range seedRoundTrips {
		covered[tt.file] = true
	}
	n := 0
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		n++
		if !covered[e.Name()] {
			t.Errorf("%s is not in the round-trip table", e.Name())
		}
	}
	if n != 12 {
		t.Errorf("%d fixtures in %s, want 12 (11 JSON examples + the transcribed PATCH)", n, seedDir)
	}
}

var seedRoundTrips = []struct {
	file string
	into func() any
}{
	{"01_requirements_check_response.dialogflow.json", func() any { return new(WebhookResponse) }},
	{"02_requirements_check_response.actionssdk.json", func() any { return new(AppResponse) }},
	{"03_requirements_check_result_request.dialogflow.json", func() any { return new(WebhookRequest) }},
	{"04_requirements_check_result_request.actionssdk.json", func() any { return new(AppRequest) }},
	{"05_build_order_decision_response.dialogflow.json", func() any { return new(WebhookResponse) }},
	{"06_propose_order_response.dialogflow.json", func() any { return new(WebhookResponse) }},
	{"07_propose_order_response.actionssdk.json", func() any { return new(AppResponse) }},
	{"08_decision_request.dialogflow.json", func() any { return new(WebhookRequest) }},
	{"09_decision_request.actionssdk.json", func() any { return new(AppRequest) }},
	{"10_receipt_response.dialogflow.json", func() any { return new(WebhookResponse) }},
	{"11_receipt_response.actionssdk.json", func() any { return new(AppResponse) }},
}

// TestSeedRoundTrip decodes every seed JSON example into this package's types and encodes it again: nothing may
// be lost or added.
func TestSeedRoundTrip(t *testing.T) {
	for _, tt := range seedRoundTrips {
		t.Run(tt.file, func(t *testing.T) {
			in := readFile(t, tt.file)
			v := tt.into()
			if err := json.Unmarshal(in, v); err != nil {
				t.Fatalf("decode: %v", err)
			}
			out, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			assertJSON(t, generic(t, in), generic(t, out))
		})
	}
}

// TestOwnFixturesRoundTrip does the same for the fixtures written for this package.
func TestOwnFixturesRoundTrip(t *testing.T) {
	for _, tt := range []struct {
		file string
		into any
	}{
		{"testdata/decision_accepted.dialogflow.json", new(WebhookRequest)},
		{"testdata/decision_accepted.actionssdk.json", new(AppRequest)},
		{"testdata/console.dialogflow.json", new(WebhookRequest)},
	} {
		in := readFile(t, tt.file)
		if err := json.Unmarshal(in, tt.into); err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		out, _ := json.Marshal(tt.into)
		assertJSON(t, generic(t, in), generic(t, out))
	}
}

// seedOrder returns the order of a seed proposal fixture, typed.
func seedOrder(t testing.TB, file string, path ...any) orderv3.Order {
	t.Helper()
	raw, _ := json.Marshal(dig(t, generic(t, readFile(t, file)), path...))
	var o orderv3.Order
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatal(err)
	}
	return o
}

func seedUpdate(t testing.TB, file string, path ...any) orderv3.OrderUpdate {
	t.Helper()
	raw, _ := json.Marshal(dig(t, generic(t, readFile(t, file)), path...))
	var u orderv3.OrderUpdate
	if err := json.Unmarshal(raw, &u); err != nil {
		t.Fatal(err)
	}
	return u
}

// withoutMirrors removes the fulfillmentText / fulfillmentMessages mirrors from a Dialogflow response and
// checks they repeat the spoken words exactly.
func withoutMirrors(t *testing.T, resp map[string]any, spoken []string) {
	t.Helper()
	if len(spoken) == 0 {
		if _, ok := resp["fulfillmentText"]; ok {
			t.Errorf("fulfillmentText present without spoken words: %v", resp["fulfillmentText"])
		}
		if _, ok := resp["fulfillmentMessages"]; ok {
			t.Errorf("fulfillmentMessages present without spoken words")
		}
		return
	}
	wantMsgs := make([]any, len(spoken))
	for i, s := range spoken {
		wantMsgs[i] = map[string]any{"text": map[string]any{"text": []any{s}}}
	}
	assertJSON(t, map[string]any{
		"fulfillmentText":     strings.Join(spoken, " "),
		"fulfillmentMessages": wantMsgs,
	}, map[string]any{
		"fulfillmentText":     resp["fulfillmentText"],
		"fulfillmentMessages": resp["fulfillmentMessages"],
	})
	delete(resp, "fulfillmentText")
	delete(resp, "fulfillmentMessages")
}

// TestSeedResponsesThroughConv builds every seed response through Conv, in both envelopes, and compares it with
// the seed field for field. Dialogflow responses also carry the fulfillmentText/fulfillmentMessages mirrors of
// the spoken words, checked separately. The seed's "requestDeliveryAddress": "false" (a string, in 06 and 07)
// is compared as the boolean this package writes.
func TestSeedResponsesThroughConv(t *testing.T) {
	proposeOrder := seedOrder(t, "06_propose_order_response.dialogflow.json", "payload", "google", "systemIntent", "data", "order")
	proposeOrderSDK := seedOrder(t, "07_propose_order_response.actionssdk.json", "expectedInputs", 0, "possibleIntents", 0, "inputValueData", "order")
	buildOrder := seedOrder(t, "05_build_order_decision_response.dialogflow.json", "payload", "google", "systemIntent", "data", "order")
	receipt := seedUpdate(t, "10_receipt_response.dialogflow.json", "payload", "google", "richResponse", "items", 1, "structuredResponse", "orderUpdateV3")
	receiptSDK := seedUpdate(t, "11_receipt_response.actionssdk.json", "expectedInputs", 0, "inputPrompt", "richInitialPrompt", "items", 1, "structuredResponse", "orderUpdateV3")
	const receiptWords = "Transaction completed! You're all set!"

	tests := []struct {
		want    string
		env     Envelope
		request string
		build   func(c *Conv) error
		spoken  []string
		// fix adjusts the seed where it is not proto3 JSON.
		fix func(want map[string]any)
	}{
		{"01_requirements_check_response.dialogflow.json", EnvelopeDialogflow, "03_requirements_check_result_request.dialogflow.json",
			func(c *Conv) error { return c.RequireTransaction() }, nil, nil},
		{"02_requirements_check_response.actionssdk.json", EnvelopeActionsSDK, "04_requirements_check_result_request.actionssdk.json",
			func(c *Conv) error { return c.RequireTransaction() }, nil, nil},
		{"05_build_order_decision_response.dialogflow.json", EnvelopeDialogflow, "08_decision_request.dialogflow.json",
			func(c *Conv) error {
				return c.ProposeOrder(Proposal{
					Order: buildOrder,
					OrderOptions: &OrderOptions{RequestDeliveryAddress: false,
						UserInfoOptions: &UserInfoOptions{UserInfoProperties: []UserInfoProperty{UserInfoEmail}}},
					PresentationOptions: &PresentationOptions{ActionDisplayName: ActionReserve},
				})
			}, nil, nil},
		{"06_propose_order_response.dialogflow.json", EnvelopeDialogflow, "08_decision_request.dialogflow.json",
			func(c *Conv) error {
				return c.ProposeOrder(Proposal{Order: proposeOrder, OrderOptions: &OrderOptions{}})
			}, nil, func(want map[string]any) {
				dig(t, want, "payload", "google", "systemIntent", "data", "orderOptions").(map[string]any)["requestDeliveryAddress"] = false
			}},
		{"07_propose_order_response.actionssdk.json", EnvelopeActionsSDK, "09_decision_request.actionssdk.json",
			func(c *Conv) error {
				return c.ProposeOrder(Proposal{Order: proposeOrderSDK, OrderOptions: &OrderOptions{}})
			}, nil, func(want map[string]any) {
				dig(t, want, "expectedInputs", 0, "possibleIntents", 0, "inputValueData", "orderOptions").(map[string]any)["requestDeliveryAddress"] = false
			}},
		{"10_receipt_response.dialogflow.json", EnvelopeDialogflow, "08_decision_request.dialogflow.json",
			func(c *Conv) error {
				c.Ask(receiptWords)
				return c.OrderUpdate(receipt)
			}, []string{receiptWords}, nil},
		{"11_receipt_response.actionssdk.json", EnvelopeActionsSDK, "09_decision_request.actionssdk.json",
			func(c *Conv) error {
				c.Ask(receiptWords)
				return c.OrderUpdate(receiptSDK)
			}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			c := parse(t, tt.env, readFile(t, tt.request))
			if err := tt.build(c); err != nil {
				t.Fatalf("build: %v", err)
			}
			got := respond(t, c)
			if tt.env == EnvelopeDialogflow {
				withoutMirrors(t, got, tt.spoken)
			}
			want := generic(t, readFile(t, tt.want)).(map[string]any)
			if tt.fix != nil {
				tt.fix(want)
			}
			assertJSON(t, want, any(got))
		})
	}
}

// TestSeedRequests reads the seed's requests through Conv.
func TestSeedRequests(t *testing.T) {
	tests := []struct {
		file        string
		env         Envelope
		intent      string
		rawIntent   string
		requirement RequirementsResult
		sandbox     bool
	}{
		{"03_requirements_check_result_request.dialogflow.json", EnvelopeDialogflow, "reservation_transaction_check_complete_df", "", CanTransact, true},
		{"04_requirements_check_result_request.actionssdk.json", EnvelopeActionsSDK, "reservation_transaction_check_complete_asdk", "reservation_transaction_check_complete_asdk", CanTransact, false},
		{"08_decision_request.dialogflow.json", EnvelopeDialogflow, "reservation_get_transaction_decision_df", "", "", true},
		{"09_decision_request.actionssdk.json", EnvelopeActionsSDK, "reservation_get_transaction_decision_asdk", "reservation_get_transaction_decision_asdk", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c := parse(t, tt.env, readFile(t, tt.file))
			if c.Envelope() != tt.env || c.Intent() != tt.intent || c.RawIntent() != tt.rawIntent {
				t.Errorf("envelope/intent/raw = %v/%q/%q, want %v/%q/%q", c.Envelope(), c.Intent(), c.RawIntent(), tt.env, tt.intent, tt.rawIntent)
			}
			res, ok := c.RequirementsCheckResult()
			if res != tt.requirement || ok != (tt.requirement != "") {
				t.Errorf("RequirementsCheckResult() = %q, %v; want %q", res, ok, tt.requirement)
			}
			if _, ok := c.TransactionDecision(); ok {
				t.Error("TransactionDecision present; the seed's requests carry none")
			}
			if !c.CanTransact() || !c.HasScreen() || !c.HasAudio() || !c.HasWebBrowser() || c.HasCapability("actions.capability.ACCOUNT_LINKING") {
				t.Errorf("capabilities: transact %v screen %v audio %v web %v", c.CanTransact(), c.HasScreen(), c.HasAudio(), c.HasWebBrowser())
			}
			if c.Sandbox() != tt.sandbox {
				t.Errorf("Sandbox() = %v", c.Sandbox())
			}
			if c.Data().Len() != 0 || c.UserStorage().Len() != 0 {
				t.Error("state not empty")
			}
		})
	}
}
