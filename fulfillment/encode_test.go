package fulfillment

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/reservations/reservations/orders/orderv3"
)

// trickyText has everything encoding/json escapes: quotes, backslashes, control characters, HTML characters,
// U+2028/U+2029, invalid UTF-8, and multi-byte text that is written as is.
const trickyText = "Tom's \"café\" <b>&amp;</b> \\ \x00\x01\b\f\n\r\t\x1f \u2028\u2029 \xff\xfe ünïcödé 日本 🍝"

// richOrder sets every field of the order model, with text that needs escaping and numbers at the edges of
// encoding/json's float formatting.
func richOrder() orderv3.Order {
	img := &orderv3.Image{URL: "https://example.com/a.png?x=1&y=<2>", AccessibilityText: trickyText, Height: 10, Width: 20}
	phones := []orderv3.PhoneNumber{{E164PhoneNumber: "+16501112222", Extension: "12", PreferredDomesticCarrierCode: "1"}, {}}
	loc := &orderv3.Location{
		Coordinates:      &orderv3.LatLng{Latitude: 37.42200012, Longitude: -1e-7},
		FormattedAddress: trickyText, ZipCode: "94086", City: "Sunnyvale",
		PostalAddress: &orderv3.PostalAddress{Revision: 1, RegionCode: "US", LanguageCode: "en", PostalCode: "94086",
			SortingCode: "x", AdministrativeArea: "CA", Locality: "Sunnyvale", Sublocality: "y",
			AddressLines: []string{"222 Some St", trickyText}, Recipients: []string{}, Organization: "Org"},
		Name: "n", PhoneNumber: "p", Notes: "notes", PlaceID: "pid",
	}
	expire := orderv3.TimestampOf(time.Date(2030, 1, 2, 3, 4, 5, 123456000, time.FixedZone("x", 3600)))
	actions := []orderv3.Action{
		{Type: orderv3.ActionCall, Title: "Call", OpenURLAction: &orderv3.OpenURLAction{URL: "tel:+1", AndroidApp: json.RawMessage(` { "packageName" : "a<b" } `), URLTypeHint: orderv3.URLTypeAMPContent},
			ActionMetadata: &orderv3.ActionMetadata{ExpireTime: expire}},
		{Type: orderv3.ActionViewDetails, ActionMetadata: &orderv3.ActionMetadata{}},
		{},
	}
	prices := []orderv3.PriceAttribute{
		{Type: orderv3.PriceTotal, Name: "Total", ID: "t", State: orderv3.PriceEstimate,
			Amount: &orderv3.Money{CurrencyCode: "USD", AmountInMicros: 3990000}, AmountMillipercentage: 5, TaxIncluded: true},
		{Type: orderv3.PriceDiscount, Amount: &orderv3.Money{CurrencyCode: "EUR"}},
		{Amount: &orderv3.Money{AmountInMicros: -1}},
	}
	raw := json.RawMessage("{\n  \"a\": [1, 2.5e3, true, null],\n  \"h\": \"<&>\u2028\"\n}")
	return orderv3.Order{
		GoogleOrderID: "g", MerchantOrderID: "m-1", UserVisibleOrderID: "U1", UserVisibleStateLabel: trickyText,
		BuyerInfo:      &orderv3.UserInfo{Email: "a@example.com", FirstName: "Ada", LastName: "L", DisplayName: trickyText, PhoneNumbers: phones},
		Image:          img,
		CreateTime:     orderv3.TimestampOf(time.Date(2019, 7, 17, 18, 25, 30, 184000000, time.UTC)),
		LastUpdateTime: orderv3.TimestampOf(time.Date(2019, 7, 17, 18, 25, 30, 1, time.UTC)),
		TransactionMerchant: &orderv3.Merchant{ID: "https://example.com", Name: trickyText, Image: img,
			PhoneNumbers: phones, Address: loc},
		Contents: &orderv3.Contents{LineItems: []orderv3.LineItem{
			{ID: "LI", Name: trickyText, UserVisibleStateLabel: "s", Provider: &orderv3.Merchant{Name: "p", PhoneNumbers: []orderv3.PhoneNumber{}},
				PriceAttributes: prices, FollowUpActions: actions,
				Recipients: []orderv3.UserInfo{{DisplayName: "r"}, {}},
				Image:      img, Description: trickyText, Notes: []string{"a", trickyText},
				Disclosures: raw, Vertical: raw, Purchase: raw,
				Reservation: &orderv3.Reservation{Status: orderv3.ReservationPending, UserVisibleStatusLabel: "Pending",
					Type: orderv3.ReservationRestaurant, ReservationTime: &orderv3.Time{TimeISO8601: "2020-01-16T01:30:15.01Z"},
					UserAcceptableTimeRange: &orderv3.Time{}, ConfirmationCode: "C<1>", PartySize: -6,
					StaffFacilitators: []orderv3.StaffFacilitator{{Name: "John", Image: img}, {}},
					Location:          &orderv3.Location{Coordinates: &orderv3.LatLng{Latitude: 1e21, Longitude: 0}}, Extension: raw}},
			{},
			{Recipients: []orderv3.UserInfo{}, Notes: []string{}, PriceAttributes: []orderv3.PriceAttribute{}, FollowUpActions: []orderv3.Action{}},
		}},
		PriceAttributes: prices, FollowUpActions: actions,
		TermsOfServiceURL: "https://example.com/tos?a=1&b=2", Note: trickyText,
		PaymentData: raw, Promotions: json.RawMessage(`[]`), Disclosures: raw, Purchase: raw, Ticket: raw, Vertical: json.RawMessage(`"x"`),
	}
}

