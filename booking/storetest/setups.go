package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/reservations/reservations/booking"
)

// RunSetups runs the setup part of the conformance suite (every sentence of the booking.Setups doc comments)
// on fresh, empty stores from open. Run runs it as "Setups"; a store with Setups but no booking.Store may call
// it alone.
func RunSetups(t *testing.T, open func(t *testing.T) booking.Setups) {
	tests := []struct {
		name string
		fn   func(t *testing.T, st booking.Setups)
	}{
		{"Empty", testSetupEmpty},
		{"CreateAndRead", testSetupCreateAndRead},
		{"CreateTwice", testSetupCreateTwice},
		{"StaleVersion", testSetupStaleVersion},
		{"BadArguments", testSetupBadArguments},
		{"GenerationAndChanges", testSetupGeneration},
		{"MerchantsPages", testSetupMerchantsPages},
		{"History", testSetupHistory},
		{"ConcurrentPuts", testSetupConcurrentPuts},
		{"CanceledContext", testSetupCanceledContext},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
}

// setupT0 is the time of the first setup change in these tests; nanoseconds check that they survive.
var setupT0 = time.Date(2026, 11, 20, 9, 30, 0, 123456789, time.UTC)

// setupMerchant returns a rich merchant document (the sample's, plus closed dates, a priced second service)
// with the id and a name that tells its version apart.
func setupMerchant(id string, version int64) booking.Merchant {
	m := booking.SampleInventory().Merchants[0]
	m.ID = id
	m.Name = fmt.Sprintf("Merchant %s v%d", id, version)
	m.Location = nil
	m.ClosedDates = []string{"2026-12-24", "2026-12-25"}
	m.Services = append(m.Services, booking.Service{
		ID: "tasting", Name: "Tasting menu", Type: booking.TypeRestaurant,
		Duration: booking.Duration(150 * time.Minute), Price: &booking.Money{CurrencyCode: "USD", AmountMicros: 95_000_000},
		MinParty: 2, MaxParty: 6, Capacity: 12, Interval: booking.Duration(30 * time.Minute),
	})
	return m
}

// setupPut is one PutMerchant's arguments: the record at version, its audit record (with a field change from
// the second version on) and the expected stored version.
type setupPut struct {
	rec    booking.MerchantRecord
	expect int64
	change booking.SetupChange
}

func newSetupPut(id string, version int64) setupPut {
	at := setupT0.Add(time.Duration(version) * time.Minute)
	p := setupPut{
		rec:    booking.MerchantRecord{Merchant: setupMerchant(id, version), Version: version, UpdatedAt: at, UpdatedBy: "alice"},
		expect: version - 1,
		change: booking.SetupChange{MerchantID: id, Version: version, At: at, By: "alice", Via: "admin"},
	}
	if version == 1 {
		p.change.By, p.change.Via, p.rec.UpdatedBy = "inventory import", "import", "inventory import"
	} else {
		p.change.Fields = []booking.FieldChange{
			{Field: "name", Before: jsonOf(fmt.Sprintf("Merchant %s v%d", id, version-1)), After: jsonOf(p.rec.Merchant.Name)},
			{Field: "services[1].capacity", Before: json.RawMessage(`12`), After: json.RawMessage(`14`)},
			{Field: "closedDates", After: json.RawMessage(`["2026-12-24","2026-12-25"]`)},
		}
	}
	return p
}

func jsonOf(s string) json.RawMessage {
	data, _ := json.Marshal(s)
	return data
}

func (p setupPut) do(ctx context.Context, st booking.Setups) error {
	return st.PutMerchant(ctx, p.rec, p.expect, p.change)
}

// putVersions writes versions 1 to n of the merchant and fails the test on an error.
func putVersions(t *testing.T, st booking.Setups, id string, n int64) {
	t.Helper()
	for v := int64(1); v <= n; v++ {
		must(t, newSetupPut(id, v).do(ctxFor(t), st))
	}
}

// recordOpts compares records and audit records: times by instant, the Merchant's Location (never loaded) and
// any unexported field ignored.
var recordOpts = cmp.Options{
	cmpopts.IgnoreFields(booking.Merchant{}, "Location"),
	cmpopts.IgnoreUnexported(booking.Merchant{}, booking.Service{}, booking.Policy{}, booking.OpeningHours{}),
	cmpopts.EquateEmpty(),
}

func wantRecord(t *testing.T, st booking.Setups, want booking.MerchantRecord) {
	t.Helper()
	got, err := st.Merchant(ctxFor(t), want.Merchant.ID)
	must(t, err)
	if diff := cmp.Diff(want, got, recordOpts); diff != "" {
		t.Fatalf("Merchant(%s) (-want +got):\n%s", want.Merchant.ID, diff)
	}
	if got.Merchant.Location != nil {
		t.Fatalf("Merchant(%s) loaded a Location; the contract leaves it to the caller", want.Merchant.ID)
	}
}

func wantHistory(t *testing.T, st booking.Setups, id string, before int64, limit int, want []booking.SetupChange) {
	t.Helper()
	got, err := st.SetupHistory(ctxFor(t), id, before, limit)
	must(t, err)
	if diff := cmp.Diff(want, got, recordOpts); diff != "" {
		t.Fatalf("SetupHistory(%s, before %d, limit %d) (-want +got):\n%s", id, before, limit, diff)
	}
}

// setupState is everything a failed PutMerchant must leave as it was.
type setupState struct {
	Generation int64
	Records    []booking.MerchantRecord
	History    map[string][]booking.SetupChange
	Changed    []string
}

func readSetupState(t *testing.T, st booking.Setups) setupState {
	t.Helper()
	ctx := ctxFor(t)
	gen, err := st.SetupGeneration(ctx)
	must(t, err)
	recs, err := st.Merchants(ctx, "", 1000)
	must(t, err)
	s := setupState{Generation: gen, Records: recs, History: map[string][]booking.SetupChange{}}
	for _, r := range recs {
		h, err := st.SetupHistory(ctx, r.Merchant.ID, 0, 1000)
		must(t, err)
		s.History[r.Merchant.ID] = h
	}
	ids, cur, err := st.SetupChangesSince(ctx, 0)
	must(t, err)
	if cur != gen {
		t.Fatalf("SetupChangesSince says generation %d, SetupGeneration %d", cur, gen)
	}
	slices.Sort(ids)
	s.Changed = ids
	return s
}

func wantUnchanged(t *testing.T, st booking.Setups, before setupState) {
	t.Helper()
	if diff := cmp.Diff(before, readSetupState(t, st), recordOpts); diff != "" {
		t.Fatalf("a failed PutMerchant changed the store (-before +after):\n%s", diff)
	}
}

func testSetupEmpty(t *testing.T, st booking.Setups) {
	ctx := ctxFor(t)
	if gen, err := st.SetupGeneration(ctx); err != nil || gen != 0 {
		t.Fatalf("SetupGeneration of an empty store = %d, %v; want 0", gen, err)
	}
	if ids, cur, err := st.SetupChangesSince(ctx, 0); err != nil || len(ids) != 0 || cur != 0 {
		t.Fatalf("SetupChangesSince(0) of an empty store = %v, %d, %v; want none, 0", ids, cur, err)
	}
	if _, err := st.Merchant(ctx, "m1"); booking.CodeOf(err) != booking.CodeNotFound {
		t.Fatalf("Merchant of an empty store: %v, want NOT_FOUND", err)
	}
	if recs, err := st.Merchants(ctx, "", 10); err != nil || len(recs) != 0 {
		t.Fatalf("Merchants of an empty store = %v, %v; want none", recs, err)
	}
	wantHistory(t, st, "m1", 0, 10, nil)
}

func testSetupCreateAndRead(t *testing.T, st booking.Setups) {
	p := newSetupPut("m1", 1)
	// A Location in the written document is not stored: the reader loads it from TimeZone.
	p.rec.Merchant.Location = time.UTC
	must(t, p.do(ctxFor(t), st))
	p.rec.Merchant.Location = nil
	wantRecord(t, st, p.rec)
	wantHistory(t, st, "m1", 0, 10, []booking.SetupChange{p.change})

	// What the caller keeps after the write, and what it gets from a read, are its own.
	p.rec.Merchant.Services[0].Capacity = 1
	p.rec.Merchant.Hours[0].Open = "01:00"
	got, err := st.Merchant(ctxFor(t), "m1")
	must(t, err)
	got.Merchant.Services[0].Capacity = 2
	got.Merchant.ClosedDates[0] = "2027-01-01"
	wantRecord(t, st, newSetupPut("m1", 1).rec)

	// The record of another merchant is not this one's.
	if _, err := st.Merchant(ctxFor(t), "m2"); booking.CodeOf(err) != booking.CodeNotFound {
		t.Fatalf("Merchant(m2): %v, want NOT_FOUND", err)
	}
	// An update replaces the document whole.
	p2 := newSetupPut("m1", 2)
	p2.rec.Merchant.ClosedDates = nil
	p2.rec.Merchant.Services = p2.rec.Merchant.Services[:1]
	must(t, p2.do(ctxFor(t), st))
	wantRecord(t, st, p2.rec)
}

func testSetupCreateTwice(t *testing.T, st booking.Setups) {
	must(t, newSetupPut("m1", 1).do(ctxFor(t), st))
	before := readSetupState(t, st)
	again := newSetupPut("m1", 1)
	again.rec.Merchant.Name = "Someone else's"
	wantCode(t, again.do(ctxFor(t), st), booking.CodeAlreadyExists, "")
	wantUnchanged(t, st, before)
}

func testSetupStaleVersion(t *testing.T, st booking.Setups) {
	putVersions(t, st, "m1", 2)
	tests := []struct {
		name string
		put  setupPut
		code booking.Code
	}{
		{"StaleExpect", newSetupPut("m1", 2), booking.CodeVersionMismatch},
		{"FutureExpect", newSetupPut("m1", 4), booking.CodeVersionMismatch},
		{"CreateExisting", newSetupPut("m1", 1), booking.CodeAlreadyExists},
		{"UpdateMissing", newSetupPut("m2", 2), booking.CodeVersionMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := readSetupState(t, st)
			wantCode(t, tc.put.do(ctxFor(t), st), tc.code, "")
			wantUnchanged(t, st, before)
		})
	}
	if _, err := st.Merchant(ctxFor(t), "m2"); booking.CodeOf(err) != booking.CodeNotFound {
		t.Fatalf("Merchant(m2) after a failed update: %v, want NOT_FOUND", err)
	}
}

