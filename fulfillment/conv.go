package fulfillment

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	gojson "github.com/goccy/go-json"

	"github.com/reservations/reservations/orders/orderv3"
)

// Envelope says which webhook protocol a conversation turn came in.
type Envelope int

// Envelopes.
const (
	EnvelopeDialogflow Envelope = iota + 1 // Dialogflow ES v2 WebhookRequest / WebhookResponse
	EnvelopeActionsSDK                     // Actions SDK AppRequest / AppResponse
)

// String names the envelope for logs.
func (e Envelope) String() string {
	switch e {
	case EnvelopeDialogflow:
		return "dialogflow"
	case EnvelopeActionsSDK:
		return "actions-sdk"
	default:
		return "unknown"
	}
}

// Actions on Google intents this package knows by name.
const (
	IntentMain                         = "actions.intent.MAIN"
	IntentText                         = "actions.intent.TEXT"
	IntentOption                       = "actions.intent.OPTION"
	IntentTransactionRequirementsCheck = "actions.intent.TRANSACTION_REQUIREMENTS_CHECK"
	IntentTransactionDecision          = "actions.intent.TRANSACTION_DECISION"
)

// Argument names of the helper results.
const (
	ArgRequirementsCheckResult  = "TRANSACTION_REQUIREMENTS_CHECK_RESULT"
	ArgTransactionDecisionValue = "TRANSACTION_DECISION_VALUE"
	ArgOption                   = "OPTION"
)

// Surface capabilities.
const (
	CapabilityScreen     = "actions.capability.SCREEN_OUTPUT"
	CapabilityAudio      = "actions.capability.AUDIO_OUTPUT"
	CapabilityMediaAudio = "actions.capability.MEDIA_RESPONSE_AUDIO"
	CapabilityWebBrowser = "actions.capability.WEB_BROWSER"
)

// AppDataContext is the Dialogflow context that carries the conversation data; AppDataLifespan is the lifespan
// it is written with. Both are the constants of Google's client libraries.
const (
	AppDataContext  = "_actions_on_google"
	AppDataLifespan = 99
)

// Display names the Actions SDK envelope dispatches its AoG intents to (the Dialogflow agent's names, so one
// set of handlers serves both envelopes).
const (
	NameWelcome           = "Default Welcome Intent"
	NameRequirementsCheck = "reservation.requirements_check"
	NameSelectSlot        = "reservation.select_slot"
	NameDecision          = "reservation.decision"
)

// ActionsSDKIntentName maps an Actions SDK intent to the handler name it is dispatched to:
//
//	actions.intent.MAIN                           → "Default Welcome Intent"
//	actions.intent.TRANSACTION_REQUIREMENTS_CHECK → "reservation.requirements_check"
//	actions.intent.OPTION                         → "reservation.select_slot"
//	actions.intent.TRANSACTION_DECISION           → "reservation.decision"
//
// Any other intent (actions.intent.TEXT, custom intents) keeps its own name; [App] dispatches it to a handler
// registered under that name; else, when it carries a helper's result (TRANSACTION_REQUIREMENTS_CHECK_RESULT,
// TRANSACTION_DECISION_VALUE, OPTION: a custom intent such as seed 001's
// reservation_transaction_check_complete_asdk), to that step's handler; else to the fallback.
func ActionsSDKIntentName(aogIntent string) string {
	switch aogIntent {
	case IntentMain:
		return NameWelcome
	case IntentTransactionRequirementsCheck:
		return NameRequirementsCheck
	case IntentOption:
		return NameSelectSlot
	case IntentTransactionDecision:
		return NameDecision
	default:
		return aogIntent
	}
}

// ErrMalformedRequest is wrapped by every error ParseDialogflow and ParseActionsSDK return: the body is not
// JSON, has a wrong type somewhere, or lacks a required part. The App answers it with 400.
var ErrMalformedRequest = errors.New("malformed request")

