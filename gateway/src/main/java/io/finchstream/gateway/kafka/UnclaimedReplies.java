package io.finchstream.gateway.kafka;

import io.finchstream.proto.v1.Reply;

/**
 * Told about the replies addressed to this gateway that nobody here waits for (called on the reply
 * consumer thread; must not block).
 */
public interface UnclaimedReplies {

  /** Nobody waits for {@code reply}. */
  void unclaimed(Reply reply);

  /** Drops them. */
  UnclaimedReplies IGNORE = reply -> {};
}
