package orderv3

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const seedDir = "../../testdata/seed001"

// readSeed returns a seed 001 fixture decoded as generic JSON.
func readSeed(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(seedDir, name))
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// assertJSON fails t unless the JSON text got decodes to want (generic JSON, as encoding/json decodes into
// any): member order and spelling do not matter.
func assertJSON(t *testing.T, want any, got []byte) {
	t.Helper()
	var g any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, got)
	}
	if d := cmp.Diff(want, g); d != "" {
		t.Errorf("JSON differs (-want +got):\n%s", d)
	}
}

// dig follows a path of object keys and array indexes through generic JSON.
func dig(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("dig %v: not an object at %q", path, k)
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				t.Fatalf("dig %v: no element %d", path, k)
			}
			v = a[k]
		}
	}
	return v
}

func TestSeedOrdersRoundTrip(t *testing.T) {
	tests := []struct {
		file string
		path []any
		// update: the value is an OrderUpdate rather than an Order.
		update bool
	}{
		{"05_build_order_decision_response.dialogflow.json", []any{"payload", "google", "systemIntent", "data", "order"}, false},
		{"06_propose_order_response.dialogflow.json", []any{"payload", "google", "systemIntent", "data", "order"}, false},
		{"07_propose_order_response.actionssdk.json", []any{"expectedInputs", 0, "possibleIntents", 0, "inputValueData", "order"}, false},
		{"10_receipt_response.dialogflow.json", []any{"payload", "google", "richResponse", "items", 1, "structuredResponse", "orderUpdateV3"}, true},
		{"11_receipt_response.actionssdk.json", []any{"expectedInputs", 0, "inputPrompt", "richInitialPrompt", "items", 1, "structuredResponse", "orderUpdateV3"}, true},
		{"12_order_update_patch.json", []any{"orderUpdate"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			want := dig(t, readSeed(t, tt.file), tt.path...)
			in, err := json.Marshal(want)
			if err != nil {
				t.Fatal(err)
			}
			var v any = &Order{}
			if tt.update {
				v = &OrderUpdate{}
			}
			if err := json.Unmarshal(in, v); err != nil {
				t.Fatalf("decode: %v", err)
			}
			out, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			assertJSON(t, want, out)
		})
	}
}

func TestSeedOrderTyped(t *testing.T) {
	raw, _ := json.Marshal(dig(t, readSeed(t, "06_propose_order_response.dialogflow.json"),
		"payload", "google", "systemIntent", "data", "order"))
	var o Order
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatal(err)
	}
	if o.Extra != nil {
		t.Errorf("Extra = %v, want nil: every field of the seed's order is named", o.Extra)
	}
	li := o.Contents.LineItems[0]
	r := li.Reservation
	checks := []struct{ name, got, want string }{
		{"merchantOrderId", o.MerchantOrderID, "UNIQUE_ORDER_ID"},
		{"createTime", o.CreateTime.String(), "2019-07-17T18:25:30.184Z"},
		{"transactionMerchant.name", o.TransactionMerchant.Name, "Example Merchant"},
		{"lineItem.id", li.ID, "LINE_ITEM_ID"},
		{"status", string(r.Status), "PENDING"},
		{"type", string(r.Type), "RESTAURANT"},
		{"reservationTime", r.ReservationTime.TimeISO8601, "2020-01-16T01:30:15.01Z"},
		{"partySize", fmt.Sprint(r.PartySize), "6"},
		{"staff", r.StaffFacilitators[0].Name, "John Smith"},
		{"postalAddress.locality", r.Location.PostalAddress.Locality, "Sunnyvale"},
		{"buyer", o.BuyerInfo.Name(), "Jane Doe"},
		{"followUpActions[1].type", string(o.FollowUpActions[1].Type), "CALL"},
		{"followUpActions[1].url", o.FollowUpActions[1].OpenURLAction.URL, "tel:+16501112222"},
		{"termsOfServiceUrl", o.TermsOfServiceURL, "https://www.example.com"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if err := o.Validate(); err != nil {
		t.Errorf("seed order does not validate: %v", err)
	}
}

func TestExtraFields(t *testing.T) {
	in := `{"merchantOrderId":"A","zeta":{"x":[1,2]},"alpha":"s","contents":{"lineItems":[{"id":"L"}]}}`
	var o Order
	if err := json.Unmarshal([]byte(in), &o); err != nil {
		t.Fatal(err)
	}
	if len(o.Extra) != 2 || string(o.Extra["alpha"]) != `"s"` {
		t.Errorf("Extra = %v", o.Extra)
	}
	out, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var want any
	_ = json.Unmarshal([]byte(in), &want)
	assertJSON(t, want, out)

	// A named field wins over an Extra entry with its name; an empty order with Extra is still an object.
	o2 := Order{MerchantOrderID: "B", Extra: map[string]json.RawMessage{"merchantOrderId": []byte(`"X"`)}}
	b, _ := json.Marshal(o2)
	assertJSON(t, map[string]any{"merchantOrderId": "B"}, b)
	o3 := Order{Extra: map[string]json.RawMessage{"k": []byte(`1`)}}
	b, _ = json.Marshal(o3)
	assertJSON(t, map[string]any{"k": 1.0}, b)
	o4 := Order{Extra: map[string]json.RawMessage{"k": []byte(`{bad`)}}
	if _, err := json.Marshal(o4); err == nil {
		t.Error("invalid extra JSON encoded without error")
	}
}

// TestJSONValue: the encoding view writes what MarshalJSON writes, Extra fields included.
func TestJSONValue(t *testing.T) {
	raw, _ := json.Marshal(dig(t, readSeed(t, "06_propose_order_response.dialogflow.json"),
		"payload", "google", "systemIntent", "data", "order"))
	var o Order
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatal(err)
	}
	for _, extra := range []map[string]json.RawMessage{nil, {"newField": json.RawMessage(`[1,"x"]`)}} {
		o.Extra = extra
		viaMethod, err1 := json.Marshal(o)
		viaView, err2 := json.Marshal(o.JSONValue())
		if err1 != nil || err2 != nil {
			t.Fatalf("Extra %v: %v, %v", extra, err1, err2)
		}
		var want any
		if err := json.Unmarshal(viaMethod, &want); err != nil {
			t.Fatal(err)
		}
		assertJSON(t, want, viaView)
	}
	if _, ok := o.JSONValue().(*Order); !ok {
		t.Error("an order with Extra fields must keep its MarshalJSON")
	}
}

