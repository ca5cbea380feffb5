package fulfillment

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/reservations/reservations/httperr"
	"github.com/reservations/reservations/logging"
)

// newTestApp returns an app logging JSON lines into the returned buffer.
func newTestApp() (*App, *bytes.Buffer) {
	var logs bytes.Buffer
	return NewApp(slog.New(slog.NewJSONHandler(&logs, nil))), &logs
}

func post(t *testing.T, h http.Handler, body []byte, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/fulfillment", bytes.NewReader(body))
	req = req.WithContext(logging.WithRequestID(req.Context(), testRequestID))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// testRequestID is the request id post serves requests under.
const testRequestID = "req-test-1"

// assertErrorBody checks an error answer: the status and the service's JSON error body (package httperr) with
// the status's reason, msg and the request id. A msg ending in "byte *" accepts any offset there: the offset of
// a syntax error is where the JSON decoder says it noticed it, which differs between encoding/json versions.
func assertErrorBody(t *testing.T, w *httptest.ResponseRecorder, status int, msg, requestID string) {
	t.Helper()
	if w.Code != status {
		t.Errorf("status %d, want %d", w.Code, status)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	got, _ := generic(t, w.Body.Bytes()).(map[string]any)
	if prefix, ok := strings.CutSuffix(msg, "byte *"); ok {
		if e, _ := got["error"].(map[string]any); e != nil {
			if m, _ := e["message"].(string); strings.HasPrefix(m, prefix+"byte ") &&
				strings.Trim(m[len(prefix)+5:], "0123456789") == "" {
				msg = m
			}
		}
	}
	assertJSON(t, map[string]any{"error": map[string]any{"code": float64(status), "reason": httperr.Reason(status),
		"message": msg, "requestId": requestID}}, any(got))
}

func TestHTTPErrors(t *testing.T) {
	app, _ := newTestApp()
	app.Fallback(func(_ context.Context, c *Conv) error { c.Ask("ok"); return nil })
	df, sdk := app.Dialogflow(), app.ActionsSDK(nil)
	tests := []struct {
		name   string
		h      http.Handler
		body   string
		status int
		msg    string
	}{
		{"syntax", df, `{"queryResult":`, 400, "malformed request: truncated JSON"},
		{"garbage", df, `hello`, 400, "malformed request: invalid JSON at byte *"},
		{"queryResult a number", df, `{"queryResult": 5}`, 400, "malformed request: queryResult: unexpected number"},
		{"parameters an array", df, `{"queryResult": {"parameters": []}}`, 400, "malformed request: queryResult.parameters: unexpected array"},
		{"payload a string", df, `{"queryResult":{},"originalDetectIntentRequest":{"payload":"x"}}`, 400,
			"malformed request: originalDetectIntentRequest.payload: unexpected string"},
		{"no queryResult", df, `{"responseId":"r"}`, 400, "malformed request: queryResult missing"},
		{"null body", df, `null`, 400, "malformed request: queryResult missing"},
		{"array body", df, `[]`, 400, "malformed request: body: unexpected array"},
		{"empty body", df, ``, 400, "empty request body"},
		{"sdk no inputs", sdk, `{}`, 400, "malformed request: inputs missing"},
		{"sdk inputs a string", sdk, `{"inputs":"x"}`, 400, "malformed request: inputs: unexpected string"},
		{"sdk sandbox a string", sdk, `{"inputs":[{"intent":"actions.intent.MAIN"}],"isInSandbox":"yes"}`, 400,
			"malformed request: isInSandbox: unexpected string"},
		{"sdk trailing garbage", sdk, `{"inputs":[{}]} x`, 400, "malformed request: invalid JSON at byte *"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertErrorBody(t, post(t, tt.h, []byte(tt.body)), tt.status, tt.msg, testRequestID)
		})
	}
}

func TestHTTPMethodNotAllowed(t *testing.T) {
	app, _ := newTestApp()
	for _, h := range []http.Handler{app.Dialogflow(), app.ActionsSDK(nil)} {
		for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(m, "/fulfillment/dialogflow", nil))
			if w.Header().Get("Allow") != "POST" {
				t.Errorf("%s: Allow %q", m, w.Header().Get("Allow"))
			}
			assertErrorBody(t, w, 405, "method not allowed: use POST", "")
		}
	}
}