// testSetupBadArguments checks the argument rules of PutMerchant: a store refuses, with CodeInvalidArgument
// and writing nothing, a record whose Version is not expect+1 or whose change names another version or merchant.
func testSetupBadArguments(t *testing.T, st booking.Setups) {
	putVersions(t, st, "m1", 1)
	tests := []struct {
		name  string
		edit  func(p *setupPut)
		field string
	}{
		{"NoID", func(p *setupPut) { p.rec.Merchant.ID, p.change.MerchantID = "", "" }, "merchant.id"},
		{"VersionSkips", func(p *setupPut) { p.rec.Version, p.change.Version = 3, 3 }, "version"},
		{"VersionRepeats", func(p *setupPut) { p.rec.Version, p.change.Version = 1, 1 }, "version"},
		{"NegativeExpect", func(p *setupPut) { p.expect, p.rec.Version, p.change.Version = -1, 0, 0 }, "version"},
		{"ChangeVersion", func(p *setupPut) { p.change.Version = 1 }, "change"},
		{"ChangeMerchant", func(p *setupPut) { p.change.MerchantID = "m2" }, "change"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := readSetupState(t, st)
			p := newSetupPut("m1", 2)
			tc.edit(&p)
			wantCode(t, p.do(ctxFor(t), st), booking.CodeInvalidArgument, tc.field)
			wantUnchanged(t, st, before)
		})
	}
}

