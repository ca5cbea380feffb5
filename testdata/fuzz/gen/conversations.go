package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/reservations/reservations/intents"
)

// conversation is one transcript of testdata/conversations, reduced to what the seeds need.
type conversation struct {
	name    string
	Surface string `json:"surface"`
	Turns   []turn `json:"turns"`
}

// turn is one webhook turn of a transcript; data is the conversation data the client sent with it (the data
// of the previous answer's _actions_on_google context, or "" at the start of a conversation).
type turn struct {
	Say             string          `json:"say"`
	Intent          string          `json:"intent"`
	Params          map[string]any  `json:"params"`
	Option          string          `json:"option"`
	NewConversation bool            `json:"newConversation"`
	Response        json.RawMessage `json:"response"`
	data            string
}

func loadConversations(dir string) ([]conversation, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(paths) == 0 {
		return nil, fmt.Errorf("no conversations in %s (%v)", dir, err)
	}
	var out []conversation
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("conversation: %w", err)
		}
		c := conversation{name: strings.TrimSuffix(filepath.Base(p), ".json")}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("conversation %s: %w", p, err)
		}
		data := ""
		for i := range c.Turns {
			if c.Turns[i].NewConversation {
				data = ""
			}
			c.Turns[i].data = data
			data = answerData(c.Turns[i].Response)
		}
		out = append(out, c)
	}
	return out, nil
}

// answerData is the conversation data an answer hands back (its _actions_on_google context's data).
func answerData(resp json.RawMessage) string {
	var r struct {
		OutputContexts []struct {
			Name       string `json:"name"`
			Parameters struct {
				Data string `json:"data"`
			} `json:"parameters"`
		} `json:"outputContexts"`
	}
	_ = json.Unmarshal(resp, &r)
	for _, c := range r.OutputContexts {
		if strings.HasSuffix(c.Name, "/_actions_on_google") {
			return c.Parameters.Data
		}
	}
	return ""
}

// cartOf is the cart of conversation data, and its stage.
func cartOf(data string) (json.RawMessage, string) {
	var d struct {
		Cart json.RawMessage `json:"cart"`
	}
	if json.Unmarshal([]byte(data), &d) != nil || len(d.Cart) == 0 {
		return nil, ""
	}
	var c struct {
		Stage string `json:"stage"`
	}
	_ = json.Unmarshal(d.Cart, &c)
	return d.Cart, c.Stage
}

// middle is the turn halfway through the conversation: it carries the most state.
func (c conversation) middle() (int, turn) { return len(c.Turns) / 2, c.Turns[len(c.Turns)/2] }

// dialogflowRequest is the webhook request of a transcript's turn, on the recorded console request's shape.
func dialogflowRequest(tmpl map[string]any, conv string, t turn) []byte {
	var req map[string]any
	_ = json.Unmarshal(mustJSON(tmpl), &req) // a deep copy
	session := "projects/reservations-test/agent/sessions/" + conv
	req["session"] = session
	q := req["queryResult"].(map[string]any)
	q["queryText"], q["action"], q["parameters"] = t.Say, t.Intent, t.Params
	if t.Params == nil {
		q["parameters"] = map[string]any{}
	}
	q["intent"].(map[string]any)["displayName"] = t.Intent
	delete(q, "fulfillmentMessages")
	if t.data != "" {
		q["outputContexts"] = []any{map[string]any{"name": session + "/contexts/_actions_on_google", "lifespanCount": 99,
			"parameters": map[string]any{"data": t.data}}}
	}
	return mustJSON(req)
}

// actionsSDKRequest is the Actions SDK request of a transcript's turn, on the recorded requirements check
// result's shape: the words as raw input, the data as the conversation token.
func actionsSDKRequest(tmpl map[string]any, t turn) []byte {
	var req map[string]any
	_ = json.Unmarshal(mustJSON(tmpl), &req)
	delete(req, "availableSurfaces")
	in := map[string]any{"intent": "actions.intent.TEXT", "rawInputs": []any{map[string]any{"inputType": "VOICE", "query": t.Say}},
		"arguments": []any{map[string]any{"name": "text", "rawText": t.Say, "textValue": t.Say}}}
	req["inputs"] = []any{in}
	if t.data != "" {
		req["conversation"] = map[string]any{"conversationId": "asdk-1", "type": "ACTIVE", "conversationToken": `{"data":` + t.data + `}`}
	}
	return mustJSON(req)
}

const (
	seedDir        = "testdata/seed001/"
	fulfillmentDir = "fulfillment/testdata/"
)

