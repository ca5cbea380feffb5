package fulfillment

import (
	"encoding/json"

	"github.com/reservations/reservations/orders/orderv3"
)

// WebhookRequest is the JSON body Dialogflow ES v2 POSTs to the webhook (google.cloud.dialogflow.v2.
// WebhookRequest).
type WebhookRequest struct {
	ResponseID string `json:"responseId"`
	// Session is the conversation path (projects/<project>/agent/sessions/<id>, possibly with environment and
	// user segments); output context names are Session + "/contexts/" + name.
	Session                     string                       `json:"session"`
	QueryResult                 *QueryResult                 `json:"queryResult,omitempty"`
	OriginalDetectIntentRequest *OriginalDetectIntentRequest `json:"originalDetectIntentRequest,omitempty"`
}

// QueryResult is Dialogflow's understanding of the user's turn.
type QueryResult struct {
	// QueryText is what the user said, or the event name for an event-triggered intent
	// ("actions_intent_TRANSACTION_DECISION").
	QueryText                   string         `json:"queryText"`
	LanguageCode                string         `json:"languageCode"`
	SpeechRecognitionConfidence float64        `json:"speechRecognitionConfidence,omitempty"`
	Action                      string         `json:"action"`
	Parameters                  map[string]any `json:"parameters,omitzero"`
	AllRequiredParamsPresent    bool           `json:"allRequiredParamsPresent,omitempty"`
	CancelsSlotFilling          bool           `json:"cancelsSlotFilling,omitempty"`
	FulfillmentText             string         `json:"fulfillmentText"`
	FulfillmentMessages         []Message      `json:"fulfillmentMessages,omitzero"`
	WebhookSource               string         `json:"webhookSource,omitempty"`
	WebhookPayload              map[string]any `json:"webhookPayload,omitzero"`
	OutputContexts              []Context      `json:"outputContexts,omitzero"`
	Intent                      *Intent        `json:"intent,omitempty"`
	IntentDetectionConfidence   float64        `json:"intentDetectionConfidence,omitempty"`
	DiagnosticInfo              map[string]any `json:"diagnosticInfo,omitzero"`
	SentimentAnalysisResult     map[string]any `json:"sentimentAnalysisResult,omitzero"`
}

// Intent names the matched Dialogflow intent.
type Intent struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	IsFallback  bool   `json:"isFallback,omitempty"`
}

// Context is a Dialogflow context, incoming (queryResult.outputContexts) or outgoing (outputContexts).
type Context struct {
	// Name is the full path: <session>/contexts/<context name>.
	Name string `json:"name"`
	// LifespanCount is how many more turns the context lives; 0 deletes it.
	LifespanCount int            `json:"lifespanCount,omitempty"`
	Parameters    map[string]any `json:"parameters,omitzero"`
}

// Message is a Dialogflow fulfillment message (google.cloud.dialogflow.v2.Intent.Message). Only the kinds this
// service writes are typed.
type Message struct {
	Platform     string         `json:"platform,omitempty"`
	Text         *MessageText   `json:"text,omitempty"`
	Payload      map[string]any `json:"payload,omitzero"`
	QuickReplies *QuickReplies  `json:"quickReplies,omitempty"`
}

// MessageText is a text message: Dialogflow shows one of Text.
type MessageText struct {
	Text []string `json:"text"`
}

// QuickReplies are reply chips for channels other than the Assistant.
type QuickReplies struct {
	Title        string   `json:"title,omitempty"`
	QuickReplies []string `json:"quickReplies,omitzero"`
}

// OriginalDetectIntentRequest is what the integration (the Assistant, source "google") sent to Dialogflow.
type OriginalDetectIntentRequest struct {
	Source  string `json:"source,omitempty"`
	Version string `json:"version,omitempty"`
	// Payload is the Actions on Google AppRequest; it is {} or absent for the Dialogflow console.
	Payload *AppRequest `json:"payload,omitempty"`
}

// WebhookResponse is the webhook's answer to Dialogflow (google.cloud.dialogflow.v2.WebhookResponse).
type WebhookResponse struct {
	// FulfillmentText and FulfillmentMessages mirror the spoken words for the Dialogflow console and channels
	// other than the Assistant; the Assistant reads Payload.Google.
	FulfillmentText     string          `json:"fulfillmentText,omitempty"`
	FulfillmentMessages []Message       `json:"fulfillmentMessages,omitzero"`
	Source              string          `json:"source,omitempty"`
	Payload             *WebhookPayload `json:"payload,omitempty"`
	OutputContexts      []Context       `json:"outputContexts,omitzero"`
	FollowupEventInput  *EventInput     `json:"followupEventInput,omitempty"`
}