// RequirementsResult is the result of a transaction requirements check (v3 resultType).
type RequirementsResult string

// Requirements check results.
const (
	RequirementsUnspecified RequirementsResult = "RESULT_TYPE_UNSPECIFIED"
	CanTransact             RequirementsResult = "CAN_TRANSACT"
	CannotTransact          RequirementsResult = "CANNOT_TRANSACT"
)

// Decision is the user's answer to a proposed order (v3 transactionDecision).
type Decision string

// Transaction decisions.
const (
	DecisionUnspecified    Decision = "TRANSACTION_DECISION_UNSPECIFIED"
	UserCannotTransact     Decision = "USER_CANNOT_TRANSACT"
	OrderAccepted          Decision = "ORDER_ACCEPTED"
	OrderRejected          Decision = "ORDER_REJECTED"
	DeliveryAddressUpdated Decision = "DELIVERY_ADDRESS_UPDATED"
	CartChangeRequested    Decision = "CART_CHANGE_REQUESTED"
)

// TransactionDecision is the TRANSACTION_DECISION_VALUE argument.
type TransactionDecision struct {
	Decision Decision
	// Order is the accepted order as Google sends it back (with googleOrderId and buyerInfo); nil unless
	// Decision is ORDER_ACCEPTED.
	Order *orderv3.Order
	// Name and Email are the buyer's, from Order.buyerInfo (personal data: never log them).
	Name, Email string
	// DeliveryAddress is set only for DELIVERY_ADDRESS_UPDATED; kept verbatim.
	DeliveryAddress json.RawMessage
}

// Conv is one conversation turn: what the user said and the answer being built. A handler reads the request
// through its accessors and answers with Ask, Close and the other builders; the App writes the answer in the
// request's envelope. A Conv is used by one goroutine.
type Conv struct {
	envelope  Envelope
	df        *WebhookRequest // Dialogflow only
	app       *AppRequest     // the AoG payload; nil for the Dialogflow console
	rawIntent string
	intent    string

	requirements    RequirementsResult
	hasRequirements bool
	decision        *TransactionDecision
	option          string
	hasOption       bool

	data *Storage
	user *Storage
	// dataStore and userStore are where data and user point when the turn starts (one allocation with c).
	dataStore, userStore Storage
	// warnings are problems with the request's state that were tolerated (logged by the App, no content).
	warnings []string

	resp response
	gen  int // counts changes to resp, for the encoding cache

	// cache is the last encoded response, valid while cacheKey matches (gen and the storage versions).
	cache    []byte
	cacheKey [3]int
	cacheErr error
	// outBuf is the pooled buffer cache lives in (see releaseResponse).
	outBuf *bytes.Buffer
}

// ParseDialogflow parses a Dialogflow ES v2 webhook request. Errors wrap ErrMalformedRequest.
func ParseDialogflow(body []byte) (*Conv, error) {
	req := new(WebhookRequest)
	if err := decodeJSON(body, req); err != nil {
		return nil, err
	}
	qr := req.QueryResult
	if qr == nil {
		return nil, fmt.Errorf("%w: queryResult missing", ErrMalformedRequest)
	}
	c := &Conv{envelope: EnvelopeDialogflow, df: req}
	if odi := req.OriginalDetectIntentRequest; odi != nil {
		c.app = odi.Payload
	}
	if qr.Intent != nil {
		c.intent = qr.Intent.DisplayName
	}
	if c.app != nil && len(c.app.Inputs) > 0 {
		c.rawIntent = c.app.Inputs[0].Intent
	}

	var data map[string]json.RawMessage
	for _, ctx := range qr.OutputContexts {
		if contextID(ctx.Name) != AppDataContext {
			continue
		}
		switch raw := ctx.Parameters["data"].(type) {
		case nil:
		case string:
			var ok bool
			if data, ok = parseDataObject(raw); !ok {
				c.warnings = append(c.warnings, "conversation data in "+AppDataContext+" is not a JSON object; starting empty")
			}
		default:
			c.warnings = append(c.warnings, "conversation data in "+AppDataContext+" is not a string; starting empty")
		}
	}
	c.dataStore = Storage{values: data}
	c.data = &c.dataStore
	if err := c.initPayload(); err != nil {
		return nil, err
	}
	return c, nil
}

