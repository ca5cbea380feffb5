package intents_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	goredis "github.com/redis/go-redis/v9"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/memory"
	bredis "github.com/reservations/reservations/booking/redis"
	"github.com/reservations/reservations/fulfillment"
	"github.com/reservations/reservations/httpauth"
	"github.com/reservations/reservations/intents"
	"github.com/reservations/reservations/internal/testsupport"
)

var update = flag.Bool("update", false, "rewrite the expected responses of testdata/conversations from the actual ones")

const (
	transcriptDir = "../testdata/conversations"
	webhookPath   = "/fulfillment/dialogflow"
	webhookUser   = "dialogflow"
	webhookPass   = "transcript-secret"
	sessionPrefix = "projects/reservations-test/agent/sessions/"
)

// Transcript is one whole conversation, read from testdata/conversations/<name>.json.
type Transcript struct {
	Description string `json:"description"`
	// Now is the clock when the conversation starts (RFC 3339).
	Now string `json:"now"`
	// Surface is "phone" (an Assistant phone: screen, can transact), "speaker" (Assistant, voice only) or
	// "console" (the Dialogflow console: no Assistant payload).
	Surface string `json:"surface"`
	// Stores lists the stores to run on: "memory" (default) and/or "redis".
	Stores []string `json:"stores,omitempty"`
	// Inventory is an inventory file (relative to the transcript) and Merchant the merchant the conversation
	// books for; default the built-in sample bistro.
	Inventory string `json:"inventory,omitempty"`
	Merchant  string `json:"merchant,omitempty"`
	// Sandbox is the isInSandbox of every Assistant request (default true).
	Sandbox *bool  `json:"sandbox,omitempty"`
	Turns   []Turn `json:"turns"`
}

// Turn is one webhook call and what must come back.
type Turn struct {
	Say    string         `json:"say,omitempty"`    // queryText (the event name for event intents when empty)
	Intent string         `json:"intent,omitempty"` // the matched intent's display name
	Params map[string]any `json:"params,omitempty"`
	// Requirements is the resultType of TRANSACTION_REQUIREMENTS_CHECK_RESULT.
	Requirements string `json:"requirements,omitempty"`
	// Decision is the transactionDecision; with ORDER_ACCEPTED the order is the last proposed one plus
	// GoogleOrderID and Buyer, as the Assistant sends it back.
	Decision      string `json:"decision,omitempty"`
	GoogleOrderID string `json:"googleOrderId,omitempty"`
	// OrderID replaces the accepted order's merchantOrderId (an order this conversation did not propose).
	OrderID string          `json:"orderId,omitempty"`
	Buyer   json.RawMessage `json:"buyer,omitempty"`
	// Pick selects item Pick (0-based) of the list in the previous response (the OPTION argument).
	Pick *int `json:"pick,omitempty"`
	// Option is an explicit OPTION key.
	Option string `json:"option,omitempty"`
	// Advance moves the clock before the turn ("20m").
	Advance string `json:"advance,omitempty"`
	// Prefill books capacity for other guests before the turn.
	Prefill []Prefill `json:"prefill,omitempty"`
	// NewConversation starts a new conversation (new id, no contexts) for the same user before the turn.
	NewConversation bool `json:"newConversation,omitempty"`
	// DropContexts drops every context before the turn, as Dialogflow does once they outlive their lifespan
	// (about 20 idle minutes), while the session and conversation id stay the same.
	DropContexts bool `json:"dropContexts,omitempty"`
	// Retry sends the previous request again, as Dialogflow does when a webhook call times out; the response
	// must be the same.
	Retry bool `json:"retry,omitempty"`
	// Cart sets members of the cart the request carries back in the conversation data, as a client tampering
	// with it could.
	Cart map[string]any `json:"cart,omitempty"`
	// Fault makes the store "block" or "error" from this turn on ("none" heals it).
	Fault string `json:"fault,omitempty"`
	// Within is the longest the answer may take ("2s").
	Within string `json:"within,omitempty"`

	// Expect asserts values at dotted paths of the response ("payload.google.expectUserResponse",
	// "payload.google.richResponse.items[0].simpleResponse.textToSpeech"); null asserts absence.
	Expect map[string]any `json:"expect,omitempty"`
	// Stored asserts what the store holds after the turn.
	Stored *Stored `json:"stored,omitempty"`
	// Logged asserts that the service's log contains this text after the turn.
	Logged string `json:"logged,omitempty"`
	// Response is the whole expected response (rewritten by -update).
	Response json.RawMessage `json:"response,omitempty"`
}

