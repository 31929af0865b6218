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

  /**
   * This instance owns the tree asked about ({@link ConversationDirectory#prefix}): the
   * conversations that can go on right after the longest prefix of the history that any of them
   * holds (empty: none holds any).
   */
  record Prefix(List<PrefixCandidate> candidates) implements ConversationLookup {}

  /**
   * A conversation of a tree that holds the first {@code messages} messages of a history (ending at
   * token {@code position}) and can go on right after them.
   *
   * @param key its Kafka key
   * @param messages messages of the history it holds
   * @param position its token position right after them
   * @param conversationMessages messages it holds in all
   * @param generating whether a generation is running on it
   */
  record PrefixCandidate(
      String key, long messages, long position, long conversationMessages, boolean generating) {}

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