// ParseActionsSDK parses an Actions SDK conversation request (an AoG v2 AppRequest). Errors wrap
// ErrMalformedRequest.
func ParseActionsSDK(body []byte) (*Conv, error) {
	req := new(AppRequest)
	if err := decodeJSON(body, req); err != nil {
		return nil, err
	}
	if len(req.Inputs) == 0 {
		return nil, fmt.Errorf("%w: inputs missing", ErrMalformedRequest)
	}
	c := &Conv{envelope: EnvelopeActionsSDK, app: req, rawIntent: req.Inputs[0].Intent}
	c.intent = ActionsSDKIntentName(c.rawIntent)
	var data map[string]json.RawMessage
	if req.Conversation != nil {
		var ok bool
		if data, ok = parseWrapped(req.Conversation.ConversationToken); !ok {
			c.warnings = append(c.warnings, "conversation token is not {\"data\":{…}}; starting empty")
		}
	}
	c.dataStore = Storage{values: data}
	c.data = &c.dataStore
	if err := c.initPayload(); err != nil {
		return nil, err
	}
	return c, nil
}

// initPayload reads user storage and the helper arguments from the AoG payload.
func (c *Conv) initPayload() error {
	var user map[string]json.RawMessage
	if c.app != nil && c.app.User != nil {
		var ok bool
		if user, ok = parseWrapped(c.app.User.UserStorage); !ok {
			c.warnings = append(c.warnings, "user storage is not {\"data\":{…}}; starting empty")
		}
	}
	c.userStore = Storage{values: user, limit: MaxUserStorageBytes}
	c.user = &c.userStore
	if c.app == nil || len(c.app.Inputs) == 0 {
		return nil
	}
	for _, a := range c.app.Inputs[0].Arguments {
		switch a.Name {
		case ArgOption:
			c.option, c.hasOption = a.TextValue, true
		case ArgRequirementsCheckResult:
			var ext struct {
				ResultType RequirementsResult `json:"resultType"`
			}
			if err := decodeExtension(a, &ext); err != nil {
				return err
			}
			c.requirements, c.hasRequirements = ext.ResultType, true
			if c.requirements == "" {
				c.requirements = RequirementsUnspecified
			}
		case ArgTransactionDecisionValue:
			var ext struct {
				TransactionDecision Decision        `json:"transactionDecision"`
				Order               *orderv3.Order  `json:"order"`
				DeliveryAddress     json.RawMessage `json:"deliveryAddress"`
			}
			if err := decodeExtension(a, &ext); err != nil {
				return err
			}
			d := &TransactionDecision{Decision: ext.TransactionDecision, Order: ext.Order, DeliveryAddress: ext.DeliveryAddress}
			if d.Decision == "" {
				d.Decision = DecisionUnspecified
			}
			if d.Order != nil && d.Order.BuyerInfo != nil {
				d.Name, d.Email = d.Order.BuyerInfo.Name(), d.Order.BuyerInfo.Email
			}
			c.decision = d
		}
	}
	return nil
}

func decodeExtension(a Argument, dst any) error {
	if len(a.Extension) == 0 {
		return nil
	}
	if err := json.Unmarshal(a.Extension, dst); err != nil {
		return fmt.Errorf("%w: argument %s: %s", ErrMalformedRequest, a.Name, describeJSONError(err))
	}
	return nil
}

// decodeJSON decodes a webhook request body into dst (a pointer to a WebhookRequest or an AppRequest) with
// [unmarshal], turning decoding errors into messages without Go type names.
func decodeJSON(body []byte, dst any) error {
	if err := unmarshal(body, dst); err != nil {
		return fmt.Errorf("%w: %s", ErrMalformedRequest, describeJSONError(err))
	}
	return nil
}

