package fulfillment

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/reservations/reservations/orders/orderv3"
)

// trickyText has what encoding/json escapes: quotes, backslashes, control characters, HTML characters and
// U+2028/U+2029, and multi-byte text that is written as is.
const trickyText = "Tom's \"café\" <b>&amp;</b> \\ \x00\x01\n\t \u2028\u2029 ünïcödé 日本 🍝"

// encodeWire encodes a response value the way the App writes it, as generic JSON, checking the escaping the
// wire keeps: no raw <, > or & and no raw U+2028 or U+2029 anywhere in the bytes.
func encodeWire(t *testing.T, v any) any {
	t.Helper()
	b, buf, err := marshalResponse(v)
	if err != nil {
		t.Fatalf("marshalResponse: %v", err)
	}
	defer releaseBuf(buf)
	if i := strings.IndexAny(string(b), "<>&\u2028\u2029"); i >= 0 {
		t.Errorf("unescaped %q at byte %d: %s", b[i], i, b)
	}
	if strings.HasSuffix(string(b), "\n") {
		t.Errorf("trailing newline: %q", b)
	}
	return generic(t, b)
}

// TestWireMembers checks whole responses as data: members the Assistant needs even when empty or false stay
// present (expectUserResponse, items, the option key and title, an image's url and accessibilityText,
// requestDeliveryAddress, userInfoProperties, coordinates, the @type of specs, an event's name), empty
// optional members stay out, and text survives escaping.
func TestWireMembers(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"webhook empty", &WebhookResponse{}, `{}`},
		{"webhook empty payload and event", &WebhookResponse{Payload: &WebhookPayload{}, FollowupEventInput: &EventInput{},
			FulfillmentMessages: []Message{{Text: &MessageText{}}, {QuickReplies: &QuickReplies{}}}},
			`{"fulfillmentMessages":[{"text":{"text":null}},{"quickReplies":{}}],"payload":{},"followupEventInput":{"name":""}}`},
		{"google payload closed", &WebhookResponse{Payload: &WebhookPayload{Google: &GooglePayload{RichResponse: &RichResponse{}}}},
			`{"payload":{"google":{"expectUserResponse":false,"richResponse":{"items":null}}}}`},
		{"contexts", &WebhookResponse{OutputContexts: []Context{{Name: "s/contexts/gone"}, {Name: "s/contexts/c", LifespanCount: 5,
			Parameters: map[string]any{"s": trickyText, "n": 4, "f": 1e-9, "list": []any{"<a>", nil, true}}}}},
			`{"outputContexts":[{"name":"s/contexts/gone"},{"name":"s/contexts/c","lifespanCount":5,"parameters":
				{"s":"` + jsonText(trickyText) + `","n":4,"f":1e-9,"list":["<a>",null,true]}}]}`},
		{"app closed", &AppResponse{FinalResponse: &FinalResponse{}}, `{"expectUserResponse":false,"finalResponse":{}}`},
		{"app option spec", &AppResponse{ExpectUserResponse: true, ExpectedInputs: []ExpectedInput{{
			InputPrompt: &InputPrompt{RichInitialPrompt: &RichResponse{Items: []RichItem{{SimpleResponse: &SimpleResponse{TextToSpeech: "Pick"}}},
				Suggestions: []Suggestion{{Title: "a & b"}}}},
			PossibleIntents: []ExpectedIntent{{Intent: IntentOption, InputValueData: &optionValueSpec{Type: TypeOptionValueSpec,
				ListSelect: &listSelect{Items: []optionWire{{OptionInfo: optionInfo{Key: "a"}, Title: "A", Image: &Image{}},
					{OptionInfo: optionInfo{Key: "b", Synonyms: []string{"<b>"}}, Title: "B", Description: "d"}}}}}}}}},
			`{"expectUserResponse":true,"expectedInputs":[{"inputPrompt":{"richInitialPrompt":{"items":[{"simpleResponse":{"textToSpeech":"Pick"}}],
				"suggestions":[{"title":"a & b"}]}},"possibleIntents":[{"intent":"actions.intent.OPTION","inputValueData":{
				"@type":"type.googleapis.com/google.actions.v2.OptionValueSpec","listSelect":{"items":[
				{"optionInfo":{"key":"a"},"title":"A","image":{"url":"","accessibilityText":""}},
				{"optionInfo":{"key":"b","synonyms":["<b>"]},"title":"B","description":"d"}]}}}]}]}`},
		{"requirements spec", &AppResponse{ExpectUserResponse: true, ExpectedInputs: []ExpectedInput{{PossibleIntents: []ExpectedIntent{{
			Intent: IntentTransactionRequirementsCheck, InputValueData: &requirementsSpec{Type: TypeTransactionRequirementsCheckSpec}}}}}},
			`{"expectUserResponse":true,"expectedInputs":[{"possibleIntents":[{"intent":"actions.intent.TRANSACTION_REQUIREMENTS_CHECK",
				"inputValueData":{"@type":"type.googleapis.com/google.actions.transactions.v3.TransactionRequirementsCheckSpec"}}]}]}`},
		{"decision spec", &WebhookResponse{Payload: &WebhookPayload{Google: &GooglePayload{ExpectUserResponse: true,
			SystemIntent: &SystemIntent{Intent: IntentTransactionDecision, Data: &decisionSpec{Type: TypeTransactionDecisionValueSpec,
				Order:        (&orderv3.Order{Contents: &orderv3.Contents{LineItems: []orderv3.LineItem{{Reservation: &orderv3.Reservation{Location: &orderv3.Location{Coordinates: &orderv3.LatLng{}}}}}}}).JSONValue(),
				OrderOptions: &OrderOptions{UserInfoOptions: &UserInfoOptions{}}, PresentationOptions: &PresentationOptions{},
				PaymentParameters: json.RawMessage(` { "a" : "<&>" } `)}}}}},
			`{"payload":{"google":{"expectUserResponse":true,"systemIntent":{"intent":"actions.intent.TRANSACTION_DECISION","data":{
				"@type":"type.googleapis.com/google.actions.transactions.v3.TransactionDecisionValueSpec",
				"order":{"contents":{"lineItems":[{"reservation":{"location":{"coordinates":{"latitude":0,"longitude":0}}}}]}},
				"orderOptions":{"requestDeliveryAddress":false,"userInfoOptions":{"userInfoProperties":null}},"presentationOptions":{},
				"paymentParameters":{"a":"<&>"}}}}}}`},
		{"receipt", &WebhookResponse{Payload: &WebhookPayload{Google: &GooglePayload{RichResponse: &RichResponse{Items: []RichItem{
			{StructuredResponse: &StructuredResponse{OrderUpdateV3: &orderv3.OrderUpdate{Type: orderv3.OrderUpdateSnapshot, Reason: trickyText,
				Order: &orderv3.Order{MerchantOrderID: "m", CreateTime: orderv3.TimestampOf(time.Date(2019, 7, 17, 18, 25, 30, 184000000, time.UTC)),
					PriceAttributes: []orderv3.PriceAttribute{{Amount: &orderv3.Money{CurrencyCode: "USD", AmountInMicros: 3990000}}},
					Extra:           map[string]json.RawMessage{"zNew": json.RawMessage(` {"b" : "<x>"} `)}}}}},
			{BasicCard: json.RawMessage(` {"title": "<card>"} `)}}}}}},
			`{"payload":{"google":{"expectUserResponse":false,"richResponse":{"items":[{"structuredResponse":{"orderUpdateV3":{
				"type":"SNAPSHOT","order":{"merchantOrderId":"m","createTime":"2019-07-17T18:25:30.184Z",
				"priceAttributes":[{"amount":{"currencyCode":"USD","amountInMicros":"3990000"}}],"zNew":{"b":"<x>"}},
				"reason":"` + jsonText(trickyText) + `"}}},{"basicCard":{"title":"<card>"}}]}}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertJSON(t, generic(t, []byte(tt.want)), encodeWire(t, tt.v))
		})
	}
}

// jsonText is s as the inside of a JSON string literal.
func jsonText(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// TestWireRefused: a response encoding/json cannot write (NaN, a timestamp out of range, invalid verbatim
// JSON) is an error, which the App answers with the apology.
func TestWireRefused(t *testing.T) {
	order := func(edit func(o *orderv3.Order)) any {
		o := orderv3.Order{MerchantOrderID: "m", TransactionMerchant: &orderv3.Merchant{Address: &orderv3.Location{}}}
		edit(&o)
		return &AppResponse{ExpectedInputs: []ExpectedInput{{PossibleIntents: []ExpectedIntent{{
			Intent: IntentTransactionDecision, InputValueData: &decisionSpec{Type: "t", Order: o.JSONValue()}}}}}}
	}
	tests := []struct {
		name string
		v    any
	}{
		{"invalid RawMessage", &WebhookResponse{Payload: &WebhookPayload{Google: &GooglePayload{RichResponse: &RichResponse{
			Items: []RichItem{{BasicCard: json.RawMessage(`{"a":}`)}}}}}}},
		{"NaN parameter", &WebhookResponse{OutputContexts: []Context{{Name: "c", Parameters: map[string]any{"n": math.NaN()}}}}},
		{"timestamp out of range", order(func(o *orderv3.Order) {
			o.CreateTime = orderv3.TimestampOf(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))
		})},
		{"NaN coordinate", order(func(o *orderv3.Order) {
			o.TransactionMerchant.Address.Coordinates = &orderv3.LatLng{Latitude: math.NaN()}
		})},
		{"invalid verbatim order member", order(func(o *orderv3.Order) { o.PaymentData = json.RawMessage(`{"a":`) })},
		{"invalid extra order member", order(func(o *orderv3.Order) {
			o.Extra = map[string]json.RawMessage{"x": json.RawMessage(`{bad`)}
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if b, _, err := marshalResponse(tt.v); err == nil {
				t.Errorf("encoded %s, want an error", b)
			}
		})
	}
}
