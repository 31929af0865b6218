#!/usr/bin/env bash
# The soak test of bounded memory (issue 14, item 4; docs/BENCHMARKS.md, "Soak: a GoldFinch
# conversation at its bound beside many small chats"). Starts a fresh `./finchstream up` (the demo
# GoldFinch) with a small hot-state memory, so that its default conversation bound (what fits in
# hot.cache.max.bytes) is reached within a minute or two, and a fixed heap; then runs Soak against
# it: one long conversation driven to the bound and kept there, and many small chats at once, with
# heap, RocksDB memory, hot-state bytes and the small turns' latency sampled from /metrics. Stops
# the server at the end.
#
#   load-tests/bin/soak.sh [--out DIR] [--hot-bytes 67108864] [--heap 1g] [--port 18580]
#       [--kafka-port 19592] [--set KEY=VALUE]... [--url URL] [Soak options, e.g. --duration 540]
#
# --url targets a server that is already running instead (nothing is started or stopped; pass its
# --hot-bytes for the expected bound). `... --help` lists Soak's own options. Outputs DIR (default
# load-tests/target/soak): samples.csv, turns.csv, run.json, summary.json, summary.md, soak.png,
# up.log, machine.txt (lscpu) and loadavg.txt. The machine should be otherwise idle; this script
# raises its own CPU priority when it may.
set -euo pipefail
echo -10 >/proc/self/autogroup 2>/dev/null || true
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out="$here/load-tests/target/soak"
hot=$((64 * 1024 * 1024))
heap=1g
port=18580
kafka_port=19592
url=""
sets=()
soak_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --hot-bytes) hot=$2; shift 2 ;;
    --heap) heap=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --kafka-port) kafka_port=$2; shift 2 ;;
    --set) sets+=("$2"); shift 2 ;;
    --url) url=$2; shift 2 ;;
    --help | -h | --report) soak_args+=("$1"); shift ;;
    *) soak_args+=("$1" "$2"); shift 2 ;;
  esac
done
# shellcheck source=prepare.sh
. "$here/load-tests/bin/prepare.sh"
mkdir -p "$out"
out=$(cd "$out" && pwd)
cp=("$here/load-tests/target/classes:$here/load-tests/target/lib/*")
soak() {
  "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
    -Djava.awt.headless=true -cp "${cp[@]}" io.finchstream.loadtests.gateway.Soak \
    --out "$out" --hot-bytes "$hot" "$@" 2> >(grep -v --line-buffered "^WARNING: Using incubator modules" >&2)
}
for a in "${soak_args[@]}"; do
  if [ "$a" = --help ] || [ "$a" = -h ] || [ "$a" = --report ]; then soak "${soak_args[@]}"; exit; fi
done

server_pid=""
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid"
    for _ in $(seq 1 60); do kill -0 "$server_pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$server_pid" 2>/dev/null && kill -9 "$server_pid"
  fi
  server_pid=""
}
trap stop_server EXIT

lscpu >"$out/machine.txt" 2>/dev/null || true
settings="hot.cache.max.bytes=$hot"
for kv in "${sets[@]}"; do settings="$settings,$kv"; done
if [ -z "$url" ]; then
  data="$out/data"
  rm -rf "$data"
  up=(up --port "$port" --kafka-port "$kafka_port" --data-dir "$data" --set "hot.cache.max.bytes=$hot")
  for kv in "${sets[@]}"; do up+=(--set "$kv"); done
  echo "soak: starting ./finchstream ${up[*]} (heap $heap)" >&2
  FINCHSTREAM_HEAP=$heap FINCHSTREAM_GATEWAY_RATE_LIMIT_PER_SECOND=0 "$here/finchstream" "${up[@]}" >"$out/up.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 300); do
    curl -fsS "http://localhost:$port/health/ready" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { echo "up failed; see $out/up.log" >&2; exit 1; }
    sleep 1
  done
  url="http://localhost:$port"
  settings="$settings; heap $heap"
fi
echo "soak: load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$out/loadavg.txt" >&2
status=0
soak --url "$url" --settings "$settings" ${server_pid:+--server-pid "$server_pid"} "${soak_args[@]}" || status=$?
echo "soak: load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/loadavg.txt" >&2
if [ -n "$server_pid" ]; then
  kill -0 "$server_pid" 2>/dev/null && echo "soak: the server is still running at the end" >&2 \
    || { echo "soak: the server died during the run; see $out/up.log" >&2; status=1; }
  stop_server
  rm -rf "$out/data"
fi
exit "$status"