// unmarshal is the service's one fast decode path, for what every turn carries: the request body, the
// conversation data and the user storage. What [fastDecodable] allows is decoded with github.com/goccy/go-json,
// which reads the same struct tags, json.Unmarshaler and RawMessage types as encoding/json in about half the time.
// Decoding is a turn's largest single cost: with encoding/json alone, a start turn over HTTP is 0.77–0.83 times a
// bare Gin JSON echo of the same body, below the 0.9 the service promises (BenchmarkStartTurnHTTP,
// docs/benchmarks.md). When the fast decoder refuses, encoding/json decodes the data again, so every error is
// encoding/json's; FuzzDecodeJSON and FuzzStorageParse hold the two decoders to the same results.
func unmarshal(data []byte, dst any) error {
	if fastDecodable(data) && gojson.UnmarshalNoEscape(data, dst) == nil {
		return nil
	}
	reflect.ValueOf(dst).Elem().SetZero() // forget what the fast decoder filled in before it stopped
	return json.Unmarshal(data, dst)
}

// fastDecodable reports whether goccy/go-json may decode data: valid UTF-8 (goccy keeps invalid bytes that
// encoding/json replaces with U+FFFD), accepted by encoding/json's json.Valid (goccy skips the members it has no
// field for without checking them), and without a \u escape (goccy's unescaping of a lone surrogate computes a
// pointer outside the buffer, which the race detector's checkptr refuses; requests rarely carry \u escapes).
func fastDecodable(data []byte) bool {
	return !bytes.Contains(data, []byte(`\u`)) && utf8.Valid(data) && json.Valid(data)
}

func describeJSONError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn) && strings.Contains(syn.Error(), "unexpected end"):
		return "truncated JSON"
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Sprintf("body: unexpected %s", typ.Value)
		}
		return fmt.Sprintf("%s: unexpected %s", typ.Field, typ.Value)
	default:
		return err.Error()
	}
}

