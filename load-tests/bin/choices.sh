#!/usr/bin/env bash
# n choices of one prompt (docs/BENCHMARKS.md, "n choices"): one prefill + n in-memory forks + one
# batched step per token, against a prefill per choice and against n separate requests. From
# anywhere, on an otherwise idle machine:
#
#   load-tests/bin/choices.sh [model=L12-D768] [precision=bf16] [n=1,4,8] [prompt=512] [tokens=32]
#                             [rounds=3] [vocab=$FINCHSTREAM_SHARED/data/rwkv_vocab_v20230424.txt]
#
# The random model (vocab 65536) is generated once into load-tests/target/bench-models/.
set -euo pipefail
# shellcheck source=prepare.sh
. "$(dirname "${BASH_SOURCE[0]}")/prepare.sh"
exec "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -Xmx6g -XX:+UseParallelGC \
  -cp 'load-tests/target/classes:load-tests/target/lib/*' io.finchstream.loadtests.engine.ChoicesBench "$@"