func TestMicros(t *testing.T) {
	tests := []struct {
		in      string
		want    Micros
		wantErr bool
	}{
		{`"3990000"`, 3990000, false},
		{`3990000`, 3990000, false},
		{`"-5"`, -5, false},
		{`"9223372036854775807"`, 9223372036854775807, false},
		{`"1.5"`, 0, true},
		{`"abc"`, 0, true},
		{`true`, 0, true},
	}
	for _, tt := range tests {
		var m Money
		err := json.Unmarshal([]byte(`{"currencyCode":"USD","amountInMicros":`+tt.in+`}`), &m)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: err = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if m.AmountInMicros != tt.want {
			t.Errorf("%s: got %d, want %d", tt.in, m.AmountInMicros, tt.want)
		}
	}
	b, _ := json.Marshal(Money{CurrencyCode: "USD", AmountInMicros: 3990000})
	if string(b) != `{"currencyCode":"USD","amountInMicros":"3990000"}` {
		t.Errorf("encoded %s, want amountInMicros as a string", b)
	}
}

func TestTimestamp(t *testing.T) {
	base := time.Date(2019, 7, 17, 18, 25, 30, 0, time.UTC)
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		t    time.Time
		want string
	}{
		{base, `"2019-07-17T18:25:30Z"`},
		{base.Add(182 * time.Millisecond), `"2019-07-17T18:25:30.182Z"`},
		{base.Add(100 * time.Millisecond), `"2019-07-17T18:25:30.100Z"`},
		{base.Add(1500 * time.Nanosecond), `"2019-07-17T18:25:30.000001500Z"`},
		{base.Add(2 * time.Microsecond), `"2019-07-17T18:25:30.000002Z"`},
		{base.In(la), `"2019-07-17T18:25:30Z"`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(TimestampOf(tt.t))
		if err != nil || string(b) != tt.want {
			t.Errorf("Marshal(%v) = %s, %v; want %s", tt.t, b, err, tt.want)
		}
		var back Timestamp
		if err := json.Unmarshal(b, &back); err != nil || !back.Equal(tt.t) {
			t.Errorf("Unmarshal(%s) = %v, %v", b, back, err)
		}
	}
	var ts Timestamp
	for _, bad := range []string{`"yesterday"`, `5`, `"2019-07-17"`} {
		if err := json.Unmarshal([]byte(bad), &ts); err == nil {
			t.Errorf("Unmarshal(%s) accepted", bad)
		}
	}
	if _, err := json.Marshal(TimestampOf(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))); err == nil {
		t.Error("year 10000 encoded")
	}
	if b, _ := json.Marshal(Order{MerchantOrderID: "x"}); strings.Contains(string(b), "Time") {
		t.Errorf("zero timestamps written: %s", b)
	}
}

func TestUserInfoName(t *testing.T) {
	tests := []struct {
		u    *UserInfo
		want string
	}{
		{nil, ""},
		{&UserInfo{DisplayName: "Jane Doe", FirstName: "J"}, "Jane Doe"},
		{&UserInfo{FirstName: "Jane", LastName: "Doe"}, "Jane Doe"},
		{&UserInfo{LastName: "Doe"}, "Doe"},
	}
	for _, tt := range tests {
		if got := tt.u.Name(); got != tt.want {
			t.Errorf("Name() = %q, want %q", got, tt.want)
		}
	}
}