// Prefill is Count bookings of Party covers at Start made by other guests.
type Prefill struct {
	Start string `json:"start"`
	Party int    `json:"party"`
	Count int    `json:"count"`
}

// Stored describes the store after a turn.
type Stored struct {
	// Day lists the bookings made through the conversation on a merchant-local day (YYYY-MM-DD) as
	// "SOURCE STATUS party=N HH:MM name=… email=… phone=… outbox=KIND,KIND".
	Day      string   `json:"day,omitempty"`
	Bookings []string `json:"bookings,omitempty"`
	// CoversAt is the capacity in use (live holds and bookings) at an instant, per start time (RFC 3339).
	CoversAt map[string]int `json:"coversAt,omitempty"`
}

func loadTranscripts(t *testing.T) map[string]*Transcript {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(transcriptDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts in %s: %v", transcriptDir, err)
	}
	out := map[string]*Transcript{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var tr Transcript
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&tr); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[f] = &tr
	}
	return out
}

func TestTranscripts(t *testing.T) {
	gin.SetMode(gin.TestMode)
	transcripts := loadTranscripts(t)
	names := make([]string, 0, len(transcripts))
	for f := range transcripts {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, file := range names {
		tr := transcripts[file]
		stores := tr.Stores
		if len(stores) == 0 {
			stores = []string{"memory"}
		}
		updated := false
		for _, store := range stores {
			name := strings.TrimSuffix(filepath.Base(file), ".json") + "/" + store
			t.Run(name, func(t *testing.T) {
				env := newEnv(t, store, tr)
				got := env.run(t, tr)
				if *update && !updated {
					updated = true
					for i := range tr.Turns {
						tr.Turns[i].Response = got[i]
					}
					writeTranscript(t, file, tr)
				}
			})
		}
	}
}

func writeTranscript(t *testing.T, file string, tr *Transcript) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(tr); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// env is a real HTTP server with the fulfillment app mounted as cmd mounts it, over a booking core with a
// controllable clock and deterministic ids.
type env struct {
	core   *booking.Core
	faults *faultStore
	clock  *testsupport.Clock
	srv    *httptest.Server
	agent  *intents.Agent
	logs   *testsupport.LogBuffer
	// merchant and service are what the conversation books (prefills use the service too).
	merchant *booking.Merchant
	service  string

	convN    int
	convID   string
	session  string
	contexts map[string]json.RawMessage // name → the context as the next request carries it
	lifespan map[string]int
	storage  string // user storage as the Assistant keeps it
	lastReq  []byte
	lastResp []byte
	proposal json.RawMessage // the last proposed order
	list     []string        // option keys of the last list shown
	turnN    int
	sandbox  bool // isInSandbox of the Assistant requests
}

func newEnv(t testing.TB, store string, tr *Transcript) *env {
	start, err := time.Parse(time.RFC3339, tr.Now)
	if err != nil {
		t.Fatalf("now %q: %v", tr.Now, err)
	}
	inv := booking.SampleInventory()
	if tr.Inventory != "" {
		if inv, err = booking.LoadInventoryFile(filepath.Join(transcriptDir, tr.Inventory)); err != nil {
			t.Fatal(err)
		}
	}
	merchantID := tr.Merchant
	if merchantID == "" {
		merchantID = booking.SampleMerchantID
	}
	var base booking.Store
	switch store {
	case "memory":
		base = memory.New()
	case "redis":
		base = openRedis(t)
	default:
		t.Fatalf("unknown store %q", store)
	}
	e := newEnvWith(t, base, start, inv, merchantID)
	if tr.Sandbox != nil {
		e.sandbox = *tr.Sandbox
	}
	return e
}

// newEnvWith is newEnv over the given store, with the clock at start.
func newEnvWith(t testing.TB, base booking.Store, start time.Time, inv *booking.Inventory, merchantID string) *env {
	// The clock reads start in the local time zone, as time.Unix gives it.
	e := &env{clock: testsupport.NewClock(time.Unix(0, start.UnixNano())), logs: &testsupport.LogBuffer{}}
	var err error
	e.faults = &faultStore{Store: base}
	var ids, codes, users atomic.Int64
	e.core, err = booking.NewService(booking.Config{
		Store:     e.faults,
		Inventory: inv,
		Now:       e.clock.Now,
		NewID:     func() string { return fmt.Sprintf("rsv-%04d", ids.Add(1)) },
		NewCode:   func() string { return fmt.Sprintf("CODE%02d", codes.Add(1)) },
	})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewJSONHandler(e.logs, nil))
	app := fulfillment.NewApp(logger)
	var ok bool
	if e.merchant, ok = e.core.Inventory().Merchant(merchantID); !ok {
		t.Fatalf("no merchant %q", merchantID)
	}
	e.service = e.merchant.Default().ID
	if err := intents.Register(app, intents.Deps{
		Core:       e.core,
		MerchantID: merchantID,
		Logger:     logger,
		NewUserID:  func() string { return fmt.Sprintf("u-test-%d", users.Add(1)) },
	}); err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(mount(t, app))
	t.Cleanup(e.srv.Close)
	if e.agent, err = intents.LoadAgent(); err != nil {
		t.Fatal(err)
	}
	e.sandbox = true
	e.newConversation()
	return e
}

