package redis

import (
	"bufio"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	goredis "github.com/redis/go-redis/v9"
)

// scriptArity is what a script's header comment documents: how many KEYS and ARGV it takes, and whether more
// may follow the last numbered one (KEYS[n...], ARGV[n...]).
type scriptArity struct {
	keys, args         int
	moreKeys, moreArgs bool
}

// headerArg matches a documented argument in a script's header: "-- KEYS[3] name: …" or "-- ARGV[7...] ids: …".
var headerArg = regexp.MustCompile(`^-- (KEYS|ARGV)\[(\d+)(\.\.\.)?\] \w+: \S`)

// parseScriptHeader reads the comment block at the top of a script: the numbered KEYS and ARGV must each run
// 1, 2, … without gaps, a "..." one last.
func parseScriptHeader(src string) (scriptArity, error) {
	var a scriptArity
	sc := bufio.NewScanner(strings.NewReader(src))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "--") {
			break // the end of the header
		}
		m := headerArg.FindStringSubmatch(line)
		if m == nil {
			if strings.HasPrefix(line, "-- KEYS") || strings.HasPrefix(line, "-- ARGV") {
				return a, fmt.Errorf("malformed argument line %q", line)
			}
			continue
		}
		n, _ := strconv.Atoi(m[2])
		count, more := &a.keys, &a.moreKeys
		if m[1] == "ARGV" {
			count, more = &a.args, &a.moreArgs
		}
		if *more || n != *count+1 {
			return a, fmt.Errorf("%s[%d] documented after %s[%d]", m[1], n, m[1], *count)
		}
		if m[3] != "" {
			*more = true
			continue // KEYS[n...] stands for the variable part, not a fixed argument
		}
		*count = n
	}
	return a, sc.Err()
}

// scriptFiles maps each script's file name (without .lua) to the Store's compiled script.
func scriptFiles(sc *scripts) map[string]*goredis.Script {
	return map[string]*goredis.Script{
		"commit": sc.commit, "allocations": sc.allocations, "lex_bookings": sc.lexBookings,
		"active_before": sc.activeBefore, "outbox_by_booking": sc.outboxByBooking, "outbox_stats": sc.outboxStats,
		"claim": sc.claim, "settle": sc.settle,
	}
}

// TestScriptHeaders: every file in lua/ but the helpers is a script of the Store, documents its KEYS and ARGV
// in order, and the commit script unpacks its header with the format commitHeader encodes.
func TestScriptHeaders(t *testing.T) {
	sc := newScripts()
	files := scriptFiles(&sc)
	names, err := fs.Glob(luaFiles, "lua/*.lua")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(f, "lua/"), ".lua")
		if name == "helpers" {
			continue
		}
		if files[name] == nil {
			t.Errorf("%s is not a script of the Store", f)
			continue
		}
		a, err := parseScriptHeader(scriptSource(name, false))
		if err != nil {
			t.Errorf("%s: %v", f, err)
		}
		if a.keys == 0 {
			t.Errorf("%s documents no KEYS", f)
		}
	}
	if len(names) != len(files)+1 {
		t.Errorf("lua/ holds %d files, want the %d scripts and helpers.lua", len(names), len(files))
	}
	if want := "struct.unpack('" + commitHeaderFormat + "', ARGV[1])"; !strings.Contains(scriptSource("commit", false), want) {
		t.Errorf("commit.lua does not read ARGV[1] with %s", want)
	}
	tests := []struct {
		src  string
		want scriptArity
		bad  bool
	}{
		{src: "-- KEYS[1] a: x\n-- ARGV[1] b: y\n-- ARGV[2...] c: z\nreturn 1", want: scriptArity{keys: 1, args: 1, moreArgs: true}},
		{src: "-- KEYS[2] a: x\n", bad: true},
		{src: "-- KEYS[1...] a: x\n-- KEYS[2] b: y\n", bad: true},
		{src: "-- ARGV[1]: no name\n", bad: true},
	}
	for _, tt := range tests {
		got, err := parseScriptHeader(tt.src)
		if (err != nil) != tt.bad || (!tt.bad && got != tt.want) {
			t.Errorf("parseScriptHeader(%q) = %+v, %v; want %+v, error %v", tt.src, got, err, tt.want, tt.bad)
		}
	}
}

// TestScriptArgumentsMatchHeaders runs every script the way the store runs it (on a single Redis and on the
// Cluster code path) and checks that each run passes as many KEYS and ARGV as the script's header documents:
// exactly that many, or at least that many where the header documents a variable tail.
func TestScriptArgumentsMatchHeaders(t *testing.T) {
	for _, single := range []bool{false, true} {
		t.Run(fmt.Sprintf("single=%v", single), func(t *testing.T) {
			s, rec := recordedStore(t, single)
			runEveryScript(t, s)
			byHash := map[string]string{}
			arity := map[string]scriptArity{}
			for name, sc := range scriptFiles(&s.sc) {
				byHash[sc.Hash()] = name
				a, err := parseScriptHeader(scriptSource(name, false))
				if err != nil {
					t.Fatalf("%s.lua: %v", name, err)
				}
				arity[name] = a
			}
			var ran []string
			for _, run := range rec.calls {
				name, ok := byHash[run.sha]
				if !ok {
					t.Fatalf("a script that is not the Store's ran (SHA %s)", run.sha)
				}
				ran = append(ran, name)
				a := arity[name]
				if len(run.keys) != a.keys && !(a.moreKeys && len(run.keys) > a.keys) {
					t.Errorf("%s.lua documents %d KEYS (more: %v), Go passed %d", name, a.keys, a.moreKeys, len(run.keys))
				}
				if run.nargs != a.args && !(a.moreArgs && run.nargs > a.args) {
					t.Errorf("%s.lua documents %d ARGV (more: %v), Go passed %d", name, a.args, a.moreArgs, run.nargs)
				}
			}
			for name := range arity {
				if !slices.Contains(ran, name) {
					t.Errorf("%s.lua never ran", name)
				}
			}
		})
	}
}
