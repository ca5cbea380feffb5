package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/reservations/reservations/booking"
)

const acDir = "booking/actionscenter/testdata/"

// acRequests are the Actions Center reference sample requests.
var acRequests = []string{"batch_availability_lookup_request.json", "create_booking_request.json",
	"update_booking_reschedule_request.json", "update_booking_cancel_request.json", "update_booking_party_size_request.json",
	"get_booking_status_request.json", "list_bookings_request.json"}

func actionsCenterCorpora([]conversation) ([]corpus, error) {
	var paths []string
	for _, n := range acRequests {
		paths = append(paths, acDir+n)
	}
	seeds, err := fileSeeds(paths...)
	if err != nil {
		return nil, err
	}
	// A CreateBooking of each slot the sample lookup asks about: the slots the server answers differently
	// (free, tagged, off the interval, before opening, too large a party).
	objs, err := readObjects(acDir+"batch_availability_lookup_request.json", acDir+"create_booking_request.json")
	if err != nil {
		return nil, err
	}
	lookup, create := objs[0], objs[1]
	slots, _ := lookup["slot_time"].([]any)
	for i, s := range slots {
		st, _ := s.(map[string]any)
		slot := create["slot"].(map[string]any)
		slot["start_sec"], slot["duration_sec"] = st["start_sec"], st["duration_sec"]
		slot["resources"] = st["resource_ids"]
		create["idempotency_token"] = fmt.Sprintf("lookup-slot-%d", i)
		seeds = append(seeds, seed{name: fmt.Sprintf("create_booking_lookup_slot_%d", i), values: []any{mustJSON(create)}})
	}
	return []corpus{
		{"booking/actionscenter", "FuzzRequestDecode", seeds},
		{"booking/actionscenter", "FuzzRequestHandlers", seeds},
	}, nil
}

// adminCorpora are staff status changes and reschedules, FuzzAdminRequest's (route, body) pairs: route 0 posts
// to /status, 1 to /reschedule (2 and 3: the same for an unknown booking). They are the Actions Center sample
// updates of booking 890 said in the staff API's words, and each status staff may set.
func adminCorpora([]conversation) ([]corpus, error) {
	var seeds []seed
	add := func(name string, route uint8, body any) {
		seeds = append(seeds, seed{name: name, values: []any{route, mustJSON(body)}})
	}
	cancel, err := readObject(acDir + "update_booking_cancel_request.json")
	if err != nil {
		return nil, err
	}
	if b, _ := cancel["booking"].(map[string]any); b["status"] == "CANCELED" {
		add("status-cancelled-from-update-booking-cancel", 0, map[string]any{"status": "CANCELLED"})
		add("status-cancelled-unknown-booking", 2, map[string]any{"status": "CANCELLED"})
	}
	for _, st := range []string{"confirmed", "fulfilled", "no_show", "rejected"} {
		add("status-"+slug(st), 0, map[string]any{"status": strings.ToUpper(st), "reason": "staff: " + st, "version": 1})
	}
	add("status-stale-version", 0, map[string]any{"status": "CANCELLED", "reason": "double booked", "version": 7})
	for _, n := range []string{"update_booking_reschedule_request.json", "update_booking_party_size_request.json",
		"create_booking_request.json"} {
		req, err := readObject(acDir + n)
		if err != nil {
			return nil, err
		}
		slot, _ := req["slot"].(map[string]any)
		if b, ok := req["booking"].(map[string]any); ok {
			slot, _ = b["slot"].(map[string]any)
		}
		body := map[string]any{"start": rfc3339(slot["start_sec"], "1606467600"), "reason": "from " + n}
		if res, ok := slot["resources"].(map[string]any); ok {
			body["partySize"] = res["party_size"]
		}
		name := "reschedule-" + slug(strings.TrimSuffix(n, ".json"))
		add(name, 1, body)
		body["version"] = 1
		add(name+"-version-1", 1, body)
	}
	add("reschedule-unknown-booking", 3, map[string]any{"start": rfc3339("1606473000", "")})
	return []corpus{{"booking/admin", "FuzzAdminRequest", seeds}}, nil
}

