package storetest

import (
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
)

// laneEntry is b's outbox entry of channel ch in lane, as the core names it ([booking.OutboxID]).
func laneEntry(b booking.Booking, ch booking.Channel, lane string, created time.Time) booking.OutboxEntry {
	e := entry(b, created)
	e.ID, e.Channel = booking.OutboxID(b.ID, b.Version, lane), ch
	return e
}

// testOutboxLanes: entries of one booking are ordered per lane only; a slow channel (its entry retried for an
// hour) does not hold back another channel's later entries, and one lane's order is kept.
func testOutboxLanes(t *testing.T, st booking.Store) {
	ctx := ctxFor(t)
	a := mkBooking("A", "m1", "u1", at("18:00"), time.Hour)
	a2 := versioned(a, 2)
	commitOutbox(t, st,
		entry(a, t0), laneEntry(a, booking.ChannelEmail, "mail", t0), laneEntry(a, booking.ChannelWebhook, "webhook0", t0),
		entry(a2, t0.Add(time.Second)), laneEntry(a2, booking.ChannelEmail, "mail", t0.Add(time.Second)),
		laneEntry(a2, booking.ChannelWebhook, "webhook0", t0.Add(time.Second)))

	now := t0.Add(10 * time.Second)
	got, err := st.ClaimOutbox(ctx, "w1", 10, time.Minute, now)
	must(t, err)
	wantIDs(t, "first claim: the first entry of each lane", sortedIDs(got), "A.1", "A.1.mail", "A.1.webhook0")

	// ORDERS is slow: its first entry waits an hour. The mail lane moves on regardless.
	must(t, st.RetryOutbox(ctx, "A.1", "w1", now.Add(time.Hour), "503"))
	must(t, st.AckOutbox(ctx, "A.1.mail", "w1", now))
	got, err = st.ClaimOutbox(ctx, "w1", 10, time.Minute, now.Add(time.Second))
	must(t, err)
	wantIDs(t, "claim after the first mail is delivered", entryIDs(got), "A.2.mail")

	// The webhook lane is still held by its in-flight first entry; dead unblocks it.
	must(t, st.DeadOutbox(ctx, "A.1.webhook0", "w1", "410 Gone"))
	got, err = st.ClaimOutbox(ctx, "w1", 10, time.Minute, now.Add(2*time.Second))
	must(t, err)
	wantIDs(t, "claim after the first webhook is dead", entryIDs(got), "A.2.webhook0")

	// A.2 still waits for A.1 in the ORDERS lane, even when A.1 comes due again.
	must(t, st.AckOutbox(ctx, "A.2.mail", "w1", now.Add(3*time.Second)))
	must(t, st.AckOutbox(ctx, "A.2.webhook0", "w1", now.Add(3*time.Second)))
	got, err = st.ClaimOutbox(ctx, "w1", 10, time.Minute, now.Add(time.Hour))
	must(t, err)
	wantIDs(t, "claim when A.1 is due again", entryIDs(got), "A.1")

	es, err := st.OutboxByBooking(ctx, "A")
	must(t, err)
	if len(es) != 6 {
		t.Fatalf("OutboxByBooking: %d entries, want 6: %q", len(es), entryIDs(es))
	}
	for i := 1; i < len(es); i++ {
		if es[i].Seq < es[i-1].Seq {
			t.Fatalf("OutboxByBooking not in Seq order: %q", entryIDs(es))
		}
	}
	for _, e := range es {
		if want := booking.OutboxLane(e.ID); e.Lane() != want || (e.ID == "A.2.mail" && (e.Channel != booking.ChannelEmail || e.Lane() != "mail")) {
			t.Fatalf("entry %s read back with channel %q lane %q", e.ID, e.Channel, e.Lane())
		}
	}
}

// testOutboxChannelFilter: a claim for some channels never returns another channel's entry (an entry without a
// Channel, as written before channels existed, is ORDERS); the entry stays PENDING with no attempt counted and is
// claimed by a worker that delivers its channel, at the latest a minute later.
func testOutboxChannelFilter(t *testing.T, st booking.Store) {
	ctx := ctxFor(t)
	a := mkBooking("A", "m1", "u1", at("18:00"), time.Hour)
	b := mkBooking("B", "m2", "u2", at("18:00"), time.Hour)
	old := entry(a, t0) // Channel "": ORDERS
	commitOutbox(t, st, old, laneEntry(a, booking.ChannelEmail, "mail", t0.Add(time.Second)),
		laneEntry(b, booking.ChannelWebhook, "webhook0", t0.Add(2*time.Second)))

	now := t0.Add(10 * time.Second)
	for range 3 { // claimed again and again, it is never handed out
		got, err := st.ClaimOutbox(ctx, "w1", 10, time.Minute, now, booking.ChannelEmail)
		must(t, err)
		if len(got) > 0 {
			wantIDs(t, "EMAIL claim", entryIDs(got), "A.1.mail")
			must(t, st.AckOutbox(ctx, "A.1.mail", "w1", now))
		}
	}
	es, err := st.OutboxByBooking(ctx, "A")
	must(t, err)
	if es[0].ID != "A.1" || es[0].State != booking.DeliveryPending || es[0].Attempts != 0 {
		t.Fatalf("the ORDERS entry after EMAIL claims: %+v", es[0])
	}
	later := now.Add(time.Minute + time.Millisecond)
	got, err := st.ClaimOutbox(ctx, "w2", 10, time.Hour, later, booking.ChannelOrders, booking.ChannelMapsBooking)
	must(t, err)
	wantIDs(t, "ORDERS claim (an entry without a channel)", entryIDs(got), "A.1")
	if got[0].ChannelOrDefault() != booking.ChannelOrders || got[0].Attempts != 1 {
		t.Fatalf("claimed ORDERS entry: %+v", got[0])
	}
	got, err = st.ClaimOutbox(ctx, "w3", 10, time.Minute, later.Add(time.Minute+time.Millisecond))
	must(t, err)
	wantIDs(t, "claim of every channel", entryIDs(got), "B.1.webhook0")
	depth, _, err := st.OutboxStats(ctx)
	must(t, err)
	if depth != 2 {
		t.Fatalf("OutboxStats depth %d, want 2 (A.1 and B.1.webhook0 in flight)", depth)
	}
}
