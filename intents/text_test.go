package intents

import (
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
)

func TestReadDetails(t *testing.T) {
	inv := booking.SampleInventory()
	m := &inv.Merchants[0]
	// Sunday, November 22, 2026, 10:00 in Los Angeles.
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, merchantLoc(m))
	f := &flow{merchant: m, now: func() time.Time { return now }}
	tests := []struct {
		words string
		stage Stage
		want  map[string]any
	}{
		{"book a table for 4 tomorrow at 7 pm", "", map[string]any{"party_size": 4.0, "date": "2026-11-23", "time": "19:00"}},
		{"a table for four on friday at 7:30pm", "", map[string]any{"party_size": 4.0, "date": "2026-11-27", "time": "19:30"}},
		{"book a table for 7 pm", "", map[string]any{"time": "19:00"}}, // a time, not seven people
		{"party of six on november 30 at 8", "", map[string]any{"party_size": 6.0, "date": "2026-11-30", "time": "08:00"}},
		{"2 people", "", map[string]any{"party_size": 2.0}},
		{"four", StageAssembling, map[string]any{"party_size": 4.0}},
		{"four", StageChooseSlot, map[string]any{}}, // a bare number is a party size only when that was asked
		{"tonight at 18:45", "", map[string]any{"date": "2026-11-22", "time": "18:45"}},
		{"sunday at noon", "", map[string]any{"date": "2026-11-22", "time": "12:00"}},
		{"3rd of march, 12 am", "", map[string]any{"date": "2027-03-03", "time": "00:00"}},
		{"on 2026-12-24 at 6 p.m.", "", map[string]any{"date": "2026-12-24", "time": "18:00"}},
		{"february 30 at 25:00", "", map[string]any{}},
		{"hello there", "", map[string]any{}},
	}
	for _, tc := range tests {
		tr := &turn{params: map[string]any{}, cart: Cart{Stage: tc.stage}}
		found := f.readDetails(tr, tc.words)
		if found != (len(tc.want) > 0) || len(tr.params) != len(tc.want) {
			t.Errorf("%q: found %v, params %v, want %v", tc.words, found, tr.params, tc.want)
			continue
		}
		for k, v := range tc.want {
			if tr.params[k] != v {
				t.Errorf("%q: %s = %v, want %v", tc.words, k, tr.params[k], v)
			}
		}
	}
}

// FuzzUnderstand: reading arbitrary words in any stage never panics, and what it reads is in the shapes the
// conversation's parameter readers take.
func FuzzUnderstand(f *testing.F) {
	inv := booking.SampleInventory()
	m := &inv.Merchants[0]
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, merchantLoc(m))
	fl := &flow{merchant: m, now: func() time.Time { return now }}
	for _, s := range []string{"book a table for 4 tomorrow at 7 pm", "for 7 pm", "12 am on 31 feb", "cancel friday at 19:99",
		"party of 999 at 9:5 p.m.", "my reservations", "415 555 0100", "at", "for", "2026-02-30"} {
		f.Add(s, uint8(0))
	}
	stages := []Stage{StageIdle, StageAssembling, StageContact, StageConfirm, StageChooseSlot, StageChange, StageAnythingElse}
	f.Fuzz(func(t *testing.T, words string, stage uint8) {
		tr := &turn{params: map[string]any{}, query: words, msg: MessagesFor("en"),
			cart: Cart{Stage: stages[int(stage)%len(stages)]}}
		fl.understand(tr)
		if v, ok := tr.params["date"]; ok {
			if _, ok := parseDate(v.(string)); !ok {
				t.Errorf("%q: date %v does not parse", words, v)
			}
		}
		if v, ok := tr.params["time"]; ok {
			if _, ok := parseClock(v.(string)); !ok {
				t.Errorf("%q: time %v does not parse", words, v)
			}
		}
		if v, ok := tr.params["party_size"]; ok {
			if _, ok := paramInt(v); !ok {
				t.Errorf("%q: party size %v is not a whole number", words, v)
			}
		}
	})
}
