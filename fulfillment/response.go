package fulfillment

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/reservations/reservations/orders/orderv3"
)

// The "@type" of each system intent spec, exactly as the Assistant expects them.
const (
	TypeOptionValueSpec                  = "type.googleapis.com/google.actions.v2.OptionValueSpec"
	TypeTransactionRequirementsCheckSpec = "type.googleapis.com/google.actions.transactions.v3.TransactionRequirementsCheckSpec"
	TypeTransactionDecisionValueSpec     = "type.googleapis.com/google.actions.transactions.v3.TransactionDecisionValueSpec"
)

// Limits of a response.
const (
	// MaxResponseBytes is the largest webhook response Dialogflow accepts (64 KiB).
	MaxResponseBytes = 64 << 10
	// MaxSimpleResponses is how many simple responses one rich response may hold; further Ask calls are merged
	// into the last one.
	MaxSimpleResponses = 2
	// MaxSuggestions is how many suggestion chips a response may carry; each title is at most
	// MaxSuggestionTitle characters.
	MaxSuggestions     = 8
	MaxSuggestionTitle = 25
	// MaxNoInputPrompts is how many reprompts a response may carry: the Assistant says them in order on the
	// user's successive silences, and closes the conversation after the last.
	MaxNoInputPrompts = 3
	// List and carousel sizes the Assistant accepts.
	MinOptionItems   = 2
	MaxListItems     = 30
	MaxCarouselItems = 10
)

// Errors a handler sees from the response builders (and that the App reports, with an apology, when the
// finished response breaks a rule).
var (
	// ErrResponseTooLarge: the encoded response would exceed MaxResponseBytes. The builder call that returns it
	// changed nothing.
	ErrResponseTooLarge = errors.New("response larger than 64 KiB")
	// ErrSimpleResponseRequired: a receipt, list, carousel or suggestion chips need a simple response (Ask)
	// before them in the same response, as the Assistant requires.
	ErrSimpleResponseRequired = errors.New("a simple response is required in addition to this type of response")
	// ErrClosed: the conversation was closed in this turn and cannot ask for a system intent.
	ErrClosed = errors.New("conversation already closed in this turn")
	// ErrSystemIntentSet: one turn can ask for one system intent only.
	ErrSystemIntentSet = errors.New("a system intent was already requested in this turn")
	// ErrEmptyResponse: the handler neither said anything, asked for a system intent nor closed the
	// conversation.
	ErrEmptyResponse = errors.New("empty response: nothing to say and the conversation is not closed")
)

// ActionDisplayName is the verb on the order preview's button.
type ActionDisplayName string

// Action display names.
const (
	ActionPlaceOrder ActionDisplayName = "PLACE_ORDER"
	ActionPay        ActionDisplayName = "PAY"
	ActionBuy        ActionDisplayName = "BUY"
	ActionSend       ActionDisplayName = "SEND"
	ActionBook       ActionDisplayName = "BOOK"
	ActionReserve    ActionDisplayName = "RESERVE"
	ActionSchedule   ActionDisplayName = "SCHEDULE"
	ActionSubscribe  ActionDisplayName = "SUBSCRIBE"
)

// UserInfoProperty is user information a proposal asks Google to share on acceptance.
type UserInfoProperty string

// User info properties.
const (
	UserInfoPropertyUnspecified UserInfoProperty = "USER_INFO_PROPERTY_UNSPECIFIED"
	UserInfoEmail               UserInfoProperty = "EMAIL"
)

// Proposal is a TransactionDecisionValueSpec: the order to propose and how.
type Proposal struct {
	Order        orderv3.Order
	OrderOptions *OrderOptions
	// PresentationOptions default to actionDisplayName RESERVE when nil.
	PresentationOptions *PresentationOptions
	// PaymentParameters are passed verbatim (a reservation without payment leaves them out).
	PaymentParameters json.RawMessage
}

// OrderOptions are the order options of a proposal.
type OrderOptions struct {
	// RequestDeliveryAddress is always written; Google's samples also send it as the string "false", which
	// proto3 JSON does not define: this package writes the boolean.
	RequestDeliveryAddress bool             `json:"requestDeliveryAddress"`
	UserInfoOptions        *UserInfoOptions `json:"userInfoOptions,omitempty"`
}

// UserInfoOptions ask for the buyer's details (EMAIL) on acceptance.
type UserInfoOptions struct {
	UserInfoProperties []UserInfoProperty `json:"userInfoProperties"`
}