// WebhookPayload is WebhookResponse.payload: the Assistant's response under "google".
type WebhookPayload struct {
	Google *GooglePayload `json:"google,omitempty"`
}

// GooglePayload is the Actions on Google response inside a Dialogflow webhook response.
type GooglePayload struct {
	// ExpectUserResponse is always written: false closes the conversation.
	ExpectUserResponse bool          `json:"expectUserResponse"`
	RichResponse       *RichResponse `json:"richResponse,omitempty"`
	SystemIntent       *SystemIntent `json:"systemIntent,omitempty"`
	// UserStorage is the {"data":{…}} JSON string kept for the user across conversations.
	UserStorage      string           `json:"userStorage,omitempty"`
	ResetUserStorage bool             `json:"resetUserStorage,omitempty"`
	NoInputPrompts   []SimpleResponse `json:"noInputPrompts,omitzero"`
}

// SystemIntent asks the Assistant to run a helper (requirements check, transaction decision, option
// selection). Data is the helper's spec with its "@type" member spread in (no wrapper).
type SystemIntent struct {
	Intent string `json:"intent"`
	Data   any    `json:"data,omitempty"`
}

// EventInput triggers a Dialogflow event instead of answering.
type EventInput struct {
	Name         string         `json:"name"`
	LanguageCode string         `json:"languageCode,omitempty"`
	Parameters   map[string]any `json:"parameters,omitzero"`
}

// AppRequest is the Actions on Google v2 conversation request: the Actions SDK POST body, and
// originalDetectIntentRequest.payload in a Dialogflow request.
type AppRequest struct {
	User              *User         `json:"user,omitempty"`
	Device            *Device       `json:"device,omitempty"`
	Surface           *Surface      `json:"surface,omitempty"`
	Conversation      *Conversation `json:"conversation,omitempty"`
	Inputs            []Input       `json:"inputs,omitzero"`
	IsInSandbox       bool          `json:"isInSandbox,omitempty"`
	AvailableSurfaces []Surface     `json:"availableSurfaces,omitzero"`
	RequestType       string        `json:"requestType,omitempty"`
}

// User is the Assistant user. IDToken, AccessToken and Profile are personal data or credentials: never log
// them.
type User struct {
	// UserID is deprecated by Google and usually absent.
	UserID                 string          `json:"userId,omitempty"`
	IDToken                string          `json:"idToken,omitempty"`
	Profile                *UserProfile    `json:"profile,omitempty"`
	AccessToken            string          `json:"accessToken,omitempty"`
	Permissions            []string        `json:"permissions,omitzero"`
	Locale                 string          `json:"locale,omitempty"`
	LastSeen               string          `json:"lastSeen,omitempty"`
	UserStorage            string          `json:"userStorage,omitempty"`
	UserVerificationStatus string          `json:"userVerificationStatus,omitempty"`
	PackageEntitlements    json.RawMessage `json:"packageEntitlements,omitempty"`
}

// UserProfile is the user's name when the NAME permission was granted.
type UserProfile struct {
	DisplayName string `json:"displayName,omitempty"`
	GivenName   string `json:"givenName,omitempty"`
	FamilyName  string `json:"familyName,omitempty"`
}

// Device describes the user's device; its location is opaque here.
type Device struct {
	Location json.RawMessage `json:"location,omitempty"`
}

// Surface lists what the device can do.
type Surface struct {
	Capabilities []Capability `json:"capabilities,omitzero"`
}

// Capability is one surface capability, such as actions.capability.SCREEN_OUTPUT.
type Capability struct {
	Name string `json:"name"`
}

// Conversation identifies the conversation; ConversationToken carries the Actions SDK conversation data.
type Conversation struct {
	ConversationID    string `json:"conversationId,omitempty"`
	Type              string `json:"type,omitempty"`
	ConversationToken string `json:"conversationToken,omitempty"`
}

// Input is one user input: the AoG intent it triggered and its arguments.
type Input struct {
	RawInputs []RawInput `json:"rawInputs,omitzero"`
	Intent    string     `json:"intent"`
	Arguments []Argument `json:"arguments,omitzero"`
}

// RawInput is what the user typed or said.
type RawInput struct {
	InputType string `json:"inputType,omitempty"`
	Query     string `json:"query,omitempty"`
	URL       string `json:"url,omitempty"`
}