// mount puts the app's Dialogflow handler on a gin engine behind the webhook's basic auth, as cmd does.
func mount(t testing.TB, app *fulfillment.App) http.Handler {
	creds, err := httpauth.ParseCredentials(webhookUser + ":" + webhookPass)
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	r.POST(webhookPath, gin.WrapH(httpauth.Any(httpauth.BasicCheck("dialogflow", creds...))(app.Dialogflow())))
	return r
}

// openRedis returns a Redis store under a key prefix of its own, removed when the test ends.
func openRedis(t testing.TB) booking.Store {
	url := os.Getenv("REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	opts, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatalf("REDIS_URL: %v", err)
	}
	client := goredis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		testsupport.SkipUnlessCI(t, fmt.Sprintf("redis unreachable (set REDIS_URL): %v", err))
	}
	prefix := fmt.Sprintf("test-intents-%d-%d", os.Getpid(), time.Now().UnixNano())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, pattern := range []string{prefix + ":*", "{" + prefix + ":*"} {
			iter := client.Scan(ctx, 0, pattern, 500).Iterator()
			var keys []string
			for iter.Next(ctx) {
				keys = append(keys, iter.Val())
			}
			if len(keys) > 0 {
				client.Del(ctx, keys...)
			}
		}
		client.Close()
	})
	return bredis.New(client, bredis.Options{Prefix: prefix})
}

func (e *env) newConversation() {
	e.convN++
	e.convID = fmt.Sprintf("conv-%d", e.convN)
	e.session = sessionPrefix + fmt.Sprintf("session-%d", e.convN)
	e.contexts = map[string]json.RawMessage{}
	e.lifespan = map[string]int{}
}

