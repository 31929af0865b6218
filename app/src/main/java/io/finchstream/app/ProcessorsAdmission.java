package io.finchstream.app;

import io.finchstream.engine.sampling.SamplingParams;
import io.finchstream.gateway.EventAdmission;
import io.finchstream.gateway.EventLimits;
import io.finchstream.processors.FinchstreamConfig;
import io.finchstream.processors.LoadedModel;
import io.finchstream.processors.event.EventValidator;
import io.finchstream.proto.v1.ConversationEvent;
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

  ProcessorsAdmission(final LoadedModel model, final FinchstreamConfig config) {
    this.validator =
        new EventValidator(
            model.tokenizer(), model.info().vocabSize(), EventValidator.Limits.from(config));
  }

  @Override
  public Optional<Refusal> check(final String key, final ConversationEvent event) {
    return switch (validator.validate(
        key.getBytes(StandardCharsets.UTF_8),
        event.toByteArray(),
        EventOrigin.getDefaultInstance())) {
      case EventValidator.Accepted accepted -> Optional.empty();
      case EventValidator.Rejected rejected ->
          Optional.of(new Refusal(rejected.rejection().code(), rejected.rejection().reason()));
    };
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
