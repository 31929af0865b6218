#!/usr/bin/env bash
# int8 weights against fp32 on a random benchmark model (docs/BENCHMARKS.md, "int8 weights"): top-1
# agreement and logit differences over 1,000 greedy decode steps. From anywhere:
#
#   load-tests/bin/int8-agreement.sh [model=L12-D768] [steps=1000]
set -euo pipefail
# shellcheck source=prepare.sh
. "$(dirname "${BASH_SOURCE[0]}")/prepare.sh"
exec "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -Xmx14g -XX:+UseParallelGC \
  -cp 'load-tests/target/classes:load-tests/target/lib/*' io.finchstream.loadtests.engine.Int8Agreement "$@"
