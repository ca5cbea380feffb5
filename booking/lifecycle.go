package booking

// transitions is the status lifecycle. A booking moves only along these edges; CANCELLED, FULFILLED, NO_SHOW
// and REJECTED are terminal.
var transitions = map[Status][]Status{
	StatusPending:         {StatusConfirmed, StatusCancelled, StatusRejected, StatusChangeRequested},
	StatusConfirmed:       {StatusCancelled, StatusFulfilled, StatusNoShow, StatusChangeRequested},
	StatusChangeRequested: {StatusConfirmed, StatusCancelled, StatusRejected},
}

// CanTransition reports whether a booking may move from one status to another. The lifecycle:
//
//	from              allowed to
//	PENDING           CONFIRMED, CANCELLED, REJECTED, CHANGE_REQUESTED
//	CONFIRMED         CANCELLED, FULFILLED, NO_SHOW, CHANGE_REQUESTED
//	CHANGE_REQUESTED  CONFIRMED, CANCELLED, REJECTED
//	CANCELLED         (terminal)
//	FULFILLED         (terminal)
//	NO_SHOW           (terminal)
//	REJECTED          (terminal)
//
// Staying in the same status is not a transition. A booking gives its capacity back when it reaches
// CANCELLED, REJECTED, NO_SHOW or FULFILLED.
func CanTransition(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Statuses lists every booking status, in lifecycle order.
func Statuses() []Status {
	return []Status{StatusPending, StatusConfirmed, StatusChangeRequested, StatusCancelled, StatusFulfilled,
		StatusNoShow, StatusRejected}
}

// releases reports whether reaching the status gives the booking's capacity back.
func releases(s Status) bool {
	return s == StatusCancelled || s == StatusRejected || s == StatusNoShow || s == StatusFulfilled
}