func fulfillmentCorpora(convs []conversation) ([]corpus, error) {
	df, err := fileSeeds(seedDir+"03_requirements_check_result_request.dialogflow.json", seedDir+"08_decision_request.dialogflow.json",
		fulfillmentDir+"decision_accepted.dialogflow.json", fulfillmentDir+"console.dialogflow.json")
	if err != nil {
		return nil, err
	}
	asdk, err := fileSeeds(seedDir+"04_requirements_check_result_request.actionssdk.json", seedDir+"09_decision_request.actionssdk.json",
		fulfillmentDir+"decision_accepted.actionssdk.json")
	if err != nil {
		return nil, err
	}
	tmpls, err := readObjects(fulfillmentDir+"console.dialogflow.json", seedDir+"04_requirements_check_result_request.actionssdk.json")
	if err != nil {
		return nil, err
	}
	dfTmpl, asdkTmpl := tmpls[0], tmpls[1]
	decode := slices.Concat(df[:2], asdk[:2], df[3:])
	for i, c := range convs {
		n, t := c.middle()
		name := fmt.Sprintf("conv-%s-%02d-%s", c.name, n, slug(t.Intent))
		df = append(df, seed{name: name, values: []any{dialogflowRequest(dfTmpl, c.name, t)}})
		if i%2 == 0 {
			asdk = append(asdk, seed{name: name, values: []any{actionsSDKRequest(asdkTmpl, t)}})
		}
		if i%5 == 0 {
			decode = append(decode, df[len(df)-1], seed{name: name + "-asdk", values: []any{actionsSDKRequest(asdkTmpl, t)}})
		}
	}
	storage, err := storageSeeds(convs)
	if err != nil {
		return nil, err
	}
	return []corpus{
		{"fulfillment", "FuzzDialogflowRequest", df},
		{"fulfillment", "FuzzActionsSDKRequest", asdk},
		{"fulfillment", "FuzzDecodeJSON", decode},
		{"fulfillment", "FuzzStorageParse", storage},
	}, nil
}

// storageSeeds are the conversation data strings of the transcripts, one per cart stage, bare (a Dialogflow
// context's data) and wrapped in {"data":…} (an Actions SDK token, user storage), plus the fixtures' user
// storage.
func storageSeeds(convs []conversation) ([]seed, error) {
	var out []seed
	for _, c := range convs {
		for _, t := range c.Turns {
			if _, stage := cartOf(t.data); stage != "" {
				out = append(out, seed{name: "cart-" + slug(stage), values: []any{t.data}})
				out = append(out, seed{name: "token-" + slug(stage), values: []any{`{"data":` + t.data + `}`}})
			}
		}
	}
	out = uniq(out)
	out = out[:min(len(out), maxSeeds-2)]
	req, err := readObject(fulfillmentDir + "decision_accepted.actionssdk.json")
	if err != nil {
		return nil, err
	}
	user, _ := req["user"].(map[string]any)
	conv, _ := req["conversation"].(map[string]any)
	for name, v := range map[string]any{"decision-accepted-user-storage": user["userStorage"],
		"decision-accepted-conversation-token": conv["conversationToken"]} {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("decision_accepted.actionssdk.json: no %s", name)
		}
		out = append(out, seed{name: name, values: []any{s}})
	}
	return out, nil
}

// conversationIntents is FuzzConversationTurn's list of intents, in its order: its which argument indexes it.
var conversationIntents = []string{intents.IntentWelcome, intents.IntentStart, intents.IntentDetails, intents.IntentSelectSlot,
	intents.IntentContact, intents.IntentConfirm, intents.IntentRequirementsCheck, intents.IntentDecision,
	intents.IntentList, intents.IntentCancel, intents.IntentFallback}

// understandStages is FuzzUnderstand's list of stages, in its order: its stage argument indexes it.
var understandStages = []string{"", "assembling", "contact", "confirm", "choose_slot", "change", "anything_else"}

const maxSeeds = 20

func intentsCorpora(convs []conversation) ([]corpus, error) {
	var turns, words, clocks []seed
	for _, c := range convs {
		for i, t := range c.Turns {
			cart, stage := cartOf(t.data)
			stageName := stage
			if stageName == "" {
				stageName = "idle"
			}
			which := slices.Index(conversationIntents, t.Intent)
			if which >= 0 && len(turns) < maxSeeds {
				name := fmt.Sprintf("%s-%s", slug(t.Intent), slug(stageName))
				turns = append(uniq(turns), seed{name: name, values: []any{uint8(which), t.Say, string(mustJSON(t.Params)),
					t.Option, string(cart), c.Surface == "phone"}})
			}
			if t.Say != "" && len(words) < maxSeeds {
				st := max(slices.Index(understandStages, stage), 0)
				words = append(words, seed{name: fmt.Sprintf("%s-%02d", c.name, i), values: []any{t.Say, uint8(st)}})
			}
			for _, k := range []string{"date", "time"} {
				if s, ok := t.Params[k].(string); ok && s != "" && len(clocks) < maxSeeds {
					clocks = append(uniq(clocks), seed{name: k + "-" + slug(s), values: []any{s}})
				}
			}
		}
	}
	return []corpus{
		{"intents", "FuzzConversationTurn", uniq(turns)},
		{"intents", "FuzzUnderstand", words},
		{"intents", "FuzzParseDateTime", uniq(clocks)},
	}, nil
}