// PresentationOptions say how the proposal is shown.
type PresentationOptions struct {
	ActionDisplayName ActionDisplayName `json:"actionDisplayName,omitempty"`
}

// decisionSpec is the wire form of a Proposal.
type decisionSpec struct {
	Type string `json:"@type"`
	// Order is the *orderv3.Order as Order.JSONValue returns it.
	Order               any                  `json:"order"`
	OrderOptions        *OrderOptions        `json:"orderOptions,omitempty"`
	PresentationOptions *PresentationOptions `json:"presentationOptions,omitempty"`
	PaymentParameters   json.RawMessage      `json:"paymentParameters,omitempty"`
}

type requirementsSpec struct {
	Type string `json:"@type"`
}

// OptionItem is one entry of a list or carousel. Key is what SelectedOption returns when the user picks it.
type OptionItem struct {
	Key         string
	Synonyms    []string
	Title       string
	Description string
	Image       *Image
}

// Image is a picture in a list, carousel or card.
type Image struct {
	URL               string `json:"url"`
	AccessibilityText string `json:"accessibilityText"`
	Height            int    `json:"height,omitempty"`
	Width             int    `json:"width,omitempty"`
}

type optionValueSpec struct {
	Type           string          `json:"@type"`
	ListSelect     *listSelect     `json:"listSelect,omitempty"`
	CarouselSelect *carouselSelect `json:"carouselSelect,omitempty"`
}

type listSelect struct {
	Title string       `json:"title,omitempty"`
	Items []optionWire `json:"items"`
}

type carouselSelect struct {
	Items []optionWire `json:"items"`
}

type optionWire struct {
	OptionInfo  optionInfo `json:"optionInfo"`
	Title       string     `json:"title"`
	Description string     `json:"description,omitempty"`
	Image       *Image     `json:"image,omitempty"`
}

type optionInfo struct {
	Key      string   `json:"key"`
	Synonyms []string `json:"synonyms,omitzero"`
}

// response is the answer being built.
type response struct {
	closed      bool
	items       []RichItem
	suggestions []Suggestion
	system      *SystemIntent
	contexts    []Context
	resetUser   bool
	noInput     []SimpleResponse
}

func (r *response) simpleCount() int {
	n := 0
	for _, it := range r.items {
		if it.SimpleResponse != nil {
			n++
		}
	}
	return n
}

// Ask says text and keeps listening.
func (c *Conv) Ask(text string) { c.AddSimple(SimpleResponse{TextToSpeech: text}) }

// AskSSML says ssml (wrapped in <speak> when it is not) and shows displayText (or the SSML's text when empty),
// and keeps listening.
func (c *Conv) AskSSML(ssml, displayText string) {
	c.AddSimple(SimpleResponse{SSML: wrapSpeak(ssml), DisplayText: displayText})
}

// Close says text and ends the conversation (expectUserResponse false).
func (c *Conv) Close(text string) {
	c.Ask(text)
	c.resp.closed = true
	c.gen++
}

// CloseSSML says ssml, shows displayText and ends the conversation.
func (c *Conv) CloseSSML(ssml, displayText string) {
	c.AskSSML(ssml, displayText)
	c.resp.closed = true
	c.gen++
}

// AddSimple adds a simple response. A rich response holds at most MaxSimpleResponses; beyond that the words are
// appended to the last simple response. Empty responses are ignored.
func (c *Conv) AddSimple(s SimpleResponse) {
	if s == (SimpleResponse{}) {
		return
	}
	c.gen++
	if c.resp.simpleCount() >= MaxSimpleResponses {
		for i := len(c.resp.items) - 1; i >= 0; i-- {
			if last := c.resp.items[i].SimpleResponse; last != nil {
				merged := mergeSimple(*last, s)
				c.resp.items[i].SimpleResponse = &merged
				return
			}
		}
	}
	c.resp.items = append(c.resp.items, RichItem{SimpleResponse: &s})
}

// Suggest adds suggestion chips (each at most MaxSuggestionTitle characters, MaxSuggestions in all; repeats are
// ignored). The response needs a simple response too.
func (c *Conv) Suggest(titles ...string) error {
	next := slices.Clone(c.resp.suggestions)
	for _, t := range titles {
		switch n := utf8.RuneCountInString(t); {
		case strings.TrimSpace(t) == "":
			return errors.New("suggestion: empty title")
		case n > MaxSuggestionTitle:
			return fmt.Errorf("suggestion %q: longer than %d characters", t, MaxSuggestionTitle)
		}
		if slices.Contains(next, Suggestion{Title: t}) {
			continue
		}
		next = append(next, Suggestion{Title: t})
	}
	if len(next) > MaxSuggestions {
		return fmt.Errorf("suggestions: more than %d", MaxSuggestions)
	}
	c.resp.suggestions = next
	c.gen++
	return nil
}