// run plays the transcript and returns each turn's response (indented JSON).
func (e *env) run(t *testing.T, tr *Transcript) []json.RawMessage {
	out := make([]json.RawMessage, len(tr.Turns))
	personal := personalData(t, tr)
	for i, turn := range tr.Turns {
		e.turnN = i + 1
		label := fmt.Sprintf("turn %d (%s %q)", i+1, turn.Intent, turn.Say)
		if turn.Advance != "" {
			d, err := time.ParseDuration(turn.Advance)
			if err != nil {
				t.Fatalf("%s: advance: %v", label, err)
			}
			e.clock.Advance(d)
		}
		if turn.NewConversation {
			e.newConversation()
		}
		if turn.DropContexts {
			e.contexts = map[string]json.RawMessage{}
			e.lifespan = map[string]int{}
		}
		for _, p := range turn.Prefill {
			e.prefill(t, label, p)
		}
		switch turn.Fault {
		case "":
		case "none":
			e.faults.set(faultNone)
		case "block":
			e.faults.set(faultBlock)
		case "error":
			e.faults.set(faultError)
		default:
			t.Fatalf("%s: unknown fault %q", label, turn.Fault)
		}
		var body []byte
		if turn.Retry {
			if e.lastReq == nil {
				t.Fatalf("%s: retry without a previous request", label)
			}
			body = e.lastReq
		} else {
			body = e.request(t, label, tr.Surface, turn)
		}
		started := time.Now()
		resp := e.post(t, label, body)
		elapsed := time.Since(started)
		if turn.Within != "" {
			limit, err := time.ParseDuration(turn.Within)
			if err != nil {
				t.Fatalf("%s: within: %v", label, err)
			}
			if elapsed > limit {
				t.Errorf("%s: answered in %v, want within %v", label, elapsed, limit)
			}
		}
		if turn.Retry && !jsonEqual(resp, e.lastResp) {
			t.Errorf("%s: a retried request got another answer:\nfirst:  %s\nretry: %s", label, e.lastResp, resp)
		}
		e.lastReq, e.lastResp = body, resp
		e.absorb(t, label, resp)
		if tr.Surface == "console" {
			var r struct {
				FulfillmentText string `json:"fulfillmentText"`
			}
			if err := json.Unmarshal(resp, &r); err != nil || strings.TrimSpace(r.FulfillmentText) == "" {
				t.Errorf("%s: a console answer without fulfillmentText: %s", label, resp)
			}
		}
		for path, want := range turn.Expect {
			got, ok := lookup(resp, path)
			if want == nil {
				if ok {
					t.Errorf("%s: %s = %v, want it absent", label, path, got)
				}
				continue
			}
			if !ok || !reflect.DeepEqual(got, normalize(want)) {
				t.Errorf("%s: %s = %#v (present %v), want %#v\nresponse: %s", label, path, got, ok, want, resp)
			}
		}
		if turn.Stored != nil {
			e.checkStored(t, label, turn.Stored)
		}
		if turn.Logged != "" && !strings.Contains(e.logs.String(), turn.Logged) {
			t.Errorf("%s: the log lacks %q:\n%s", label, turn.Logged, e.logs.String())
		}
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, resp, "", "  "); err != nil {
			t.Fatalf("%s: response is not JSON: %v", label, err)
		}
		out[i] = pretty.Bytes()
		if !*update {
			if len(turn.Response) == 0 {
				t.Errorf("%s: no expected response in the transcript (run go test -update and review)", label)
			} else if !jsonEqual(resp, turn.Response) {
				t.Errorf("%s: response differs\n got: %s\nwant: %s\n%s", label, compact(resp), compact(turn.Response), diffJSON(resp, turn.Response))
			}
		}
		if m := placeholder.Find(resp); m != nil {
			t.Errorf("%s: an unfilled placeholder %s in the answer: %s", label, m, resp)
		}
		logs := e.logs.String()
		for _, p := range append(personal, "@example.com") {
			if strings.Contains(logs, p) {
				t.Fatalf("%s: personal data (%q) in the logs:\n%s", label, p, logs)
			}
		}
	}
	return out
}

// tamper sets members of the cart in the conversation data the next request carries.
func (e *env) tamper(t *testing.T, label string, members map[string]any) {
	name := e.session + "/contexts/_actions_on_google"
	ctx := map[string]any{"name": name, "lifespanCount": 99, "parameters": map[string]any{"data": "{}"}}
	if raw, ok := e.contexts[name]; ok {
		if err := json.Unmarshal(raw, &ctx); err != nil {
			t.Fatalf("%s: context: %v", label, err)
		}
	}
	params, _ := ctx["parameters"].(map[string]any)
	var data map[string]map[string]any
	if err := json.Unmarshal([]byte(params["data"].(string)), &data); err != nil {
		t.Fatalf("%s: conversation data: %v", label, err)
	}
	if data["cart"] == nil {
		data = map[string]map[string]any{"cart": {}}
	}
	for k, v := range members {
		data["cart"][k] = v
	}
	b, _ := json.Marshal(data)
	params["data"] = string(b)
	raw, _ := json.Marshal(ctx)
	e.contexts[name] = raw
}

// placeholder matches a message catalog placeholder ("{merchant}") left in an answer.
var placeholder = regexp.MustCompile(`\{[a-z]+\}`)

// personalData returns the names, phone numbers and emails a transcript's users give, which the service must
// never log.
func personalData(t *testing.T, tr *Transcript) []string {
	var out []string
	add := func(v any) {
		switch v := v.(type) {
		case string:
			if strings.TrimSpace(v) != "" {
				out = append(out, v)
			}
		case map[string]any: // @sys.person: {"name": "…"}
			if s, ok := v["name"].(string); ok && s != "" {
				out = append(out, s)
			}
		}
	}
	for _, turn := range tr.Turns {
		add(turn.Params["name"])
		add(turn.Params["phone"])
		if len(turn.Buyer) > 0 {
			var buyer map[string]any
			if err := json.Unmarshal(turn.Buyer, &buyer); err != nil {
				t.Fatalf("buyer: %v", err)
			}
			for _, k := range []string{"displayName", "firstName", "lastName", "email", "phoneNumber"} {
				add(buyer[k])
			}
		}
	}
	return out
}

