package intents

import (
	"archive/zip"
	"bytes"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"
)

// agentFiles is the Dialogflow ES agent in its export layout: agent.json, package.json, intents/ and entities/.
//
//go:embed agent
var agentFiles embed.FS

// agentFS returns the Dialogflow ES agent definition the handlers answer, rooted at the export's top level
// (agent.json, package.json, intents/<name>.json, intents/<name>_usersays_en.json, entities/…).
func agentFS() fs.FS {
	sub, err := fs.Sub(agentFiles, "agent")
	if err != nil {
		// fs.Sub only fails on an invalid path; "agent" is a valid constant.
		panic(fmt.Sprintf("intents: embedded agent: %v", err))
	}
	return sub
}

// AgentIntent is the part of an exported Dialogflow ES intent (intents/<name>.json) the service relies on.
type AgentIntent struct {
	ID             string          `json:"id"`
	Name           string          `json:"name"`
	Contexts       []string        `json:"contexts"`
	Responses      []AgentResponse `json:"responses"`
	WebhookUsed    bool            `json:"webhookUsed"`
	FallbackIntent bool            `json:"fallbackIntent"`
	Events         []AgentEvent    `json:"events"`
	// Phrases are the training phrases of intents/<name>_usersays_<lang>.json, when the intent has any.
	Phrases []AgentPhrase `json:"-"`
}

// AgentResponse is one entry of an intent's responses: its action, output contexts and parameters.
type AgentResponse struct {
	Action           string           `json:"action"`
	AffectedContexts []AgentContext   `json:"affectedContexts"`
	Parameters       []AgentParameter `json:"parameters"`
}

// AgentContext is an output context an intent sets, with its lifespan in turns.
type AgentContext struct {
	Name     string `json:"name"`
	Lifespan int    `json:"lifespan"`
}

// AgentParameter is an intent parameter: its name, entity type (dataType) and value reference.
type AgentParameter struct {
	Name     string `json:"name"`
	DataType string `json:"dataType"`
	Value    string `json:"value"`
	Required bool   `json:"required"`
	IsList   bool   `json:"isList"`
}

// AgentEvent is an event that triggers an intent, such as actions_intent_OPTION.
type AgentEvent struct {
	Name string `json:"name"`
}

// AgentPhrase is one training phrase: parts of text, some annotated with a parameter (alias) and its entity (meta).
type AgentPhrase struct {
	ID   string            `json:"id"`
	Data []AgentPhrasePart `json:"data"`
	Lang string            `json:"lang"`
}

// AgentPhrasePart is a piece of a training phrase; Alias and Meta are set when the piece is a parameter value.
type AgentPhrasePart struct {
	Text        string `json:"text"`
	Alias       string `json:"alias,omitempty"`
	Meta        string `json:"meta,omitempty"`
	UserDefined bool   `json:"userDefined"`
}

// Text returns the phrase as plain text.
func (p AgentPhrase) Text() string {
	var b strings.Builder
	for _, d := range p.Data {
		b.WriteString(d.Text)
	}
	return b.String()
}

// Agent is the parsed agent definition.
type Agent struct {
	Language        string
	DefaultTimezone string
	Intents         []AgentIntent // sorted by name
	// Entities maps a custom entity's name (without "@") to its values and synonyms in the agent's language.
	Entities map[string][]AgentEntityEntry
}

// AgentEntityEntry is one value of a custom entity with its synonyms.
type AgentEntityEntry struct {
	Value    string   `json:"value"`
	Synonyms []string `json:"synonyms"`
}

// Intent returns the intent with the display name.
func (a *Agent) Intent(name string) (AgentIntent, bool) {
	for _, it := range a.Intents {
		if it.Name == name {
			return it, true
		}
	}
	return AgentIntent{}, false
}

// LoadAgent parses the embedded agent definition.
func LoadAgent() (*Agent, error) {
	return parseAgent(agentFS())
}