// Reprompt sets what the Assistant says, in order, when the user says nothing after this answer: at most
// MaxNoInputPrompts non-empty texts, replacing earlier ones. They go out as payload.google.noInputPrompts
// (Dialogflow) or expectedInputs[].inputPrompt.noInputPrompts (Actions SDK); without them the Assistant uses
// its generic reprompts. An answer that closes the conversation carries none.
func (c *Conv) Reprompt(texts ...string) error {
	if len(texts) > MaxNoInputPrompts {
		return fmt.Errorf("reprompts: more than %d", MaxNoInputPrompts)
	}
	prompts := make([]SimpleResponse, 0, len(texts))
	for _, t := range texts {
		if strings.TrimSpace(t) == "" {
			return errors.New("reprompt: empty text")
		}
		prompts = append(prompts, SimpleResponse{TextToSpeech: t})
	}
	if len(prompts) == 0 {
		prompts = nil
	}
	c.resp.noInput = prompts
	c.gen++
	return nil
}

// List shows a list the user picks one item of (actions.intent.OPTION); the answer arrives as an OPTION
// argument (SelectedOption). It needs 2 to 30 items with unique keys and titles, and a simple response
// before it.
func (c *Conv) List(title string, items []OptionItem) error {
	opts, err := c.optionItems(items, MaxListItems)
	if err != nil {
		return fmt.Errorf("list: %w", err)
	}
	return c.setSystemIntent(IntentOption, &optionValueSpec{
		Type: TypeOptionValueSpec, ListSelect: &listSelect{Title: title, Items: opts},
	})
}

// Carousel shows a carousel the user picks one item of (actions.intent.OPTION). It needs 2 to 10 items with
// unique keys and titles, and a simple response before it.
func (c *Conv) Carousel(items []OptionItem) error {
	opts, err := c.optionItems(items, MaxCarouselItems)
	if err != nil {
		return fmt.Errorf("carousel: %w", err)
	}
	return c.setSystemIntent(IntentOption, &optionValueSpec{
		Type: TypeOptionValueSpec, CarouselSelect: &carouselSelect{Items: opts},
	})
}

func (c *Conv) optionItems(items []OptionItem, maxItems int) ([]optionWire, error) {
	if c.resp.simpleCount() == 0 {
		return nil, ErrSimpleResponseRequired
	}
	if len(items) < MinOptionItems || len(items) > maxItems {
		return nil, fmt.Errorf("%d items, want %d to %d", len(items), MinOptionItems, maxItems)
	}
	seen := make(map[string]bool, len(items))
	out := make([]optionWire, len(items))
	for i, it := range items {
		switch {
		case it.Key == "":
			return nil, fmt.Errorf("item %d: empty key", i)
		case seen[it.Key]:
			return nil, fmt.Errorf("item %d: duplicate key %q", i, it.Key)
		case strings.TrimSpace(it.Title) == "":
			return nil, fmt.Errorf("item %d: empty title", i)
		}
		seen[it.Key] = true
		out[i] = optionWire{
			OptionInfo:  optionInfo{Key: it.Key, Synonyms: it.Synonyms},
			Title:       it.Title,
			Description: it.Description,
			Image:       it.Image,
		}
	}
	return out, nil
}

// RequireTransaction asks the Assistant to check that the user can transact
// (actions.intent.TRANSACTION_REQUIREMENTS_CHECK); the result arrives as RequirementsCheckResult.
func (c *Conv) RequireTransaction() error {
	return c.setSystemIntent(IntentTransactionRequirementsCheck, &requirementsSpec{Type: TypeTransactionRequirementsCheckSpec})
}

