package io.finchstream.gateway.kafka;

/**
 * The topics the gateway writes and reads. They equal {@code io.finchstream.processors.Topics},
 * which the gateway cannot import (it does not depend on the processors); a test in {@code app}
 * checks that the two agree.
 */
public final class TopicNames {

  /** Input events, keyed by conversation id. */
  public static final String EVENTS = "finchstream.events";

  /** Replies, keyed by conversation id. */
  public static final String REPLIES = "finchstream.replies";

  private TopicNames() {}
}
