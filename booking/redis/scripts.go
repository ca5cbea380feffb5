package redis

import (
	"embed"

	goredis "github.com/redis/go-redis/v9"
)

// The Lua scripts live in lua/*.lua, one file per script, each opening with a comment that names its KEYS[i]
// and ARGV[i] (TestScriptArgumentsMatchHeaders holds those comments to what Go passes). Every key a script
// touches arrives in KEYS and carries the merchant's hash tag; scripts only build member strings (never key
// names). Times are unix milliseconds passed from Go (never Redis TIME), so a fake clock in tests drives holds,
// leases and idempotency expiry. Each writing script does all of its reads and checks first and writes only
// after the last check passed, so a failed check writes nothing.

// luaFiles are the scripts (read-only).
//
//go:embed lua/*.lua
var luaFiles embed.FS

// scriptSource returns the source Redis runs for lua/<name>.lua: the file, after lua/helpers.lua when withHelpers
// is set. The files are part of the build, so a missing one is a programming error (every test would find it).
func scriptSource(name string, withHelpers bool) string {
	src, err := luaFiles.ReadFile("lua/" + name + ".lua")
	if err != nil {
		panic("booking/redis: embedded script missing: " + err.Error())
	}
	if !withHelpers {
		return string(src)
	}
	return scriptSource("helpers", false) + "\n" + string(src)
}

// scripts holds the compiled scripts of a Store.
type scripts struct {
	commit, allocations, lexBookings, activeBefore, outboxByBooking, outboxStats, claim, settle *goredis.Script
}

func newScripts() scripts {
	return scripts{
		commit:          goredis.NewScript(scriptSource("commit", true)),
		allocations:     goredis.NewScript(scriptSource("allocations", false)),
		lexBookings:     goredis.NewScript(scriptSource("lex_bookings", true)),
		activeBefore:    goredis.NewScript(scriptSource("active_before", true)),
		outboxByBooking: goredis.NewScript(scriptSource("outbox_by_booking", true)),
		outboxStats:     goredis.NewScript(scriptSource("outbox_stats", true)),
		claim:           goredis.NewScript(scriptSource("claim", true)),
		settle:          goredis.NewScript(scriptSource("settle", false)),
	}
}
