package io.finchstream.gateway;

import java.util.List;

/**
 * Port to the processors' interactive queries: where a conversation's metadata lives. Implemented
 * outside the gateway (in {@code app}, on the processors' {@code ConversationQueries}), so that the
 * gateway does not depend on Kafka Streams.
 *
 * <p>Called on a worker thread, never on an event loop; an implementation may block briefly (a
 * local store read).
 */
public interface ConversationDirectory {

  /**
   * Looks {@code conversationId} up.
   *
   * @return the metadata when this instance owns the conversation, the address of the instance that
   *     owns it, {@link ConversationLookup.NotFound} when its owner knows no such conversation, or
   *     {@link ConversationLookup.Unavailable} while ownership is moving
   */
  ConversationLookup lookup(String conversationId);

  /**
   * The messages {@code [from, from + limit)} of {@code conversationId}: {@link
   * ConversationLookup.Messages} when this instance owns it (messages older than the retention
   * horizon are left out), else as {@link #lookup}.
   */
  default ConversationLookup messages(
      final String conversationId, final long from, final int limit) {
    return new ConversationLookup.Unavailable("this directory does not list messages");
  }

  /**
   * The conversations this instance owns whose keys are in namespace {@code prefix} (a tenant's:
   * they start with it and have no {@code /} after it) and come after {@code prefix + after} (UTF-8
   * byte order; {@code after} "" for the first), at most {@code limit}, in order.
   */
  default List<ConversationLookup.Listed> listLocal(
      final String prefix, final String after, final int limit) {
    return List.of();
  }

  /**
   * Whether {@link #prefix} is implemented: the processors index checkpoints by digest, so the
   * OpenAI API can reuse automatic conversations ({@code gateway.openai.auto.reuse}).
   */
  default boolean findsPrefixes() {
    return false;
  }

  /**
   * Where in the tree of {@code rootKey} a resent history can continue ({@code digests.get(i)}: its
   * running digest after message {@code i}): {@link ConversationLookup.Prefix} when this instance
   * owns the tree, else as {@link #lookup}.
   */
  default ConversationLookup prefix(final String rootKey, final List<byte[]> digests) {
    return new ConversationLookup.Unavailable("this directory does not find prefixes");
  }

  /** The gateway addresses ({@code host:port}) of the other instances, for listing. */
  default List<String> peers() {
    return List.of();
  }
}
