# reservations: common tasks. Everything needs only Go (and, for the Redis tests, a reachable Redis or
# redis-server on PATH; for the admin page's browser test, chromium on PATH or CHROME_PATH: see .ci/run).
# Those tests skip without them, except under CI=true, where they fail.

GO          ?= go
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -X main.version=$(VERSION)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 60s
# Packages whose Fuzz targets `make fuzz` runs (default: every package with a `func Fuzz` in a test file; each
# Fuzz* function is found with `go test -list`). `make fuzz FUZZ_PKGS="./fulfillment ./booking/actionscenter"`
# runs the request parsers only.
FUZZ_PKGS   ?= $(shell grep -rl --include='*_test.go' '^func Fuzz' . | grep -v -e '^./.git/' -e '/testdata/' | xargs -r -n1 dirname | sort -u)

# The fault soak (internal/soak, docs/reliability.md): how long its load runs; SOAK_QUICK=1 kills the workers and
# Redis only before the Orders API deliveries start (the CI form: a short drain).
SOAK_DURATION ?= 60s
SOAK_QUICK    ?=
SOAK_TIMEOUT  ?= 2h

.PHONY: all run test bench fuzz fuzz-corpus lint build fmt fmt-check vet clean soak

all: fmt-check test build

## run: serve --dev on the embedded store (data/reservations.db) with the sample merchant; PORT=9090 make run
run:
	@mkdir -p data bin
	@echo "make run: building bin/reservations (a first build downloads and compiles the modules, a minute or two; each package is listed as it compiles)"
	$(GO) build -v -ldflags "$(LDFLAGS)" -o bin/reservations ./cmd/reservations
	./bin/reservations serve --dev

## test: go vet, then every test with the race detector
test:
	@echo "make test: go vet, then go test -race (a first run downloads and compiles the modules first)"
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

## soak: the fault soak for SOAK_DURATION (60s): 3 servers, 2 workers, Redis (AOF fsync always) and a fake
## Orders API failing a third of its calls, with SIGKILLs under load; needs redis-server. SOAK_DURATION=10m make soak
soak:
	SOAK_DURATION=$(SOAK_DURATION) SOAK_QUICK=$(SOAK_QUICK) $(GO) test -count=1 -v -run '^TestSoak$$' -timeout $(SOAK_TIMEOUT) ./internal/soak

## bench: every benchmark, no tests
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## fuzz: each Fuzz target of FUZZ_PKGS for FUZZTIME (60s) in turn, after its seed corpus (testdata/fuzz/FuzzXxx);
## fails at the end, naming every target that failed
fuzz:
	@set -eu; failed=""; \
	for pkg in $(FUZZ_PKGS); do \
		list=$$($(GO) test -list 'Fuzz.*' "$$pkg"); \
		targets=$$(printf '%s\n' "$$list" | grep '^Fuzz' || true); \
		if [ -z "$$targets" ]; then continue; fi; \
		for f in $$targets; do \
			echo "fuzz: $$pkg $$f for $(FUZZTIME)"; \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) "$$pkg" || failed="$$failed $$pkg:$$f"; \
		done; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: failed:$$failed"; exit 1; fi

## fuzz-corpus: rewrite the seed corpora (testdata/fuzz/FuzzXxx in each package) from the fixtures
fuzz-corpus:
	$(GO) run ./testdata/fuzz/gen

## lint: go vet and staticcheck (pinned; downloaded into the module cache on first use)
lint: vet
	$(GO) run $(STATICCHECK) ./...

vet:
	$(GO) vet ./...

## build: bin/reservations, with the version from git
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/reservations ./cmd/reservations

## fmt: gofmt every Go file in place
fmt:
	gofmt -w $$(find . -name '*.go' -not -path './.git/*' -not -path './bin/*' -not -path './data/*')

## fmt-check: fail when a Go file is not gofmt-formatted
fmt-check:
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*' -not -path './bin/*' -not -path './data/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

clean:
	rm -rf bin
