# tcpregress — see README.md.
SHELL := /bin/bash
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
export GO
export PATH := $(dir $(GO)):$(PATH)
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS := -X tcpregress.dev/tools/cli.Version=$(VERSION)
BENCHDIR ?= $(CURDIR)/.bench
FUZZTIME ?= 10s

.PHONY: all deps deps-build build test bench fuzz soak lint clean testdata conformance matrix agents

# make conformance [STACK=kernel|tcpstack|gvisor|lwip] [TARGET=HOST AGENT=HOST:PORT IFACE=IF SRC_IP=IP/NN [GATEWAY=IP] [SECRET_FILE=F]] [ARGS=...]
# The expectation files apply to local targets: linux.txt to the kernel,
# gvisor.txt and lwip.txt to those stacks.
TARGET ?= local
STACK ?= kernel
CONFORMANCE_OUT ?= conformance-report
MATRIX_OUT ?= matrix-report
JOBS ?= 2

all: build

# deps: everything the tests, benchmarks and the suite use; deps-build: only
# what compiling needs (Go's cgo toolchain and libpcap's headers).
deps:
	@bash scripts/deps.sh test

deps-build:
	@bash scripts/deps.sh build

build: deps-build
	@mkdir -p bin
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/ ./tools/cmd/... ./conformance/cmd/tcpregress

test: deps
	@bash scripts/lint.sh
	@bash scripts/test.sh

bench: deps
	@bash scripts/bench.sh

fuzz: deps
	@bash scripts/fuzz.sh $(FUZZTIME)

# make soak [DURATION=10m]: churn and bulk transfers between tcpstack and the
# kernel; fails if open fds, goroutines or RSS grow after the first minute.
DURATION ?= 10m
soak: deps
	$(GO) run ./benchmarks/cmd/soak -duration $(DURATION)

lint: deps-build
	@bash scripts/lint.sh

testdata:
	$(GO) run ./benchmarks/cmd/gencaptures -out testdata

conformance: deps build
	@mkdir -p $(CONFORMANCE_OUT)
	./bin/tcpregress run --target $(TARGET) --stack $(STACK) -j $(JOBS) \
	  $(if $(AGENT),--agent $(AGENT)) $(if $(IFACE),--iface $(IFACE)) \
	  $(if $(SRC_IP),--src-ip $(SRC_IP)) $(if $(GATEWAY),--gateway $(GATEWAY)) \
	  $(if $(SECRET_FILE),--secret-file $(SECRET_FILE)) \
	  $(if $(filter local,$(TARGET)),$(if $(filter kernel,$(STACK)),--expect conformance/expect/linux.txt,$(if $(filter gvisor lwip,$(STACK)),--expect conformance/expect/$(STACK).txt))) \
	  --json $(CONFORMANCE_OUT)/report.json --junit $(CONFORMANCE_OUT)/junit.xml --html $(CONFORMANCE_OUT)/index.html \
	  --pcap-dir $(CONFORMANCE_OUT)/pcap $(ARGS)

# make matrix [STACKS=kernel,tcpstack,gvisor,lwip] [JOBS=2] [MATRIX_OUT=matrix-report]: the suite
# against every local stack, into MATRIX_OUT/matrix.json, matrix.md and matrix.html.
matrix: deps build
	./bin/tcpregress matrix -j $(JOBS) --out $(MATRIX_OUT) $(if $(STACKS),--stacks $(STACKS)) $(ARGS)

agents:
	@bash scripts/agents.sh

clean:
	rm -rf bin $(BENCHDIR) conformance-report matrix-report
