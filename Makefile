# Lineup: the two commands a fresh Debian/Ubuntu machine needs are `make demo` and `make test`.
# Both install what they need first (scripts/install-deps.sh; root or sudo).

GO        ?= go
BIN       := bin/lineup
GOTESTFLAGS ?= -race -count=1 -timeout 40m

.PHONY: all deps build test vet bench demo dist clean fmt-check

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
test: deps fmt-check vet dist
	LINEUP_DIST=$(CURDIR)/dist $(GO) test $(GOTESTFLAGS) ./...

# Benchmarks: figures are medians over several runs; see README.md.
bench: deps build
	$(GO) run ./internal/bench/register -lineup $(BIN)
	$(GO) run ./internal/bench/decline -lineup $(BIN) -runs 3
	@echo "Journal with 1,000,000 entries: goals latest 100 <= 20 ms, search by number <= 100 ms."
	./scripts/bench-median.sh $(GO) test -run '^$$' -bench 'Journal' -count 5 -timeout 30m ./store/
	@echo "Media goals: 0 allocs/op for encode, decode, packetize, receive, the jitter buffer and the conference mixer; delay-ms <= 30 without jitter."
	./scripts/bench-median.sh $(GO) test -run '^$$' -bench 'Encode|Decode|Packetize|Receive|JitterBuffer|Jitter|ConferenceTick' -benchmem -count 5 ./media/
	@echo "50 calls in-process (one op is one 20 ms frame, 500 = 10 s): goal p99-send-dev-ms <= 2."
	./scripts/bench-median.sh $(GO) test -run '^$$' -bench 'Calls50' -benchtime 500x -count 5 ./media/
	@echo "50 PCMU calls from baresip through Kamailio: goal lineup_cpu_%_per_call <= 0.35; baresip_cpu_%_per_endpoint is about 0.7 here."
	./scripts/bench-median.sh $(GO) test -run '^$$' -bench 'FiftyG711Calls' -benchtime 1x -count 5 -timeout 30m ./engine/
	@echo "Journal window on the line server's journal of 100,000 calls: goal ms-to-first-rows <= 300; scrolling reads a page at a time."
	./scripts/bench-median.sh $(GO) test -run '^$$' -bench 'JournalViewOpen' -benchtime 3x -count 5 ./ui/
	@echo "Desktop app under Xvfb: goals first frame <= 1 s, idle CPU <= 1 % of a core, idle RSS <= 150 MB, RSS growth over 500 calls <= 10 MB. hello-* is a bare Fyne window measured beside it in each run (the floor)."
	./scripts/bench-median.sh $(GO) test -run '^$$' -bench 'GUI' -benchtime 1x -count 5 -timeout 30m ./cmd/lineup/

# The packages: a Linux archive and a Windows .exe in dist/ (scripts/dist.sh says what is in them).
dist: deps
	./scripts/dist.sh dist all

# Runs Lineup against a local Kamailio with the demo lines; Ctrl-C stops both.
demo: deps build
	./scripts/demo.sh $(BIN)

clean:
	rm -rf bin dist