// rfc3339 is the Actions Center start_sec (a decimal string), or def when there is none, as an RFC 3339 time.
func rfc3339(sec any, def string) string {
	s, _ := sec.(string)
	if s == "" {
		s = def
	}
	n, _ := strconv.ParseInt(s, 10, 64)
	return time.Unix(n, 0).UTC().Format(time.RFC3339)
}

// inventoryCorpora are the merchant documents: the inventory files, the built-in sample, each merchant of the
// example inventory alone, and the example broken in the ways validation names; and their durations.
func inventoryCorpora([]conversation) ([]corpus, error) {
	docs, err := fileSeeds("testdata/inventory.json", acDir+"inventory.json")
	if err != nil {
		return nil, err
	}
	docs[1].name = "actionscenter-inventory"
	docs = append(docs, seed{name: "sample-inventory", values: []any{mustJSON(booking.SampleInventory())}})
	inv, err := readObject("testdata/inventory.json")
	if err != nil {
		return nil, err
	}
	merchants, _ := inv["merchants"].([]any)
	for _, m := range merchants {
		mm, _ := m.(map[string]any)
		docs = append(docs, seed{name: fmt.Sprintf("merchant-%v", mm["id"]), values: []any{mustJSON(map[string]any{"merchants": []any{m}})}})
	}
	docs = append(docs, brokenInventories(mustJSON(inv))...)
	var durations []seed
	for _, d := range docs[:3] {
		durations = append(durations, durationSeeds(d.values[0].([]byte))...)
	}
	return []corpus{
		{"booking", "FuzzParseInventory", docs},
		{"booking", "FuzzInventory", docs},
		{"booking", "FuzzDurationJSON", uniq(durations)},
	}, nil
}

// brokenInventories are the example inventory with one thing wrong each.
func brokenInventories(good []byte) []seed {
	breaks := []struct {
		name   string
		mutate func(m map[string]any)
	}{
		{"no-services", func(m map[string]any) { m["services"] = []any{} }},
		{"bad-hours", func(m map[string]any) {
			m["hours"] = []any{map[string]any{"day": 7, "open": "24:00", "close": "24:00"}}
		}},
		{"unknown-time-zone", func(m map[string]any) { m["timeZone"] = "Mars/Olympus_Mons" }},
		{"bad-policy", func(m map[string]any) {
			m["policy"] = map[string]any{"hold": "0s", "minLead": "-1h", "maxLead": 60, "cancelBefore": -5, "fulfillAfter": "1h"}
		}},
		{"bad-service", func(m map[string]any) {
			s := m["services"].([]any)[0].(map[string]any)
			s["capacity"], s["maxPartySize"], s["type"], s["duration"] = 2, 8, "SPA", "25h"
			s["price"] = map[string]any{"currencyCode": "EURO", "amountMicros": -1}
		}},
		{"duplicate-ids", func(m map[string]any) {
			svcs := m["services"].([]any)
			m["services"] = append(svcs, svcs[0])
			m["id"], m["defaultService"] = "bad id!", "nope"
		}},
	}
	var out []seed
	for _, b := range breaks {
		var inv map[string]any
		_ = json.Unmarshal(good, &inv)
		b.mutate(inv["merchants"].([]any)[0].(map[string]any))
		out = append(out, seed{name: "invalid-" + b.name, values: []any{mustJSON(inv)}})
	}
	return out
}

// durationSeeds are the duration values of an inventory document (policies, services), as JSON.
func durationSeeds(doc []byte) []seed {
	var inv struct {
		Merchants []struct {
			Policy   map[string]json.RawMessage   `json:"policy"`
			Services []map[string]json.RawMessage `json:"services"`
		} `json:"merchants"`
	}
	_ = json.Unmarshal(doc, &inv)
	var out []seed
	add := func(v json.RawMessage) {
		if len(v) > 0 && v[0] != '{' && string(v) != "true" && string(v) != "false" {
			out = append(out, seed{name: "duration-" + slug(strings.Trim(string(v), `"`)), values: []any{[]byte(v)}})
		}
	}
	for _, m := range inv.Merchants {
		for _, k := range []string{"hold", "minLead", "maxLead", "cancelBefore", "fulfillAfter"} {
			add(m.Policy[k])
		}
		for _, s := range m.Services {
			add(s["duration"])
			add(s["interval"])
		}
	}
	return out
}
