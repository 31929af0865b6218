#!/usr/bin/env bash
# The engine against an earlier revision of itself, alternately, in one window (docs/BENCHMARKS.md,
# "Finch engine"): builds REV (default: main) from `git archive` into load-tests/target/baseline-REV
# (the working tree is not touched), then runs InterleavedRoofline of the baseline and of this tree
# one after the other, ROUNDS times (each run: one round of every operation, its own probes), and
# prints every table. Arguments after REV and ROUNDS go to both InterleavedRooflines (the baseline
# may not know int8), e.g.
#
#   load-tests/bin/engine-baseline.sh main 3 models=L24-D2048 precisions=bf16 batches=1,8,64
set -euo pipefail
rev=${1:-main}
rounds=${2:-3}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift
# shellcheck source=prepare.sh
. "$(dirname "${BASH_SOURCE[0]}")/prepare.sh"
base="load-tests/target/baseline-$(git rev-parse --short "$rev")"
if [ ! -d "$base/load-tests/target/classes" ]; then
  rm -rf "$base"
  mkdir -p "$base"
  git archive "$rev" | tar -x -C "$base"
  (cd "$base" && ./mvnw -B -q -DskipTests package -pl load-tests -am)
fi
models="-Dfinchstream.bench.models=$PWD/load-tests/target/bench-models"
run() { # DIR LABEL ARGS...
  local dir=$1
  echo "## $2"
  shift 2
  (cd "$dir" && "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -Xmx14g -XX:+UseParallelGC "$models" \
    -cp 'load-tests/target/classes:load-tests/target/lib/*' io.finchstream.loadtests.engine.InterleavedRoofline \
    rounds=1 "$@" 2>/dev/null)
}
for round in $(seq 1 "$rounds"); do
  echo "# round $round"
  run "$base" "baseline $rev ($(git rev-parse --short "$rev"))" "$@"
  run "$PWD" "this tree ($(git rev-parse --short HEAD)$(git diff --quiet || echo ', modified'))" "$@"
done