// ProposeOrder shows the order preview (actions.intent.TRANSACTION_DECISION); the user's answer arrives as
// TransactionDecision. The order must pass orderv3.Order.Validate. The response refers to the order's parts
// (line items, merchant…): do not modify them after the call.
func (c *Conv) ProposeOrder(p Proposal) error {
	if err := p.Order.Validate(); err != nil {
		return fmt.Errorf("propose order: %w", err)
	}
	// One allocation holds the spec, the order it refers to and the default presentation options.
	a := &struct {
		spec  decisionSpec
		order orderv3.Order
		pres  PresentationOptions
	}{order: p.Order, pres: PresentationOptions{ActionDisplayName: ActionReserve}}
	a.spec = decisionSpec{
		Type:                TypeTransactionDecisionValueSpec,
		Order:               a.order.JSONValue(),
		OrderOptions:        p.OrderOptions,
		PresentationOptions: p.PresentationOptions,
		PaymentParameters:   p.PaymentParameters,
	}
	if a.spec.PresentationOptions == nil {
		a.spec.PresentationOptions = &a.pres
	}
	return c.setSystemIntent(IntentTransactionDecision, &a.spec)
}

func (c *Conv) setSystemIntent(intent string, data any) error {
	switch {
	case c.resp.closed:
		return ErrClosed
	case c.resp.system != nil:
		return ErrSystemIntentSet
	}
	c.resp.system = &SystemIntent{Intent: intent, Data: data}
	c.gen++
	if err := c.checkSize(); err != nil {
		c.resp.system = nil
		c.gen++
		return err
	}
	return nil
}

// OrderUpdate adds a receipt (richResponse.items[].structuredResponse.orderUpdateV3), normally
// orderv3.Snapshot of the confirmed order. A simple response must come before it: it is refused with
// ErrSimpleResponseRequired otherwise. Do not modify the order after the call.
func (c *Conv) OrderUpdate(u orderv3.OrderUpdate) error {
	if c.resp.simpleCount() == 0 {
		return ErrSimpleResponseRequired
	}
	if u.Order == nil {
		return errors.New("order update: no order")
	}
	c.resp.items = append(c.resp.items, RichItem{StructuredResponse: &StructuredResponse{OrderUpdateV3: &u}})
	c.gen++
	if err := c.checkSize(); err != nil {
		c.resp.items = c.resp.items[:len(c.resp.items)-1]
		c.gen++
		return err
	}
	return nil
}

// SetContext sets a Dialogflow output context (ignored by the Actions SDK envelope) for lifespan turns;
// lifespan 0 deletes it. The name is the context's id, without the session path. Do not modify params after
// the call.
func (c *Conv) SetContext(name string, lifespan int, params map[string]any) error {
	switch {
	case name == "" || strings.ContainsAny(name, "/ "):
		return fmt.Errorf("context name %q: want a non-empty id without / or spaces", name)
	case name == AppDataContext:
		return fmt.Errorf("context %s is managed through Data()", AppDataContext)
	case lifespan < 0:
		return fmt.Errorf("context %s: negative lifespan", name)
	}
	full := c.contextName(name)
	ctx := Context{Name: full, LifespanCount: lifespan, Parameters: params}
	c.gen++
	for i := range c.resp.contexts {
		if c.resp.contexts[i].Name == full {
			c.resp.contexts[i] = ctx
			return nil
		}
	}
	c.resp.contexts = append(c.resp.contexts, ctx)
	return nil
}

func (c *Conv) contextName(name string) string {
	session := ""
	if c.df != nil {
		session = c.df.Session
	}
	return session + "/contexts/" + name
}

// ResetUserStorage clears the user storage and tells Google to drop it (resetUserStorage).
func (c *Conv) ResetUserStorage() {
	c.user.Clear()
	c.resp.resetUser = true
	c.gen++
}

// Closed reports whether the response ends the conversation.
func (c *Conv) Closed() bool { return c.resp.closed }

// SpokenText returns the words of the response's simple responses (display text, or speech without SSML
// markup), as the fulfillmentText mirror shows them.
func (c *Conv) SpokenText() string { return strings.Join(c.texts(), " ") }

func (c *Conv) texts() []string {
	var out []string
	for _, it := range c.resp.items {
		if s := it.SimpleResponse; s != nil {
			if t := simpleText(*s); t != "" {
				out = append(out, t)
			}
		}
	}
	return out
}

// checkSize fails with ErrResponseTooLarge when the response as built so far is too large to send.
func (c *Conv) checkSize() error {
	_, err := c.Response()
	if errors.Is(err, ErrResponseTooLarge) {
		return err
	}
	return nil
}

