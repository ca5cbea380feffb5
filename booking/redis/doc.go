// Package redis is the production booking.Store on Redis 7 (standalone, Sentinel or Cluster), for running many
// instances of the service against one shared store.
//
// # Atomicity
//
// Every multi-key step is one Lua script: Commit (every Mutation step), the outbox claim and the outbox
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
//	P:schema          STRING  the layout version, SchemaVersion ("1"); see Store.CheckSchema
//	P:merchants       SET     every merchant ID that has data (cross-merchant scans: outbox, fulfilment sweep)
//	P:bp:<bookingID>  STRING  the booking's merchant ID (Booking, OutboxByBooking, ack by entry ID)
//	P:ep:<entryID>    STRING  the entry's merchant ID, only for entry IDs not of the form bookingID.seq
//	P:um:<userID>     SET     merchant IDs where the user has bookings (BookingsByUser)
//	T:bj              HASH    booking ID → "<version> <len(userID)> <len(day)> <startMs> <endMs> <active 1|0>\n<userID>
//	                          <day>" + booking JSON: the head gives the commit script the CAS version, the index
//	                          members to move and what the user check needs, without decoding JSON
//	T:h:<holdID>      STRING  hold JSON; PEXPIRE = (ExpiresAt − Now) + 24 h
//	T:al              ZSET    allocations (holds and bookings, every service) scored by Start (ms); each member is
//	                          binary, big-endian: int64 start ms, int64 end ms, int32 party, int64 expiry ms (0:
//	                          never), uint16-length service ID, uint16-length ID, then start, end and expiry in
//	                          unix ns (exact, for Go); the scripts read it with one struct.unpack, and a range read
//	                          needs no other key
//	T:ad              HASH    allocation ID → its T:al member (to remove or replace it by ID); field #maxdur = the
//	                          longest allocation written, in ms (bounds range reads: start > from − #maxdur); field
//	                          #sweep = no hold in T:ax expires before it (ms), so a claim reads T:ax only once a
//	                          hold may have expired (absent: unknown, read T:ax)
//	T:ax              ZSET    hold allocation IDs scored by ExpiresAt (ms): the lazy sweep reads it
//	T:x               ZSET    lexicographic (score 0) "u<userID>\0<bookingID>" (the user index) and
//	                          "d<day>\0<bookingID>" (the day index): one ZADD writes both
//	T:act             ZSET    active booking IDs scored by End (ms): the automatic FULFILLED sweep
//	T:i:<key>         STRING  idempotency record: "<ExpiresAt ms>\n" + record JSON; PX = ExpiresAt − Now
//	T:oe              HASH    outbox entry ID → entry JSON as committed; field "\0<entryID>" → its delivery state
//	                          JSON (state, attempts, due, lease, error), written with the entry in one HSET; field
//	                          #seq counts appended entries
//	T:op              ZSET    PENDING entry IDs scored by NextAttemptAt (ms)
//	T:oi              ZSET    IN_FLIGHT entry IDs scored by LeaseUntil (ms)
//	T:ob              ZSET    lexicographic (score 0) "q<bookingID>\0<seq, 20 digits>\0<entryID>" for PENDING and
//	                          IN_FLIGHT entries (the first "q" member of a booking is the only one of its entries
//	                          claimable) and "a" + the same for every entry whatever its state (OutboxByBooking)
//	T:oc              ZSET    PENDING and IN_FLIGHT entry IDs scored by CreatedAt (ms) (OutboxStats)
//
// Open (or Store.CheckSchema) writes P:schema on a prefix that has none (an empty one, or data from before the
// key existed, which is layout 1) and refuses a prefix holding another version with a *SchemaError.
//
// # Registry outside the merchant's slot
//
// Lookups that do not know the merchant (Booking, BookingsByUser, OutboxByBooking, ack by entry ID, and the
// cross-merchant ClaimOutbox, BookingsEndedBefore and OutboxStats) go through the P: keys above. On a single Redis
// (*redis.Client) the commit script writes them itself, after its last check passed, so a commit is one command
// and a refused commit leaves no pointer. On Cluster, where they live in other slots, Go writes them in a
// pipeline that must succeed before the script runs. That is safe because they are idempotent (SADD; SET NX for
// booking pointers, so a booking ID never moves to another merchant) and they only ever name a merchant: if the
// script then fails (or the process dies in between), the pointer names a merchant whose keys do not hold the
// record, and every lookup treats that as "not found". The reverse order could lose the pointer of a committed
// booking. Pointers never change merchant, so a Store caches those it has seen. BookingsByUser reads the user's
// registry entry and, in the same pipeline, the user's bookings at the (at most four) merchants this Store has
// written to, so it usually takes one round trip.
//
// # Checks inside the commit
//
// Besides idempotency, the version and capacity, the commit script checks what booking.Mutation asks for:
// RequireHold (EXISTS on the hold record), the user guard (the user's bookings at the merchant from T:x, their
// heads from T:bj: no active one may overlap) and the covering rule (a claim whose own live allocation covers
// it reads nothing more). The capacity count first sums the overlapping parties and computes the peak only when
// that sum does not fit.
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
