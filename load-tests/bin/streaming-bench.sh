#!/usr/bin/env bash
# Streaming latency benchmark (docs/BENCHMARKS.md, "Gateway: token streaming"): runs the gateway
# load (ChatLoad) against a fresh `./finchstream up` for each configuration, in rounds (every
# configuration once per round, so drifts of a shared machine hit them alike), then compares them
# in one table and one plot (CompareReport). Each configuration is NAME or NAME:KEY=VALUE,KEY=VALUE
# (settings passed to `up` with --set; gateway.* keys too). A NAME of the form baseline@REF runs the
# build of git ref REF instead (exported to load-tests/target/baseline-REF and built there once),
# with its own settings after the colon.
#
#   load-tests/bin/streaming-bench.sh [--out DIR] [--rounds N] [--warmup-turns W] [--model FILE]
#       [--port P] [--kafka-port K]
#       [ChatLoad options: --sessions 16 --turns 10 --max-tokens 128 --api native] -- CONFIG...
#
# Before each measured run, W warm-up turns per session (default 20) are not measured: `up` hosts
# the broker, the processors and the gateway in one JVM, and for its first minute its JIT compilers
# take a large share of a small machine (2 vCPUs, 16 sessions: 673 tokens/s after a 2-turn warm-up,
# 830 and 985 after 20-turn ones, same build).
#
# e.g. load-tests/bin/streaming-bench.sh --rounds 3 --sessions 16 --turns 10 --max-tokens 128 \
#        --api native -- baseline@main committed:live.tokens=false,gateway.live.tokens=false live
#
# Outputs DIR (default load-tests/target/streaming-bench): NAME-rR/ (ChatLoad's summary.json,
# .hgrm, latency.png; up-NAME-rR.log), compare.md, compare.png. The machine should be otherwise idle.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out="$here/load-tests/target/streaming-bench"
rounds=1
warmup_turns=20
model=""
port=18280
kafka_port=19292
load_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --warmup-turns) warmup_turns=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --kafka-port) kafka_port=$2; shift 2 ;;
    --) shift; break ;;
    *) load_args+=("$1" "$2"); shift 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: see the header of $0" >&2; exit 2; }
configs=("$@")
# shellcheck source=prepare.sh
. "$here/load-tests/bin/prepare.sh"
mkdir -p "$out"
out=$(cd "$out" && pwd)
cp=("$here/load-tests/target/classes:$here/load-tests/target/lib/*")

# The launcher of a configuration: this checkout, or the build of a git ref.
launcher() {
  local name=$1
  if [[ $name == baseline@* ]]; then
    local ref=${name#baseline@}
    local dir="$here/load-tests/target/baseline-${ref//\//_}"
    if [ ! -f "$dir/app/target/finchstream.jar" ]; then
      echo "streaming-bench: building $ref in $dir" >&2
      rm -rf "$dir" && mkdir -p "$dir"
      (cd "$here" && git archive "$ref") | tar -x -C "$dir"
      (cd "$dir" && ./mvnw -q -B -DskipTests -Dcheckstyle.skip package -pl app -am >/dev/null)
    fi
    echo "$dir/finchstream"
  else
    echo "$here/finchstream"
  fi
}

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

for round in $(seq 1 "$rounds"); do
  for config in "${configs[@]}"; do
    name=${config%%:*}
    settings=""
    [[ $config == *:* ]] && settings=${config#*:}
    run="$out/${name//[@\/]/_}-r$round"
    data="$out/data"
    rm -rf "$data" "$run" && mkdir -p "$run"
    up=(up --port "$port" --kafka-port "$kafka_port" --data-dir "$data")
    [ -n "$model" ] && up+=(--model "$model")
    IFS=',' read -r -a pairs <<<"$settings"
    for kv in "${pairs[@]}"; do [ -n "$kv" ] && up+=(--set "$kv"); done
    echo "streaming-bench: round $round, $name ($settings)" >&2
    FINCHSTREAM_GATEWAY_RATE_LIMIT_PER_SECOND=0 "$(launcher "$name")" "${up[@]}" >"$run/up.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 300); do
      curl -fsS "http://localhost:$port/health/ready" >/dev/null 2>&1 && break
      kill -0 "$server_pid" 2>/dev/null || { echo "up failed; see $run/up.log" >&2; exit 1; }
      sleep 1
    done
    # Warm-up (JIT, topics, hot caches), not measured.
    "$JAVA_HOME/bin/java" -Djava.awt.headless=true -cp "${cp[@]}" io.finchstream.loadtests.gateway.ChatLoad \
      --url "http://localhost:$port" "${load_args[@]}" --turns "$warmup_turns" --seed 99 \
      --out "$run/warmup" >/dev/null 2>&1 || true
    "$JAVA_HOME/bin/java" -Djava.awt.headless=true -cp "${cp[@]}" io.finchstream.loadtests.gateway.ChatLoad \
      --url "http://localhost:$port" "${load_args[@]}" --out "$run" | tee "$run/report.txt"
    echo "$name" >"$run/config-name"
    echo "$settings" >"$run/config-settings"
    rm -rf "$run/warmup"
    stop_server
    rm -rf "$data"
  done
done
"$JAVA_HOME/bin/java" -Djava.awt.headless=true -cp "${cp[@]}" io.finchstream.loadtests.gateway.CompareReport "$out" "${configs[@]%%:*}"
