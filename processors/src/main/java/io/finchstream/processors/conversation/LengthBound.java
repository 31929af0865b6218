package io.finchstream.processors.conversation;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.ModelState;
import io.finchstream.processors.event.Command;
import io.finchstream.proto.v1.ErrorCode;

/**
 * The most tokens one conversation may hold ({@code max.conversation.tokens}): an append, or a
 * Generate's prefix, that would pass it is refused ({@code CONVERSATION_TOO_LONG}), and a
 * generation is cut to end at it (finish reason length). By default it follows the model: none for
 * Finch, whose state has a fixed size; for GoldFinch, whose cache grows by {@code
 * ModelInfo.memoryBytesPerToken} with every token, the most tokens whose state fits in the
 * hot-state memory ({@code hot.cache.max.bytes}), so that one conversation never outgrows it.
 *
 * @param maxTokens the bound ({@link Long#MAX_VALUE}: none)
 */
public record LengthBound(long maxTokens) {

  /** {@code configured} (-1: by the model, 0: none) for {@code model} and a hot memory of bytes. */
  public static LengthBound of(
      final long configured, final LanguageModel model, final long hotBytes) {
    final long perToken = model.info().memoryBytesPerToken();
    if (configured > 0) {
      return new LengthBound(configured);
    }
    if (configured == 0 || perToken == 0) {
      return new LengthBound(Long.MAX_VALUE);
    }
    // what does not grow (the recurrent part), and the cache's last block, allocated ahead
    final ModelState empty = model.newState();
    final long fixed = empty.memoryBytes() + empty.cache().blockSize() * perToken;
    return new LengthBound(Math.max(1, Math.max(0, hotBytes - fixed) / perToken));
  }

  /** Whether a conversation of {@code tokens} may take {@code more}. */
  public boolean admits(final long tokens, final long more) {
    return more <= maxTokens - tokens;
  }

  /** Why an append of {@code more} tokens to a conversation of {@code tokens} is refused. */
  Outcome.Rejected refusal(final long tokens, final long more) {
    return new Outcome.Rejected(ErrorCode.CONVERSATION_TOO_LONG, reason(tokens, more));
  }

  /** The reason {@link #refusal} gives, for the gateway's admission to give the same. */
  public String reason(final long tokens, final long more) {
    return "the conversation holds "
        + tokens
        + " tokens; "
        + more
        + " more would pass max.conversation.tokens="
        + maxTokens
        + " (fork at an earlier turn, rewind, or start a new conversation)";
  }

  /**
   * {@code g} cut to end at the bound in a conversation of {@code tokens}: its prefix and at least
   * one reply token must fit, else null.
   */
  Command.StartGeneration cut(final long tokens, final Command.StartGeneration g) {
    final long room = maxTokens - tokens - g.prefixTokens().length;
    if (room < 1) {
      return null;
    }
    if (room >= g.params().maxTokens()) {
      return g;
    }
    return new Command.StartGeneration(
        g.request(), g.prefixTokens(), g.params().toBuilder().maxTokens((int) room).build());
  }
}
