#!/usr/bin/env bash
# Failover time (docs/BENCHMARKS.md, "Failover and restart"): a cluster on this machine (in-JVM
# brokers, `finchstream serve` instances as child JVMs), conversations with state and a chat load;
# one instance killed with SIGKILL at a time; for every conversation the time until it answers
# again (a read, and a reply) through the other gateways. From the repository root:
#
#   load-tests/bin/failover.sh                      # 3 brokers, 3 instances, 60 conversations, 3 kills
#   load-tests/bin/failover.sh --set standby.replicas=0
#
# `--help` lists the options. Outputs load-tests/target/failover/ (or --work DIR): report.json, logs.
set -euo pipefail
# shellcheck source=prepare.sh
. "$(dirname "${BASH_SOURCE[0]}")/prepare.sh"
exec "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -Xss4m -cp 'load-tests/target/classes:load-tests/target/lib/*' \
  io.finchstream.loadtests.chaos.Failover "$@"
