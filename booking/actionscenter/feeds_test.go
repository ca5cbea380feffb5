package actionscenter_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/actionscenter"
)

func TestBuildFeeds(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	if _, err := e.core.CreateBooking(ctx, booking.CreateRequest{MerchantID: "1234", ServiceID: "5678", Start: sampleStart, PartySize: 5,
		Customer: booking.Customer{Name: "F F", UserID: "feed"}, Source: booking.SourceAdmin}); err != nil {
		t.Fatal(err)
	}
	f, err := actionscenter.BuildFeeds(ctx, e.core, actionscenter.FeedOptions{Days: 2, Nonce: 11203880})
	if err != nil {
		t.Fatal(err)
	}
	meta := `{"processing_instruction":"PROCESS_AS_COMPLETE","shard_number":0,"total_shards":1,"nonce":"11203880","generation_timestamp":1606383000}`
	merchants, _ := json.Marshal(f.Merchants)
	jsonEqual(t, "merchant feed", merchants, `{"metadata":`+meta+`,"merchant":[
	 {"merchant_id":"1234","name":"Reference Sample Diner","telephone":"+1 209-555-0100","url":"https://diner.example.com/","category":"restaurant",
	  "geo":{"address":{"country":"US","locality":"Merced","region":"CA","postal_code":"95340","street_address":"1 Sample Road"}}},
	 {"merchant_id":"salon-1","name":"Sample Salon","category":"hair_salon","geo":{"address":{"country":"DE","locality":"Berlin"}}}]}`)
	services, _ := json.Marshal(f.Services)
	jsonEqual(t, "service feed", services, `{"metadata":`+meta+`,"service":[
	 {"merchant_id":"1234","service_id":"5678","localized_service_name":{"value":"Table"},"localized_description":{"value":"A table."},
	  "price":{"price_micros":0,"currency_code":"USD"},"rules":{"min_advance_booking":3600,"min_advance_online_canceling":7200},"prepayment_type":"NOT_SUPPORTED"},
	 {"merchant_id":"salon-1","service_id":"cut","localized_service_name":{"value":"Haircut"},
	  "price":{"price_micros":35000000,"currency_code":"EUR"},"rules":{"min_advance_booking":7200,"min_advance_online_canceling":86400},"prepayment_type":"NOT_SUPPORTED"}]}`)

	if got := len(f.Availability.ServiceAvailability); got != 2 {
		t.Fatalf("%d service availabilities, want 2", got)
	}
	diner := f.Availability.ServiceAvailability[0].Availability
	// 46 start times from now+1h (10:30 on the 26th) to now+2 days, 8 party sizes each, minus the 5 sizes
	// that no longer fit next to the booking of 5 (capacity 8).
	if len(diner) != 46*8-5 {
		t.Errorf("%d dining entries, want %d", len(diner), 46*8-5)
	}
	first, _ := json.Marshal(diner[0])
	jsonEqual(t, "first dining entry", first, `{"merchant_id":"1234","service_id":"5678","start_sec":1606386600,"duration_sec":1800,"spots_total":1,"spots_open":1,"resources":{"party_size":8},"confirmation_mode":"CONFIRMATION_MODE_SYNCHRONOUS"}`)
	var booked []int32
	for _, a := range diner {
		if a.StartSec == sampleStart.Unix() {
			booked = append(booked, int32(a.Resources.PartySize))
		}
	}
	if len(booked) != 3 || booked[0] != 3 || booked[2] != 1 {
		t.Errorf("party sizes offered at the booked start: %v, want [3 2 1]", booked)
	}
	// Every entry agrees with BatchAvailabilityLookup's rules (the core's Check).
	for _, a := range diner {
		if err := e.core.Check(ctx, a.MerchantID, a.ServiceID, unix(a.StartSec), int(a.Resources.PartySize)); err != nil {
			t.Fatalf("feed offers %d party %d but the core says %v", a.StartSec, a.Resources.PartySize, err)
		}
	}
	salon := f.Availability.ServiceAvailability[1].Availability
	if len(salon) != 11+18 {
		t.Errorf("%d salon entries, want 29 (Thursday from 12:30, Friday all day, closed Saturday)", len(salon))
	}
	if s := salon[0]; s.SpotsTotal != 3 || s.SpotsOpen != 3 || s.Resources != nil || s.DurationSec != 1800 {
		t.Errorf("salon entry %+v", s)
	}
}
