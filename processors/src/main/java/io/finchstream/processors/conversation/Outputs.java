package io.finchstream.processors.conversation;

import io.finchstream.processors.FinchstreamMetrics;
import io.finchstream.processors.event.DeadLetters;
import io.finchstream.processors.event.ReplyMessages;
import io.finchstream.proto.v1.DeadLetter;
import io.finchstream.proto.v1.ErrorCode;
import io.finchstream.proto.v1.EventOrigin;
import io.finchstream.proto.v1.ForkTransfer;
import io.finchstream.proto.v1.Reply;

/**
 * Where the conversation processor's results go: replies, dead letters, fork transfers. In the
 * topology these are {@code context.forward(..., child)} calls, so they are part of the task's
 * transaction, like every store write.
 */
public interface Outputs {

  /** A reply on {@code finchstream.replies}. */
  void reply(String conversation, Reply reply);

  /** A dead letter on {@code finchstream.dlq}, keyed by the original key bytes. */
  void deadLetter(byte[] key, DeadLetter deadLetter);

  /** A fork-transfer part on {@code finchstream.forks}, keyed by the new conversation id. */
  void fork(String target, ForkTransfer part);

  /** Processing time now, epoch ms. */
  long nowMs();

  /** Metrics of this instance. */
  FinchstreamMetrics metrics();

  /**
   * Rejects an event that was valid on its own but cannot be applied: a dead letter with the
   * original bytes, and an Error reply carrying {@code requestId} so a waiting client learns why.
   */
  default void reject(
      final String conversation,
      final byte[] key,
      final byte[] value,
      final EventOrigin origin,
      final String requestId,
      final String replyTo,
      final ErrorCode code,
      final String reason) {
    metrics().deadLetter(code.name());
    deadLetter(key, DeadLetters.of(key, value, code, reason, origin, nowMs()));
    if (conversation != null) {
      reply(conversation, ReplyMessages.error(conversation, requestId, replyTo, code, reason));
    }
  }
}
