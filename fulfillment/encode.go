package fulfillment

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"sync"

	"github.com/reservations/reservations/orders/orderv3"
)

// The response encoder: it writes a WebhookResponse or AppResponse byte for byte as encoding/json's Marshal
// does (member order, omitempty/omitzero, HTML-safe escaping, RawMessage members compacted), by appending to a
// pooled buffer instead of walking the types by reflection. encoding/json was a third of a decision turn's CPU
// and most of its garbage (see docs/benchmarks.md). Values it does not know (a handler's context parameters of
// other types, a system intent spec of another type) are handed to encoding/json for that member only; when
// anything fails (a timestamp out of range, invalid RawMessage) the whole response is encoded again by
// encoding/json so the error is exactly its own. TestFastEncoderMatchesEncodingJSON keeps the two equal.

// encodeBufs holds response buffers between turns; a buffer that grew past maxPooledBuf is dropped.
var encodeBufs = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledBuf = MaxResponseBytes

// marshalResponse encodes v (*WebhookResponse or *AppResponse). The bytes are in a buffer from encodeBufs when
// bp is not nil (the caller hands it back with releaseBuf once the bytes are written, or lets it go); bp is
// nil when encoding/json wrote them.
func marshalResponse(v any) (out []byte, bp *[]byte, err error) {
	bp = encodeBufs.Get().(*[]byte)
	buf := (*bp)[:0]
	switch r := v.(type) {
	case *WebhookResponse:
		buf, err = appendWebhookResponse(buf, r)
	case *AppResponse:
		buf, err = appendAppResponse(buf, r)
	default:
		err = errFallback
	}
	*bp = buf
	if err != nil {
		releaseBuf(bp)
		out, err = json.Marshal(v)
		return out, nil, err
	}
	return buf, bp, nil
}

// releaseBuf returns a response buffer to the pool, unless it grew too large to keep.
func releaseBuf(bp *[]byte) {
	if cap(*bp) <= maxPooledBuf {
		*bp = (*bp)[:0]
		encodeBufs.Put(bp)
	}
}

// errFallback makes marshalResponse encode with encoding/json; it never leaves this file.
var errFallback = errorString("fall back to encoding/json")

type errorString string

func (e errorString) Error() string { return string(e) }

// sep appends the comma before a member of the object that starts at b[start], unless it is the first.
func sep(b []byte, start int) []byte {
	if len(b) > start+1 {
		return append(b, ',')
	}
	return b
}

func appendStrField(b []byte, start int, name, v string) []byte {
	if v == "" {
		return b
	}
	return orderv3.AppendJSONString(append(sep(b, start), name...), v)
}

func appendRawField(b []byte, start int, name string, raw json.RawMessage) ([]byte, error) {
	if len(raw) == 0 {
		return b, nil
	}
	return orderv3.AppendRawJSON(append(sep(b, start), name...), raw)
}

func appendBoolField(b []byte, start int, name string, v bool) []byte {
	if !v {
		return b
	}
	return append(append(sep(b, start), name...), "true"...)
}

func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = orderv3.AppendJSONString(b, s)
	}
	return append(b, ']')
}