func TestHTTPBodyLimit(t *testing.T) {
	app, _ := newTestApp()
	app.Fallback(func(_ context.Context, c *Conv) error { c.Ask("ok"); return nil })
	h := app.Dialogflow()
	// Just under the limit: a valid request padded with a large parameter.
	pad := strings.Repeat("x", MaxRequestBytes-200)
	ok := []byte(`{"queryResult":{"queryText":"hi","parameters":{"pad":"` + pad + `"}}}`)
	if w := post(t, h, ok); w.Code != 200 {
		t.Fatalf("%d-byte body: status %d: %s", len(ok), w.Code, w.Body.String())
	}
	big := bytes.Repeat([]byte(" "), MaxRequestBytes+1)
	// Known length.
	if w := post(t, h, big); w.Code != 413 {
		t.Errorf("Content-Length %d: status %d", len(big), w.Code)
	}
	// Unknown length (chunked): the limit applies while reading.
	req := httptest.NewRequest(http.MethodPost, "/", io.MultiReader(bytes.NewReader(big)))
	req.ContentLength = -1
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	assertErrorBody(t, w, 413, "request body larger than 1048576 bytes", "")
}

// apologyJSON is the apology in the Dialogflow envelope.
const apologyJSON = `{
  "fulfillmentText": "Sorry, something went wrong on our side. Please try again in a little while.",
  "fulfillmentMessages": [{"text": {"text": ["Sorry, something went wrong on our side. Please try again in a little while."]}}],
  "payload": {"google": {"expectUserResponse": false, "richResponse": {"items": [
    {"simpleResponse": {"textToSpeech": "Sorry, something went wrong on our side. Please try again in a little while."}}]}}}
}`

// TestHandlerFailures: an error, a panic, a missing handler or an unsendable answer all give HTTP 200 with the
// spoken apology closing the conversation, and one error log line without personal data.
func TestHandlerFailures(t *testing.T) {
	personal := "Jane Doe jane@example.com +15550100"
	tests := []struct {
		name    string
		handler Handler
		logWant string
	}{
		{"error", func(_ context.Context, c *Conv) error {
			c.Ask("half an answer")
			_ = c.Data().Set("name", personal)
			return errors.New("store unreachable")
		}, `"error":"store unreachable"`},
		{"panic with a value", func(_ context.Context, c *Conv) error {
			panic("bad input: " + personal)
		}, `"error":"handler panic: value of type string"`},
		{"runtime panic", func(_ context.Context, c *Conv) error {
			var items []string
			_ = items[len(c.Intent())] // index out of range
			return nil
		}, `"error":"handler panic: runtime error: index out of range [17] with length 0"`},
		{"too large", func(_ context.Context, c *Conv) error {
			c.Ask(strings.Repeat("a", MaxResponseBytes))
			return nil
		}, `response larger than 64 KiB`},
		{"empty answer", func(_ context.Context, c *Conv) error { return nil }, ErrEmptyResponse.Error()},
		{"no handler", nil, `no handler for intent \"reservation.start\" and no fallback`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app, logs := newTestApp()
			if tt.handler != nil {
				app.Handle("reservation.start", tt.handler)
			}
			body := []byte(`{"session":"s","queryResult":{"queryText":"my name is ` + personal + `","intent":{"displayName":"reservation.start"}},
				"originalDetectIntentRequest":{"payload":{"user":{"userStorage":"{\"data\":{\"email\":\"jane@example.com\"}}"}}}}`)
			w := post(t, app.Dialogflow(), body)
			if w.Code != 200 {
				t.Fatalf("status %d", w.Code)
			}
			assertJSON(t, generic(t, []byte(apologyJSON)), generic(t, w.Body.Bytes()))
			log := logs.String()
			if !strings.Contains(log, `"level":"ERROR"`) || !strings.Contains(log, `"intent":"reservation.start"`) || !strings.Contains(log, tt.logWant) {
				t.Errorf("log lacks the error line (want %s):\n%s", tt.logWant, log)
			}
			for _, p := range []string{"Jane", "jane@example.com", "5550100"} {
				if strings.Contains(log, p) {
					t.Errorf("log contains personal data %q:\n%s", p, log)
				}
			}
		})
	}
}