// Response returns the answer encoded in the request's envelope: a Dialogflow WebhookResponse or an Actions
// SDK AppResponse. It fails when the answer breaks a rule (ErrResponseTooLarge, ErrSimpleResponseRequired,
// ErrEmptyResponse, a system intent on a closed conversation). The encoding is kept until the next change made
// through c (builders, Data, UserStorage), so the size checks of the builders and the final answer cost one
// encoding; this is why values handed to the builders must not be modified afterwards. When the App serves the
// turn, the returned bytes are valid until it has written the response: copy them to keep them longer.
func (c *Conv) Response() ([]byte, error) {
	key := [3]int{c.gen, c.data.version, c.user.version}
	if c.cache != nil || c.cacheErr != nil {
		if key == c.cacheKey {
			return c.cache, c.cacheErr
		}
	}
	b, err := c.encode()
	c.cache, c.cacheErr, c.cacheKey = b, err, key
	return b, err
}

func (c *Conv) encode() ([]byte, error) {
	// An earlier encoding's buffer is not reused: the bytes Response returned then may still be held.
	c.outBuf = nil
	r := &c.resp
	switch {
	case r.closed && r.system != nil:
		return nil, fmt.Errorf("%w: cannot ask for %s", ErrClosed, r.system.Intent)
	case len(r.items) > 0 && r.items[0].SimpleResponse == nil,
		len(r.suggestions) > 0 && r.simpleCount() == 0:
		return nil, ErrSimpleResponseRequired
	case !r.closed && r.system == nil && r.simpleCount() == 0:
		return nil, ErrEmptyResponse
	}
	var v any
	if c.envelope == EnvelopeActionsSDK {
		v = c.appResponse()
	} else {
		v = c.webhookResponse()
	}
	b, buf, err := marshalResponse(v)
	if err != nil {
		return nil, fmt.Errorf("encode response: %w", err)
	}
	if len(b) > MaxResponseBytes {
		releaseBuf(buf)
		return nil, fmt.Errorf("%w (%d bytes)", ErrResponseTooLarge, len(b))
	}
	c.outBuf = buf
	return b, nil
}

// marshalResponse encodes v (a *WebhookResponse or *AppResponse) with encoding/json, as json.Marshal writes it
// (HTML-safe escaping, no trailing newline), into a buffer from encodeBufs that the caller hands back with
// releaseBuf once the bytes are written.
func marshalResponse(v any) ([]byte, *bytes.Buffer, error) {
	buf := encodeBufs.Get().(*bytes.Buffer)
	buf.Reset()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(true) // <, > and & as \u003c…, as json.Marshal writes them
	if err := enc.Encode(v); err != nil {
		releaseBuf(buf)
		return nil, nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), buf, nil // Encode ends the value with a newline
}

// encodeBufs holds response buffers between turns; one that grew past maxPooledBuf (for a response too large
// to send) is dropped.
var encodeBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledBuf = 2 * MaxResponseBytes

// releaseBuf returns a response buffer to the pool, unless it grew too large to keep.
func releaseBuf(buf *bytes.Buffer) {
	if buf.Cap() <= maxPooledBuf {
		encodeBufs.Put(buf)
	}
}

// releaseResponse hands the buffer of the last encoding back for reuse; the bytes Response returned must not
// be used afterwards. Only the App calls it, once the response is written.
func (c *Conv) releaseResponse() {
	if c.outBuf != nil {
		releaseBuf(c.outBuf)
		c.outBuf, c.cache, c.cacheErr = nil, nil, nil
	}
}

func (c *Conv) richResponse() *RichResponse {
	if len(c.resp.items) == 0 && len(c.resp.suggestions) == 0 {
		return nil
	}
	return &RichResponse{Items: c.resp.items, Suggestions: c.resp.suggestions}
}

func (c *Conv) webhookResponse() *WebhookResponse {
	// One allocation for the three levels.
	a := &struct {
		w WebhookResponse
		p WebhookPayload
		g GooglePayload
	}{g: GooglePayload{
		ExpectUserResponse: !c.resp.closed,
		RichResponse:       c.richResponse(),
		SystemIntent:       c.resp.system,
		ResetUserStorage:   c.resp.resetUser,
	}}
	if !c.resp.closed {
		a.g.NoInputPrompts = c.resp.noInput
	}
	g := &a.g
	if c.user.Changed() {
		g.UserStorage = c.user.wrapped()
	}
	a.p.Google = g
	w := &a.w
	w.Payload = &a.p
	if texts := c.texts(); len(texts) > 0 {
		w.FulfillmentText = strings.Join(texts, " ")
		w.FulfillmentMessages = make([]Message, len(texts))
		for i, t := range texts {
			w.FulfillmentMessages[i] = Message{Text: &MessageText{Text: []string{t}}}
		}
	}
	w.OutputContexts = slices.Clone(c.resp.contexts)
	if c.data.Changed() {
		w.OutputContexts = append(w.OutputContexts, Context{
			Name:          c.contextName(AppDataContext),
			LifespanCount: AppDataLifespan,
			Parameters:    map[string]any{"data": string(c.data.encode())},
		})
	}
	return w
}

