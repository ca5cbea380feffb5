package fulfillment

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// exercise reads everything a handler can read from c and builds an answer; it must never panic.
func exercise(_ context.Context, c *Conv) error {
	_, _ = c.Envelope(), c.Intent()
	_, _, _ = c.RawIntent(), c.Action(), c.QueryText()
	_, _ = c.Param("party_size")
	_, _ = c.ParamString("date")
	_, _ = c.ParamNumber("party_size")
	_, _ = c.ParamInt("party_size")
	_, _ = c.Context(AppDataContext)
	_, _ = c.RequirementsCheckResult()
	if d, ok := c.TransactionDecision(); ok && d.Order != nil {
		_ = d.Order.Validate()
		if _, err := json.Marshal(d.Order); err != nil {
			return err
		}
	}
	_, _ = c.SelectedOption()
	_, _, _, _ = c.HasScreen(), c.HasAudio(), c.HasWebBrowser(), c.CanTransact()
	_, _, _, _, _ = c.Sandbox(), c.Locale(), c.ConversationID(), c.UserID(), c.UserVerified()
	_ = c.Data().Map()
	_ = c.UserStorage().Keys()
	var turns int
	_, _ = c.Data().Get("turns", &turns)
	if err := c.Data().Set("turns", turns+1); err != nil {
		return err
	}
	_ = c.UserStorage().Set("seen", true)
	c.Ask("You said something.")
	_ = c.Suggest("Yes", "No")
	_ = c.SetContext("fuzz", 1, map[string]any{"k": "v"})
	return nil
}

// fuzzTurn checks one request body: a parse error is a malformed-request error, anything parsed gets a valid
// answer within the size limit.
func fuzzTurn(t *testing.T, app *App, env Envelope, body []byte) {
	var c *Conv
	var err error
	if env == EnvelopeActionsSDK {
		c, err = ParseActionsSDK(body)
	} else {
		c, err = ParseDialogflow(body)
	}
	if err != nil {
		if !errors.Is(err, ErrMalformedRequest) {
			t.Fatalf("parse error does not wrap ErrMalformedRequest: %v", err)
		}
		return
	}
	out := app.Answer(context.Background(), c)
	if !json.Valid(out) || len(out) > MaxResponseBytes {
		t.Fatalf("answer invalid or too large (%d bytes): %.200s", len(out), out)
	}
}

func FuzzDialogflowRequest(f *testing.F) {
	for _, name := range []string{
		"03_requirements_check_result_request.dialogflow.json",
		"08_decision_request.dialogflow.json",
		"testdata/decision_accepted.dialogflow.json",
		"testdata/console.dialogflow.json",
	} {
		f.Add(readFile(f, name))
	}
	f.Add([]byte(`{"queryResult":{"outputContexts":[{"name":"_actions_on_google","parameters":{"data":"{\"turns\":1e400}"}}]}}`))
	f.Add([]byte(`{"queryResult":{},"originalDetectIntentRequest":{"payload":{"user":{"userStorage":"{\"data\":null}"},"inputs":[{"arguments":[{"name":"OPTION"}]}]}}}`))
	f.Add([]byte(`{"queryResult":null}`))
	f.Add([]byte(`[`))
	app := NewApp(nil)
	app.Fallback(exercise)
	f.Fuzz(func(t *testing.T, body []byte) { fuzzTurn(t, app, EnvelopeDialogflow, body) })
}

func FuzzActionsSDKRequest(f *testing.F) {
	for _, name := range []string{
		"04_requirements_check_result_request.actionssdk.json",
		"09_decision_request.actionssdk.json",
		"testdata/decision_accepted.actionssdk.json",
	} {
		f.Add(readFile(f, name))
	}
	f.Add([]byte(`{"inputs":[{"intent":"actions.intent.MAIN"}],"conversation":{"conversationToken":"{\"data\":{\"a\":[1,{\"b\":null}]}}"}}`))
	f.Add([]byte(`{"inputs":[{"arguments":[{"name":"TRANSACTION_DECISION_VALUE","extension":{"order":{"contents":{"lineItems":[{}]}}}}]}]}`))
	f.Add([]byte(`{"inputs":[]}`))
	app := NewApp(nil)
	app.Fallback(exercise)
	f.Fuzz(func(t *testing.T, body []byte) { fuzzTurn(t, app, EnvelopeActionsSDK, body) })
}

