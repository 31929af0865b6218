package io.finchstream.gateway;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Objects;

/**
 * Everything the gateway needs from the rest of the service, passed in by whoever starts it.
 *
 * @param directory where conversations' metadata lives (interactive queries)
 * @param readiness the service's own readiness checks (streams RUNNING, ...)
 * @param model the served model
 * @param limits the processors' event limits (for checks that name the request field at fault)
 * @param admission the processors' own check of an event, asked before it is written
 * @param metrics registry scraped at {@code /metrics}; the gateway adds its meters to it, the
 *     caller binds the rest (Kafka Streams, RocksDB, JVM)
 */
public record GatewayPorts(
    ConversationDirectory directory,
    ReadinessProbe readiness,
    ApiModel model,
    EventLimits limits,
    EventAdmission admission,
    PrometheusMeterRegistry metrics) {

  public GatewayPorts {
    Objects.requireNonNull(directory, "directory");
    Objects.requireNonNull(readiness, "readiness");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(admission, "admission");
    Objects.requireNonNull(metrics, "metrics");
  }
}
