# Vigil's make targets. `make test` is the one command that runs every test;
# it installs and starts what the tests need (see scripts/test.sh).

GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X main.version=$(VERSION) -X main.revision=$(REVISION)

.PHONY: build test test-short fuzz bench-ingest clean

build:
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o bin/vigil ./cmd/vigil

test:
	scripts/test.sh

# Unit tests only: no external services, no end-to-end runs.
test-short:
	$(GO) test -short ./...

# Each fuzzer for FUZZTIME (default 60s).
FUZZTIME ?= 60s
fuzz:
	scripts/fuzz.sh $(FUZZTIME)

bench-ingest: build
	bin/vigil bench ingest --prometheus /usr/bin/prometheus

clean:
	rm -rf bin