// contextID is the last path segment of a context name, as Google's libraries match contexts.
func contextID(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// Envelope returns the protocol the turn came in.
func (c *Conv) Envelope() Envelope { return c.envelope }

// Intent returns the name the turn is dispatched by: the Dialogflow intent's display name, or for the Actions
// SDK the name ActionsSDKIntentName gives the AoG intent.
func (c *Conv) Intent() string { return c.intent }

// RawIntent returns the Actions on Google intent of the turn (inputs[0].intent), "" when there is none (the
// Dialogflow console).
func (c *Conv) RawIntent() string { return c.rawIntent }

// Action returns the Dialogflow action ("" for the Actions SDK).
func (c *Conv) Action() string {
	if c.df != nil {
		return c.df.QueryResult.Action
	}
	return ""
}

// QueryText returns what the user said or typed: Dialogflow's queryText (the event name for an event-triggered
// intent), or the Actions SDK's first raw input. It is personal data: never log it.
func (c *Conv) QueryText() string {
	if c.df != nil {
		return c.df.QueryResult.QueryText
	}
	if c.app != nil && len(c.app.Inputs) > 0 && len(c.app.Inputs[0].RawInputs) > 0 {
		return c.app.Inputs[0].RawInputs[0].Query
	}
	return ""
}

// Param returns a Dialogflow parameter as decoded from JSON (string, float64, bool, map, slice). On the Actions
// SDK envelope it returns the argument of that name of a custom intent, in the shape Dialogflow would give:
// textValue (else rawText) as a string, intValue and floatValue as a float64, datetimeValue as an ISO 8601
// string ("2026-11-23", "19:30:00" or both joined by "T").
func (c *Conv) Param(name string) (any, bool) {
	if c.df == nil {
		return c.argParam(name)
	}
	v, ok := c.df.QueryResult.Parameters[name]
	return v, ok && v != nil
}

// argParam is Param on the Actions SDK envelope.
func (c *Conv) argParam(name string) (any, bool) {
	if c.app == nil || len(c.app.Inputs) == 0 {
		return nil, false
	}
	for _, a := range c.app.Inputs[0].Arguments {
		if a.Name != name {
			continue
		}
		switch {
		case a.TextValue != "":
			return a.TextValue, true
		case len(a.IntValue) > 0:
			if n, err := strconv.ParseFloat(strings.Trim(string(a.IntValue), `"`), 64); err == nil {
				return n, true
			}
		case a.FloatValue != 0:
			return a.FloatValue, true
		case len(a.DatetimeValue) > 0:
			if v, ok := isoDatetime(a.DatetimeValue); ok {
				return v, true
			}
		case a.RawText != "":
			return a.RawText, true
		}
		return nil, false
	}
	return nil, false
}

// isoDatetime writes an Actions SDK DateTime ({"date":{"year","month","day"},"time":{"hours","minutes",
// "seconds"}}) as ISO 8601.
func isoDatetime(raw json.RawMessage) (string, bool) {
	var v struct {
		Date *struct{ Year, Month, Day int }        `json:"date"`
		Time *struct{ Hours, Minutes, Seconds int } `json:"time"`
	}
	if json.Unmarshal(raw, &v) != nil || (v.Date == nil && v.Time == nil) {
		return "", false
	}
	var parts []string
	if d := v.Date; d != nil {
		if d.Year < 1 || d.Month < 1 || d.Month > 12 || d.Day < 1 || d.Day > 31 {
			return "", false
		}
		parts = append(parts, fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day))
	}
	if t := v.Time; t != nil {
		if t.Hours < 0 || t.Hours > 23 || t.Minutes < 0 || t.Minutes > 59 || t.Seconds < 0 || t.Seconds > 59 {
			return "", false
		}
		parts = append(parts, fmt.Sprintf("%02d:%02d:%02d", t.Hours, t.Minutes, t.Seconds))
	}
	return strings.Join(parts, "T"), true
}

// ParamString returns a parameter that is a non-empty string. Dialogflow sends "" for an optional parameter the
// user did not fill; that is reported as absent.
func (c *Conv) ParamString(name string) (string, bool) {
	v, _ := c.Param(name)
	s, ok := v.(string)
	return s, ok && s != ""
}

// ParamNumber returns a parameter that is a number, or a string holding one.
func (c *Conv) ParamNumber(name string) (float64, bool) {
	v, _ := c.Param(name)
	switch n := v.(type) {
	case float64:
		return n, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, false
		}
		return f, true
	default:
		return 0, false
	}
}

// ParamInt returns a parameter that is a whole number (4, 4.0 or "4").
func (c *Conv) ParamInt(name string) (int, bool) {
	f, ok := c.ParamNumber(name)
	if !ok || f != math.Trunc(f) || f > math.MaxInt32 || f < math.MinInt32 {
		return 0, false
	}
	return int(f), true
}

// Context returns an incoming Dialogflow context by its name (the last segment of its path).
func (c *Conv) Context(name string) (Context, bool) {
	if c.df == nil {
		return Context{}, false
	}
	for _, ctx := range c.df.QueryResult.OutputContexts {
		if contextID(ctx.Name) == name {
			return ctx, true
		}
	}
	return Context{}, false
}

// RequirementsCheckResult returns the TRANSACTION_REQUIREMENTS_CHECK_RESULT argument's resultType.
func (c *Conv) RequirementsCheckResult() (RequirementsResult, bool) {
	return c.requirements, c.hasRequirements
}

// TransactionDecision returns the TRANSACTION_DECISION_VALUE argument.
func (c *Conv) TransactionDecision() (TransactionDecision, bool) {
	if c.decision == nil {
		return TransactionDecision{}, false
	}
	return *c.decision, true
}

// SelectedOption returns the key of the list or carousel item the user picked (the OPTION argument).
func (c *Conv) SelectedOption() (string, bool) { return c.option, c.hasOption }

