# tcpregress — see README.md.
SHELL := /bin/bash
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
export GO
export PATH := $(dir $(GO)):$(PATH)
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS := -X tcpregress.dev/tools/internal/cli.Version=$(VERSION)
BENCHDIR ?= $(CURDIR)/.bench
FUZZTIME ?= 10s

.PHONY: all deps build test bench fuzz lint clean testdata conformance

all: build

deps:
	@bash scripts/deps.sh

build: deps
	@mkdir -p bin
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/ ./tools/cmd/...

test: deps
	@bash scripts/test.sh

bench: deps
	@bash scripts/bench.sh

fuzz: deps
	@bash scripts/fuzz.sh $(FUZZTIME)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./pcap/... ./tcpstack/... ./tools/... ./benchmarks/...

testdata:
	$(GO) run ./benchmarks/cmd/gencaptures -out testdata

conformance: deps
	@echo "conformance: the suite (issue 5) has not landed yet; see README.md" >&2; exit 1

clean:
	rm -rf bin $(BENCHDIR) conformance-report
