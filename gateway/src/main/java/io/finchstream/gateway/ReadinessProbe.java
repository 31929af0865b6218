package io.finchstream.gateway;

import java.util.List;

/**
 * Port through which the rest of the service reports whether it can serve (for {@code
 * /health/ready}): for example "streams RUNNING". The gateway adds its own checks (Kafka reachable,
 * reply consumer assigned). Called on a worker thread.
 */
@FunctionalInterface
public interface ReadinessProbe {

  /** The current checks; the service is ready when every one passes. */
  List<Check> checks();

  /** One named check. {@code detail} says what was seen (e.g. "state REBALANCING"). */
  record Check(String name, boolean ok, String detail) {}

  /** A probe with no checks of its own. */
  static ReadinessProbe none() {
    return List::of;
  }
}
