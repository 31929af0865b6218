package io.finchstream.processors;

import io.finchstream.proto.v1.ConversationMeta;

/**
 * What this instance's stores hold about a conversation, read by interactive query ({@link
 * ConversationQueries}). (The gateway's API representation of a conversation is {@code
 * io.finchstream.gateway.conversation.ApiConversation}.)
 *
 * @param conversationId the id
 * @param tokens tokens in the conversation (all durable; the last ones may still be computing)
 * @param snapshotPosition position of the latest snapshot
 * @param stateBytes bytes of the recurrent state (fp32)
 * @param cacheBytes bytes of the canonical token cache (GoldFinch; 0 for Finch)
 * @param modelId the model the conversation belongs to
 * @param forkedFrom the conversation it was forked from, or empty
 * @param generating whether a generation is running
 * @param createdAtMs creation time, epoch ms
 * @param updatedAtMs time of the last change, epoch ms
 * @param lastOffset offset of the last input event applied
 */
public record StoredConversation(
    String conversationId,
    long tokens,
    long snapshotPosition,
    long stateBytes,
    long cacheBytes,
    String modelId,
    String forkedFrom,
    boolean generating,
    long createdAtMs,
    long updatedAtMs,
    long lastOffset) {

  /** The info of stored metadata. */
  public static StoredConversation of(
      final String id, final ConversationMeta meta, final boolean generating) {
    return new StoredConversation(
        id,
        meta.getTokens(),
        meta.getSnapshotPosition(),
        meta.getRecurrentStateBytes(),
        meta.getCacheBytes(),
        meta.getModelId(),
        meta.getForkedFrom(),
        generating,
        meta.getCreatedAtMs(),
        meta.getUpdatedAtMs(),
        meta.getLastOffset());
  }
}
