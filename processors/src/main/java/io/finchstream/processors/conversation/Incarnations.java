package io.finchstream.processors.conversation;

import io.finchstream.proto.Topics;
import io.finchstream.proto.v1.EventOrigin;

/**
 * Incarnation numbers: unique per partition for every event that creates or replaces a
 * conversation's history, made from the event's offset and its topic (input events and fork
 * transfers are co-partitioned, so a conversation's events all live in one partition number).
 */
final class Incarnations {

  private Incarnations() {}

  /** The incarnation a history created by the event from {@code origin} gets. */
  static long of(final EventOrigin origin) {
    return (origin.getOffset() << 1) | (Topics.FORKS.equals(origin.getTopic()) ? 1 : 0);
  }
}
