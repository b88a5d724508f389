#!/usr/bin/env bash
# postgres.sh starts and stops a throwaway PostgreSQL cluster for Vigil's tests.
#
#   scripts/postgres.sh start    start it (or find it running) and print one line,
#                                VIGIL_TEST_POSTGRES_URL=postgres://..., on stdout
#   scripts/postgres.sh stop     stop it; its data directory is kept
#   scripts/postgres.sh destroy  stop it and delete its data directory
#
# Typical use:  export "$(scripts/postgres.sh start)" && go test ./internal/state/...
#
# The cluster is not the system one and is not managed by systemd: it lives in
# $VIGIL_TEST_PG_DIR (default /tmp/vigil-test-pg), listens on 127.0.0.1 only, on
# $VIGIL_TEST_PG_PORT (default 55432), and is tuned for speed, not durability
# (fsync is off). It has one superuser, vigil, with password
# vigil-test-password. When run as root and no PostgreSQL server is installed,
# the Debian package postgresql is installed. Everything but the URL line is
# written to stderr.
set -euo pipefail

readonly PG_DIR="${VIGIL_TEST_PG_DIR:-/tmp/vigil-test-pg}"
readonly PG_PORT="${VIGIL_TEST_PG_PORT:-55432}"
readonly PG_DATA="$PG_DIR/data"
readonly PG_LOG="$PG_DIR/postgres.log"
readonly PG_USER=vigil
readonly PG_PASSWORD=vigil-test-password
readonly URL="postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/postgres?sslmode=disable"

log() { printf 'postgres.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# find_bindir prints the newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl.
find_bindir() {
	local dir
	dir="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null |
		sort -V | while read -r d; do
			if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then echo "$d"; fi
		done | tail -n 1 || true)"
	[[ -n "$dir" ]] && echo "$dir"
}

# install_server installs the Debian postgresql package, updating the package
# lists once if the first attempt fails.
install_server() {
	[[ "$(id -u)" -eq 0 ]] || die "PostgreSQL server binaries not found under /usr/lib/postgresql and not root: install the postgresql package"
	command -v apt-get >/dev/null || die "PostgreSQL server binaries not found and apt-get is unavailable"
	log "installing Debian package postgresql"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql >&2; then
		log "install failed; running apt-get update once and retrying"
		apt-get update >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql >&2
	fi
}

# as_owner runs a command as the cluster owner: the postgres user when running
# as root (initdb and postgres refuse to run as root), else the current user.
as_owner() {
	if [[ "$(id -u)" -ne 0 ]]; then
		"$@"
	elif command -v runuser >/dev/null; then
		runuser -u postgres -- "$@"
	else
		su -s /bin/bash postgres -c "$(printf '%q ' "$@")"
	fi
}

# running reports whether the cluster exists and its server is up.
running() {
	[[ -f "$PG_DATA/PG_VERSION" ]] && as_owner "$BINDIR/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1
}

# init_cluster creates the cluster, its superuser and its settings.
init_cluster() {
	log "creating cluster in $PG_DATA"
	rm -rf "$PG_DATA" # A partial cluster from an interrupted initdb.
	local pwfile="$PG_DIR/pwfile"
	mkdir -p "$PG_DIR"
	chmod 0700 "$PG_DIR"
	(umask 077 && printf '%s\n' "$PG_PASSWORD" >"$pwfile")
	if [[ "$(id -u)" -eq 0 ]]; then
		id postgres >/dev/null 2>&1 || die "user postgres does not exist; install the postgresql package"
		chown postgres: "$PG_DIR" "$pwfile"
	fi
	as_owner "$BINDIR/initdb" -D "$PG_DATA" -U "$PG_USER" --pwfile="$pwfile" \
		--auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --no-locale >&2
	rm -f "$pwfile"
	cat >>"$PG_DATA/postgresql.conf" <<EOF

# Added by scripts/postgres.sh: a throwaway test cluster.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_DIR'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
}

start() {
	if running; then
		log "already running in $PG_DATA"
	else
		[[ -f "$PG_DATA/PG_VERSION" ]] || init_cluster
		log "starting on 127.0.0.1:$PG_PORT (log: $PG_LOG)"
		# The server must not inherit the lock descriptor, or it would hold the lock forever.
		if ! as_owner "$BINDIR/pg_ctl" start -D "$PG_DATA" -l "$PG_LOG" -w -t 60 >&2 9>&-; then
			tail -n 20 "$PG_LOG" >&2 || true
			die "PostgreSQL did not start"
		fi
	fi
	echo "VIGIL_TEST_POSTGRES_URL=$URL"
}

stop() {
	if running; then
		log "stopping"
		as_owner "$BINDIR/pg_ctl" stop -D "$PG_DATA" -m fast -w >&2
	else
		log "not running"
	fi
}

destroy() {
	stop
	log "removing $PG_DIR"
	rm -rf "$PG_DIR"
}

main() {
	local cmd="${1:-}"
	case "$cmd" in
	start | stop | destroy) ;;
	*)
		echo "usage: $0 start|stop|destroy" >&2
		exit 2
		;;
	esac
	# Serialize concurrent invocations, such as two test jobs starting at once.
	if command -v flock >/dev/null; then
		exec 9>"$PG_DIR.lock"
		flock 9
	fi
	BINDIR="$(find_bindir)" || {
		[[ "$cmd" == start ]] || die "PostgreSQL server binaries not found under /usr/lib/postgresql"
		install_server
		BINDIR="$(find_bindir)" || die "PostgreSQL server binaries still not found after installing"
	}
	readonly BINDIR
	"$cmd"
}

main "$@"
