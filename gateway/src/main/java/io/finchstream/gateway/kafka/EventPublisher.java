package io.finchstream.gateway.kafka;

import io.finchstream.proto.ConversationKeys;
import io.finchstream.proto.Topics;
import io.finchstream.proto.v1.ConversationEvent;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes {@link ConversationEvent}s to the events topic, keyed by conversation id, and completes a
 * future on the caller's Vert.x context with where each went.
 *
 * <p>{@code KafkaProducer.send} can block (waiting for topic metadata, or for buffer space), so it
 * never runs on an event loop: one dedicated thread calls it, in the order the events were offered,
 * which keeps one conversation's events in order. The producer is idempotent, so a retry never
 * duplicates or reorders them. The producer's callback runs on its I/O thread; the result hops back
 * to the caller's context with {@code runOnContext}.
 */
public final class EventPublisher implements AutoCloseable {

  private final Producer<byte[], byte[]> producer;
  private final ExecutorService sender;
  private final WriteTracker tracker;

  public EventPublisher(final Producer<byte[], byte[]> producer, final WriteTracker tracker) {
    this.producer = producer;
    this.tracker = tracker;
    this.sender =
        Executors.newSingleThreadExecutor(
            r -> {
              final Thread t = new Thread(r, "finchstream-gateway-producer");
              t.setDaemon(true);
              return t;
            });
  }

  /** The producer settings the gateway needs on top of the caller's. */
  public static Map<String, Object> requiredProducerSettings(final long deliveryTimeoutMs) {
    return Map.of(
        "acks",
        "all",
        "enable.idempotence",
        true,
        "linger.ms",
        0,
        "max.block.ms",
        deliveryTimeoutMs,
        "request.timeout.ms",
        (int) Math.min(deliveryTimeoutMs, 30_000L),
        "delivery.timeout.ms",
        (int) deliveryTimeoutMs,
        "key.serializer",
        "org.apache.kafka.common.serialization.ByteArraySerializer",
        "value.serializer",
        "org.apache.kafka.common.serialization.ByteArraySerializer");
  }

  /**
   * Writes {@code event} for {@code conversationId}; the future completes on {@code context} once
   * the broker has it (acks=all), or fails with the producer's exception.
   */
  public Future<Written> publish(
      final Context context, final String conversationId, final ConversationEvent event) {
    final Promise<Written> promise = Promise.promise();
    final boolean deletes = event.hasDelete();
    try {
      sender.execute(
          () -> {
            try {
              final ProducerRecord<byte[], byte[]> record =
                  new ProducerRecord<>(
                      Topics.EVENTS,
                      partition(conversationId),
                      conversationId.getBytes(StandardCharsets.UTF_8),
                      event.toByteArray());
              producer.send(
                  record,
                  (metadata, error) ->
                      context.runOnContext(
                          v -> {
                            if (error != null) {
                              promise.fail(error);
                            } else {
                              final Written written =
                                  new Written(
                                      event.getEventId(),
                                      metadata.partition(),
                                      metadata.offset(),
                                      deletes);
                              tracker.record(conversationId, written);
                              promise.complete(written);
                            }
                          }));
            } catch (final RuntimeException e) {
              context.runOnContext(v -> promise.fail(e));
            }
          });
    } catch (final RejectedExecutionException e) {
      promise.fail(new IllegalStateException("the gateway is shutting down"));
    }
    return promise.future();
  }

  /**
   * The partition of {@code conversationId}'s events: a branch of a tree ({@code root~...}) goes
   * where its root does ({@link ConversationKeys}); a plain id is left to the producer's default
   * partitioner, which puts it at the same place. May block for topic metadata (sender thread).
   */
  private Integer partition(final String conversationId) {
    if (conversationId.indexOf(ConversationKeys.BRANCH_SEPARATOR) < 0) {
      return null;
    }
    return ConversationKeys.partition(conversationId, producer.partitionsFor(Topics.EVENTS).size());
  }

  @Override
  public void close() {
    sender.shutdown();
    producer.close(Duration.ofSeconds(5));
  }
}