// Argument is a named input argument: a text value (OPTION's selected key) or an extension carrying a
// transaction result with its "@type".
type Argument struct {
	Name            string          `json:"name"`
	RawText         string          `json:"rawText,omitempty"`
	TextValue       string          `json:"textValue,omitempty"`
	BoolValue       bool            `json:"boolValue,omitempty"`
	IntValue        json.RawMessage `json:"intValue,omitempty"`
	FloatValue      float64         `json:"floatValue,omitempty"`
	DatetimeValue   json.RawMessage `json:"datetimeValue,omitempty"`
	PlaceValue      json.RawMessage `json:"placeValue,omitempty"`
	Extension       json.RawMessage `json:"extension,omitempty"`
	StructuredValue json.RawMessage `json:"structuredValue,omitempty"`
	Status          json.RawMessage `json:"status,omitempty"`
}

// AppResponse is the Actions SDK conversation response.
type AppResponse struct {
	// ConversationToken is the {"data":{…}} JSON string of the conversation data.
	ConversationToken string `json:"conversationToken,omitempty"`
	// UserStorage is the {"data":{…}} JSON string kept for the user across conversations.
	UserStorage      string `json:"userStorage,omitempty"`
	ResetUserStorage bool   `json:"resetUserStorage,omitempty"`
	// ExpectUserResponse is always written: false closes the conversation (the answer is in FinalResponse).
	ExpectUserResponse bool            `json:"expectUserResponse"`
	ExpectedInputs     []ExpectedInput `json:"expectedInputs,omitzero"`
	FinalResponse      *FinalResponse  `json:"finalResponse,omitempty"`
	IsInSandbox        bool            `json:"isInSandbox,omitempty"`
}

// ExpectedInput is the prompt and the intents the Assistant may answer with.
type ExpectedInput struct {
	InputPrompt        *InputPrompt     `json:"inputPrompt,omitempty"`
	PossibleIntents    []ExpectedIntent `json:"possibleIntents,omitzero"`
	SpeechBiasingHints []string         `json:"speechBiasingHints,omitzero"`
}

// InputPrompt is what the Assistant says before listening.
type InputPrompt struct {
	RichInitialPrompt *RichResponse    `json:"richInitialPrompt,omitempty"`
	NoInputPrompts    []SimpleResponse `json:"noInputPrompts,omitzero"`
}

// ExpectedIntent is an intent the Assistant may answer with; InputValueData is the system intent's spec, as in
// SystemIntent.Data.
type ExpectedIntent struct {
	Intent         string `json:"intent"`
	InputValueData any    `json:"inputValueData,omitempty"`
}

// FinalResponse is the last answer of a conversation.
type FinalResponse struct {
	RichResponse *RichResponse `json:"richResponse,omitempty"`
}

// RichResponse is the visual and spoken answer. The first item must be a simple response.
type RichResponse struct {
	Items             []RichItem         `json:"items"`
	Suggestions       []Suggestion       `json:"suggestions,omitzero"`
	LinkOutSuggestion *LinkOutSuggestion `json:"linkOutSuggestion,omitempty"`
}

// RichItem is one item of a rich response. The kinds this service does not write are kept verbatim.
type RichItem struct {
	SimpleResponse     *SimpleResponse     `json:"simpleResponse,omitempty"`
	StructuredResponse *StructuredResponse `json:"structuredResponse,omitempty"`
	BasicCard          json.RawMessage     `json:"basicCard,omitempty"`
	TableCard          json.RawMessage     `json:"tableCard,omitempty"`
	MediaResponse      json.RawMessage     `json:"mediaResponse,omitempty"`
	CarouselBrowse     json.RawMessage     `json:"carouselBrowse,omitempty"`
	HTMLResponse       json.RawMessage     `json:"htmlResponse,omitempty"`
}

// SimpleResponse is spoken text (TextToSpeech or SSML) with optional different display text.
type SimpleResponse struct {
	TextToSpeech string `json:"textToSpeech,omitempty"`
	SSML         string `json:"ssml,omitempty"`
	DisplayText  string `json:"displayText,omitempty"`
}

// StructuredResponse carries the order receipt. This service writes only OrderUpdateV3; the v2 OrderUpdate is
// kept verbatim.
type StructuredResponse struct {
	OrderUpdateV3 *orderv3.OrderUpdate `json:"orderUpdateV3,omitempty"`
	OrderUpdate   json.RawMessage      `json:"orderUpdate,omitempty"`
}

// Suggestion is a suggestion chip (at most 25 characters, at most 8 chips).
type Suggestion struct {
	Title string `json:"title"`
}

// LinkOutSuggestion is a chip that opens a URL.
type LinkOutSuggestion struct {
	DestinationName string          `json:"destinationName"`
	URL             string          `json:"url,omitempty"`
	OpenURLAction   json.RawMessage `json:"openUrlAction,omitempty"`
}
