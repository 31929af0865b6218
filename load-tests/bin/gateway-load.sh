#!/usr/bin/env bash
# Gateway load (docs/BENCHMARKS.md, "Gateway: concurrent chat sessions"): drives N concurrent chat
# sessions through a RUNNING gateway and writes HdrHistogram latencies, a JSON summary and a plot.
# Start the service first, in another terminal, with the rate limit off:
#
#   FINCHSTREAM_GATEWAY_RATE_LIMIT_PER_SECOND=0 ./finchstream up --model MODEL
#
# then, from the repository root:
#
#   load-tests/bin/gateway-load.sh [ChatLoad options...]     e.g. --sessions 16 --turns 10 --max-tokens 128
#
# Outputs load-tests/target/gateway-load/ (or --out DIR): summary.json, ttft.hgrm, inter-token.hgrm,
# turn.hgrm, latency.png. URL defaults to http://localhost:8080 (--url), the key to $FINCHSTREAM_API_KEY.
set -euo pipefail
# shellcheck source=prepare.sh
. "$(dirname "${BASH_SOURCE[0]}")/prepare.sh"
exec "$JAVA_HOME/bin/java" -Djava.awt.headless=true -cp 'load-tests/target/classes:load-tests/target/lib/*' \
  io.finchstream.loadtests.gateway.ChatLoad "$@"