// HasCapability reports whether the user's current surface has the capability.
func (c *Conv) HasCapability(name string) bool {
	if c.app == nil || c.app.Surface == nil {
		return false
	}
	for _, cp := range c.app.Surface.Capabilities {
		if cp.Name == name {
			return true
		}
	}
	return false
}

// HasScreen reports whether the surface can show text and cards.
func (c *Conv) HasScreen() bool { return c.HasCapability(CapabilityScreen) }

// HasAudio reports whether the surface can speak.
func (c *Conv) HasAudio() bool { return c.HasCapability(CapabilityAudio) }

// HasWebBrowser reports whether the surface can open web pages.
func (c *Conv) HasWebBrowser() bool { return c.HasCapability(CapabilityWebBrowser) }

// CanTransact reports whether the turn came from an Assistant surface, where the transaction helpers
// (requirements check, order proposal, receipts) exist. It is false for the Dialogflow console and other
// Dialogflow channels, whose payload is empty or has no surface: those get a spoken or typed confirmation flow.
// Google lets a voice-only Assistant surface transact (the requirements check hands the user off to their
// phone); whether to do so is the caller's choice (package intents also requires a screen).
func (c *Conv) CanTransact() bool {
	return c.app != nil && c.app.Surface != nil && len(c.app.Surface.Capabilities) > 0
}

// Sandbox reports whether the conversation's orders are sandbox orders (isInSandbox); Orders API updates must
// carry the same flag.
func (c *Conv) Sandbox() bool { return c.app != nil && c.app.IsInSandbox }

// Locale returns the user's locale (payload.user.locale), or Dialogflow's languageCode.
func (c *Conv) Locale() string {
	if c.app != nil && c.app.User != nil && c.app.User.Locale != "" {
		return c.app.User.Locale
	}
	if c.df != nil {
		return c.df.QueryResult.LanguageCode
	}
	return ""
}

// ConversationID returns the Assistant's conversation id, or the Dialogflow session id (the last segment of
// the session path) when there is none.
func (c *Conv) ConversationID() string {
	if c.app != nil && c.app.Conversation != nil && c.app.Conversation.ConversationID != "" {
		return c.app.Conversation.ConversationID
	}
	if c.df != nil {
		return contextID(c.df.Session)
	}
	return ""
}

// TurnID returns an id of this webhook call that a re-sent call repeats: Dialogflow's responseId, unique to
// each turn. It is empty for the Actions SDK envelope, which has no such id.
func (c *Conv) TurnID() string {
	if c.df != nil {
		return c.df.ResponseID
	}
	return ""
}

// UserID returns the Assistant's user id when the request carries one (payload.user.userId, deprecated by
// Google and usually absent). Keep a stable anonymous id in UserStorage instead.
func (c *Conv) UserID() string {
	if c.app != nil && c.app.User != nil {
		return c.app.User.UserID
	}
	return ""
}

// UserVerified reports whether the user is a verified Google user (only they keep user storage).
func (c *Conv) UserVerified() bool {
	return c.app != nil && c.app.User != nil && c.app.User.UserVerificationStatus == "VERIFIED"
}

// Data returns the conversation data: kept in the _actions_on_google context (Dialogflow) or the conversation
// token (Actions SDK) for the rest of the conversation, and written back only when it changed.
func (c *Conv) Data() *Storage { return c.data }

// UserStorage returns the user storage, kept by Google across conversations for verified users (at most
// MaxUserStorageBytes encoded) and written back only when it changed.
func (c *Conv) UserStorage() *Storage { return c.user }

// Request returns the Dialogflow request, nil for the Actions SDK. Handlers should not need it.
func (c *Conv) Request() *WebhookRequest { return c.df }

// AppRequest returns the Actions on Google payload, nil for a Dialogflow console request.
func (c *Conv) AppRequest() *AppRequest { return c.app }
