#!/usr/bin/env bash
# The chaos suite (docs/BENCHMARKS.md, "Chaos"): a whole cluster on this machine, loopback only
# (in-JVM brokers, `finchstream serve` instances as child JVMs), chat load through every gateway,
# instances killed and restarted and a broker stopped at random times, then the checks. From the
# repository root:
#
#   load-tests/bin/chaos.sh                                  # the long run: 10 minutes of chaos
#   load-tests/bin/chaos.sh --duration 90 --conversations 8  # the quick run CI does (ChaosSuiteTest)
#
# `--help` lists the options. Outputs load-tests/target/chaos/ (or --work DIR): report.json, the
# instances' logs. Exit code 0 when every check held.
set -euo pipefail
# shellcheck source=prepare.sh
. "$(dirname "${BASH_SOURCE[0]}")/prepare.sh"
exec "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -Xss4m -cp 'load-tests/target/classes:load-tests/target/lib/*' \
  io.finchstream.loadtests.chaos.ChaosSuite "$@"
