package booking

import "time"

// outboxChange is one change of a booking as the outbox rules see it: the booking after the change, the one
// before (nil for a creation), what changed and who asked.
type outboxChange struct {
	booking  Booking
	previous *Booking
	kind     ChangeKind
	reason   string
	// byGuest is set when the guest cancelled (Cancel without ByMerchant), as opposed to staff or the sweep.
	byGuest bool
	now     time.Time
	// merchant is the booking's merchant, nil when it is not in the inventory; set by outboxEntries.
	merchant *Merchant
}

// outboxRule builds the entries of one channel for a change: none when the change does not concern the channel.
// Adding a channel is adding one rule to [Core.outboxEntries] (and a sender for the channel to the worker); see
// docs/outbox.md.
type outboxRule func(c *outboxChange) []OutboxEntry

// outboxEntries builds every outbox entry of a change, written in the same commit as the change: one list of
// rules, one per channel.
func (s *Core) outboxEntries(c outboxChange) []OutboxEntry {
	if m, ok := s.inv.Merchant(c.booking.MerchantID); ok {
		c.merchant = m
	}
	var out []OutboxEntry
	for _, rule := range []outboxRule{ordersRule} {
		out = append(out, rule(&c)...)
	}
	return out
}

// entry is the change's outbox entry for channel ch in lane ("" only for ORDERS), due now.
func (c *outboxChange) entry(ch Channel, lane string) OutboxEntry {
	e := OutboxEntry{
		ID:            OutboxID(c.booking.ID, c.booking.Version, lane),
		BookingID:     c.booking.ID,
		Channel:       ch,
		Seq:           c.booking.Version,
		Kind:          c.kind,
		Booking:       c.booking,
		Reason:        c.reason,
		CreatedAt:     c.now,
		NextAttemptAt: c.now,
		State:         DeliveryPending,
	}
	if c.previous != nil && c.previous.Status != c.booking.Status {
		e.PreviousStatus = c.previous.Status
	}
	return e
}

// ordersRule: every change has its Orders API entry (the worker's ORDERS sender decides whether the booking has
// a Google order to update, so that the staff page shows every change's way to Google).
func ordersRule(c *outboxChange) []OutboxEntry {
	return []OutboxEntry{c.entry(ChannelOrders, "")}
}