// parseAgent parses a Dialogflow ES agent export laid out in fsys.
func parseAgent(fsys fs.FS) (*Agent, error) {
	var meta struct {
		Language        string `json:"language"`
		DefaultTimezone string `json:"defaultTimezone"`
	}
	if err := readJSON(fsys, "agent.json", &meta); err != nil {
		return nil, err
	}
	a := &Agent{Language: meta.Language, DefaultTimezone: meta.DefaultTimezone, Entities: map[string][]AgentEntityEntry{}}
	files, err := fs.Glob(fsys, "intents/*.json")
	if err != nil {
		return nil, fmt.Errorf("agent: list intents: %w", err)
	}
	suffix := "_usersays_" + a.Language + ".json"
	for _, f := range files {
		if strings.Contains(path.Base(f), "_usersays_") {
			continue
		}
		var it AgentIntent
		if err := readJSON(fsys, f, &it); err != nil {
			return nil, err
		}
		if want := strings.TrimSuffix(path.Base(f), ".json"); it.Name != want {
			return nil, fmt.Errorf("agent: %s: name %q does not match the file name", f, it.Name)
		}
		phrases := strings.TrimSuffix(f, ".json") + suffix
		if _, err := fs.Stat(fsys, phrases); err == nil {
			if err := readJSON(fsys, phrases, &it.Phrases); err != nil {
				return nil, err
			}
		}
		a.Intents = append(a.Intents, it)
	}
	sort.Slice(a.Intents, func(i, j int) bool { return a.Intents[i].Name < a.Intents[j].Name })
	entities, err := fs.Glob(fsys, "entities/*.json")
	if err != nil {
		return nil, fmt.Errorf("agent: list entities: %w", err)
	}
	for _, f := range entities {
		base := strings.TrimSuffix(path.Base(f), ".json")
		name, ok := strings.CutSuffix(base, "_entries_"+a.Language)
		if !ok {
			continue
		}
		var entries []AgentEntityEntry
		if err := readJSON(fsys, f, &entries); err != nil {
			return nil, err
		}
		a.Entities[name] = entries
	}
	return a, nil
}

func readJSON(fsys fs.FS, name string, v any) error {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return fmt.Errorf("agent: read %s: %w", name, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("agent: parse %s: %w", name, err)
	}
	return nil
}

// ExportOptions says where Dialogflow should call the webhook and how it authenticates.
type ExportOptions struct {
	// WebhookURL is the absolute https URL of POST /fulfillment/dialogflow.
	WebhookURL string
	// BasicUser and BasicPassword, when BasicUser is set, make Dialogflow send HTTP basic authentication.
	BasicUser, BasicPassword string
	// Headers are extra headers Dialogflow sends with every webhook call (e.g. a shared secret).
	Headers map[string]string
	// Modified is the time stamp written on every zip entry (zero: 1980-01-01, so that exports are reproducible).
	Modified time.Time
}

// WriteAgentZip writes the agent as a zip that the Dialogflow ES console imports (Settings → Export and Import →
// Restore/Import from zip), with the webhook section of agent.json set from opts. The basic-auth password is sent
// as an Authorization header, since an export carries no password field.
func WriteAgentZip(w io.Writer, opts ExportOptions) error {
	u, err := url.Parse(opts.WebhookURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("webhook URL %q: must be an absolute https URL (Dialogflow only calls https webhooks)", opts.WebhookURL)
	}
	if strings.Contains(opts.BasicUser, ":") {
		return fmt.Errorf("basic auth user must not contain ':'")
	}
	fsys := agentFS()
	var names []string
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("agent: walk: %w", err)
	}
	sort.Strings(names)
	modified := opts.Modified
	if modified.IsZero() {
		modified = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	zw := zip.NewWriter(w)
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("agent: read %s: %w", name, err)
		}
		if name == "agent.json" {
			if data, err = withWebhook(data, opts); err != nil {
				return err
			}
		}
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: modified})
		if err != nil {
			return fmt.Errorf("agent zip: %s: %w", name, err)
		}
		if _, err := fw.Write(data); err != nil {
			return fmt.Errorf("agent zip: %s: %w", name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("agent zip: %w", err)
	}
	return nil
}

// withWebhook rewrites agent.json's webhook section and keeps every other field's value.
func withWebhook(data []byte, opts ExportOptions) ([]byte, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("agent: parse agent.json: %w", err)
	}
	var hook map[string]any
	if err := json.Unmarshal(doc["webhook"], &hook); err != nil || hook == nil {
		hook = map[string]any{}
	}
	headers := map[string]string{}
	for k, v := range opts.Headers {
		headers[k] = v
	}
	hook["url"] = opts.WebhookURL
	// Basic credentials travel only as the Authorization header: the export has no password member, and a
	// username without one could make the console send a Basic header of its own.
	hook["username"] = ""
	if opts.BasicUser != "" {
		headers["Authorization"] = "Basic " + base64.StdEncoding.EncodeToString([]byte(opts.BasicUser+":"+opts.BasicPassword))
	}
	hook["headers"] = headers
	hook["available"] = true
	raw, err := json.Marshal(hook)
	if err != nil {
		return nil, fmt.Errorf("agent: encode webhook: %w", err)
	}
	doc["webhook"] = raw
	// Re-encode with indentation; map keys come out sorted, which Dialogflow does not mind.
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("agent: encode agent.json: %w", err)
	}
	return append(bytes.TrimSpace(out), '\n'), nil
}
