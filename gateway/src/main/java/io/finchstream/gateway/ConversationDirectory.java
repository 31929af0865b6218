package io.finchstream.gateway;

/**
 * Port to the processors' interactive queries: where a conversation's metadata lives. Implemented
 * outside the gateway (in {@code app}, on the processors' {@code ConversationQueries}), so that the
 * gateway does not depend on Kafka Streams.
 *
 * <p>Called on a worker thread, never on an event loop; an implementation may block briefly (a
 * local store read).
 */
@FunctionalInterface
public interface ConversationDirectory {

  /**
   * Looks {@code conversationId} up.
   *
   * @return the metadata when this instance owns the conversation, the address of the instance that
   *     owns it, {@link ConversationLookup.NotFound} when its owner knows no such conversation, or
   *     {@link ConversationLookup.Unavailable} while ownership is moving
   */
  ConversationLookup lookup(String conversationId);
}