func TestActionsSDKApology(t *testing.T) {
	app, _ := newTestApp()
	app.Fallback(func(context.Context, *Conv) error { return errors.New("boom") })
	w := post(t, app.ActionsSDK(nil), actionsSDKTurn(t, IntentText, `{"data":{"a":1}}`, ""))
	assertJSON(t, generic(t, []byte(`{"expectUserResponse":false,"finalResponse":{"richResponse":{"items":[
		{"simpleResponse":{"textToSpeech":"Sorry, something went wrong on our side. Please try again in a little while."}}]}}}`)),
		generic(t, w.Body.Bytes()))
}

// TestSetApology: a failed turn apologizes in the words SetApology gives for the user's locale, and in English
// when they are empty.
func TestSetApology(t *testing.T) {
	tests := []struct {
		name  string
		words func(string) string
		want  string
	}{
		{"by locale", func(l string) string { return "Désolé (" + l + ")" }, "Désolé (en-GB)"},
		{"empty words", func(string) string { return "" }, Apology},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app, _ := newTestApp()
			app.SetApology(tc.words)
			app.Fallback(func(context.Context, *Conv) error { return errors.New("boom") })
			w := post(t, app.ActionsSDK(nil), actionsSDKTurn(t, IntentText, `{"data":{"a":1}}`, ""))
			want, _ := json.Marshal(map[string]any{"expectUserResponse": false, "finalResponse": map[string]any{
				"richResponse": map[string]any{"items": []any{map[string]any{"simpleResponse": map[string]any{"textToSpeech": tc.want}}}}}})
			assertJSON(t, generic(t, want), generic(t, w.Body.Bytes()))
		})
	}
}

// TestDispatch checks which handler each turn reaches, in both envelopes.
func TestDispatch(t *testing.T) {
	app, _ := newTestApp()
	reg := func(name string) {
		app.Handle(name, func(_ context.Context, c *Conv) error { c.Ask("handled by " + name); return nil })
	}
	for _, n := range []string{NameWelcome, NameRequirementsCheck, NameSelectSlot, NameDecision, "reservation.start", "my_custom_intent"} {
		reg(n)
	}
	app.Fallback(func(_ context.Context, c *Conv) error { c.Ask("fallback"); return nil })

	tests := []struct {
		env    Envelope
		intent string
		want   string
	}{
		{EnvelopeDialogflow, "reservation.start", "handled by reservation.start"},
		{EnvelopeDialogflow, "reservation.decision", "handled by reservation.decision"},
		{EnvelopeDialogflow, "Default Fallback Intent", "fallback"},
		{EnvelopeActionsSDK, IntentMain, "handled by Default Welcome Intent"},
		{EnvelopeActionsSDK, IntentTransactionRequirementsCheck, "handled by reservation.requirements_check"},
		{EnvelopeActionsSDK, IntentOption, "handled by reservation.select_slot"},
		{EnvelopeActionsSDK, IntentTransactionDecision, "handled by reservation.decision"},
		{EnvelopeActionsSDK, IntentText, "fallback"},
		{EnvelopeActionsSDK, "my_custom_intent", "handled by my_custom_intent"},
	}
	for _, tt := range tests {
		var w *httptest.ResponseRecorder
		if tt.env == EnvelopeDialogflow {
			w = post(t, app.Dialogflow(), dialogflowTurn(t, tt.intent, nil, ""))
		} else {
			w = post(t, app.ActionsSDK(nil), actionsSDKTurn(t, tt.intent, "", ""))
		}
		if !strings.Contains(w.Body.String(), `"textToSpeech":"`+tt.want+`"`) {
			t.Errorf("%v %s: got %s, want %q", tt.env, tt.intent, w.Body.String(), tt.want)
		}
	}
	// Custom intents of an action package that carry a helper's result (seed 001's names) go to that step.
	for _, tc := range []struct {
		intent string
		arg    Argument
		want   string
	}{
		{"reservation_transaction_check_complete_asdk", Argument{Name: ArgRequirementsCheckResult,
			Extension: json.RawMessage(`{"@type":"type.googleapis.com/google.actions.transactions.v3.TransactionRequirementsCheckResult","resultType":"CAN_TRANSACT"}`)},
			"handled by reservation.requirements_check"},
		{"reservation_get_transaction_decision_asdk", Argument{Name: ArgTransactionDecisionValue,
			Extension: json.RawMessage(`{"transactionDecision":"ORDER_REJECTED"}`)}, "handled by reservation.decision"},
		{"pick_a_time", Argument{Name: ArgOption, TextValue: "slot-1"}, "handled by reservation.select_slot"},
		{"nothing_known", Argument{Name: "other", TextValue: "x"}, "fallback"},
	} {
		w := post(t, app.ActionsSDK(nil), actionsSDKTurn(t, tc.intent, "", "", tc.arg))
		if !strings.Contains(w.Body.String(), `"textToSpeech":"`+tc.want+`"`) {
			t.Errorf("%s: got %s, want %q", tc.intent, w.Body.String(), tc.want)
		}
	}
	// A handler registered for actions.intent.TEXT takes it from the fallback.
	reg(IntentText)
	w := post(t, app.ActionsSDK(nil), actionsSDKTurn(t, IntentText, "", ""))
	if !strings.Contains(w.Body.String(), "handled by actions.intent.TEXT") {
		t.Errorf("text handler not used: %s", w.Body.String())
	}
}

