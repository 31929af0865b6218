package io.finchstream.processors.event;

import com.google.protobuf.InvalidProtocolBufferException;
import io.finchstream.processors.FinchstreamMetrics;
import io.finchstream.proto.v1.ErrorCode;
import io.finchstream.proto.v1.EventOrigin;
import io.finchstream.proto.v1.ForkTransfer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Decodes records of the internal fork topic into {@link ForkTransfer}s for the conversation
 * processor; anything that does not decode (only possible if something else writes to the topic) is
 * dead-lettered rather than failing the stream thread.
 */
public final class ForkDecodeProcessor implements Processor<byte[], byte[], Object, Object> {

  private final FinchstreamMetrics metrics;
  private final String next;
  private final String dlqChild;
  private ProcessorContext<Object, Object> context;

  public ForkDecodeProcessor(
      final FinchstreamMetrics metrics, final String next, final String dlqChild) {
    this.metrics = metrics;
    this.next = next;
    this.dlqChild = dlqChild;
  }

  @Override
  public void init(final ProcessorContext<Object, Object> context) {
    this.context = context;
  }

  @Override
  public void process(final Record<byte[], byte[]> record) {
    try {
      if (record.key() == null || record.value() == null) {
        throw new InvalidProtocolBufferException("fork transfer without key or value");
      }
      final ForkTransfer part = ForkTransfer.parseFrom(record.value());
      context.forward(
          record.withKey((Object) new String(record.key(), StandardCharsets.UTF_8)).withValue(part),
          next);
    } catch (final InvalidProtocolBufferException e) {
      final EventOrigin.Builder origin =
          EventOrigin.newBuilder().setTimestampMs(record.timestamp());
      context
          .recordMetadata()
          .ifPresent(
              m -> origin.setTopic(m.topic()).setPartition(m.partition()).setOffset(m.offset()));
      metrics.deadLetter(ErrorCode.MALFORMED_EVENT.name());
      context.forward(
          record
              .withKey((Object) record.key())
              .withValue(
                  DeadLetters.of(
                      record.key(),
                      record.value(),
                      ErrorCode.MALFORMED_EVENT,
                      "not a fork transfer: " + e.getMessage(),
                      origin.build(),
                      context.currentSystemTimeMs())),
          dlqChild);
    }
  }
}
