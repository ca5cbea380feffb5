package intents

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/memory"
	"github.com/reservations/reservations/fulfillment"
)

// designParameters are the parameter names and entity types DESIGN.md fixes.
var designParameters = map[string]string{
	"party_size": "@sys.number-integer",
	"date":       "@sys.date",
	"time":       "@sys.time",
	"service":    "@service",
	"name":       "@sys.person",
	"phone":      "@sys.phone-number",
}

// designEvents are the events DESIGN.md ties to intents.
var designEvents = map[string]string{
	"reservation.requirements_check": "actions_intent_TRANSACTION_REQUIREMENTS_CHECK",
	"reservation.select_slot":        "actions_intent_OPTION",
	"reservation.decision":           "actions_intent_TRANSACTION_DECISION",
}

func TestAgentDefinition(t *testing.T) {
	a, err := LoadAgent()
	if err != nil {
		t.Fatal(err)
	}
	if a.Language != "en" || a.DefaultTimezone != "America/Los_Angeles" {
		t.Errorf("agent language/time zone = %q/%q, want en/America/Los_Angeles", a.Language, a.DefaultTimezone)
	}
	var names []string
	for _, it := range a.Intents {
		names = append(names, it.Name)
	}
	want := []string{"Default Fallback Intent", "Default Welcome Intent", "reservation.cancel", "reservation.confirm",
		"reservation.contact", "reservation.decision", "reservation.details", "reservation.list",
		"reservation.requirements_check", "reservation.select_slot", "reservation.start"}
	if strings.Join(names, "|") != strings.Join(want, "|") {
		t.Fatalf("intents = %q, want %q", names, want)
	}
	ids := map[string]string{}
	for _, it := range a.Intents {
		if !it.WebhookUsed {
			t.Errorf("%s: webhookUsed is false", it.Name)
		}
		if other, dup := ids[it.ID]; dup || it.ID == "" {
			t.Errorf("%s: id %q empty or shared with %s", it.Name, it.ID, other)
		}
		ids[it.ID] = it.Name
		if len(it.Responses) != 1 {
			t.Fatalf("%s: %d responses, want 1", it.Name, len(it.Responses))
		}
		declared := map[string]string{}
		for _, p := range it.Responses[0].Parameters {
			wantType, known := designParameters[p.Name]
			if !known {
				t.Errorf("%s: parameter %q is not one of DESIGN.md's", it.Name, p.Name)
			}
			if p.DataType != wantType {
				t.Errorf("%s: parameter %q has entity %q, DESIGN.md says %q", it.Name, p.Name, p.DataType, wantType)
			}
			if p.Value != "$"+p.Name {
				t.Errorf("%s: parameter %q value %q, want $%s", it.Name, p.Name, p.Value, p.Name)
			}
			declared[p.Name] = p.DataType
		}
		for _, ph := range it.Phrases {
			for _, part := range ph.Data {
				if part.Alias == "" && part.Meta == "" {
					continue
				}
				if declared[part.Alias] == "" || declared[part.Alias] != part.Meta {
					t.Errorf("%s: phrase %q annotates %q as %s, but the intent declares %q", it.Name, ph.Text(), part.Alias, part.Meta, declared[part.Alias])
				}
			}
		}
		if ev, ok := designEvents[it.Name]; ok {
			if len(it.Events) != 1 || it.Events[0].Name != ev {
				t.Errorf("%s: events %v, want [%s]", it.Name, it.Events, ev)
			}
		}
		if it.FallbackIntent != (it.Name == "Default Fallback Intent") {
			t.Errorf("%s: fallbackIntent = %v", it.Name, it.FallbackIntent)
		}
		if len(it.Events) == 0 && !it.FallbackIntent && len(it.Phrases) == 0 {
			t.Errorf("%s: neither events nor training phrases: it can never match", it.Name)
		}
	}
	entries := a.Entities["service"]
	if len(entries) == 0 || entries[0].Value != "dinner" || len(entries[0].Synonyms) < 2 {
		t.Errorf("@service entries = %+v, want dinner with synonyms", entries)
	}
}

func TestParseAgentRejectsMismatchedName(t *testing.T) {
	fsys := fstest.MapFS{
		"agent.json":         {Data: []byte(`{"language":"en","defaultTimezone":"UTC"}`)},
		"intents/a.json":     {Data: []byte(`{"id":"1","name":"b","responses":[{}]}`)},
		"intents/bad.json":   {Data: []byte(`{`)},
		"entities/x.json":    {Data: []byte(`{}`)},
		"entities/x_en.json": {Data: []byte(`[]`)},
	}
	if _, err := parseAgent(fsys); err == nil {
		t.Fatal("parseAgent accepted an intent whose name differs from its file")
	}
}

