#!/usr/bin/env bash
# Restore time and bytes (docs/BENCHMARKS.md, "Failover and restart"): one instance with 1,000
# conversations of a Finch L12-D768 model (random weights), then a restart from a wiped state
# directory (everything restored from the changelogs) and one after kill -9 (its state kept).
# From the repository root:
#
#   load-tests/bin/restore.sh                       # 1,000 conversations, Finch L12-D768
#   load-tests/bin/restore.sh --conversations 100   # quicker
#
# `--help` lists the options. Outputs load-tests/target/restore/ (or --work DIR): report.json, logs.
set -euo pipefail
# shellcheck source=prepare.sh
. "$(dirname "${BASH_SOURCE[0]}")/prepare.sh"
exec "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -Xss4m -cp 'load-tests/target/classes:load-tests/target/lib/*' \
  io.finchstream.loadtests.chaos.Restore "$@"