func testSetupGeneration(t *testing.T, st booking.Setups) {
	ctx := ctxFor(t)
	// Each step writes one merchant; gens[i] is the generation after step i (gens[0]: before any).
	steps := []setupPut{newSetupPut("a", 1), newSetupPut("b", 1), newSetupPut("a", 2), newSetupPut("c", 1), newSetupPut("a", 3)}
	gens := []int64{0}
	for _, p := range steps {
		must(t, p.do(ctx, st))
		gen, err := st.SetupGeneration(ctx)
		must(t, err)
		if prev := gens[len(gens)-1]; gen <= prev {
			t.Fatalf("generation %d after writing %s v%d, not above %d", gen, p.rec.Merchant.ID, p.rec.Version, prev)
		}
		gens = append(gens, gen)
	}
	current := gens[len(gens)-1]
	tests := []struct {
		since int64
		want  []string
	}{
		{gens[0], []string{"a", "b", "c"}},
		{gens[1], []string{"a", "b", "c"}},
		{gens[2], []string{"a", "c"}},
		{gens[3], []string{"a", "c"}},
		{gens[4], []string{"a"}},
		{gens[5], nil},
		{current + 10, nil},
	}
	for _, tc := range tests {
		ids, cur, err := st.SetupChangesSince(ctx, tc.since)
		must(t, err)
		slices.Sort(ids)
		if diff := cmp.Diff(tc.want, ids, cmpopts.EquateEmpty()); diff != "" || cur != current {
			t.Fatalf("SetupChangesSince(%d) = %v, %d; want %v, %d (generations %v)", tc.since, ids, cur, tc.want, current, gens)
		}
	}
	// A write between two reads shows up in the next one.
	must(t, newSetupPut("d", 1).do(ctx, st))
	ids, cur, err := st.SetupChangesSince(ctx, current)
	must(t, err)
	if !slices.Equal(ids, []string{"d"}) || cur <= current {
		t.Fatalf("SetupChangesSince(%d) after writing d = %v, %d; want [d] and a generation above %d", current, ids, cur, current)
	}
}