// fastEncode encodes v with the append encoder only (no encoding/json fallback for the whole response).
func fastEncode(t *testing.T, v any) []byte {
	t.Helper()
	var b []byte
	var err error
	switch r := v.(type) {
	case *WebhookResponse:
		b, err = appendWebhookResponse(nil, r)
	case *AppResponse:
		b, err = appendAppResponse(nil, r)
	default:
		t.Fatalf("fastEncode %T", v)
	}
	if err != nil {
		t.Fatalf("append encoder fell back: %v", err)
	}
	return b
}

// TestFastEncoderMatchesEncodingJSON checks that the response encoder writes exactly what encoding/json writes
// for the seed's responses and for responses that use every field and builder.
func TestFastEncoderMatchesEncodingJSON(t *testing.T) {
	seedPropose := seedOrder(t, "06_propose_order_response.dialogflow.json", "payload", "google", "systemIntent", "data", "order")
	seedBuild := seedOrder(t, "05_build_order_decision_response.dialogflow.json", "payload", "google", "systemIntent", "data", "order")
	seedReceipt := seedUpdate(t, "10_receipt_response.dialogflow.json", "payload", "google", "richResponse", "items", 1, "structuredResponse", "orderUpdateV3")
	rich := richOrder()
	withExtra := richOrder()
	withExtra.Extra = map[string]json.RawMessage{"zNew": json.RawMessage(` {"b" : "<x>"} `), "aNew": json.RawMessage(`1`)}
	opts := &OrderOptions{UserInfoOptions: &UserInfoOptions{UserInfoProperties: []UserInfoProperty{UserInfoEmail}}}

	builds := []struct {
		name  string
		build func(c *Conv) error
	}{
		{"ask", func(c *Conv) error { c.Ask(trickyText); return nil }},
		{"close ssml", func(c *Conv) error { c.CloseSSML("Bye <break time=\"1s\"/> & see you", ""); return nil }},
		{"three simples merged", func(c *Conv) error {
			c.Ask("one")
			c.AskSSML("<speak>two &amp; <b>x</b></speak>", "two")
			c.Ask("three")
			return nil
		}},
		{"suggestions and list", func(c *Conv) error {
			c.Ask("Pick")
			if err := c.Suggest("Yes <1>", "No & never"); err != nil {
				return err
			}
			return c.List(trickyText, []OptionItem{
				{Key: "a", Synonyms: []string{"first", "<1>"}, Title: "A", Description: trickyText,
					Image: &Image{URL: "https://x/a.png?a&b", AccessibilityText: "alt", Height: 1, Width: 2}},
				{Key: "b", Synonyms: []string{}, Title: "B", Image: &Image{}},
				{Key: "c", Title: "C"},
			})
		}},
		{"carousel", func(c *Conv) error {
			c.Ask("Pick")
			return c.Carousel([]OptionItem{{Key: "a", Title: "A"}, {Key: "b", Title: "B", Description: "d"}})
		}},
		{"requirements", func(c *Conv) error { return c.RequireTransaction() }},
		{"seed proposal", func(c *Conv) error { return c.ProposeOrder(Proposal{Order: seedPropose, OrderOptions: opts}) }},
		{"seed build proposal", func(c *Conv) error {
			return c.ProposeOrder(Proposal{Order: seedBuild, OrderOptions: &OrderOptions{RequestDeliveryAddress: true},
				PresentationOptions: &PresentationOptions{}, PaymentParameters: json.RawMessage(` {"merchantPaymentOption": {"a" : "<&>"}} `)})
		}},
		// The rich order fails Validate on purpose (empty entries): its spec is set as ProposeOrder would.
		{"rich proposal", func(c *Conv) error {
			return c.setSystemIntent(IntentTransactionDecision, &decisionSpec{Type: TypeTransactionDecisionValueSpec,
				Order: rich.JSONValue(), OrderOptions: opts, order: &rich})
		}},
		{"proposal with extra fields", func(c *Conv) error {
			return c.setSystemIntent(IntentTransactionDecision, &decisionSpec{Type: TypeTransactionDecisionValueSpec,
				Order: withExtra.JSONValue(), OrderOptions: &OrderOptions{UserInfoOptions: &UserInfoOptions{}}, order: &withExtra})
		}},
		{"seed receipt", func(c *Conv) error {
			c.Ask("Done")
			return c.OrderUpdate(seedReceipt)
		}},
		{"rich receipt", func(c *Conv) error {
			c.Ask("Done")
			return c.OrderUpdate(orderv3.OrderUpdate{Type: orderv3.OrderUpdateSnapshot, Order: &rich, UpdateMask: "a,b",
				UserNotification: &orderv3.UserNotification{Title: "<t>", Text: "x"}, Reason: trickyText})
		}},
		{"contexts, data and user storage", func(c *Conv) error {
			c.Ask("ok")
			params := map[string]any{
				"s": trickyText, "n": 4.0, "tiny": 1e-9, "big": 1e22, "neg": -0.5, "i": 7, "b": true, "nil": nil,
				"list": []any{"a", 1.5, false, nil, map[string]any{"z": 1.0, "a": "<"}}, "strs": []string{"x", "<y>"},
				"empty": map[string]any{}, "typed": struct {
					A string `json:"a"`
				}{"<>"},
			}
			if err := c.SetContext("booking", 5, params); err != nil {
				return err
			}
			if err := c.SetContext("gone", 0, nil); err != nil {
				return err
			}
			if err := c.Data().Set("party", map[string]any{"size": 4, "name": trickyText}); err != nil {
				return err
			}
			return c.UserStorage().Set("uid", "u-<1>")
		}},
		{"reset user storage", func(c *Conv) error {
			c.ResetUserStorage()
			c.Close("bye")
			return nil
		}},
	}
	requests := []struct {
		env  Envelope
		file string
	}{
		{EnvelopeDialogflow, "08_decision_request.dialogflow.json"},
		{EnvelopeActionsSDK, "09_decision_request.actionssdk.json"},
		{EnvelopeDialogflow, "fulfillment/testdata/console.dialogflow.json"},
	}
	for _, rq := range requests {
		body := readFile(t, strings.TrimPrefix(rq.file, "fulfillment/"))
		for _, tt := range builds {
			t.Run(rq.file+"/"+tt.name, func(t *testing.T) {
				c := parse(t, rq.env, body)
				if err := tt.build(c); err != nil {
					t.Fatalf("build: %v", err)
				}
				got, err := c.Response()
				if err != nil {
					t.Fatalf("Response: %v", err)
				}
				var v any = c.webhookResponse()
				if rq.env == EnvelopeActionsSDK {
					v = c.appResponse()
				}
				want, err := json.Marshal(v)
				if err != nil {
					t.Fatal(err)
				}
				if fast := fastEncode(t, v); !bytes.Equal(fast, want) {
					t.Errorf("append encoder differs from encoding/json\n got: %s\nwant: %s", fast, want)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("fast encoder differs from encoding/json\n got: %s\nwant: %s", got, want)
				}
			})
		}
	}
}

