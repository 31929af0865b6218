package io.finchstream.gateway;

import io.finchstream.proto.v1.ConversationMeta;
import java.util.List;

/** The answer of {@link ConversationDirectory#lookup}. */
public sealed interface ConversationLookup {

  /**
   * This instance owns the conversation; {@code meta} is its current metadata (never null), {@code
   * generating} whether a generation is running.
   */
  record Found(ConversationMeta meta, boolean generating) implements ConversationLookup {}

  /**
   * This instance owns the conversation; {@code messages} are the ones asked for ({@link
   * ConversationDirectory#messages}), {@code meta} its current metadata.
   */
  record Messages(ConversationMeta meta, boolean generating, List<StoredMessage> messages)
      implements ConversationLookup {}

  /** A conversation of this instance, for listing ({@link ConversationDirectory#listLocal}). */
  record Listed(String id, ConversationMeta meta, boolean generating) {}

  /** The owner (this instance or {@code Elsewhere}'s) has no such conversation. */
  record NotFound() implements ConversationLookup {}

  /**
   * Another instance owns the conversation; {@code hostPort} is its gateway address ({@code
   * application.server}), e.g. {@code "10.0.0.7:8080"}.
   */
  record Elsewhere(String hostPort) implements ConversationLookup {}

  /** No instance can answer right now (a rebalance, a restore); {@code reason} says why. */
  record Unavailable(String reason) implements ConversationLookup {}
}
