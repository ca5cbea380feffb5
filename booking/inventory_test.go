package booking_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
)

func TestDurationJSON(t *testing.T) {
	marshal := []struct {
		d    time.Duration
		want string
	}{
		{90 * time.Minute, `"90m"`},
		{time.Hour, `"1h"`},
		{60 * 24 * time.Hour, `"1440h"`},
		{15 * time.Minute, `"15m"`},
		{30 * time.Second, `"30s"`},
		{1500 * time.Millisecond, `"1.5s"`},
		{0, `"0s"`},
	}
	for _, tc := range marshal {
		got, err := json.Marshal(booking.Duration(tc.d))
		if err != nil || string(got) != tc.want {
			t.Errorf("Marshal(%v) = %s, %v; want %s", tc.d, got, err, tc.want)
		}
	}
	unmarshal := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{`"90m"`, 90 * time.Minute, false},
		{`"1h30m"`, 90 * time.Minute, false},
		{`"2h"`, 2 * time.Hour, false},
		{`5400`, 90 * time.Minute, false},
		{`0.5`, 500 * time.Millisecond, false},
		{` 60 `, time.Minute, false},
		{`"90"`, 0, true},
		{`"ninety minutes"`, 0, true},
		{`true`, 0, true},
		{`1e300`, 0, true},
		{`{}`, 0, true},
	}
	for _, tc := range unmarshal {
		var d booking.Duration
		err := json.Unmarshal([]byte(tc.in), &d)
		if (err != nil) != tc.wantErr || (!tc.wantErr && d.D() != tc.want) {
			t.Errorf("Unmarshal(%s) = %v, %v; want %v (error %v)", tc.in, d.D(), err, tc.want, tc.wantErr)
		}
	}
	// Round trip through a struct.
	in := booking.Policy{Hold: booking.Duration(15 * time.Minute), MaxLead: booking.Duration(1440 * time.Hour)}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out booking.Policy
	if err := json.Unmarshal(data, &out); err != nil || out != in {
		t.Fatalf("round trip of %s: %+v, %v", data, out, err)
	}
}

func TestSampleInventory(t *testing.T) {
	inv := booking.SampleInventory()
	if len(inv.Merchants) != 1 {
		t.Fatalf("sample inventory has %d merchants", len(inv.Merchants))
	}
	m, ok := inv.Merchant("sample-bistro")
	if !ok {
		t.Fatal("sample-bistro missing")
	}
	if m.Name != "Sample Bistro" || m.TimeZone != "America/Los_Angeles" || m.Location == nil || m.Location.String() != "America/Los_Angeles" {
		t.Fatalf("merchant: %q %q %v", m.Name, m.TimeZone, m.Location)
	}
	if len(m.Hours) != 7 {
		t.Fatalf("hours: %+v", m.Hours)
	}
	for i, h := range m.Hours {
		if h.Day != time.Weekday(i) || h.Open != "17:00" || h.Close != "22:00" {
			t.Fatalf("hours[%d] = %+v, want every day 17:00–22:00", i, h)
		}
	}
	p := m.Policy
	if p.Hold.D() != 15*time.Minute || p.MinLead.D() != time.Hour || p.MaxLead.D() != 60*24*time.Hour ||
		p.CancelBefore.D() != 2*time.Hour || p.ManualConfirm || p.FulfillAfter.D() != time.Hour {
		t.Fatalf("policy: %+v", p)
	}
	s := m.Default()
	if s == nil || s.ID != "dinner" || m.DefaultService != "dinner" {
		t.Fatalf("default service: %+v", s)
	}
	if s.Type != booking.TypeRestaurant || s.Duration.D() != 90*time.Minute || s.MinParty != 1 || s.MaxParty != 8 ||
		s.Capacity != 40 || s.Interval.D() != 15*time.Minute || s.Name == "" {
		t.Fatalf("dinner: %+v", s)
	}
	for _, v := range []string{m.URL, m.Email, m.TermsOfServiceURL} {
		if !strings.Contains(v, "example.com") {
			t.Errorf("%q is not on an example.com domain", v)
		}
	}
	if m.Phone == "" || m.Address.RegionCode != "US" || len(m.Address.AddressLines) == 0 {
		t.Errorf("contact details: %q %+v", m.Phone, m.Address)
	}
	if _, ok := m.Service("lunch"); ok {
		t.Error("Service(lunch) found a service")
	}
	if _, ok := inv.Merchant("other"); ok {
		t.Error("Merchant(other) found a merchant")
	}
	// A fresh copy each time: changing one does not change the next.
	inv.Merchants[0].Name = "changed"
	if booking.SampleInventory().Merchants[0].Name != "Sample Bistro" {
		t.Error("SampleInventory shares state between calls")
	}
}

