#!/usr/bin/env bash
# The test command: sets up what the tests need on a fresh Debian machine
# (PostgreSQL and Prometheus from Debian's packages, tmux), then runs every
# check CI runs. Safe to run twice.
set -euo pipefail
cd "$(dirname "$0")/.."
# A test that needs PostgreSQL, Prometheus or tmux fails under CI=true
# instead of skipping: this command is what CI runs.
export CI=true

need_pkgs=()
command -v prometheus >/dev/null 2>&1 || need_pkgs+=(prometheus)
command -v promtool   >/dev/null 2>&1 || need_pkgs+=(prometheus)
command -v tmux       >/dev/null 2>&1 || need_pkgs+=(tmux)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need_pkgs+=(postgresql)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "== installing ${need_pkgs[*]} from Debian's packages"
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

# PostgreSQL: start the cluster Debian made and give the tests a superuser.
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
if [ -z "${COCKPIT_TEST_DB_URL:-}" ]; then
  ver=$(ls /usr/lib/postgresql | sort -n | tail -1)
  pg_lsclusters -h | grep -q . || as_root pg_createcluster "$ver" main >/dev/null
  if ! pg_lsclusters -h | awk '{print $4}' | grep -q online; then
    as_root pg_ctlcluster "$(pg_lsclusters -h | awk '{print $1; exit}')" "$(pg_lsclusters -h | awk '{print $2; exit}')" start
  fi
  port=$(pg_lsclusters -h | awk '$4=="online"{print $3; exit}')
  as_postgres psql -q -p "$port" -v ON_ERROR_STOP=1 -c "DO \$\$BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cockpit_test') THEN
      CREATE ROLE cockpit_test LOGIN SUPERUSER PASSWORD 'cockpit_test';
    END IF; END\$\$;"
  export COCKPIT_TEST_DB_URL="postgres://cockpit_test:cockpit_test@127.0.0.1:${port}/postgres?sslmode=disable"
fi

echo "== go vet"
go vet ./...
echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt would change: $unformatted"; exit 1; fi
echo "== go build"
# Static, as released (.goreleaser.yaml): no libc pages mapped, nothing needs cgo.
CGO_ENABLED=0 go build -o bin/cockpit ./cmd/cockpit
echo "== go test -race"
# -parallel 8: go test's default is GOMAXPROCS (2 on a 2-core machine), and
# cmd/cockpit's end-to-end tests each own their world (a `rehearse
# --headless` process, its ports, a database, a tmux server) and spend
# their time waiting on the world's clocks (windows, soaks, an incident's
# `for`), not on a core: two at a time they took 28 minutes. A world costs
# about 3% of a core (10 writes/s), but its checks, screens and the -race
# test process cost more: at 24 a 2-core machine ran at a load of 60-70
# and answers missed their deadlines; 8 leaves room for a second copy of
# this command beside it.
COCKPIT_BIN="$PWD/bin/cockpit" go test -race -count=1 -parallel 8 -timeout 30m ./...