func TestAnswerHeadersAndWarnings(t *testing.T) {
	app, logs := newTestApp()
	app.Fallback(func(_ context.Context, c *Conv) error { c.Ask("ok"); return nil })
	body := dialogflowTurn(t, "x", []Context{{Name: session + "/contexts/_actions_on_google", Parameters: map[string]any{"data": "{broken"}}}, "")
	w := post(t, app.Dialogflow(), body)
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json; charset=utf-8" || w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("status %d headers %v", w.Code, w.Header())
	}
	if !strings.Contains(logs.String(), `"level":"WARN"`) || strings.Contains(logs.String(), "broken") {
		t.Errorf("warning line missing or leaking content: %s", logs.String())
	}
}

// TestBehindGin serves the handlers through gin.WrapH, as the server does.
func TestBehindGin(t *testing.T) {
	gin.SetMode(gin.TestMode)
	app, _ := newTestApp()
	app.Handle("reservation_transaction_check_complete_df", func(_ context.Context, c *Conv) error {
		if r, _ := c.RequirementsCheckResult(); r != CanTransact {
			return errors.New("unexpected result")
		}
		c.Ask("Looks like you're good to go!")
		return nil
	})
	app.Fallback(func(_ context.Context, c *Conv) error { c.Ask("sdk ok"); return nil })
	r := gin.New()
	r.POST("/fulfillment/dialogflow", gin.WrapH(app.Dialogflow()))
	r.POST("/fulfillment/actions-sdk", gin.WrapH(app.ActionsSDK(nil)))

	req := httptest.NewRequest(http.MethodPost, "/fulfillment/dialogflow", bytes.NewReader(readFile(t, "03_requirements_check_result_request.dialogflow.json")))
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "good to go") {
		t.Errorf("dialogflow via gin: %d %s", w.Code, w.Body.String())
	}
	req = httptest.NewRequest(http.MethodPost, "/fulfillment/actions-sdk", bytes.NewReader(readFile(t, "04_requirements_check_result_request.actionssdk.json")))
	w = httptest.NewRecorder()
	r.ServeHTTP(w, req)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "sdk ok") {
		t.Errorf("actions sdk via gin: %d %s", w.Code, w.Body.String())
	}
}