func TestTestdataInventory(t *testing.T) {
	path := filepath.Join("..", "testdata", "inventory.json")
	inv, err := booking.LoadInventoryFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Merchants) != 2 {
		t.Fatalf("%d merchants", len(inv.Merchants))
	}
	sample, err := json.Marshal(booking.SampleInventory().Merchants[0])
	if err != nil {
		t.Fatal(err)
	}
	first, err := json.Marshal(inv.Merchants[0])
	if err != nil {
		t.Fatal(err)
	}
	if string(first) != string(sample) {
		t.Fatalf("the file's first merchant differs from the built-in sample:\n%s\n%s", first, sample)
	}
	salon, ok := inv.Merchant("sample-salon")
	if !ok {
		t.Fatal("sample-salon missing")
	}
	hc := salon.Default()
	if !salon.Policy.ManualConfirm || hc.Duration.D() != 30*time.Minute || hc.Capacity != 3 || hc.Type != booking.TypeHairdresser {
		t.Fatalf("salon: %+v %+v", salon.Policy, hc)
	}
}

func TestLoadInventoryFileErrors(t *testing.T) {
	_, err := booking.LoadInventoryFile(filepath.Join(t.TempDir(), "missing.json"))
	if err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Fatalf("missing file: %v", err)
	}
	path := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(path, []byte(`{"merchants":[{"id":"x"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = booking.LoadInventoryFile(path)
	if err == nil || !strings.Contains(err.Error(), "bad.json") || !strings.Contains(err.Error(), "merchants[0].name: must not be empty") {
		t.Fatalf("invalid file: %v", err)
	}
}

// validInventory is a valid inventory file that the validation cases below change one field of.
func validInventory(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "inventory.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestParseInventoryValidation(t *testing.T) {
	merchant := func(v map[string]any, i int) map[string]any {
		return v["merchants"].([]any)[i].(map[string]any)
	}
	service := func(v map[string]any, i, j int) map[string]any {
		return merchant(v, i)["services"].([]any)[j].(map[string]any)
	}
	cases := []struct {
		name   string
		change func(v map[string]any)
		want   string
	}{
		{"no merchants", func(v map[string]any) { v["merchants"] = []any{} }, "merchants: must list at least one merchant"},
		{"empty id", func(v map[string]any) { merchant(v, 1)["id"] = "" }, "merchants[1].id: must not be empty"},
		{"bad id", func(v map[string]any) { merchant(v, 1)["id"] = "a b" }, "merchants[1].id: must contain only"},
		{"duplicate id", func(v map[string]any) { merchant(v, 1)["id"] = "sample-bistro" }, `merchants[1].id: duplicates merchants[0].id "sample-bistro"`},
		{"unknown zone", func(v map[string]any) { merchant(v, 0)["timeZone"] = "Mars/Olympus" }, `merchants[0].timeZone: unknown time zone "Mars/Olympus"`},
		{"bad open", func(v map[string]any) {
			merchant(v, 0)["hours"].([]any)[2].(map[string]any)["open"] = "5pm"
		}, "merchants[0].hours[2].open: must be a time of day"},
		{"bad close", func(v map[string]any) {
			merchant(v, 0)["hours"].([]any)[0].(map[string]any)["close"] = "24:30"
		}, "merchants[0].hours[0].close: must be a time of day"},
		{"bad day", func(v map[string]any) { merchant(v, 0)["hours"].([]any)[0].(map[string]any)["day"] = 7 }, "merchants[0].hours[0].day: must be 0 (Sunday) to 6"},
		{"bad closed date", func(v map[string]any) { merchant(v, 1)["closedDates"] = []any{"25/12/2026"} }, "merchants[1].closedDates[0]: must be a date YYYY-MM-DD"},
		{"capacity 0", func(v map[string]any) { service(v, 0, 0)["capacity"] = 0 }, "merchants[0].services[0].capacity: must be ≥ 1"},
		{"capacity below max party", func(v map[string]any) { service(v, 0, 0)["capacity"] = 6 }, "merchants[0].services[0].capacity: must be ≥ maxPartySize (8)"},
		{"min party 0", func(v map[string]any) { service(v, 0, 0)["minPartySize"] = 0 }, "merchants[0].services[0].minPartySize: must be ≥ 1"},
		{"max below min", func(v map[string]any) { service(v, 0, 0)["minPartySize"] = 9 }, "merchants[0].services[0].maxPartySize: must be ≥ minPartySize (9)"},
		{"interval 0", func(v map[string]any) { service(v, 0, 0)["interval"] = "0s" }, "merchants[0].services[0].interval: must be > 0"},
		{"duration negative", func(v map[string]any) { service(v, 1, 0)["duration"] = "-30m" }, "merchants[1].services[0].duration: must be > 0"},
		{"duration too long", func(v map[string]any) { service(v, 1, 0)["duration"] = "25h" }, "merchants[1].services[0].duration: must be at most 24h"},
		{"bad type", func(v map[string]any) { service(v, 0, 0)["type"] = "SPA" }, "merchants[0].services[0].type: must be RESTAURANT, HAIRDRESSER or OTHER"},
		{"duplicate service", func(v map[string]any) {
			merchant(v, 0)["services"] = append(merchant(v, 0)["services"].([]any), service(v, 0, 0))
		}, `merchants[0].services[1].id: duplicates services[0].id "dinner"`},
		{"no services", func(v map[string]any) { merchant(v, 1)["services"] = []any{}; delete(merchant(v, 1), "defaultService") }, "merchants[1].services: must list at least one service"},
		{"unknown default", func(v map[string]any) { merchant(v, 0)["defaultService"] = "lunch" }, `merchants[0].defaultService: names no service of this merchant: "lunch"`},
		{"hold 0", func(v map[string]any) { merchant(v, 0)["policy"].(map[string]any)["hold"] = "0s" }, "merchants[0].policy.hold: must be > 0"},
		{"max lead below min lead", func(v map[string]any) { merchant(v, 0)["policy"].(map[string]any)["maxLead"] = "30m" }, "merchants[0].policy.maxLead: must be greater than minLead (1h)"},
		{"negative min lead", func(v map[string]any) { merchant(v, 0)["policy"].(map[string]any)["minLead"] = -60 }, "merchants[0].policy.minLead: must be ≥ 0"},
		{"negative cancelBefore", func(v map[string]any) { merchant(v, 0)["policy"].(map[string]any)["cancelBefore"] = "-1h" }, "merchants[0].policy.cancelBefore: must be ≥ 0"},
		{"bad currency", func(v map[string]any) { service(v, 1, 0)["price"].(map[string]any)["currencyCode"] = "dollars" }, "merchants[1].services[0].price.currencyCode: must be a 3-letter"},
		{"unknown field", func(v map[string]any) { merchant(v, 0)["capacity"] = 40 }, `unknown field "capacity"`},
		{"bad duration string", func(v map[string]any) { service(v, 0, 0)["duration"] = "an hour" }, `duration "an hour"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := validInventory(t)
			tc.change(v)
			data, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			_, err = booking.ParseInventory(data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	// Every problem is reported, each a *FieldError.
	v := validInventory(t)
	service(v, 0, 0)["capacity"] = 0
	merchant(v, 1)["name"] = ""
	data, _ := json.Marshal(v)
	_, err := booking.ParseInventory(data)
	var fe *booking.FieldError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "merchants[0].services[0].capacity") || !strings.Contains(err.Error(), "merchants[1].name") {
		t.Fatalf("two problems: %v", err)
	}
	if _, err := booking.ParseInventory([]byte(`{"merchants":[]} {}`)); err == nil {
		t.Fatal("trailing data accepted")
	}
	if _, err := booking.ParseInventory([]byte(`[`)); err == nil {
		t.Fatal("broken JSON accepted")
	}
}

func FuzzParseInventory(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "inventory.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"merchants":[{"id":"x","hours":[{"day":1,"open":"22:00","close":"02:00"}]}]}`))
	f.Add([]byte(`{"merchants":[{"policy":{"hold":1e309}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := booking.ParseInventory(data)
		if err != nil {
			return
		}
		for i := range inv.Merchants {
			m := &inv.Merchants[i]
			if m.Location == nil || m.Default() == nil {
				t.Fatalf("valid inventory with merchant %q lacking a location or default service", m.ID)
			}
		}
	})
}

func FuzzDurationJSON(f *testing.F) {
	for _, s := range []string{`"90m"`, `5400`, `-1`, `"1h30m"`, `1e19`, `null`, `"-9223372036s"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var d booking.Duration
		if err := json.Unmarshal(data, &d); err != nil {
			return
		}
		out, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("marshal %v: %v", d.D(), err)
		}
		var back booking.Duration
		if err := json.Unmarshal(out, &back); err != nil || back != d {
			t.Fatalf("round trip of %v via %s: %v, %v", d.D(), out, back.D(), err)
		}
	})
}
