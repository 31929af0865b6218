#!/usr/bin/env bash
# Structured outputs and n choices against plain decode (docs/BENCHMARKS.md, "Structured outputs"):
# the JSON-schema mask's cost per token next to the decode step's, cached and uncached, and n-way
# batched choices against n = 1, all in one run. From anywhere, on an otherwise idle machine:
#
#   load-tests/bin/constrained-decode.sh [model=L12-D768] [precision=bf16] [rounds=3]
#                                        [max_tokens=128] [n=1,4,8] [choice_tokens=32]
#                                        [vocab=$FINCHSTREAM_SHARED/data/rwkv_vocab_v20230424.txt]
#
# The random model (vocab 65536) is generated once into load-tests/target/bench-models/.
set -euo pipefail
# shellcheck source=prepare.sh
. "$(dirname "${BASH_SOURCE[0]}")/prepare.sh"
exec "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -Xmx6g -XX:+UseParallelGC \
  -cp 'load-tests/target/classes:load-tests/target/lib/*' io.finchstream.loadtests.engine.ConstrainedDecodeBench "$@"