// TestFastEncoderWireValues checks the encoder on response values the builders do not produce (every kept
// verbatim member, empty but present lists, unknown spec types) against encoding/json, and that values
// encoding/json refuses give encoding/json's error.
func TestFastEncoderWireValues(t *testing.T) {
	raw := json.RawMessage(" { \"title\" : \"<card> & \u2029\" } ")
	items := []RichItem{
		{SimpleResponse: &SimpleResponse{TextToSpeech: "hi"}},
		{BasicCard: raw, TableCard: raw, MediaResponse: raw, CarouselBrowse: raw, HTMLResponse: raw},
		{StructuredResponse: &StructuredResponse{OrderUpdate: raw}},
		{StructuredResponse: &StructuredResponse{}},
		{},
	}
	rich := &RichResponse{Items: items, Suggestions: []Suggestion{}, LinkOutSuggestion: &LinkOutSuggestion{
		DestinationName: "<site>", URL: "https://x?a&b", OpenURLAction: raw}}
	ok := []struct {
		name string
		v    any
	}{
		{"webhook every member", &WebhookResponse{
			FulfillmentText: trickyText,
			FulfillmentMessages: []Message{
				{Platform: "ACTIONS_ON_GOOGLE", Text: &MessageText{}, Payload: map[string]any{"x": []any{}}, QuickReplies: &QuickReplies{Title: "q", QuickReplies: []string{"a"}}},
				{QuickReplies: &QuickReplies{QuickReplies: []string{}}},
				{Payload: map[string]any{}},
			},
			Source: "src",
			Payload: &WebhookPayload{Google: &GooglePayload{RichResponse: &RichResponse{}, SystemIntent: &SystemIntent{Intent: "x",
				Data: map[string]any{"@type": "t", "n": 1.0}}, UserStorage: `{"data":{}}`, ResetUserStorage: true,
				NoInputPrompts: []SimpleResponse{{SSML: "<speak>a</speak>"}, {}}}},
			OutputContexts:     []Context{},
			FollowupEventInput: &EventInput{Name: "ev", LanguageCode: "en", Parameters: map[string]any{"a": "<b>"}},
		}},
		{"webhook empty payload", &WebhookResponse{Payload: &WebhookPayload{}, FulfillmentMessages: []Message{},
			FollowupEventInput: &EventInput{}}},
		{"webhook empty", &WebhookResponse{}},
		{"app every member", &AppResponse{ConversationToken: `{"data":{"a":"<"}}`, UserStorage: "u", ResetUserStorage: true,
			ExpectUserResponse: true, IsInSandbox: true,
			ExpectedInputs: []ExpectedInput{
				{InputPrompt: &InputPrompt{RichInitialPrompt: rich, NoInputPrompts: []SimpleResponse{}},
					PossibleIntents:    []ExpectedIntent{{Intent: "a", InputValueData: &requirementsSpec{Type: "t"}}, {Intent: "b"}, {Intent: "c", InputValueData: (*decisionSpec)(nil)}},
					SpeechBiasingHints: []string{"x", "<y>"}},
				{InputPrompt: &InputPrompt{}, PossibleIntents: []ExpectedIntent{}, SpeechBiasingHints: []string{}},
				{},
			},
			FinalResponse: &FinalResponse{RichResponse: rich}}},
		{"app closed empty", &AppResponse{FinalResponse: &FinalResponse{}, ExpectedInputs: []ExpectedInput{}}},
		{"unknown spec type", &WebhookResponse{Payload: &WebhookPayload{Google: &GooglePayload{SystemIntent: &SystemIntent{
			Intent: "x", Data: &decisionSpec{Type: "t", Order: map[string]string{"a": "<"}}}}}}},
	}
	for _, tt := range ok {
		t.Run(tt.name, func(t *testing.T) {
			want, err := json.Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := marshalResponse(tt.v)
			if err != nil {
				t.Fatalf("marshalResponse: %v", err)
			}
			if fast := fastEncode(t, tt.v); !bytes.Equal(fast, want) {
				t.Errorf("append encoder differs from encoding/json\n got: %s\nwant: %s", fast, want)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("fast encoder differs from encoding/json\n got: %s\nwant: %s", got, want)
			}
		})
	}

	bad := richOrder()
	bad.CreateTime = orderv3.TimestampOf(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))
	badRaw := richOrder()
	badRaw.Contents.LineItems[0].Reservation.Extension = json.RawMessage(`{"a":`)
	nan := richOrder()
	nan.TransactionMerchant.Address.Coordinates = &orderv3.LatLng{Latitude: math.NaN()}
	inf := richOrder()
	inf.Contents.LineItems[0].Reservation.Location.Coordinates.Longitude = math.Inf(-1)
	fails := []struct {
		name string
		v    any
	}{
		{"invalid RawMessage", &WebhookResponse{Payload: &WebhookPayload{Google: &GooglePayload{RichResponse: &RichResponse{
			Items: []RichItem{{BasicCard: json.RawMessage(`{"a":}`)}}}}}}},
		{"NaN parameter", &WebhookResponse{OutputContexts: []Context{{Name: "c", Parameters: map[string]any{"n": math.NaN()}}}}},
		{"timestamp out of range", &AppResponse{ExpectedInputs: []ExpectedInput{{PossibleIntents: []ExpectedIntent{{
			Intent: "x", InputValueData: &decisionSpec{Type: "t", Order: bad.JSONValue(), order: &bad}}}}}}},
		{"NaN coordinate", &AppResponse{ExpectedInputs: []ExpectedInput{{PossibleIntents: []ExpectedIntent{{
			Intent: "x", InputValueData: &decisionSpec{Type: "t", Order: nan.JSONValue(), order: &nan}}}}}}},
		{"infinite coordinate in a receipt", &WebhookResponse{Payload: &WebhookPayload{Google: &GooglePayload{RichResponse: &RichResponse{
			Items: []RichItem{{StructuredResponse: &StructuredResponse{OrderUpdateV3: &orderv3.OrderUpdate{Order: &inf}}}}}}}}},
		{"invalid verbatim order member", &AppResponse{ExpectedInputs: []ExpectedInput{{PossibleIntents: []ExpectedIntent{{
			Intent: "x", InputValueData: &decisionSpec{Type: "t", Order: badRaw.JSONValue(), order: &badRaw}}}}}}},
	}
	for _, tt := range fails {
		t.Run(tt.name, func(t *testing.T) {
			_, want := json.Marshal(tt.v)
			if want == nil {
				t.Fatal("encoding/json accepted the value")
			}
			got, _, err := marshalResponse(tt.v)
			if err == nil {
				t.Fatalf("marshalResponse wrote %s, want error %v", got, want)
			}
			if err.Error() != want.Error() {
				t.Errorf("error %q, want encoding/json's %q", err, want)
			}
			var ue *json.UnsupportedValueError
			if errors.As(want, &ue) && !errors.As(err, &ue) {
				t.Errorf("error %T, want %T", err, want)
			}
		})
	}
}