func (e *env) prefill(t *testing.T, label string, p Prefill) {
	start, err := time.Parse(time.RFC3339, p.Start)
	if err != nil {
		t.Fatalf("%s: prefill start: %v", label, err)
	}
	for i := 0; i < p.Count; i++ {
		_, err := e.core.CreateBooking(context.Background(), booking.CreateRequest{
			MerchantID: e.merchant.ID, ServiceID: e.service, Start: start, PartySize: p.Party,
			Customer: booking.Customer{Name: "Walk-in"}, Source: booking.SourceAdmin,
		})
		if err != nil {
			t.Fatalf("%s: prefill: %v", label, err)
		}
	}
}

var surfaces = map[string][]string{
	"phone":   {fulfillment.CapabilityScreen, fulfillment.CapabilityAudio, fulfillment.CapabilityMediaAudio, fulfillment.CapabilityWebBrowser},
	"speaker": {fulfillment.CapabilityAudio, fulfillment.CapabilityMediaAudio},
}

var eventOf = map[string]string{
	"reservation.requirements_check": "actions_intent_TRANSACTION_REQUIREMENTS_CHECK",
	"reservation.decision":           "actions_intent_TRANSACTION_DECISION",
}

// request builds the Dialogflow WebhookRequest for a turn, carrying the contexts and user storage the previous
// responses set, as Dialogflow and the Assistant do.
func (e *env) request(t *testing.T, label, surface string, turn Turn) []byte {
	intentID := "00000000-0000-0000-0000-000000000000"
	if it, ok := e.agent.Intent(turn.Intent); ok {
		intentID = it.ID
	}
	aogIntent := "actions.intent.TEXT"
	query := turn.Say
	var args []map[string]any
	switch {
	case turn.Intent == intents.IntentWelcome && e.turnN == 1:
		aogIntent = fulfillment.IntentMain
	case turn.Requirements != "":
		aogIntent = fulfillment.IntentTransactionRequirementsCheck
		args = append(args, map[string]any{"name": fulfillment.ArgRequirementsCheckResult, "extension": map[string]any{
			"@type":      "type.googleapis.com/google.transactions.v3.TransactionRequirementsCheckResult",
			"resultType": turn.Requirements,
		}})
	case turn.Decision != "":
		aogIntent = fulfillment.IntentTransactionDecision
		ext := map[string]any{
			"@type":               "type.googleapis.com/google.actions.transactions.v3.TransactionDecisionValue",
			"transactionDecision": turn.Decision,
		}
		if turn.Decision == "ORDER_ACCEPTED" {
			if e.proposal == nil {
				t.Fatalf("%s: ORDER_ACCEPTED without a proposed order", label)
			}
			var order map[string]any
			if err := json.Unmarshal(e.proposal, &order); err != nil {
				t.Fatal(err)
			}
			if turn.GoogleOrderID != "" {
				order["googleOrderId"] = turn.GoogleOrderID
			}
			if turn.OrderID != "" {
				order["merchantOrderId"] = turn.OrderID
			}
			if len(turn.Buyer) > 0 {
				var buyer any
				if err := json.Unmarshal(turn.Buyer, &buyer); err != nil {
					t.Fatal(err)
				}
				order["buyerInfo"] = buyer
			}
			ext["order"] = order
		}
		args = append(args, map[string]any{"name": fulfillment.ArgTransactionDecisionValue, "extension": ext})
	case turn.Pick != nil || turn.Option != "":
		aogIntent = fulfillment.IntentOption
		key := turn.Option
		if turn.Pick != nil {
			if *turn.Pick >= len(e.list) {
				t.Fatalf("%s: pick %d of a list of %d", label, *turn.Pick, len(e.list))
			}
			key = e.list[*turn.Pick]
		}
		args = append(args, map[string]any{"name": fulfillment.ArgOption, "textValue": key})
		if query == "" {
			query = "actions_intent_OPTION"
		}
	}
	if query == "" {
		query = eventOf[turn.Intent]
	}
	params := turn.Params
	if params == nil {
		params = map[string]any{}
	}
	if turn.Cart != nil {
		e.tamper(t, label, turn.Cart)
	}
	var contexts []json.RawMessage
	names := make([]string, 0, len(e.contexts))
	for n := range e.contexts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		contexts = append(contexts, e.contexts[n])
	}
	req := map[string]any{
		"responseId": fmt.Sprintf("resp-%d-%d", e.convN, e.turnN),
		"session":    e.session,
		"queryResult": map[string]any{
			"queryText":                 query,
			"parameters":                params,
			"allRequiredParamsPresent":  true,
			"outputContexts":            contexts,
			"intent":                    map[string]any{"name": "projects/reservations-test/agent/intents/" + intentID, "displayName": turn.Intent},
			"intentDetectionConfidence": 1,
			"languageCode":              "en",
		},
	}
	if surface == "console" {
		req["originalDetectIntentRequest"] = map[string]any{"payload": map[string]any{}}
	} else {
		caps := []map[string]string{}
		for _, c := range surfaces[surface] {
			caps = append(caps, map[string]string{"name": c})
		}
		user := map[string]any{"locale": "en-US", "userVerificationStatus": "VERIFIED", "lastSeen": "2026-11-01T10:00:00Z"}
		if e.storage != "" {
			user["userStorage"] = e.storage
		}
		input := map[string]any{"intent": aogIntent, "rawInputs": []map[string]any{{"inputType": "VOICE", "query": query}}}
		if len(args) > 0 {
			input["arguments"] = args
		}
		req["originalDetectIntentRequest"] = map[string]any{
			"source":  "google",
			"version": "2",
			"payload": map[string]any{
				"isInSandbox":       e.sandbox,
				"surface":           map[string]any{"capabilities": caps},
				"inputs":            []any{input},
				"user":              user,
				"conversation":      map[string]any{"conversationId": e.convID, "type": "ACTIVE"},
				"availableSurfaces": []any{map[string]any{"capabilities": caps}},
			},
		}
	}
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func (e *env) post(t *testing.T, label string, body []byte) []byte {
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+webhookPath, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(webhookUser, webhookPass)
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s: %v", label, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s: status %d: %s", label, res.StatusCode, data)
	}
	return data
}

