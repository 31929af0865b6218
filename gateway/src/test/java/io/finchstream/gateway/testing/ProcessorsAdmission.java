package io.finchstream.gateway.testing;

import io.finchstream.engine.tokenizer.ByteTokenizer;
import io.finchstream.engine.tokenizer.Tokenizer;
import io.finchstream.gateway.EventAdmission;
import io.finchstream.gateway.EventLimits;
import io.finchstream.processors.event.EventValidator;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.EventOrigin;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The gateway's admission port on the processors' real {@link EventValidator}, as {@code app} wires
 * it ({@code io.finchstream.app.ProcessorsAdmission}), for gateway tests.
 */
public final class ProcessorsAdmission implements EventAdmission {

  private final EventValidator validator;

  public ProcessorsAdmission(final Tokenizer tokenizer, final EventLimits limits) {
    this.validator =
        new EventValidator(
            tokenizer,
            tokenizer.vocabSize(),
            new EventValidator.Limits(
                limits.maxTextBytes(),
                limits.maxAppendTokens(),
                limits.maxGenerateTokens(),
                limits.defaultGenerateTokens(),
                limits.maxStopSequences()));
  }

  /** The validator of a byte-level model (what the scripted processors pretend to serve). */
  public static ProcessorsAdmission bytes(final EventLimits limits) {
    return new ProcessorsAdmission(ByteTokenizer.INSTANCE, limits);
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
}
