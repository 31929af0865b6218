package io.finchstream.processors.event;

import io.finchstream.engine.sampling.SamplingParams;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.Role;

/**
 * A validated event, in the form the conversation processor applies it: text already rendered and
 * tokenized, sampling parameters resolved and checked. Immutable (arrays are never modified).
 */
public sealed interface Command {

  /**
   * Append tokens to the conversation (AppendText after tokenizing, or AppendTokens). {@code role}
   * and {@code text} are the AppendText's, for the message history (state.proto {@code
   * ConversationMeta.messages}); both null for AppendTokens.
   */
  @SuppressWarnings("ArrayRecordComponent") // read by index, never compared or hashed
  record Append(int[] tokens, Role role, String text) implements Command {}

  /**
   * Start a generation: append {@code prefixTokens}, then sample with {@code params} (max tokens
   * and seed resolved).
   */
  @SuppressWarnings("ArrayRecordComponent") // read by index, never compared or hashed
  record StartGeneration(Generate request, int[] prefixTokens, SamplingParams params)
      implements Command {}

  /**
   * Copy this conversation to the new conversation {@code target}: all of it ({@code atMessage}
   * null) or its first {@code atMessage} messages.
   */
  record Fork(String target, Long atMessage) implements Command {}

  /**
   * Reserve this (new) conversation for the cross-partition Fork {@code forkEventId} of {@code
   * source}: its later events wait until the fork's transfer is installed or the fork is refused.
   */
  record ReserveFork(String source, String forkEventId) implements Command {}

  /** Keep the first {@code toMessage} messages, drop the rest. */
  record Rewind(long toMessage) implements Command {}

  /** Back to the empty state. */
  record Reset() implements Command {}

  /** Delete the conversation. */
  record Delete() implements Command {}

  /**
   * Cancel generation {@code requestId} (running or waiting), once it has drawn {@code shownTokens}
   * (the draws its canceller has shown from the live token stream; 0: at once).
   */
  record Cancel(String requestId, int shownTokens) implements Command {}
}
