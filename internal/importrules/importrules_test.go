package importrules

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// Package paths in this file are relative to the module path ("booking/admin", not
// "github.com/reservations/reservations/booking/admin").

// infra are the infrastructure packages any package may use: they know no domain type.
func infra() []string { return []string{"logging", "httperr"} }

// allowed is, for each package of the module, the packages of the module its non-test code may import
// directly (tests may import what they need). A package missing from the table fails the test: give it a line
// here and in docs/architecture.md. cmd/... may import anything; no package may import cmd/....
func allowed() map[string][]string {
	with := func(pkgs ...string) []string { return append(pkgs, infra()...) }
	return map[string][]string{
		// The core and the wire model: nothing of this module but the leaf phone-number parser.
		"booking":        {"phone"},
		"phone":          {},
		"orders/orderv3": {},
		// Infrastructure: no domain package.
		"logging":  {},
		"httperr":  {"logging"},
		"httpauth": {"logging", "httperr"},
		"server":   {"logging", "httperr"},
		// The Assistant protocol knows nothing of reservations.
		"fulfillment": with("orders/orderv3"),
		// The conversation.
		"intents": with("booking", "fulfillment", "orders", "orders/orderv3"),
		// Orders: builders, client, worker; and the fake Orders API for tests.
		"orders":            with("booking", "orders/orderv3"),
		"orders/orderstest": {"orders/orderv3"},
		// Stores and their conformance suite.
		"booking/bolt":   {"booking"},
		"booking/memory": {"booking"},
		"booking/redis":  {"booking"},
		// Starts real Redis servers, clusters and sentinels for tests.
		"booking/redis/redistest": {"internal/testsupport"},
		"booking/storetest":       {"booking", "internal/proccpu", "internal/testsupport"},
		// Adapters over the core.
		"booking/actionscenter":             with("booking", "httpauth"),
		"booking/actionscenter/conformance": with("booking", "booking/actionscenter"),
		"booking/admin":                     with("booking", "httpauth"),
		"booking/admin/web":                 infra(),
		// Test support and tools.
		"internal/importrules": {},
		"internal/proccpu":     {},
		"internal/soak":        {}, // its test runs the binary, Redis and orders/orderstest
		"internal/testsupport": {},
	}
}

// ginUsers are the only packages whose non-test code may depend on Gin, directly or not: where the service
// is assembled.
func ginUsers() []string { return []string{"server", "cmd/reservations"} }

const ginPath = "github.com/gin-gonic/gin"

// pkg is what `go list -json` says of one package.
type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// listModule lists the module's packages (non-test code) with their imports and dependencies, and returns
// the module path.
func listModule(t *testing.T) (string, []pkg) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list the module's packages: %v", err)
	}
	mod, err := exec.Command(goBin, "list", "-m").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", stderr(err))
	}
	module := strings.TrimSpace(string(mod))
	out, err := exec.Command(goBin, "list", "-json=ImportPath,Imports,Deps", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list -json %s/...: %v", module, stderr(err))
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages in %s", len(pkgs), module)
	}
	return module, pkgs
}

// stderr adds the command's standard error to err.
func stderr(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return errors.Join(err, errors.New(strings.TrimSpace(string(ee.Stderr))))
	}
	return err
}

// violation is one broken rule: "package: rule" (a key that names it) and what it means.
type violation struct {
	key, detail string
}

// check applies the rules to the listed packages.
func check(module string, pkgs []pkg) []violation {
	rel := func(path string) (string, bool) {
		if path == module {
			return "", true
		}
		r, ok := strings.CutPrefix(path, module+"/")
		return r, ok
	}
	isCmd := func(r string) bool { return r == "cmd" || strings.HasPrefix(r, "cmd/") }
	table := allowed()
	var out []violation
	for _, p := range pkgs {
		name, _ := rel(p.ImportPath)
		may, known := table[name]
		if !known && !isCmd(name) {
			out = append(out, violation{name + ": rule", "has no import rule: add it to allowed() in internal/importrules and to docs/architecture.md"})
		}
		for _, imp := range p.Imports {
			r, ours := rel(imp)
			switch {
			case !ours:
			case isCmd(r):
				out = append(out, violation{name + ": cmd", "imports " + r + ": nothing imports cmd"})
			case known && !slices.Contains(may, r):
				out = append(out, violation{name + ": " + r, "imports " + r + "; it may import only " + list(may)})
			}
		}
		if !slices.Contains(ginUsers(), name) && slices.ContainsFunc(p.Deps, isGin) {
			out = append(out, violation{name + ": gin", "depends on Gin (" + ginPath + "); only " + list(ginUsers()) + " may"})
		}
	}
	return out
}

func isGin(path string) bool { return path == ginPath || strings.HasPrefix(path, ginPath+"/") }

func list(pkgs []string) string {
	if len(pkgs) == 0 {
		return "nothing of this module"
	}
	return strings.Join(pkgs, ", ")
}

// TestImportRules enforces docs/architecture.md's "Which way imports go" on the module's non-test code.
func TestImportRules(t *testing.T) {
	module, pkgs := listModule(t)
	for _, v := range check(module, pkgs) {
		t.Errorf("%s %s", strings.SplitN(v.key, ":", 2)[0], v.detail)
	}
}

// TestCheck pins what check reports, on a made-up module.
func TestCheck(t *testing.T) {
	const m = "example.com/m"
	tests := []struct {
		name string
		pkgs []pkg
		want []string // violation keys
	}{
		{name: "clean", pkgs: []pkg{
			{ImportPath: m + "/booking", Imports: []string{"context", "time"}},
			{ImportPath: m + "/orders", Imports: []string{m + "/booking", m + "/orders/orderv3", m + "/logging"}},
			{ImportPath: m + "/server", Imports: []string{ginPath, m + "/logging"}, Deps: []string{ginPath}},
			{ImportPath: m + "/cmd/reservations", Imports: []string{m + "/server", m + "/intents", ginPath}, Deps: []string{ginPath}},
		}},
		{name: "the core imports an adapter", pkgs: []pkg{
			{ImportPath: m + "/booking", Imports: []string{m + "/booking/admin"}},
		}, want: []string{"booking: booking/admin"}},
		{name: "infrastructure imports a domain package", pkgs: []pkg{
			{ImportPath: m + "/httpauth", Imports: []string{m + "/booking"}},
		}, want: []string{"httpauth: booking"}},
		{name: "fulfillment imports the conversation", pkgs: []pkg{
			{ImportPath: m + "/fulfillment", Imports: []string{m + "/orders/orderv3", m + "/httperr", m + "/intents"}},
		}, want: []string{"fulfillment: intents"}},
		{name: "an adapter depends on gin through another package", pkgs: []pkg{
			{ImportPath: m + "/booking/admin", Imports: []string{m + "/booking", m + "/httpauth"}, Deps: []string{ginPath + "/render"}},
		}, want: []string{"booking/admin: gin"}},
		{name: "someone imports cmd", pkgs: []pkg{
			{ImportPath: m + "/server", Imports: []string{m + "/cmd/reservations"}},
		}, want: []string{"server: cmd"}},
		{name: "a package without a rule", pkgs: []pkg{
			{ImportPath: m + "/newthing", Imports: []string{m + "/booking"}},
		}, want: []string{"newthing: rule"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, v := range check(m, tt.pkgs) {
				got = append(got, v.key)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("violations = %q, want %q", got, tt.want)
			}
		})
	}
}
