// Package orders keeps each user's Google receipt current: it builds OrderV3 values (package orders/orderv3)
// from the booking core's holds and bookings, turns each outbox entry into an Orders API PATCH, and runs the
// worker that delivers them with a service account's OAuth token, in order per booking, with retries and a dead
// letter for permanent failures.
package orders