func testSetupMerchantsPages(t *testing.T, st booking.Setups) {
	// 25 IDs whose bytewise order differs from a numeric or case-folded one, written in a shuffled order.
	ids := []string{"M", "m", "m-1", "m.1", "m1", "m10", "m2", "m9", "mA", "m_1", "n", "zz", "Z", "é", "ü1"}
	for i := range 10 {
		ids = append(ids, fmt.Sprintf("r%03d", i*7))
	}
	shuffled := slices.Clone(ids)
	rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for _, id := range shuffled {
		putVersions(t, st, id, 1)
	}
	for v := int64(2); v <= 3; v++ { // a later version is what a page shows
		must(t, newSetupPut("m2", v).do(ctxFor(t), st))
	}
	slices.Sort(ids) // bytewise

	var got []string
	after := ""
	for page := 0; ; page++ {
		recs, err := st.Merchants(ctxFor(t), after, 10)
		must(t, err)
		if want := min(10, len(ids)-len(got)); len(recs) != want {
			t.Fatalf("page %d after %q has %d records, want %d", page, after, len(recs), want)
		}
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			want := newSetupPut(r.Merchant.ID, 1).rec
			if r.Merchant.ID == "m2" {
				want = newSetupPut("m2", 3).rec
			}
			if diff := cmp.Diff(want, r, recordOpts); diff != "" {
				t.Fatalf("page %d: record of %s (-want +got):\n%s", page, r.Merchant.ID, diff)
			}
			got = append(got, r.Merchant.ID)
		}
		after = got[len(got)-1]
	}
	if diff := cmp.Diff(ids, got); diff != "" {
		t.Fatalf("pages of 10 (-want +got):\n%s", diff)
	}

	tests := []struct {
		after string
		limit int
		want  []string
	}{
		{"m1", 3, []string{"m10", "m2", "m9"}}, // after an existing ID
		{"m3", 2, []string{"m9", "mA"}},        // after an absent one
		{"", 2, []string{"M", "Z"}},            // upper case sorts first
		{"zz", 5, []string{"é", "ü1"}},         // UTF-8 after ASCII
		{"r", 1, []string{"r000"}},             // a prefix
		{"é", 10, []string{"ü1"}},              // multi-byte IDs sort by bytes
		{"ü1", 5, nil},                         // after the last
		{"m", 0, nil},                          // a zero limit: no records                          // no limit, no records
		{"", 100, ids},                         // everything in one page
	}
	for _, tc := range tests {
		recs, err := st.Merchants(ctxFor(t), tc.after, tc.limit)
		must(t, err)
		var names []string
		for _, r := range recs {
			names = append(names, r.Merchant.ID)
		}
		if diff := cmp.Diff(tc.want, names, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("Merchants(%q, %d) (-want +got):\n%s", tc.after, tc.limit, diff)
		}
	}
}

