# Lineup: the two commands a fresh Debian/Ubuntu machine needs are `make demo` and `make test`.
# Both install what they need first (scripts/install-deps.sh; root or sudo).

GO        ?= go
BIN       := bin/lineup
GOTESTFLAGS ?= -race -count=1 -timeout 40m

.PHONY: all deps build test vet bench demo clean fmt-check

all: build

deps:
	./scripts/install-deps.sh

build:
	$(GO) build -o $(BIN) ./cmd/lineup

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi

# Every test: unit tests, and integration tests against a real Kamailio, SIPp and baresip.
test: deps fmt-check vet
	$(GO) test $(GOTESTFLAGS) ./...

# Benchmarks: figures are medians over several runs; see README.md.
bench: deps build
	$(GO) run ./internal/bench/register -lineup $(BIN)

# Runs Lineup against a local Kamailio with the demo lines; Ctrl-C stops both.
demo: deps build
	./scripts/demo.sh $(BIN)

clean:
	rm -rf bin
