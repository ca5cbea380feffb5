// Package proccpu reads the CPU time the current process has used, for benchmarks that report CPU per
// operation next to their wall-clock rate (the two differ when other processes share the machine).
package proccpu

import "time"

// Used returns the user plus system CPU time this process has used so far, and false on platforms where it is
// not known.
func Used() (time.Duration, bool) { return used() }