func testSetupHistory(t *testing.T, st booking.Setups) {
	putVersions(t, st, "m1", 5)
	putVersions(t, st, "m2", 2)
	change := func(id string, v int64) booking.SetupChange { return newSetupPut(id, v).change }
	tests := []struct {
		id     string
		before int64
		limit  int
		want   []int64
	}{
		{"m1", 0, 10, []int64{5, 4, 3, 2, 1}},
		{"m1", 0, 2, []int64{5, 4}},
		{"m1", 4, 2, []int64{3, 2}},
		{"m1", 2, 10, []int64{1}},
		{"m1", 1, 10, nil},
		{"m1", 100, 1, []int64{5}},
		{"m1", 3, 0, nil},
		{"m2", 0, 10, []int64{2, 1}},
		{"m3", 0, 10, nil},
	}
	for _, tc := range tests {
		var want []booking.SetupChange
		for _, v := range tc.want {
			want = append(want, change(tc.id, v))
		}
		wantHistory(t, st, tc.id, tc.before, tc.limit, want)
	}
	// Paging with before walks the whole history once.
	var walked []int64
	for before := int64(0); ; {
		page, err := st.SetupHistory(ctxFor(t), "m1", before, 2)
		must(t, err)
		if len(page) == 0 {
			break
		}
		for _, c := range page {
			walked = append(walked, c.Version)
		}
		before = page[len(page)-1].Version
	}
	if !slices.Equal(walked, []int64{5, 4, 3, 2, 1}) {
		t.Fatalf("paging through the history gave versions %v", walked)
	}
}

// testSetupConcurrentPuts races 8 writers with the same expected version: exactly one wins, the others fail
// with the contract's code, and the store holds the winner's record and one audit record for it.
func testSetupConcurrentPuts(t *testing.T, st booking.Setups) {
	tests := []struct {
		name    string
		version int64
		loser   booking.Code
	}{
		{"Create", 1, booking.CodeAlreadyExists},
		{"Update", 2, booking.CodeVersionMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gen0, err := st.SetupGeneration(ctxFor(t))
			must(t, err)
			const writers = 8
			puts := make([]setupPut, writers)
			errs := make([]error, writers)
			var wg sync.WaitGroup
			for i := range puts {
				puts[i] = newSetupPut("m1", tc.version)
				puts[i].rec.UpdatedBy = fmt.Sprintf("writer %d", i)
				puts[i].change.By = puts[i].rec.UpdatedBy
				wg.Go(func() { errs[i] = puts[i].do(ctxFor(t), st) })
			}
			wg.Wait()
			winner := -1
			for i, err := range errs {
				switch {
				case err == nil && winner >= 0:
					t.Fatalf("writers %d and %d both won", winner, i)
				case err == nil:
					winner = i
				default:
					wantCode(t, err, tc.loser, "")
				}
			}
			if winner < 0 {
				t.Fatal("no writer won")
			}
			wantRecord(t, st, puts[winner].rec)
			hist, err := st.SetupHistory(ctxFor(t), "m1", 0, 100)
			must(t, err)
			if len(hist) != int(tc.version) || hist[0].By != puts[winner].change.By {
				t.Fatalf("history after the race: %d records, newest by %q; want %d, by %q", len(hist), hist[0].By, tc.version, puts[winner].change.By)
			}
			if gen, err := st.SetupGeneration(ctxFor(t)); err != nil || gen <= gen0 {
				t.Fatalf("generation after the race = %d, %v; want above %d", gen, err, gen0)
			}
		})
	}
}

func testSetupCanceledContext(t *testing.T, st booking.Setups) {
	putVersions(t, st, "m1", 1)
	before := readSetupState(t, st)
	ctx, cancel := context.WithDeadline(ctxFor(t), time.Now().Add(-time.Second))
	defer cancel()
	calls := []struct {
		name string
		call func() error
	}{
		{"SetupGeneration", func() error { _, err := st.SetupGeneration(ctx); return err }},
		{"SetupChangesSince", func() error { _, _, err := st.SetupChangesSince(ctx, 0); return err }},
		{"Merchant", func() error { _, err := st.Merchant(ctx, "m1"); return err }},
		{"Merchants", func() error { _, err := st.Merchants(ctx, "", 10); return err }},
		{"PutMerchant", func() error { return newSetupPut("m1", 2).do(ctx, st) }},
		{"PutMerchantNew", func() error { return newSetupPut("m2", 1).do(ctx, st) }},
		{"SetupHistory", func() error { _, err := st.SetupHistory(ctx, "m1", 0, 10); return err }},
	}
	for _, c := range calls {
		err := c.call()
		if err == nil {
			t.Fatalf("%s with an expired deadline succeeded", c.name)
		}
		if booking.CodeOf(err) != "" {
			t.Fatalf("%s with an expired deadline: %v, want an infrastructure error", c.name, err)
		}
	}
	wantUnchanged(t, st, before)
}
