#!/usr/bin/env bash
# Engine against the machine's roofline (docs/BENCHMARKS.md, "Finch engine"): every timed round of
# decode / batched decode / chunked prefill is paired with a read-bandwidth and an FMA probe taken
# right before it, in the same process. Run it on an otherwise idle machine, from anywhere:
#
#   load-tests/bin/engine-roofline.sh [models=L12-D768,L24-D2048] [precisions=bf16,fp32]
#                                     [batches=1,8,64] [chunk=64] [rounds=5] [seconds=3]
#
# The random models (vocab 65536) are generated once into load-tests/target/bench-models/ (3.2 GB
# for L24-D2048); the L24-D2048 fp32 weights need ~13 GB of heap.
set -euo pipefail
# shellcheck source=prepare.sh
. "$(dirname "${BASH_SOURCE[0]}")/prepare.sh"
exec "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -Xmx14g -XX:+UseParallelGC \
  -cp 'load-tests/target/classes:load-tests/target/lib/*' io.finchstream.loadtests.engine.InterleavedRoofline "$@"
