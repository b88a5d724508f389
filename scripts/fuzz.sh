#!/usr/bin/env bash
# fuzz.sh runs every fuzz target of the module for the given time each
# (default 60s), one after the other, and stops at the first failure. New
# crashers are written by go test under the package's testdata/fuzz.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${1:-60s}"
for pkg in $(go list ./...); do
	for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		echo "fuzz.sh: $pkg $target for $fuzztime" >&2
		go test -run="^$" -fuzz="^${target}\$" -fuzztime="$fuzztime" -fuzzminimizetime=5s "$pkg"
	done
done
