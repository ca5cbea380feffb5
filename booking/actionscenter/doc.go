// Package actionscenter serves Google's Actions Center booking server API (v3 REST, Standard implementation)
// over the booking core: HealthCheck, BatchAvailabilityLookup, CreateBooking, UpdateBooking, GetBookingStatus
// and ListBookings, behind HTTP basic auth with up to two credential pairs at a time (rotation).
//
// Requests are read as proto3 JSON: snake_case and lowerCamelCase keys, 64-bit integers as strings or
// numbers, enums by name or by number, unknown fields ignored. Responses use snake_case keys, enum names and
// 64-bit integers as JSON numbers, as Google's UpdateBooking response sample and feed samples do.
//
// [Server] is an http.Handler routing with the standard library's ServeMux; the service mounts it on its Gin
// engine with the patterns [Server.Patterns] lists.
//
// Business failures (a full slot, an expired lease, a cancellation outside the window, ...) are HTTP 200 with a
// booking_failure naming a specific cause; malformed requests and unknown merchants or services are 400, an
// unknown booking 404, bad credentials 401, a concurrency conflict 409 and an unreachable store 503, each with the
// JSON error body of package httperr, whose reason is the google.rpc code of the status:
//
//	{"error":{"code":409,"reason":"ABORTED","message":"…","requestId":"…"}}
//
// One table (failures, in mapping.go) maps each core failure to its cause or HTTP status.
//
// The package also builds the merchant, service and availability feeds (see [BuildFeeds]) so that Google's
// cached availability matches what BatchAvailabilityLookup answers.
package actionscenter
