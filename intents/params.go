package intents

import (
	"strconv"
	"strings"
)

// Parameters of the agent's intents the conversation reads (Dialogflow parameters, Actions SDK arguments); the
// agent in agent/ names them so, and text.go fills them from raw words.
const (
	paramParty   = "party_size" // @sys.number-integer
	paramDate    = "date"       // @sys.date
	paramTime    = "time"       // @sys.time
	paramService = "service"    // @service
	paramName    = "name"       // @sys.person
	paramPhone   = "phone"      // @sys.phone-number
)

// paramString returns a string parameter ("" when absent or of another type).
func paramString(v any) string {
	s, _ := v.(string)
	return s
}

// paramInt returns a positive whole-number parameter (@sys.number-integer arrives as a JSON number, sometimes
// as a string).
func paramInt(v any) (int, bool) {
	switch n := v.(type) {
	case float64:
		if n >= 1 && n <= 1e6 && n == float64(int(n)) {
			return int(n), true
		}
	case string:
		if i, err := strconv.Atoi(strings.TrimSpace(n)); err == nil && i >= 1 && i <= 1e6 {
			return i, true
		}
	case int:
		if n >= 1 && n <= 1e6 {
			return n, true
		}
	}
	return 0, false
}

// personName returns the name of a @sys.person value: {"name": "Jane Doe"} in Dialogflow v2, or a plain string.
func personName(v any) string {
	switch p := v.(type) {
	case string:
		return strings.TrimSpace(p)
	case map[string]any:
		s, _ := p["name"].(string)
		return strings.TrimSpace(s)
	}
	return ""
}
