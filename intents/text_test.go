package intents

import (
	"reflect"
	"runtime"
	"strings"
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
		stage stage
		want  map[string]any
	}{
		{"book a table for 4 tomorrow at 7 pm", "", map[string]any{"party_size": 4.0, "date": "2026-11-23", "time": "19:00"}},
		{"a table for four on friday at 7:30pm", "", map[string]any{"party_size": 4.0, "date": "2026-11-27", "time": "19:30"}},
		{"book a table for 7 pm", "", map[string]any{"time": "19:00"}}, // a time, not seven people
		{"party of six on november 30 at 8", "", map[string]any{"party_size": 6.0, "date": "2026-11-30", "time": "08:00"}},
		{"party of six on november 30 at 8 for dinner", "", map[string]any{"party_size": 6.0, "date": "2026-11-30", "time": "20:00"}},
		{"tonight at 7 for 2", "", map[string]any{"party_size": 2.0, "date": "2026-11-22", "time": "19:00"}},
		{"at 7 for 2", "", map[string]any{"party_size": 2.0, "time": "07:00"}}, // the conversation reads 07:00 as 19:00 when only evenings are open
		{"a table for 2 tomorrow at 7.30 pm", "", map[string]any{"party_size": 2.0, "date": "2026-11-23", "time": "19:30"}},
		{"table for 8.30 tonight", "", map[string]any{"date": "2026-11-22", "time": "20:30"}},
		{"2 adults and 2 kids on saturday", "", map[string]any{"party_size": 4.0, "date": "2026-11-28"}},
		{"book a table for 5 december", "", map[string]any{"date": "2026-12-05"}},
		{"a table for 12/24 at 7pm", "", map[string]any{"time": "19:00"}},
		{"table for 4 maybe saturday at 7", "", map[string]any{"party_size": 4.0, "date": "2026-11-28", "time": "07:00"}},
		{"the day after tomorrow", "", map[string]any{"date": "2026-11-24"}},
		{"not today, tomorrow", "", map[string]any{"date": "2026-11-23"}},
		{"today is busy, tomorrow then", "", map[string]any{"date": "2026-11-23"}},
		{"not friday, saturday", "", map[string]any{"date": "2026-11-28"}},
		{"next sunday", "", map[string]any{"date": "2026-11-29"}},
		{"this sunday", "", map[string]any{"date": "2026-11-22"}},
		{"2 people", "", map[string]any{"party_size": 2.0}},
		{"four", stageAssembling, map[string]any{"party_size": 4.0}},
		{"four", stageChooseSlot, map[string]any{}}, // a bare number is a party size only when that was asked
		{"tonight at 18:45", "", map[string]any{"date": "2026-11-22", "time": "18:45"}},
		{"sunday at noon", "", map[string]any{"date": "2026-11-22", "time": "12:00"}},
		{"3rd of march, 12 am", "", map[string]any{"date": "2027-03-03", "time": "00:00"}},
		{"on 2026-12-24 at 6 p.m.", "", map[string]any{"date": "2026-12-24", "time": "18:00"}},
		{"february 30 at 25:00", "", map[string]any{}},
		{"hello there", "", map[string]any{}},
	}
	for _, tc := range tests {
		tr := &turn{params: map[string]any{}, cart: cart{Stage: tc.stage}}
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
	stages := []stage{stageIdle, stageAssembling, stageContact, stageConfirm, stageChooseSlot, stageChange, stageAnythingElse}
	f.Fuzz(func(t *testing.T, words string, stage uint8) {
		tr := &turn{params: map[string]any{}, query: words, msg: messagesFor("en"),
			cart: cart{Stage: stages[int(stage)%len(stages)]}}
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

// TestReadDateEdges: the year turns over, and a day that does not exist is not read.
func TestReadDateEdges(t *testing.T) {
	inv := booking.SampleInventory()
	m := &inv.Merchants[0]
	for _, tc := range []struct {
		now         time.Time
		words, want string
	}{
		{time.Date(2028, 3, 1, 10, 0, 0, 0, merchantLoc(m)), "feb 29", ""}, // 2029 has none
		{time.Date(2027, 12, 30, 10, 0, 0, 0, merchantLoc(m)), "january 2nd", "2028-01-02"},
		{time.Date(2026, 11, 27, 10, 0, 0, 0, merchantLoc(m)), "next friday", "2026-12-04"},
		{time.Date(2026, 11, 27, 10, 0, 0, 0, merchantLoc(m)), "friday", "2026-11-27"},
		{time.Date(2026, 11, 22, 23, 30, 0, 0, time.UTC), "today", "2026-11-22"}, // 15:30 in Los Angeles
	} {
		f := &flow{merchant: m, now: func() time.Time { return tc.now }}
		got, ok := f.readDate(tc.words)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("%s, %q: %q %v, want %q", tc.now, tc.words, got, ok, tc.want)
		}
	}
}

// TestUnderstand: the step raw words lead to, by stage.
func TestUnderstand(t *testing.T) {
	inv := booking.SampleInventory()
	m := &inv.Merchants[0]
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, merchantLoc(m))
	f := &flow{merchant: m, now: func() time.Time { return now }}
	name := func(fn func(*turn)) string {
		if fn == nil {
			return "none"
		}
		n := runtime.FuncForPC(reflect.ValueOf(fn).Pointer()).Name()
		n = strings.TrimSuffix(n[strings.LastIndex(n, ".")+1:], "-fm")
		return n
	}
	tests := []struct {
		stage  stage
		words  string
		want   string
		params map[string]any
	}{
		{stageIdle, "book a table for 4 tomorrow at 7 pm", "start", map[string]any{"party_size": 4.0, "date": "2026-11-23", "time": "19:00"}},
		{stageIdle, "book a reservation", "start", nil},
		{stageIdle, "i need a reservation for 4", "start", map[string]any{"party_size": 4.0}},
		{stageIdle, "do you have a table", "start", nil},
		{stageIdle, "what are my reservations", "list", nil},
		{stageIdle, "do i have a reservation", "list", nil},
		{stageIdle, "cancel my reservation", "cancel", nil},
		{stageIdle, "what's your cancellation policy?", "none", nil},
		{stageIdle, "hello there", "none", nil},
		{stageConfirm, "yes", "confirm", nil},
		{stageConfirm, "yes, but make it 8 pm", "details", map[string]any{"time": "20:00"}},
		{stageConfirm, "right, for 3 people", "details", map[string]any{"party_size": 3.0}},
		{stageConfirm, "is the table by the window?", "none", nil},
		{stageConfirm, "what's your cancellation policy?", "none", nil},
		{stageCancelConfirm, "no, the one on monday", "details", map[string]any{"date": "2026-11-23"}},
		{stageAnythingElse, "no, cancel my reservation", "cancel", nil},
		{stageAnythingElse, "no thanks", "confirm", nil},
		{stageOfferBook, "yes, book a table for 2 tomorrow", "start", map[string]any{"party_size": 2.0, "date": "2026-11-23"}},
		{stageProposed, "I already booked", "none", nil},
		{stageContact, "Mary Book", "contact", map[string]any{"name": "Mary Book"}},
		{stageContact, "my name is Jane", "contact", map[string]any{"name": "Jane"}},
		{stageContact, "John Smith 415 555 0100", "contact", map[string]any{"name": "John Smith", "phone": "415 555 0100"}},
		{stageContact, "+1 (415) 555-0100", "contact", map[string]any{"phone": "+1 (415) 555-0100"}},
		{stageContact, "actually make it 4 people", "details", map[string]any{"party_size": 4.0}},
		{stageContact, "cancel", "cancel", nil},
		{stageContact, "no", "none", nil},
		{stageConfirm, "no, cancel that", "confirm", nil},
		{stageCancelConfirm, "yes, cancel it", "confirm", nil},
		{stageCancelConfirm, "no, don't cancel it", "confirm", nil},
		{stageCancelConfirm, "cancel the one on monday instead", "cancel", map[string]any{"date": "2026-11-23"}},
		{stageRequirements, "make it 6 people", "details", map[string]any{"party_size": 6.0}},
	}
	for _, tc := range tests {
		tr := &turn{params: map[string]any{}, query: tc.words, msg: messagesFor("en"),
			cart: cart{Stage: tc.stage, PartySize: 2, MerchantID: m.ID}}
		if got := name(f.understand(tr)); got != tc.want {
			t.Errorf("%s %q: step %s, want %s", tc.stage, tc.words, got, tc.want)
		}
		for k, v := range tc.params {
			if tr.params[k] != v {
				t.Errorf("%s %q: %s = %v, want %v", tc.stage, tc.words, k, tr.params[k], v)
			}
		}
	}
}
