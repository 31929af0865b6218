package io.finchstream.processors.event;

import io.finchstream.processors.FinchstreamMetrics;
import io.finchstream.proto.v1.EventOrigin;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * First stop of every input record: valid events go on to the conversation processor as {@link
 * Inbound}s keyed by conversation id; invalid ones go to the dead-letter topic (and, when the
 * conversation is known, an Error reply tells a waiting client why). Nothing is ever dropped.
 */
public final class ValidationProcessor implements Processor<byte[], byte[], Object, Object> {

  private final EventValidator validator;
  private final FinchstreamMetrics metrics;
  private final String next;
  private final String repliesChild;
  private final String dlqChild;
  private final String forksChild;
  private ProcessorContext<Object, Object> context;

  public ValidationProcessor(
      final EventValidator validator,
      final FinchstreamMetrics metrics,
      final String next,
      final String repliesChild,
      final String dlqChild,
      final String forksChild) {
    this.validator = validator;
    this.metrics = metrics;
    this.next = next;
    this.repliesChild = repliesChild;
    this.dlqChild = dlqChild;
    this.forksChild = forksChild;
  }

  @Override
  public void init(final ProcessorContext<Object, Object> context) {
    this.context = context;
  }

  @Override
  public void process(final Record<byte[], byte[]> record) {
    final EventOrigin.Builder origin = EventOrigin.newBuilder().setTimestampMs(record.timestamp());
    context
        .recordMetadata()
        .ifPresent(
            m -> origin.setTopic(m.topic()).setPartition(m.partition()).setOffset(m.offset()));
    switch (validator.validate(record.key(), record.value(), origin.build())) {
      case EventValidator.Accepted a ->
          context.forward(
              record.withKey((Object) a.inbound().conversationId()).withValue(a.inbound()), next);
      case EventValidator.Rejected r -> reject(record, r.rejection(), origin.build());
    }
  }

  private void reject(
      final Record<byte[], byte[]> record, final Rejection r, final EventOrigin origin) {
    metrics.deadLetter(r.code().name());
    final long now = context.currentSystemTimeMs();
    context.forward(
        record
            .withKey((Object) record.key())
            .withValue(
                DeadLetters.of(record.key(), record.value(), r.code(), r.reason(), origin, now)),
        dlqChild);
    // a refused Fork into another tree releases its new id's reservation
    final ForkAborts.Abort abort =
        ForkAborts.of(r.conversationId(), record.key(), record.value(), origin, r.code());
    if (abort != null) {
      context.forward(
          record.withKey((Object) abort.target()).withValue(abort.transfer()), forksChild);
    }
    if (r.conversationId() != null) {
      context.forward(
          record
              .withKey((Object) r.conversationId())
              .withValue(
                  ReplyMessages.error(
                      r.conversationId(), r.requestId(), r.replyTo(), r.code(), r.reason())),
          repliesChild);
    }
  }
}
