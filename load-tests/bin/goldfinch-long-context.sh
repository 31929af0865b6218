#!/usr/bin/env bash
# GoldFinch generation at long context against the machine's read bandwidth, in one run
# (docs/BENCHMARKS.md, "GoldFinch: generation at long context"): generation ms/token at each context
# paired with a read-bandwidth probe, the GOLD attention's share of the bandwidth, the memory of the
# conversation's cache, the time to rebuild a dropped derived cache, and the bf16 cache against an
# fp32 one. Run on an otherwise idle machine, from anywhere:
#
#   load-tests/bin/goldfinch-long-context.sh [contexts=1000,16000,100000] [tokens=16] [rounds=3]
#                                            [precision=bf16] [compare=true]
#
# The random model (L12-D768, vocab 65536) is generated once into load-tests/target/bench-models/.
set -euo pipefail
# shellcheck source=prepare.sh
. "$(dirname "${BASH_SOURCE[0]}")/prepare.sh"
exec "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -Xmx14g -XX:+UseParallelGC \
  -cp 'load-tests/target/classes:load-tests/target/lib/*' io.finchstream.loadtests.engine.GoldFinchLongContext "$@"
