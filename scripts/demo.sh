#!/usr/bin/env bash
# make demo: a local Kamailio (127.0.0.1:25060) with the demo extensions, the demo set-up imported
# into a throw-away data directory, and Lineup on it. Ctrl-C stops Lineup (which de-registers its
# lines), then Kamailio; the data directory is removed.
set -euo pipefail
cd "$(dirname "$0")/.."
lineup=${1:-bin/lineup}
provision=assets/demo/provision.toml

go build -o bin/demopbx ./internal/testpbx/demopbx
data=$(mktemp -d -t lineup-demo.XXXXXX)
pbxlog="$data/pbx.log"

# The PBX runs in its own session so that Ctrl-C reaches Lineup only; it stops when its pidfile
# goes away.
setsid bin/demopbx -provision "$provision" -pidfile "$data/pbx.pid" >"$pbxlog" 2>&1 &
pbx=$!
cleanup() {
  rm -f "$data/pbx.pid"
  for _ in $(seq 1 50); do kill -0 "$pbx" 2>/dev/null || break; sleep 0.1; done
  kill "$pbx" 2>/dev/null || true
  wait "$pbx" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
  grep -q '^udp: ' "$pbxlog" 2>/dev/null && break
  if ! kill -0 "$pbx" 2>/dev/null; then cat "$pbxlog" >&2; echo "demo: the PBX did not start" >&2; exit 1; fi
  sleep 0.2
done
grep -q '^udp: ' "$pbxlog" || { cat "$pbxlog" >&2; echo "demo: the PBX did not start in time" >&2; exit 1; }
cat "$pbxlog"

"$lineup" --data "$data" provision import "$provision"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "Lineup opens its window; quit it (or Ctrl-C here) to stop the demo."
  echo "Try: dial 202 from line 201, or click a feature code in a line's menu."
  echo "Click-to-dial from another terminal: $lineup --data $data dial 203"
  LINEUP_SIP_LISTEN=127.0.0.1 LINEUP_API=127.0.0.1:0 "$lineup" --data "$data" || true
else
  echo "No display (DISPLAY and WAYLAND_DISPLAY are unset): running the headless line server instead"
  echo "of the desktop app. Ctrl-C stops it."
  "$lineup" --data "$data" serve --sip-listen 127.0.0.1 --api 127.0.0.1:0 || true
fi
