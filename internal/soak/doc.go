// Package soak is the fault soak of the whole service: three servers and two workers of the real binary on one
// Redis with AOF fsync always, a fake Orders API failing a third of its calls, Actions Center clients racing
// for a handful of slots (with replays and cancellations) and staff changing Assistant orders, while the
// soak SIGKILLs and restarts a server, each worker and Redis. Its only code is its test, TestSoak, which runs
// only when SOAK_DURATION is set (`make soak`); see docs/reliability.md.
package soak
