package io.finchstream.app;

import io.finchstream.engine.sampling.SamplingParams;
import io.finchstream.gateway.EventAdmission;
import io.finchstream.gateway.EventLimits;
import io.finchstream.processors.ConversationQueries;
import io.finchstream.processors.FinchstreamConfig;
import io.finchstream.processors.LoadedModel;
import io.finchstream.processors.conversation.LengthBound;
import io.finchstream.processors.event.Command;
import io.finchstream.processors.event.EventValidator;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.ErrorCode;
import io.finchstream.proto.v1.EventOrigin;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The gateway's admission port on the processors' own {@link EventValidator}, built the way the
 * topology builds it (the served model's tokenizer and vocabulary, {@code EventValidator.Limits} of
 * the same configuration): the gateway refuses exactly the events the processors would refuse,
 * counted the same way (tokens of the rendered chat text, stop strings, float ranges).
 */
final class ProcessorsAdmission implements EventAdmission {

  private final EventValidator validator;
  private final ConversationQueries queries;
  private final int maxDeferredEvents;
  private final LengthBound lengths;

  /**
   * @param queries the local processors' stores, for the one check that needs a conversation's
   *     state: a full queue of waiting events
   */
  ProcessorsAdmission(
      final LoadedModel model, final FinchstreamConfig config, final ConversationQueries queries) {
    this.validator =
        new EventValidator(
            model.tokenizer(), model.info().vocabSize(), EventValidator.Limits.from(config));
    this.queries = queries;
    this.maxDeferredEvents = config.getInt(FinchstreamConfig.MAX_DEFERRED_EVENTS_CONFIG);
    this.lengths =
        LengthBound.of(
            config.getLong(FinchstreamConfig.MAX_CONVERSATION_TOKENS_CONFIG),
            model.model(),
            config.getLong(FinchstreamConfig.HOT_CACHE_MAX_BYTES_CONFIG));
  }

  @Override
  public Optional<Refusal> check(final String key, final ConversationEvent event) {
    return switch (validator.validate(
        key.getBytes(StandardCharsets.UTF_8),
        event.toByteArray(),
        EventOrigin.getDefaultInstance())) {
      case EventValidator.Accepted accepted ->
          tooLong(key, accepted.inbound().command()).or(() -> queueFull(key, event));
      case EventValidator.Rejected rejected ->
          Optional.of(new Refusal(rejected.rejection().code(), rejected.rejection().reason()));
    };
  }

  /**
   * An append (or a Generate's prefix with one reply token) that would make the conversation longer
   * than {@code max.conversation.tokens}: refused as the processors would refuse it (400
   * context_length_exceeded). The conversation's length is read where this instance owns it; for
   * one elsewhere (or not yet created) only the event itself is counted, and the owner's processors
   * make the final check.
   */
  private Optional<Refusal> tooLong(final String key, final Command command) {
    final long adding =
        switch (command) {
          case Command.Append a -> a.tokens().length;
          case Command.StartGeneration g -> g.prefixTokens().length + 1L;
          default -> 0;
        };
    if (adding == 0 || lengths.maxTokens() == Long.MAX_VALUE) {
      return Optional.empty();
    }
    final long tokens =
        queries.find(key) instanceof ConversationQueries.Found f ? f.meta().getTokens() : 0;
    return lengths.admits(tokens, adding)
        ? Optional.empty()
        : Optional.of(new Refusal(ErrorCode.CONVERSATION_TOO_LONG, lengths.reason(tokens, adding)));
  }

  /**
   * An event the processors would queue behind a running generation, when the conversation's queue
   * is full ({@code max.deferred.events}): refused as they would refuse it, so its client gets 429
   * instead of a 202 for an event that is then refused. Only where this instance owns the
   * conversation (a local read); elsewhere the owner's processors refuse it and the conversation's
   * {@code refused} list says so. Cancels and Deletes are never refused.
   */
  private Optional<Refusal> queueFull(final String key, final ConversationEvent event) {
    if (event.hasCancel() || event.hasDelete()) {
      return Optional.empty();
    }
    if (queries.waiting(key) instanceof ConversationQueries.Waiting w
        && w.events() >= maxDeferredEvents) {
      return Optional.of(
          new Refusal(
              ErrorCode.DEFERRED_QUEUE_FULL,
              w.events()
                  + " events already wait behind this conversation's running generation"
                  + " (max.deferred.events="
                  + maxDeferredEvents
                  + "); retry once it has finished"));
    }
    return Optional.empty();
  }

  /** The processors' limits of {@code config}, for the gateway's field checks. */
  static EventLimits limits(final FinchstreamConfig config) {
    final EventValidator.Limits limits = EventValidator.Limits.from(config);
    return new EventLimits(
        limits.maxTextBytes(),
        limits.maxAppendTokens(),
        limits.maxGenerateTokens(),
        limits.defaultGenerateTokens(),
        limits.maxStopSequences(),
        SamplingParams.MAX_STOP_STRINGS);
  }
}
