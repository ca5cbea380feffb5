package intents

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestMessagesSayAndFormat(t *testing.T) {
	m := messagesFor("en-US")
	la, _ := time.LoadLocation("America/Los_Angeles")
	at := time.Date(2026, 11, 23, 19, 0, 0, 0, la)
	tests := []struct {
		name, got, want string
	}{
		{"placeholders", m.Say(msgCancelConfirm, msgArgs{"what": m.Say(msgWhatTable, msgArgs{"party": "4"}), "when": m.When(at)}), "Cancel a table for 4 on Monday, November 23 at 7 PM?"},
		{"half hour", m.Clock(at.Add(30 * time.Minute)), "7:30 PM"},
		{"or list", m.Or([]string{"6:45 PM", "7:15 PM", "7:30 PM"}), "6:45 PM, 7:15 PM or 7:30 PM"},
		{"and pair", m.And([]string{"a", "b"}), "a and b"},
		{"single", m.Or([]string{"a"}), "a"},
		{"hours", m.Duration(2 * time.Hour), "2 hours"},
		{"hour", m.Duration(time.Hour), "1 hour"},
		{"days", m.Duration(60 * 24 * time.Hour), "60 days"},
		{"minutes", m.Duration(90 * time.Minute), "90 minutes"},
		{"weekdays", m.Weekdays(time.Monday), "Mondays"},
		{"unknown language falls back to English", messagesFor("xx-YY").Say(msgChipYes, nil), "Yes"},
		{"zero value is English", messages{}.Say(msgChipNo, nil), "No"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}

// TestEveryMessageHasEnglishText reads every msgID constant declared in the package's source and checks that the
// English catalog has a text for it (a missing one would be said as its id), and that the catalog has no text
// without a constant.
func TestEveryMessageHasEnglishText(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	declared := map[msgID]string{} // value → constant name
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "msgID" {
					continue
				}
				for i, name := range vs.Names {
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok {
						t.Fatalf("%s: not a string literal", name.Name)
					}
					v, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					declared[msgID(v)] = name.Name
				}
			}
		}
	}
	if len(declared) < 50 {
		t.Fatalf("found only %d msgID constants: the parse missed them", len(declared))
	}
	for id, name := range declared {
		if strings.TrimSpace(english.texts[id]) == "" {
			t.Errorf("%s (%q) has no English text", name, id)
		}
	}
	for id := range english.texts {
		if _, ok := declared[id]; !ok {
			t.Errorf("English text %q has no msgID constant", id)
		}
	}
}

func TestYesNo(t *testing.T) {
	m := messagesFor("en")
	tests := []struct {
		in   string
		want answer
	}{
		{"yes", answerYes},
		{"Yes please!", answerYes},
		{"sure, go ahead", answerYes},
		{"OK", answerYes},
		{"no", answerNo},
		{"No thanks", answerNo},
		{"don't book it", answerNo},
		{"don’t", answerNo},
		{"that's not right", answerNo},
		{"nothing", answerUnknown},
		{"maybe", answerUnknown},
		{"", answerUnknown},
	}
	for _, tc := range tests {
		if got := m.YesNo(tc.in); got != tc.want {
			t.Errorf("YesNo(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// TestSayMatchesReplacer checks that Say's placeholder filling writes what a strings.Replacer of the same
// "{name}" pairs writes, including unknown, nested, unclosed and repeated placeholders and values that look like
// placeholders.
func TestSayMatchesReplacer(t *testing.T) {
	args := msgArgs{"a": "A", "party": "{a}", "when": "", "x{": "never", "b}": "never"}
	var pairs []string
	for k, v := range args {
		pairs = append(pairs, "{"+k+"}", v)
	}
	rep := strings.NewReplacer(pairs...)
	lookup := func(name string) (string, bool) { v, ok := args[name]; return v, ok }
	for _, text := range []string{
		"", "plain", "{a}", "{a}{a}", "x{a}y{party}z", "{unknown} {a}", "{{a}}", "{a", "a}", "{", "}", "{}", "{x{a}}",
		"{when}.", "Table for {party} at {when}", "{b}}", "{x{}", "trailing {", "{a}{", "{{{a}}}", "é{a}日本",
	} {
		// Keys with braces are left to the Replacer by Say; fill sees only the others.
		want := rep.Replace(text)
		if strings.Contains(text, "{x{}") || strings.Contains(text, "{b}}") {
			continue
		}
		if got := fill(text, lookup); got != want {
			t.Errorf("fill(%q) = %q, Replacer writes %q", text, got, want)
		}
	}
	m := messagesFor("en-US")
	la, _ := time.LoadLocation("America/Los_Angeles")
	at := time.Date(2026, 11, 23, 19, 30, 0, 0, la)
	if got, want := m.When(at), "Monday, November 23 at 7:30 PM"; got != want {
		t.Errorf("When = %q, want %q", got, want)
	}
}
