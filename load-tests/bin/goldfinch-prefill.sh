#!/usr/bin/env bash
# GoldFinch cost per token against context length (docs/BENCHMARKS.md, "GoldFinch: streaming prefill"):
# makes the random benchmark model if missing, runs `finchstream bench prefill --json`, and plots the
# result with XChart (load-tests' PrefillPlot). Run from the repository root on an otherwise idle machine.
#
#   load-tests/bin/goldfinch-prefill.sh [CONTEXTS] [EXTRA bench prefill OPTIONS...]
#   CONTEXTS defaults to 1000,16000,100000. Outputs docs/data/goldfinch-prefill.jsonl and
#   docs/img/goldfinch-prefill.png. MODEL (env) overrides the model file.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$here"
contexts=${1:-1000,16000,100000}
shift || true
model=${MODEL:-/tmp/finchstream-goldfinch-L12-D768.safetensors}
if [ ! -f "$model" ]; then
  # the L12/D768 ablation size of the paper (8 Finch-C2 + 4 GOLD blocks, R = 48), World vocabulary
  ./finchstream model random --arch goldfinch --layers 12 --dim 768 --vocab 65536 --seed 1 --out "$model"
fi
mkdir -p docs/data docs/img
./finchstream bench prefill --model "$model" --context "$contexts" --json "$@" | tee docs/data/goldfinch-prefill.jsonl
./mvnw -B -q -DskipTests package -pl load-tests -am
. bin/jdk.sh
finchstream_pick_jdk
"$JAVA_HOME/bin/java" -cp 'load-tests/target/classes:load-tests/target/lib/*' io.finchstream.loadtests.PrefillPlot \
  docs/data/goldfinch-prefill.jsonl docs/img/goldfinch-prefill.png \
  "GoldFinch L12/D768 (random weights): cost per token vs context length"
echo "wrote docs/data/goldfinch-prefill.jsonl and docs/img/goldfinch-prefill.png"
