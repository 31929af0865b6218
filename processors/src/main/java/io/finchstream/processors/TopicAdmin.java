package io.finchstream.processors;

import io.finchstream.proto.Topics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates Finchstream's topics when they are missing and checks the ones that exist: the input and
 * fork topics must have the same partition count (the same tasks read both). The live-token topic
 * keeps its records for {@link #TOKENS_RETENTION_MS} only.
 */
public final class TopicAdmin {

  private static final Logger LOG = LoggerFactory.getLogger(TopicAdmin.class);

  /**
   * {@code max.message.bytes} of the dead-letter topic: a dead letter carries the original record
   * (up to the input topic's 1 MB default) plus the reason, so it needs a little more than 1 MB.
   */
  public static final int DLQ_MAX_MESSAGE_BYTES = 2 * 1024 * 1024 + 64 * 1024;

  /** How long {@link #ensureTopics} waits for topics to become visible. */
  private static final int VISIBLE_TIMEOUT_SECONDS = 60;

  private TopicAdmin() {}

  /**
   * How long live tokens are kept: a live token is useful only until its reply commits (seconds),
   * so an hour is plenty; the topic never grows past about an hour of generated tokens.
   */
  static final long TOKENS_RETENTION_MS = 60 * 60 * 1000L;

  /** Segment age of the live-token topic: old segments must roll for the retention to apply. */
  static final long TOKENS_SEGMENT_MS = 10 * 60 * 1000L;

  /** Topic-level settings of {@code topic} when Finchstream creates it. */
  static Map<String, String> topicConfig(final String topic) {
    final Map<String, String> config = new HashMap<>();
    if (topic.equals(Topics.DLQ)) {
      config.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(DLQ_MAX_MESSAGE_BYTES));
    }
    if (topic.equals(Topics.TOKENS)) {
      config.put(TopicConfig.RETENTION_MS_CONFIG, Long.toString(TOKENS_RETENTION_MS));
      config.put(TopicConfig.SEGMENT_MS_CONFIG, Long.toString(TOKENS_SEGMENT_MS));
    }
    return config;
  }

  /**
   * Creates the missing topics with {@code partitions} partitions and replication factor {@code
   * replication} (-1: the broker default), then checks the partition counts.
   *
   * @throws FinchstreamException if the events and forks topics have different partition counts
   */
  public static void ensureTopics(final Admin admin, final int partitions, final short replication)
      throws ExecutionException, InterruptedException, TimeoutException {
    final Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
    final List<NewTopic> missing = new ArrayList<>();
    for (final String topic : Topics.ALL) {
      if (!existing.contains(topic)) {
        final int n =
            topic.equals(Topics.FORKS) && existing.contains(Topics.EVENTS)
                ? partitionsOf(admin, Topics.EVENTS)
                : partitions;
        missing.add(
            new NewTopic(
                    topic,
                    Optional.of(n),
                    replication < 0 ? Optional.empty() : Optional.of(replication))
                .configs(topicConfig(topic)));
      }
    }
    if (!missing.isEmpty()) {
      try {
        admin.createTopics(missing).all().get(60, TimeUnit.SECONDS);
        LOG.info("created topics {}", missing.stream().map(NewTopic::name).toList());
      } catch (final ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
    }
    awaitVisible(admin, Topics.ALL);
    final int events = partitionsOf(admin, Topics.EVENTS);
    final int forks = partitionsOf(admin, Topics.FORKS);
    if (events != forks) {
      throw new FinchstreamException(
          "topic "
              + Topics.FORKS
              + " has "
              + forks
              + " partitions but "
              + Topics.EVENTS
              + " has "
              + events
              + "; they must match (recreate "
              + Topics.FORKS
              + " with "
              + events
              + " partitions)");
    }
  }

  /**
   * Waits until every topic can be described: a topic just created is known to the controller
   * before every broker's metadata has it, and describing it in between fails with {@link
   * UnknownTopicOrPartitionException} (seen under load on a freshly started cluster).
   */
  static void awaitVisible(final Admin admin, final List<String> topics)
      throws ExecutionException, InterruptedException, TimeoutException {
    final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(VISIBLE_TIMEOUT_SECONDS);
    long backoffMs = 50;
    while (true) {
      try {
        admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS);
        return;
      } catch (final ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)
            || System.nanoTime() > deadline) {
          throw e;
        }
        LOG.debug("topics {} not visible yet; retrying in {} ms", topics, backoffMs);
        Thread.sleep(backoffMs);
        backoffMs = Math.min(1000, backoffMs * 2);
      }
    }
  }

  private static int partitionsOf(final Admin admin, final String topic)
      throws ExecutionException, InterruptedException, TimeoutException {
    final TopicDescription d =
        admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
    return d.partitions().size();
  }
}