// absorb keeps what the next request carries: output contexts (lifespans counting down), user storage, the
// proposed order and the option keys of a list.
func (e *env) absorb(t *testing.T, label string, resp []byte) {
	var r struct {
		OutputContexts []json.RawMessage `json:"outputContexts"`
		Payload        struct {
			Google struct {
				UserStorage      *string `json:"userStorage"`
				ResetUserStorage bool    `json:"resetUserStorage"`
				SystemIntent     *struct {
					Intent string `json:"intent"`
					Data   struct {
						Order      json.RawMessage `json:"order"`
						ListSelect *struct {
							Items []struct {
								OptionInfo struct {
									Key string `json:"key"`
								} `json:"optionInfo"`
							} `json:"items"`
						} `json:"listSelect"`
					} `json:"data"`
				} `json:"systemIntent"`
			} `json:"google"`
		} `json:"payload"`
	}
	if err := json.Unmarshal(resp, &r); err != nil {
		t.Fatalf("%s: response: %v", label, err)
	}
	for n := range e.lifespan {
		e.lifespan[n]--
		if e.lifespan[n] <= 0 {
			delete(e.lifespan, n)
			delete(e.contexts, n)
		}
	}
	for _, raw := range r.OutputContexts {
		var c struct {
			Name          string         `json:"name"`
			LifespanCount int            `json:"lifespanCount"`
			Parameters    map[string]any `json:"parameters"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatalf("%s: output context: %v", label, err)
		}
		if c.LifespanCount <= 0 {
			delete(e.contexts, c.Name)
			delete(e.lifespan, c.Name)
			continue
		}
		e.contexts[c.Name] = raw
		e.lifespan[c.Name] = c.LifespanCount
	}
	g := r.Payload.Google
	if g.ResetUserStorage {
		e.storage = ""
	}
	if g.UserStorage != nil {
		e.storage = *g.UserStorage
	}
	e.list = nil
	if si := g.SystemIntent; si != nil {
		if len(si.Data.Order) > 0 {
			e.proposal = si.Data.Order
		}
		if si.Data.ListSelect != nil {
			for _, it := range si.Data.ListSelect.Items {
				e.list = append(e.list, it.OptionInfo.Key)
			}
		}
	}
}

func (e *env) checkStored(t *testing.T, label string, want *Stored) {
	ctx := context.Background()
	m := e.merchant
	if want.Day != "" {
		bs, err := e.core.Day(ctx, m.ID, want.Day)
		if err != nil {
			t.Fatalf("%s: day: %v", label, err)
		}
		var got []string
		for _, b := range bs {
			if b.Source != booking.SourceAssistant && b.Source != booking.SourceConversation {
				continue
			}
			entries, err := e.faults.OutboxByBooking(ctx, b.ID)
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, en := range entries {
				kinds = append(kinds, string(en.Kind)+"/"+string(en.Booking.Status))
			}
			line := fmt.Sprintf("%s %s party=%d %s", b.Source, b.Status, b.PartySize, b.Start.In(m.Location).Format("15:04"))
			if b.Customer.Name != "" {
				line += " name=" + b.Customer.Name
			}
			if b.Customer.Email != "" {
				line += " email=" + b.Customer.Email
			}
			if b.Customer.Phone != "" {
				line += " phone=" + b.Customer.Phone
			}
			if b.GoogleOrderID != "" {
				line += " googleOrderId=" + b.GoogleOrderID
			}
			line += " user=" + b.Customer.UserID + " outbox=" + strings.Join(kinds, ",")
			got = append(got, line)
		}
		if strings.Join(got, "\n") != strings.Join(want.Bookings, "\n") {
			t.Errorf("%s: stored bookings on %s:\n got: %q\nwant: %q", label, want.Day, got, want.Bookings)
		}
	}
	for at, covers := range want.CoversAt {
		start, err := time.Parse(time.RFC3339, at)
		if err != nil {
			t.Fatal(err)
		}
		allocs, err := e.faults.Allocations(ctx, m.ID, e.service, start, start.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if got := booking.PeakUsage(allocs, start, start.Add(time.Minute), e.core.Now(), ""); got != covers {
			t.Errorf("%s: covers in use at %s = %d, want %d", label, at, got, covers)
		}
	}
}

// lookup returns the value at a dotted path with [i] indexes.
func lookup(doc []byte, path string) (any, bool) {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return nil, false
	}
	for _, part := range strings.Split(path, ".") {
		name, idx, _ := strings.Cut(part, "[")
		if name != "" {
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[name]; !ok {
				return nil, false
			}
		}
		for idx != "" {
			var n int
			rest := ""
			if _, err := fmt.Sscanf(idx, "%d]", &n); err != nil {
				return nil, false
			}
			if i := strings.Index(idx, "]"); i >= 0 {
				rest = strings.TrimPrefix(idx[i+1:], "[")
			}
			s, ok := v.([]any)
			if !ok || n < 0 || n >= len(s) {
				return nil, false
			}
			v = s[n]
			idx = rest
		}
	}
	return v, true
}

func normalize(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func jsonEqual(a, b []byte) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

func compact(b []byte) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return string(b)
	}
	return buf.String()
}

// diffJSON lists the paths whose values differ.
func diffJSON(got, want []byte) string {
	var g, w any
	_ = json.Unmarshal(got, &g)
	_ = json.Unmarshal(want, &w)
	var out []string
	var walk func(path string, a, b any)
	walk = func(path string, a, b any) {
		switch av := a.(type) {
		case map[string]any:
			bv, ok := b.(map[string]any)
			if !ok {
				out = append(out, fmt.Sprintf("%s: got %v, want %v", path, a, b))
				return
			}
			keys := map[string]bool{}
			for k := range av {
				keys[k] = true
			}
			for k := range bv {
				keys[k] = true
			}
			for k := range keys {
				walk(path+"."+k, av[k], bv[k])
			}
		case []any:
			bv, ok := b.([]any)
			if !ok || len(av) != len(bv) {
				out = append(out, fmt.Sprintf("%s: got %v, want %v", path, a, b))
				return
			}
			for i := range av {
				walk(fmt.Sprintf("%s[%d]", path, i), av[i], bv[i])
			}
		default:
			if !reflect.DeepEqual(a, b) {
				out = append(out, fmt.Sprintf("%s: got %#v, want %#v", path, a, b))
			}
		}
	}
	walk("", g, w)
	sort.Strings(out)
	return strings.Join(out, "\n")
}
