package io.finchstream.app;

import io.finchstream.proto.Topics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * The embedded broker's load on {@code /metrics} (only with {@code finchstream up}, whose broker
 * runs in this JVM): requests it served by type ({@code finchstream.broker.requests{request}}: one
 * EndTxn per transaction, Produce, Fetch, ...) and records appended ({@code
 * finchstream.broker.records.in{topic}}: Finchstream's topics by name, everything else, such as the
 * changelogs, as {@code other}; control records such as transaction markers not included). Read
 * from the broker's own meters at every scrape, so request types that first appear later are
 * counted too (from the broker's JMX meters).
 */
final class BrokerMeters implements MeterBinder {

  private static final MBeanServer SERVER = ManagementFactory.getPlatformMBeanServer();

  /** Request types worth watching for the cost of exactly-once and streaming. */
  private static final List<String> REQUESTS =
      List.of(
          "Produce",
          "Fetch",
          "EndTxn",
          "AddPartitionsToTxn",
          "AddOffsetsToTxn",
          "TxnOffsetCommit",
          "Metadata",
          "Heartbeat",
          "StreamsGroupHeartbeat",
          "ConsumerGroupHeartbeat",
          "OffsetCommit");

  @Override
  public void bindTo(final MeterRegistry registry) {
    for (final String request : REQUESTS) {
      FunctionCounter.builder(
              "finchstream.broker.requests",
              SERVER,
              s -> sum("kafka.network", "RequestMetrics", "RequestsPerSec", "request", request))
          .tag("request", request)
          .description("Requests the embedded broker served, by type")
          .register(registry);
    }
    final List<String> topics = new ArrayList<>(Topics.ALL);
    for (final String topic : topics) {
      FunctionCounter.builder(
              "finchstream.broker.records.in",
              SERVER,
              s -> sum("kafka.server", "BrokerTopicMetrics", "MessagesInPerSec", "topic", topic))
          .tag("topic", topic)
          .description("Records appended by the embedded broker, by topic")
          .register(registry);
    }
    FunctionCounter.builder(
            "finchstream.broker.records.in",
            SERVER,
            s -> {
              double other =
                  sum("kafka.server", "BrokerTopicMetrics", "MessagesInPerSec", null, null);
              for (final String topic : topics) {
                other -=
                    sum("kafka.server", "BrokerTopicMetrics", "MessagesInPerSec", "topic", topic);
              }
              return other;
            })
        .tag("topic", "other")
        .description("Records appended by the embedded broker, by topic")
        .register(registry);
  }

  /**
   * The sum of the {@code Count} of every broker meter {@code group:type=T,name=N} whose MBean also
   * has {@code key=value} (every version of a request type, say); with {@code key} null, of the one
   * without further keys (a broker-wide total). The broker's meters are JMX MBeans of this JVM.
   */
  private static double sum(
      final String group,
      final String type,
      final String name,
      final String key,
      final String value) {
    final String pattern =
        group
            + ":type="
            + type
            + ",name="
            + name
            + (key == null ? "" : "," + key + "=" + value + ",*");
    try {
      double total = 0;
      for (final ObjectName bean : SERVER.queryNames(new ObjectName(pattern), null)) {
        if (SERVER.getAttribute(bean, "Count") instanceof Number n) {
          total += n.doubleValue();
        }
      }
      return total;
    } catch (final JMException e) {
      return Double.NaN;
    }
  }
}
