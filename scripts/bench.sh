#!/usr/bin/env bash
# Measures the screen's budgets (DESIGN §9) against the rehearsal world:
#   - View() of the full screen at 200×50           ≤ 0.25 ms (Go benchmark)
#   - first full paint after start                  ≤ 100 ms  (tmux, from exec to a frame with values)
#   - watch at a 1 s refresh: CPU of one core       ≤ 0.5 %   (/proc/PID/stat utime+stime)
#   - watch RSS                                     ≤ 20 MB   (/proc/PID/status VmRSS, and the peak VmHWM)
# Only the watch process is measured; the world runs separately. Needs tmux.
# Usage: scripts/bench.sh [seconds to watch, default 60]
set -euo pipefail
cd "$(dirname "$0")/.."

watch_seconds=${1:-60}
command -v tmux >/dev/null || { echo "bench: tmux is needed (apt-get install -y tmux)" >&2; exit 1; }

work=$(mktemp -d)
sock="cockpit-bench-$$"
world_pid=""
cleanup() {
  tmux -L "$sock" kill-server 2>/dev/null || true
  if [ -n "$world_pid" ]; then kill -INT "$world_pid" 2>/dev/null || true; wait "$world_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

fail=0
verdict() { # name value budget unit: prints one line, remembers a miss
  if awk -v v="$2" -v b="$3" 'BEGIN { exit !(v <= b) }'; then
    printf '%-28s %10s %-3s budget %s %s  PASS\n' "$1" "$2" "$4" "$3" "$4"
  else
    printf '%-28s %10s %-3s budget %s %s  MISS\n' "$1" "$2" "$4" "$3" "$4"; fail=1
  fi
}

echo "== building"
go build -o "$work/cockpit" ./cmd/cockpit

echo "== View() at 200x50"
view_ns=$(go test ./tui -run '^$' -bench '^BenchmarkView$' -benchtime 2000x -count 1 | awk '/^BenchmarkView/ { print $3 }')

echo "== starting the world"
env -u DB_URL "$work/cockpit" rehearse --headless --dir "$work/world" >"$work/world.out" 2>"$work/world.err" &
world_pid=$!
for _ in $(seq 100); do grep -q '^config: ' "$work/world.out" 2>/dev/null && break; sleep 0.1; done
config=$(sed -n 's/^config: //p' "$work/world.out")
[ -n "$config" ] || { echo "bench: the world printed no config" >&2; cat "$work/world.err" >&2; exit 1; }
# Let Prometheus scrape a few times, so the first paint is of a world with data.
sleep 5

# full_frame: the four panes are drawn from an observation (nothing STALE).
# "no data" can be a true answer (no Rust writes yet in a fresh world).
full_frame() {
  local top
  top=$(tmux -L "$sock" capture-pane -p -t bench 2>/dev/null | head -5) || return 1
  for title in HEALTH PARITY 'ERROR RATE' DRIFT 'rust health' 'gate ALLOW'; do
    [[ $top == *"$title"* ]] || return 1
  done
  [[ $top != *STALE* && $top =~ leg\ http\ +[0-9]+(\.[0-9])?% && $top =~ lag\ avg\ +[0-9] ]]
}

echo "== first full paint (watch in tmux 200x50)"
tmux -L "$sock" -f /dev/null new-session -d -x 200 -y 50 -s bench \
  "date +%s%N > '$work/t0'; exec '$work/cockpit' watch --config '$config' --env staging --log-file '$work/watch.log'"
painted=""
for _ in $(seq 1000); do
  if [ -s "$work/t0" ] && full_frame; then painted=$(date +%s%N); break; fi
  sleep 0.01
done
[ -n "$painted" ] || { echo "bench: no full frame within 10s" >&2; tmux -L "$sock" capture-pane -p -t bench >&2; exit 1; }
paint_ms=$(( (painted - $(cat "$work/t0")) / 1000000 ))
logged_ms=$(sed -n 's/.*first full paint after \([0-9]*\)ms.*/\1/p' "$work/watch.log" | head -1)

echo "== watch for ${watch_seconds}s at a 1s refresh"
pid=$(tmux -L "$sock" list-panes -t bench -F '#{pane_pid}')
sleep 5 # past start-up: steady state only
ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
t_start=$(date +%s%N); c_start=$(ticks)
sleep "$watch_seconds"
t_end=$(date +%s%N); c_end=$(ticks)
cpu_pct=$(awk -v c="$((c_end - c_start))" -v hz="$hz" -v ns="$((t_end - t_start))" 'BEGIN { printf "%.2f", 100 * (c / hz) / (ns / 1e9) }')
rss_mb=$(awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")
hwm_mb=$(awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")

echo
verdict "View() 200x50" "$(awk -v ns="$view_ns" 'BEGIN { printf "%.3f", ns / 1e6 }')" 0.25 ms
verdict "first full paint (exec→frame)" "$paint_ms" 100 ms
[ -n "$logged_ms" ] && printf '%-28s %10s ms  (logged by the screen, from its start)\n' "first full paint (tui log)" "$logged_ms"
verdict "watch CPU, one core" "$cpu_pct" 0.5 %
verdict "watch RSS" "$rss_mb" 20 MB
verdict "watch RSS peak (VmHWM)" "$hwm_mb" 20 MB
exit "$fail"