func appendWebhookResponse(b []byte, w *WebhookResponse) ([]byte, error) {
	start := len(b)
	var err error
	b = append(b, '{')
	b = appendStrField(b, start, `"fulfillmentText":`, w.FulfillmentText)
	if w.FulfillmentMessages != nil {
		b = append(sep(b, start), `"fulfillmentMessages":[`...)
		for i := range w.FulfillmentMessages {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendMessage(b, &w.FulfillmentMessages[i]); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	b = appendStrField(b, start, `"source":`, w.Source)
	if p := w.Payload; p != nil {
		b = append(sep(b, start), `"payload":{`...)
		if g := p.Google; g != nil {
			b = append(b, `"google":`...)
			if b, err = appendGooglePayload(b, g); err != nil {
				return b, err
			}
		}
		b = append(b, '}')
	}
	if w.OutputContexts != nil {
		b = append(sep(b, start), `"outputContexts":[`...)
		for i := range w.OutputContexts {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendContext(b, &w.OutputContexts[i]); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	if e := w.FollowupEventInput; e != nil {
		b = append(sep(b, start), `"followupEventInput":{"name":`...)
		b = orderv3.AppendJSONString(b, e.Name)
		if e.LanguageCode != "" {
			b = orderv3.AppendJSONString(append(b, `,"languageCode":`...), e.LanguageCode)
		}
		if e.Parameters != nil {
			if b, err = appendAny(append(b, `,"parameters":`...), e.Parameters); err != nil {
				return b, err
			}
		}
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

func appendMessage(b []byte, m *Message) ([]byte, error) {
	start := len(b)
	b = append(b, '{')
	b = appendStrField(b, start, `"platform":`, m.Platform)
	if m.Text != nil {
		b = append(sep(b, start), `"text":{"text":`...)
		b = append(appendStrings(b, m.Text.Text), '}')
	}
	if m.Payload != nil {
		var err error
		if b, err = appendAny(append(sep(b, start), `"payload":`...), m.Payload); err != nil {
			return b, err
		}
	}
	if q := m.QuickReplies; q != nil {
		b = append(sep(b, start), `"quickReplies":`...)
		qs := len(b)
		b = append(b, '{')
		b = appendStrField(b, qs, `"title":`, q.Title)
		if q.QuickReplies != nil {
			b = appendStrings(append(sep(b, qs), `"quickReplies":`...), q.QuickReplies)
		}
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

func appendContext(b []byte, c *Context) ([]byte, error) {
	b = orderv3.AppendJSONString(append(b, `{"name":`...), c.Name)
	if c.LifespanCount != 0 {
		b = strconv.AppendInt(append(b, `,"lifespanCount":`...), int64(c.LifespanCount), 10)
	}
	if c.Parameters != nil {
		var err error
		if b, err = appendAny(append(b, `,"parameters":`...), c.Parameters); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

func appendGooglePayload(b []byte, g *GooglePayload) ([]byte, error) {
	var err error
	b = strconv.AppendBool(append(b, `{"expectUserResponse":`...), g.ExpectUserResponse)
	if g.RichResponse != nil {
		if b, err = appendRichResponse(append(b, `,"richResponse":`...), g.RichResponse); err != nil {
			return b, err
		}
	}
	if g.SystemIntent != nil {
		b = orderv3.AppendJSONString(append(b, `,"systemIntent":{"intent":`...), g.SystemIntent.Intent)
		if g.SystemIntent.Data != nil {
			if b, err = appendSpec(append(b, `,"data":`...), g.SystemIntent.Data); err != nil {
				return b, err
			}
		}
		b = append(b, '}')
	}
	if g.UserStorage != "" {
		b = orderv3.AppendJSONString(append(b, `,"userStorage":`...), g.UserStorage)
	}
	if g.ResetUserStorage {
		b = append(b, `,"resetUserStorage":true`...)
	}
	if g.NoInputPrompts != nil {
		b = appendSimpleResponses(append(b, `,"noInputPrompts":`...), g.NoInputPrompts)
	}
	return append(b, '}'), nil
}

func appendAppResponse(b []byte, r *AppResponse) ([]byte, error) {
	start := len(b)
	var err error
	b = append(b, '{')
	b = appendStrField(b, start, `"conversationToken":`, r.ConversationToken)
	b = appendStrField(b, start, `"userStorage":`, r.UserStorage)
	b = appendBoolField(b, start, `"resetUserStorage":`, r.ResetUserStorage)
	b = strconv.AppendBool(append(sep(b, start), `"expectUserResponse":`...), r.ExpectUserResponse)
	if r.ExpectedInputs != nil {
		b = append(b, `,"expectedInputs":[`...)
		for i := range r.ExpectedInputs {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendExpectedInput(b, &r.ExpectedInputs[i]); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	if f := r.FinalResponse; f != nil {
		b = append(b, `,"finalResponse":{`...)
		if f.RichResponse != nil {
			if b, err = appendRichResponse(append(b, `"richResponse":`...), f.RichResponse); err != nil {
				return b, err
			}
		}
		b = append(b, '}')
	}
	if r.IsInSandbox {
		b = append(b, `,"isInSandbox":true`...)
	}
	return append(b, '}'), nil
}

func appendExpectedInput(b []byte, in *ExpectedInput) ([]byte, error) {
	start := len(b)
	var err error
	b = append(b, '{')
	if p := in.InputPrompt; p != nil {
		b = append(sep(b, start), `"inputPrompt":`...)
		ps := len(b)
		b = append(b, '{')
		if p.RichInitialPrompt != nil {
			if b, err = appendRichResponse(append(b, `"richInitialPrompt":`...), p.RichInitialPrompt); err != nil {
				return b, err
			}
		}
		if p.NoInputPrompts != nil {
			b = appendSimpleResponses(append(sep(b, ps), `"noInputPrompts":`...), p.NoInputPrompts)
		}
		b = append(b, '}')
	}
	if in.PossibleIntents != nil {
		b = append(sep(b, start), `"possibleIntents":[`...)
		for i := range in.PossibleIntents {
			if i > 0 {
				b = append(b, ',')
			}
			pi := &in.PossibleIntents[i]
			b = orderv3.AppendJSONString(append(b, `{"intent":`...), pi.Intent)
			if pi.InputValueData != nil {
				if b, err = appendSpec(append(b, `,"inputValueData":`...), pi.InputValueData); err != nil {
					return b, err
				}
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if in.SpeechBiasingHints != nil {
		b = appendStrings(append(sep(b, start), `"speechBiasingHints":`...), in.SpeechBiasingHints)
	}
	return append(b, '}'), nil
}

func appendSimpleResponses(b []byte, ss []SimpleResponse) []byte {
	b = append(b, '[')
	for i := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendSimpleResponse(b, &ss[i])
	}
	return append(b, ']')
}

func appendSimpleResponse(b []byte, s *SimpleResponse) []byte {
	start := len(b)
	b = append(b, '{')
	b = appendStrField(b, start, `"textToSpeech":`, s.TextToSpeech)
	b = appendStrField(b, start, `"ssml":`, s.SSML)
	b = appendStrField(b, start, `"displayText":`, s.DisplayText)
	return append(b, '}')
}

func appendRichResponse(b []byte, r *RichResponse) ([]byte, error) {
	var err error
	b = append(b, `{"items":`...)
	if r.Items == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.Items {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendRichItem(b, &r.Items[i]); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	if r.Suggestions != nil {
		b = append(b, `,"suggestions":[`...)
		for i, s := range r.Suggestions {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(orderv3.AppendJSONString(append(b, `{"title":`...), s.Title), '}')
		}
		b = append(b, ']')
	}
	if l := r.LinkOutSuggestion; l != nil {
		b = orderv3.AppendJSONString(append(b, `,"linkOutSuggestion":{"destinationName":`...), l.DestinationName)
		if l.URL != "" {
			b = orderv3.AppendJSONString(append(b, `,"url":`...), l.URL)
		}
		if len(l.OpenURLAction) > 0 {
			if b, err = orderv3.AppendRawJSON(append(b, `,"openUrlAction":`...), l.OpenURLAction); err != nil {
				return b, err
			}
		}
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

func appendRichItem(b []byte, it *RichItem) ([]byte, error) {
	start := len(b)
	var err error
	b = append(b, '{')
	if it.SimpleResponse != nil {
		b = appendSimpleResponse(append(b, `"simpleResponse":`...), it.SimpleResponse)
	}
	if s := it.StructuredResponse; s != nil {
		b = append(sep(b, start), `"structuredResponse":`...)
		ss := len(b)
		b = append(b, '{')
		if s.OrderUpdateV3 != nil {
			if b, err = s.OrderUpdateV3.AppendJSON(append(b, `"orderUpdateV3":`...)); err != nil {
				return b, err
			}
		}
		if b, err = appendRawField(b, ss, `"orderUpdate":`, s.OrderUpdate); err != nil {
			return b, err
		}
		b = append(b, '}')
	}
	for _, r := range [...]struct {
		name string
		raw  json.RawMessage
	}{
		{`"basicCard":`, it.BasicCard}, {`"tableCard":`, it.TableCard}, {`"mediaResponse":`, it.MediaResponse},
		{`"carouselBrowse":`, it.CarouselBrowse}, {`"htmlResponse":`, it.HTMLResponse},
	} {
		if b, err = appendRawField(b, start, r.name, r.raw); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

// appendSpec writes a system intent's data: the specs this package builds, or anything else through
// encoding/json.
func appendSpec(b []byte, data any) ([]byte, error) {
	switch s := data.(type) {
	case *decisionSpec:
		if s == nil || s.order == nil {
			break
		}
		return s.appendJSON(b)
	case *optionValueSpec:
		if s == nil {
			break
		}
		return s.appendJSON(b), nil
	case *requirementsSpec:
		if s == nil {
			break
		}
		return append(orderv3.AppendJSONString(append(b, `{"@type":`...), s.Type), '}'), nil
	}
	return appendMarshal(b, data)
}

func (s *decisionSpec) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = orderv3.AppendJSONString(append(b, `{"@type":`...), s.Type)
	if b, err = s.order.AppendJSON(append(b, `,"order":`...)); err != nil {
		return b, err
	}
	if o := s.OrderOptions; o != nil {
		b = strconv.AppendBool(append(b, `,"orderOptions":{"requestDeliveryAddress":`...), o.RequestDeliveryAddress)
		if u := o.UserInfoOptions; u != nil {
			b = append(b, `,"userInfoOptions":{"userInfoProperties":`...)
			if u.UserInfoProperties == nil {
				b = append(b, "null"...)
			} else {
				b = append(b, '[')
				for i, p := range u.UserInfoProperties {
					if i > 0 {
						b = append(b, ',')
					}
					b = orderv3.AppendJSONString(b, string(p))
				}
				b = append(b, ']')
			}
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	if p := s.PresentationOptions; p != nil {
		b = append(b, `,"presentationOptions":{`...)
		if p.ActionDisplayName != "" {
			b = orderv3.AppendJSONString(append(b, `"actionDisplayName":`...), string(p.ActionDisplayName))
		}
		b = append(b, '}')
	}
	if len(s.PaymentParameters) > 0 {
		if b, err = orderv3.AppendRawJSON(append(b, `,"paymentParameters":`...), s.PaymentParameters); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

func (s *optionValueSpec) appendJSON(b []byte) []byte {
	b = orderv3.AppendJSONString(append(b, `{"@type":`...), s.Type)
	if l := s.ListSelect; l != nil {
		b = append(b, `,"listSelect":{`...)
		if l.Title != "" {
			b = append(orderv3.AppendJSONString(append(b, `"title":`...), l.Title), ',')
		}
		b = append(appendOptionItems(append(b, `"items":`...), l.Items), '}')
	}
	if c := s.CarouselSelect; c != nil {
		b = append(appendOptionItems(append(b, `,"carouselSelect":{"items":`...), c.Items), '}')
	}
	return append(b, '}')
}

func appendOptionItems(b []byte, items []optionWire) []byte {
	if items == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i := range items {
		if i > 0 {
			b = append(b, ',')
		}
		it := &items[i]
		b = orderv3.AppendJSONString(append(b, `{"optionInfo":{"key":`...), it.OptionInfo.Key)
		if it.OptionInfo.Synonyms != nil {
			b = appendStrings(append(b, `,"synonyms":`...), it.OptionInfo.Synonyms)
		}
		b = orderv3.AppendJSONString(append(b, `},"title":`...), it.Title)
		if it.Description != "" {
			b = orderv3.AppendJSONString(append(b, `,"description":`...), it.Description)
		}
		if im := it.Image; im != nil {
			b = orderv3.AppendJSONString(append(b, `,"image":{"url":`...), im.URL)
			b = orderv3.AppendJSONString(append(b, `,"accessibilityText":`...), im.AccessibilityText)
			if im.Height != 0 {
				b = strconv.AppendInt(append(b, `,"height":`...), int64(im.Height), 10)
			}
			if im.Width != 0 {
				b = strconv.AppendInt(append(b, `,"width":`...), int64(im.Width), 10)
			}
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendAny writes the generic values a handler puts in context parameters (what encoding/json decodes into
// any, plus ints); other types go through encoding/json.
func appendAny(b []byte, v any) ([]byte, error) {
	var err error
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return orderv3.AppendJSONString(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return b, errFallback
		}
		return orderv3.AppendJSONFloat(b, x), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case map[string]any:
		if x == nil {
			return append(b, "null"...), nil
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(orderv3.AppendJSONString(b, k), ':')
			if b, err = appendAny(b, x[k]); err != nil {
				return b, err
			}
		}
		return append(b, '}'), nil
	case []any:
		if x == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendAny(b, e); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case []string:
		return appendStrings(b, x), nil
	}
	return appendMarshal(b, v)
}

// appendMarshal writes v through encoding/json (whose output is already compact and HTML-escaped).
func appendMarshal(b []byte, v any) ([]byte, error) {
	m, err := json.Marshal(v)
	if err != nil {
		return b, errFallback
	}
	return append(b, m...), nil
}
