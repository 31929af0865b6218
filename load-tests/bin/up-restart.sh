#!/usr/bin/env bash
# `finchstream up` after kill -9 (docs/BENCHMARKS.md, "Failover and restart"): up in a child JVM
# with conversations and a running generation, killed with SIGKILL, started again; prints when it
# serves again and what it restored. From the repository root:
#
#   load-tests/bin/up-restart.sh                   # 100 conversations, 3 rounds
#
# `--help` lists the options. Outputs load-tests/target/up-restart/ (or --work DIR).
set -euo pipefail
# shellcheck source=prepare.sh
. "$(dirname "${BASH_SOURCE[0]}")/prepare.sh"
exec "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -Xss4m -cp 'load-tests/target/classes:load-tests/target/lib/*' \
  io.finchstream.loadtests.chaos.UpRestart "$@"