func (c *Conv) appResponse() *AppResponse {
	r := &AppResponse{ExpectUserResponse: !c.resp.closed, ResetUserStorage: c.resp.resetUser}
	rich := c.richResponse()
	if c.resp.closed {
		if rich != nil {
			r.FinalResponse = &FinalResponse{RichResponse: rich}
		}
	} else {
		in := ExpectedInput{PossibleIntents: []ExpectedIntent{{Intent: IntentText}}}
		if rich != nil || c.resp.noInput != nil {
			in.InputPrompt = &InputPrompt{RichInitialPrompt: rich, NoInputPrompts: c.resp.noInput}
		}
		if s := c.resp.system; s != nil {
			in.PossibleIntents[0] = ExpectedIntent{Intent: s.Intent, InputValueData: s.Data}
		}
		r.ExpectedInputs = []ExpectedInput{in}
	}
	if c.data.Changed() {
		r.ConversationToken = c.data.wrapped()
	}
	if c.user.Changed() {
		r.UserStorage = c.user.wrapped()
	}
	return r
}

// apologize replaces the answer with a spoken apology that closes the conversation and drops every change to
// the conversation data and user storage.
func (c *Conv) apologize(text string) []byte {
	c.resp = response{}
	c.data = newStorage(nil, 0)
	c.user = newStorage(nil, MaxUserStorageBytes)
	c.Close(text)
	b, err := c.Response()
	if err != nil {
		// Unreachable: a closed conversation with one short sentence always encodes.
		if c.envelope == EnvelopeActionsSDK {
			return []byte(`{"expectUserResponse":false}`)
		}
		return []byte(`{"payload":{"google":{"expectUserResponse":false}}}`)
	}
	return b
}

// wrapSpeak wraps SSML in <speak> unless it already is.
func wrapSpeak(ssml string) string {
	t := strings.TrimSpace(ssml)
	if strings.HasPrefix(t, "<speak>") || strings.HasPrefix(t, "<speak ") {
		return t
	}
	return "<speak>" + t + "</speak>"
}

// simpleText is what a simple response shows: its display text, its plain speech, or its SSML without markup.
func simpleText(s SimpleResponse) string {
	switch {
	case s.DisplayText != "":
		return s.DisplayText
	case s.TextToSpeech != "":
		return s.TextToSpeech
	default:
		return stripSSML(s.SSML)
	}
}

// stripSSML removes tags and decodes entities: "<speak>Table for <say-as>4</say-as> &amp; more</speak>" →
// "Table for 4 & more".
func stripSSML(ssml string) string {
	var b strings.Builder
	in := false
	for _, r := range ssml {
		switch {
		case r == '<':
			in = true
		case r == '>' && in:
			in = false
			b.WriteByte(' ')
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(html.UnescapeString(b.String())), " ")
}

// speakInner returns a simple response's speech as SSML without the <speak> wrapper.
func speakInner(s SimpleResponse) string {
	if s.SSML == "" {
		return html.EscapeString(s.TextToSpeech)
	}
	t := wrapSpeak(s.SSML)
	if i := strings.IndexByte(t, '>'); i >= 0 {
		t = t[i+1:]
	}
	return strings.TrimSuffix(strings.TrimSpace(t), "</speak>")
}

// mergeSimple appends b's words to a.
func mergeSimple(a, b SimpleResponse) SimpleResponse {
	if a.SSML == "" && b.SSML == "" {
		out := SimpleResponse{TextToSpeech: a.TextToSpeech + " " + b.TextToSpeech}
		if a.DisplayText != "" || b.DisplayText != "" {
			out.DisplayText = simpleText(a) + " " + simpleText(b)
		}
		return out
	}
	out := SimpleResponse{SSML: "<speak>" + speakInner(a) + " " + speakInner(b) + "</speak>"}
	if a.DisplayText != "" || b.DisplayText != "" {
		out.DisplayText = simpleText(a) + " " + simpleText(b)
	}
	return out
}
