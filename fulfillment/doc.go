// Package fulfillment is the Google Assistant wire protocol: the Dialogflow ES v2 webhook and the Actions SDK
// (Actions on Google v2 conversation webhook), a conversation value handlers use without knowing which
// envelope a request came in, rich responses and the transactions v3 system intents, request verification for
// the Actions SDK, and an HTTP handler that dispatches each turn to the handler registered for its intent.
//
// # Why hand-written types
//
// The request and response types are plain Go structs read and written with encoding/json rather than
// cloud.google.com/go/dialogflow's dialogflowpb with protojson: that module is not among this project's pinned
// dependencies (its current releases do not even build against the module proxy available to it), and it
// would not help where it matters: dialogflowpb's WebhookRequest carries originalDetectIntentRequest.payload and
// WebhookResponse.payload as an opaque google.protobuf.Struct, and no Go types exist for the Actions on Google
// v2 payload (AppRequest, AppResponse, rich responses, system intents) or for transactions and orders v3 (the
// official types are generated for Node.js and Java only). The order model lives in package orders/orderv3.
//
// The request types name every field the Assistant sends for this flow; parts that are opaque to this service
// (argument extensions, device location, other rich-response items) are json.RawMessage so they survive a
// decode and re-encode unchanged. Scalars the envelope always carries (responseId, session, queryText, action,
// languageCode, intent names) are written even when empty, so a request re-encodes as it came; proto3 reads
// an empty string and an absent one alike.
//
// Requests, conversation data and user storage are decoded by one helper, the package's only fast path: UTF-8
// that encoding/json's json.Valid accepts, with no \u escape, is decoded with github.com/goccy/go-json (the same struct tags and
// Unmarshaler types, in half the time: decoding is a turn's largest cost), anything else with encoding/json, whose
// errors the 400s carry; a fuzz target holds the two to the same result. Responses are written by an
// encoding/json Encoder (HTML-safe escaping, as json.Marshal writes) into a pooled buffer. The struct tags
// carry the wire rules: omitempty/omitzero leave out what the Assistant does not need, and the members it
// needs even when empty or false (expectUserResponse, items, requestDeliveryAddress…) have neither. An HTTP
// request that is not a turn is answered with package httperr's JSON error body.
//
// # The conversation
//
// [App] parses a request into a [Conv] and calls the [Handler] registered for the intent's display name.
// The handler reads the turn (intent, parameters, arguments, surface, conversation data, user storage) and
// builds the answer through the same Conv (Ask, Close, Suggest, List, RequireTransaction, ProposeOrder,
// OrderUpdate, SetContext). The App writes the answer in the request's envelope: payload.google in a
// Dialogflow WebhookResponse, or an AppResponse for the Actions SDK. A handler error or panic becomes a spoken
// apology that closes the conversation, never a non-200 status (the Assistant would tell the user the app is
// not responding).
//
// Conversation data lives in the _actions_on_google output context (Dialogflow) or the conversation token
// (Actions SDK), user storage in the {"data":{…}} string of payload.user.userStorage; each is written back only
// when it changed, as Google's own client libraries do.
package fulfillment
