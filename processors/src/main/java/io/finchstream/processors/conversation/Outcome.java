package io.finchstream.processors.conversation;

import io.finchstream.proto.v1.ErrorCode;
import io.finchstream.proto.v1.GenerationProgress;

/**
 * What applying an event to a conversation did: the {@link Conversations} methods return one of
 * these instead of writing replies themselves, so the caller decides what the client hears.
 */
sealed interface Outcome {

  /** The event changed the conversation (or was a no-op by definition). */
  record Applied() implements Outcome {}

  /** The event started a generation, stored as {@code progress}. */
  record Started(GenerationProgress progress) implements Outcome {}

  /** The event cannot be applied; nothing was changed. */
  record Rejected(ErrorCode code, String reason) implements Outcome {}

  /** The singleton {@link Applied}. */
  Outcome APPLIED = new Applied();
}
