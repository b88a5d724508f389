#!/usr/bin/env bash
# test.sh runs every test of Vigil: go vet, then go test ./... with the real
# external components the tests need. It installs them when they are missing
# and it runs as root (Debian packages prometheus, prometheus-alertmanager,
# postgresql, python3-statsmodels, python3-sklearn, chromium and nodejs when
# node is missing), and starts
# a throwaway PostgreSQL for the state-store tests. With CI=true a missing
# component fails the tests that need it instead of skipping them.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'test.sh: %s\n' "$*" >&2; }

if ! command -v go >/dev/null && [[ -x /usr/local/go/bin/go ]]; then
	export PATH="$PATH:/usr/local/go/bin"
fi

need=()
command -v prometheus >/dev/null || [[ -x /usr/bin/prometheus ]] || need+=(prometheus)
[[ -x /usr/bin/prometheus-alertmanager ]] || need+=(prometheus-alertmanager)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
# The forecasting benchmark's comparison runs statsmodels with Debian's Python.
/usr/bin/python3 -c 'import statsmodels' 2>/dev/null || need+=(python3-statsmodels)
# The Isolation Forest benchmark's comparison runs scikit-learn.
/usr/bin/python3 -c 'import sklearn' 2>/dev/null || need+=(python3-sklearn)
# The UI's browser test drives headless Chromium; its scripts are checked
# with Node.
[[ -x /usr/bin/chromium ]] || need+=(chromium)
command -v node >/dev/null || need+=(nodejs)
if ((${#need[@]} > 0)); then
	if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null; then
		log "installing Debian packages: ${need[*]}"
		apt-get update -q >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >&2
	else
		log "missing ${need[*]} and cannot install them; the tests that need them will skip (or fail with CI=true)"
	fi
fi

# Stop PostgreSQL at the end only if this run started it.
pg_pid_file="${VIGIL_TEST_PG_DIR:-/tmp/vigil-test-pg}/data/postmaster.pid"
pg_was_running=false
[[ -f "$pg_pid_file" ]] && pg_was_running=true
if url="$(scripts/postgres.sh start)"; then
	export "${url?}"
	if ! $pg_was_running; then
		trap 'scripts/postgres.sh stop >/dev/null 2>&1 || true' EXIT
	fi
else
	log "could not start PostgreSQL; its tests will skip (or fail with CI=true)"
fi

log "go vet"
go vet ./...
log "go test"
go test -count=1 -timeout 20m "$@" ./...
