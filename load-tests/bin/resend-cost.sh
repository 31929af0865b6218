#!/usr/bin/env bash
# What a stateless OpenAI client's resent history costs per turn, with and without automatic state
# reuse (issue 11; docs/BENCHMARKS.md, "Automatic state reuse: time per turn of a stateless chat").
# For each round, for each configuration (reuse on: the default; reuse off:
# gateway.openai.auto.reuse=false), starts a fresh `./finchstream up`, warms it up with a short chat
# of another seed, then runs ONE chat of --turns turns that resends the whole history every turn
# without X-Conversation-Id (ResendCost run), and stops the server. Configurations alternate inside
# each round, so drifts of a shared machine hit both alike. Finally ResendCost report writes the
# medians per turn number: resend-cost.md (table) and resend-cost.png (time per turn).
#
#   load-tests/bin/resend-cost.sh [--model FILE [--vocab FILE]] [--out DIR] [--rounds 1] [--turns 50]
#       [--prompt-bytes 1300] [--max-tokens 16] [--seed 1] [--port 18380] [--kafka-port 19392]
#       [--off-turns N]
#
# --off-turns: turns of the reuse-off chat (default: --turns). Without reuse every turn re-ingests
# the whole history, so its cost grows with the square of the turns; on a slow machine a shorter
# reuse-off chat still shows the growth, while the reuse-on chat runs all --turns.
# --model: a model file for `up` (default: up's demo model), e.g. the random Finch L12-D768 bf16 of
# the other benchmarks, made with
#   ./finchstream model random --layers 12 --dim 768 --vocab 65536 --seed 1 --dtype bf16 \
#       --out load-tests/target/bench-models/finch-L12-D768-V65536-seed1-bf16.safetensors
# --vocab: the World vocabulary such a 65536-token model needs (default, with --model:
# $FINCHSTREAM_SHARED/data/rwkv_vocab_v20230424.txt when that file exists).
# The machine should be otherwise idle; this script raises its own CPU priority when it may.
set -euo pipefail
echo -10 >/proc/self/autogroup 2>/dev/null || true
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out="$here/load-tests/target/resend-cost"
rounds=1
model=""
vocab=""
port=18380
kafka_port=19392
off_turns=""
run_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --vocab) vocab=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --kafka-port) kafka_port=$2; shift 2 ;;
    --off-turns) off_turns=$2; shift 2 ;;
    --turns | --prompt-bytes | --max-tokens | --seed) run_args+=("$1" "$2"); shift 2 ;;
    *) echo "unknown option $1; see the header of $0" >&2; exit 2 ;;
  esac
done
[ -z "$model" ] || model=$(cd "$(dirname "$model")" && pwd)/$(basename "$model")
if [ -n "$model" ] && [ -z "$vocab" ] && [ -f "${FINCHSTREAM_SHARED:-/nonexistent}/data/rwkv_vocab_v20230424.txt" ]; then
  vocab=$FINCHSTREAM_SHARED/data/rwkv_vocab_v20230424.txt
fi
[ -z "$vocab" ] || vocab=$(cd "$(dirname "$vocab")" && pwd)/$(basename "$vocab")
# shellcheck source=prepare.sh
. "$here/load-tests/bin/prepare.sh"
mkdir -p "$out"
out=$(cd "$out" && pwd)
cp=("$here/load-tests/target/classes:$here/load-tests/target/lib/*")
configs=("reuse-on:" "reuse-off:gateway.openai.auto.reuse=false")

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

echo "resend-cost: load average before: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$out/loadavg.txt" >&2
for round in $(seq 1 "$rounds"); do
  for config in "${configs[@]}"; do
    name=${config%%:*}
    settings=${config#*:}
    data="$out/data"
    rm -rf "$data"
    up=(up --port "$port" --kafka-port "$kafka_port" --data-dir "$data")
    [ -n "$model" ] && up+=(--model "$model")
    [ -n "$vocab" ] && up+=(--vocab "$vocab")
    [ -n "$settings" ] && up+=(--set "$settings")
    turns_args=()
    [ "$name" = reuse-off ] && [ -n "$off_turns" ] && turns_args=(--turns "$off_turns")
    echo "resend-cost: round $round, $name ${settings:-(defaults)}" >&2
    FINCHSTREAM_GATEWAY_RATE_LIMIT_PER_SECOND=0 "$here/finchstream" "${up[@]}" >"$out/up-$name-r$round.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 300); do
      curl -fsS "http://localhost:$port/health/ready" >/dev/null 2>&1 && break
      kill -0 "$server_pid" 2>/dev/null || { echo "up failed; see $out/up-$name-r$round.log" >&2; exit 1; }
      sleep 1
    done
    # Warm-up (JIT, topics): a short chat of another seed, which shares no prefix with the measured one.
    "$JAVA_HOME/bin/java" -cp "${cp[@]}" io.finchstream.loadtests.gateway.ResendCost run \
      --url "http://localhost:$port" --label warmup --out "$out/warmup.tmp" "${run_args[@]}" --turns 3 \
      --seed 999 >/dev/null 2>&1 || true
    rm -f "$out/warmup.tmp"
    "$JAVA_HOME/bin/java" -cp "${cp[@]}" io.finchstream.loadtests.gateway.ResendCost run \
      --url "http://localhost:$port" --label "$name" --out "$out/$name-r$round.json" "${run_args[@]}" \
      ${turns_args[@]+"${turns_args[@]}"}
    stop_server
    rm -rf "$data"
  done
done
echo "resend-cost: load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/loadavg.txt" >&2
"$JAVA_HOME/bin/java" -cp "${cp[@]}" io.finchstream.loadtests.gateway.ResendCost report "$out"