// FuzzDecodeJSON holds the fast request decoder to encoding/json: whatever body decodeJSON accepts, encoding/json
// accepts too and decodes to the same request, for both envelopes.
func FuzzDecodeJSON(f *testing.F) {
	for _, name := range []string{
		"03_requirements_check_result_request.dialogflow.json",
		"04_requirements_check_result_request.actionssdk.json",
		"08_decision_request.dialogflow.json",
		"09_decision_request.actionssdk.json",
		"testdata/console.dialogflow.json",
	} {
		f.Add(readFile(f, name))
	}
	for _, s := range []string{`{"queryResult":{"queryText":"\ud800"}}`, `{"QUERYRESULT":{}}`, `{"queryResult":{},"queryResult":null}`,
		`{"inputs":[{"rawInputs":[{"query":"\u00e9"}]}],"user":{"locale":"en"}}`, `{"queryResult":{"parameters":{"n":1e400}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, fresh := range []func() any{func() any { return new(WebhookRequest) }, func() any { return new(AppRequest) }} {
			fast, std := fresh(), fresh()
			fastErr, stdErr := decodeJSON(body, fast), json.Unmarshal(body, std)
			if fastErr == nil && stdErr != nil {
				t.Fatalf("decodeJSON accepted %q, encoding/json: %v", body, stdErr)
			}
			if fastErr == nil && !reflect.DeepEqual(fast, std) {
				t.Fatalf("decodeJSON and encoding/json differ on %q:\n%+v\n%+v", body, fast, std)
			}
		}
	})
}

// FuzzStorageParse checks the conversation data and user storage parsers on any input: they accept exactly the
// JSON objects (wrapped in {"data":…} for parseWrapped) and store every value compact.
func FuzzStorageParse(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"cart":{"party":4,"when":"7 PM"}}`, `{ "a" : [1, 2 ] , "a":null}`, `{"a":1,}`,
		`{"a":1}x`, `{"\u0041":"\ud800"}`, `{"\ud800":1}`, `{"\ud83d\ude00":1}`, "{\"\xff\":1}", `{"a":01}`, `[]`, `null`, `{"data":{"uid":"u"}}`, `{"data":null}`,
		`{"data":"x"}`, `{"data":{"a":1e400}}`, `{"DATA":{"a":1}}`, `{"data":{"a":1},"data":{"b":2}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		var obj map[string]json.RawMessage
		wantOK := json.Unmarshal([]byte(raw), &obj) == nil && obj != nil
		got, gotOK := parseDataObject(raw)
		if gotOK != wantOK || len(got) != len(obj) {
			t.Fatalf("parseDataObject(%q) = %q, %v; encoding/json: %q, %v", raw, got, gotOK, obj, wantOK)
		}
		for k, v := range got {
			var buf bytes.Buffer
			if err := json.Compact(&buf, obj[k]); err != nil || buf.String() != string(v) {
				t.Fatalf("parseDataObject(%q)[%q] = %s, want %s (%v)", raw, k, v, buf.Bytes(), err)
			}
		}
		var w struct {
			Data json.RawMessage `json:"data"`
		}
		wantOK = raw == "" || json.Unmarshal([]byte(raw), &w) == nil
		var want map[string]json.RawMessage
		if wantOK && len(w.Data) > 0 && string(w.Data) != "null" {
			want, wantOK = parseDataObject(string(w.Data))
		}
		got, gotOK = parseWrapped(raw)
		if gotOK != wantOK || !reflect.DeepEqual(got, want) {
			t.Fatalf("parseWrapped(%q) = %q, %v; want %q, %v", raw, got, gotOK, want, wantOK)
		}
	})
}
