// Package redis is the production booking.Store on Redis 7 (standalone, Sentinel or Cluster), for running many
// instances of the service against one shared store.
//
// # Atomicity
//
// Every multi-key step is one Lua script: Commit (all seven Mutation steps), the outbox claim and the outbox
// ack/retry/dead-letter. Scripts receive every key in KEYS and never build key names; all keys of one merchant
// share the Cluster hash tag {<prefix>:m:<merchantID>}, so a script never spans slots. A script performs all of its
// reads and checks before its first write, so a failed check writes nothing. Times reach the scripts as unix
// milliseconds from Go (Mutation.Now and the now arguments), never from Redis TIME, so a fake clock drives hold
// expiry, leases and idempotency; the capacity check therefore works at millisecond resolution.
//
// # Key layout
//
// P is Options.Prefix (default "resv"); T is the merchant's hash tag {P:m:<merchantID>}.
//
//	key               type    holds
//	P:merchants       SET     every merchant ID that has data (cross-merchant scans: outbox, fulfilment sweep)
//	P:bp:<bookingID>  STRING  the booking's merchant ID (Booking, OutboxByBooking, ack by entry ID)
//	P:hp:<holdID>     STRING  the hold's merchant ID (Hold); expires with the hold record
//	P:ep:<entryID>    STRING  the entry's merchant ID, only for entry IDs not of the form bookingID.seq
//	P:um:<userID>     SET     merchant IDs where the user has bookings (BookingsByUser)
//	T:bj              HASH    booking ID → "<version> <len(userID)> <len(day)>\n<userID><day>" + booking JSON: the
//	                          head gives the commit script the CAS version and the index members to move, no JSON
//	T:h:<holdID>      STRING  hold JSON; PEXPIRE = (ExpiresAt − Now) + 24 h
//	T:al              ZSET    allocations (holds and bookings, every service) scored by Start (ms); each member is
//	                          "<startMs> <endMs> <party> <expiresMs> <serviceID>\n<id>\n<start> <end> <expires>"
//	                          (the last three in unix ns, exact, for Go), so a range read needs no other key
//	T:ad              HASH    allocation ID → its T:al member (to remove or replace it by ID); field #maxdur = the
//	                          longest allocation written, in ms (bounds range reads: start > from − #maxdur); field
//	                          #sweep = no hold in T:ax expires before it (ms), so a claim reads T:ax only once a
//	                          hold may have expired (absent: unknown, read T:ax)
//	T:ax              ZSET    hold allocation IDs scored by ExpiresAt (ms): the lazy sweep reads it
//	T:ux              ZSET    lexicographic (score 0) "<userID>\0<bookingID>": the user index
//	T:dx              ZSET    lexicographic (score 0) "<day>\0<bookingID>": the day index
//	T:act             ZSET    active booking IDs scored by End (ms): the automatic FULFILLED sweep
//	T:i:<key>         STRING  idempotency record: "<ExpiresAt ms>\n" + record JSON; PX = ExpiresAt − Now
//	T:oe              HASH    outbox entry ID → entry JSON as committed; field "\0<entryID>" → its delivery state
//	                          JSON (state, attempts, due, lease, error), written with the entry in one HSET; field
//	                          #seq counts appended entries
//	T:op              ZSET    PENDING entry IDs scored by NextAttemptAt (ms)
//	T:oi              ZSET    IN_FLIGHT entry IDs scored by LeaseUntil (ms)
//	T:oq              ZSET    lexicographic "<bookingID>\0<seq, 20 digits>\0<entryID>" of PENDING and IN_FLIGHT
//	                          entries: the first member of a booking is the only one of its entries claimable
//	T:oa              ZSET    the same members for every entry, whatever its state (OutboxByBooking)
//	T:oc              ZSET    PENDING and IN_FLIGHT entry IDs scored by CreatedAt (ms) (OutboxStats)
//
// # Registry outside the merchant's slot
//
// Lookups that do not know the merchant (Booking, Hold, BookingsByUser, OutboxByBooking, ack by entry ID, and the
// cross-merchant ClaimOutbox, BookingsEndedBefore and OutboxStats) go through the P: keys above. Commit writes them
// before its script: on a single Redis in the same pipeline as the script (one connection, so Redis runs them
// first), on Cluster (where they live in other slots) in a pipeline that must succeed before the script runs.
// That is safe because they are idempotent (SADD; SET NX for booking pointers, so a booking ID never moves to
// another merchant) and they only ever name a merchant: if the script then fails (or the process dies in
// between), the pointer names a merchant whose keys do not hold the record, and every lookup treats that as "not
// found". The reverse order could lose the pointer of a committed booking. Pointers never change merchant, so a
// Store caches those it has seen. BookingsByUser reads the user's registry entry and, in the same pipeline, the
// user's bookings at the (at most four) merchants this Store has written to, so it usually takes one round trip.
//
// # Outbox
//
// Entries are appended by the commit script, so a change and its entry commit together. ClaimOutbox runs one
// script per merchant: PENDING entries due at now and IN_FLIGHT entries whose lease expired (the reaper), oldest
// CreatedAt first, skipping an entry while its booking has an earlier entry still PENDING or IN_FLIGHT; claimed
// entries move to T:oi with the lease owner recorded. Ack, retry and dead-letter check the owner in a script and
// answer CodeNotFound otherwise. Because each claim is one script, two workers never hold the same entry.
// Delivered and dead entries stay readable through OutboxByBooking.
//
// See docs/booking-redis.md for running Redis in production (persistence, durability).
package redis
