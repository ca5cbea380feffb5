// Package booking is the reservation core shared by the Assistant conversation, the Actions Center booking
// server and the merchant admin tools.
//
// It holds the domain types (merchants, services, opening hours, policies, holds, bookings, outbox entries),
// the rules (availability, lead times, party bounds, capacity over a booking's whole duration, the status
// lifecycle, idempotency and optimistic versions) and the Store interface that persistence adapters
// implement. Stores only make each operation atomic; every decision is taken here, in [Core] (made by
// [NewService]; the name Service belongs to a merchant's bookable service).
//
// The lifecycle, idempotency, outbox and capacity rules are described in docs/booking.md.
//
// The package imports nothing else of this module. Adapters (booking/bolt, booking/redis,
// booking/actionscenter, the admin API, the conversation in intents) import it.
package booking