func TestWriteAgentZip(t *testing.T) {
	tests := []struct {
		name        string
		opts        ExportOptions
		wantErr     string
		wantHeaders map[string]string
	}{
		{
			name:        "basic auth",
			opts:        ExportOptions{WebhookURL: "https://bistro.example.com/fulfillment/dialogflow", BasicUser: "df", BasicPassword: "s3cret"},
			wantHeaders: map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("df:s3cret"))},
		},
		{
			name:        "header",
			opts:        ExportOptions{WebhookURL: "https://bistro.example.com/fulfillment/dialogflow", Headers: map[string]string{"X-Webhook-Key": "k1"}},
			wantHeaders: map[string]string{"X-Webhook-Key": "k1"},
		},
		{name: "http refused", opts: ExportOptions{WebhookURL: "http://bistro.example.com/x"}, wantErr: "https"},
		{name: "relative refused", opts: ExportOptions{WebhookURL: "/fulfillment/dialogflow"}, wantErr: "https"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := WriteAgentZip(&buf, tc.opts)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
			if err != nil {
				t.Fatal(err)
			}
			files := map[string][]byte{}
			for _, f := range zr.File {
				rc, err := f.Open()
				if err != nil {
					t.Fatal(err)
				}
				data, _ := io.ReadAll(rc)
				rc.Close()
				files[f.Name] = data
			}
			for _, name := range []string{"agent.json", "package.json", "intents/reservation.start.json",
				"intents/reservation.start_usersays_en.json", "entities/service.json", "entities/service_entries_en.json"} {
				if _, ok := files[name]; !ok {
					t.Errorf("zip lacks %s", name)
				}
			}
			var agent struct {
				Language string `json:"language"`
				Webhook  struct {
					URL       string            `json:"url"`
					Username  string            `json:"username"`
					Headers   map[string]string `json:"headers"`
					Available bool              `json:"available"`
				} `json:"webhook"`
				DefaultTimezone string `json:"defaultTimezone"`
			}
			if err := json.Unmarshal(files["agent.json"], &agent); err != nil {
				t.Fatal(err)
			}
			if agent.Webhook.URL != tc.opts.WebhookURL || !agent.Webhook.Available || agent.Webhook.Username != "" {
				t.Errorf("webhook = %+v", agent.Webhook)
			}
			if len(agent.Webhook.Headers) != len(tc.wantHeaders) {
				t.Errorf("headers = %v, want %v", agent.Webhook.Headers, tc.wantHeaders)
			}
			for k, v := range tc.wantHeaders {
				if agent.Webhook.Headers[k] != v {
					t.Errorf("header %s = %q, want %q", k, agent.Webhook.Headers[k], v)
				}
			}
			if agent.Language != "en" || agent.DefaultTimezone != "America/Los_Angeles" {
				t.Errorf("agent.json lost its other fields: %s", files["agent.json"])
			}
			// The exported intents parse back into the same agent.
			mfs := fstest.MapFS{}
			for name, data := range files {
				mfs[name] = &fstest.MapFile{Data: data}
			}
			back, err := parseAgent(mfs)
			if err != nil {
				t.Fatal(err)
			}
			orig, _ := LoadAgent()
			if len(back.Intents) != len(orig.Intents) {
				t.Errorf("round trip: %d intents, want %d", len(back.Intents), len(orig.Intents))
			}
			// Reproducible: the same options give the same bytes.
			var again bytes.Buffer
			if err := WriteAgentZip(&again, tc.opts); err != nil || !bytes.Equal(again.Bytes(), buf.Bytes()) {
				t.Error("two exports with the same options differ")
			}
		})
	}
}

// sortedKeys is a test helper shared by the agent/handler checks.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestAgentIntentsMatchHandlers(t *testing.T) {
	core, err := booking.NewService(booking.Config{Store: memory.New()})
	if err != nil {
		t.Fatal(err)
	}
	hs, err := handlers(Deps{Core: core})
	if err != nil {
		t.Fatal(err)
	}
	a, err := LoadAgent()
	if err != nil {
		t.Fatal(err)
	}
	webhook := map[string]bool{}
	for _, it := range a.Intents {
		if it.WebhookUsed {
			webhook[it.Name] = true
		}
	}
	for _, name := range sortedKeys(webhook) {
		if hs[name] == nil {
			t.Errorf("agent intent %q uses the webhook but has no handler", name)
		}
	}
	for _, name := range sortedKeys(hs) {
		if !webhook[name] {
			t.Errorf("handler %q answers no webhook intent of the agent", name)
		}
	}
	// The Actions SDK envelope dispatches its system intents to these names: they must be handled too.
	for _, name := range []string{fulfillment.NameWelcome, fulfillment.NameRequirementsCheck, fulfillment.NameSelectSlot, fulfillment.NameDecision} {
		if hs[name] == nil {
			t.Errorf("no handler for %q, which the Actions SDK envelope dispatches to", name)
		}
	}
}

func TestHandlersRejectBadDeps(t *testing.T) {
	core, err := booking.NewService(booking.Config{Store: memory.New()})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []Deps{{}, {Core: core, MerchantID: "no-such-merchant"}} {
		if _, err := handlers(d); err == nil {
			t.Errorf("handlers(%+v) accepted bad deps", d.MerchantID)
		}
	}
}
