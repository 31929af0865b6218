package io.finchstream.proto;

import java.util.List;

/**
 * The names of Finchstream's topics, defined once for every module (the processors create and read
 * them all; the gateway writes {@link #EVENTS} and reads {@link #REPLIES} and {@link #TOKENS}).
 * Keys are conversation ids (UTF-8) unless noted; values are Protobuf messages of {@code
 * proto/src/main/protobuf/finchstream/v1/}.
 */
public final class Topics {

  /**
   * Input: {@code ConversationEvent}s keyed by conversation id; per-conversation order = offset
   * order.
   */
  public static final String EVENTS = "finchstream.events";

  /** Output: {@code Reply} (TokenChunk, GenerationDone, Error) keyed by conversation id. */
  public static final String REPLIES = "finchstream.replies";

  /**
   * Output: a {@code DeadLetter} for every event that cannot be processed; key = the original key
   * bytes.
   */
  public static final String DLQ = "finchstream.dlq";

  /**
   * Internal: {@code ForkTransfer} parts keyed by the new conversation id, carrying a forked
   * conversation's state to the task that owns the new id. Must have as many partitions as {@link
   * #EVENTS} (it is read by the same tasks).
   */
  public static final String FORKS = "finchstream.forks";

  /**
   * Output, outside the processors' transactions: a {@code LiveToken} for every draw of a running
   * generation as soon as it is sampled, keyed by conversation id; runs ahead of the committed
   * {@link #REPLIES}, which stay the record of truth (events.proto says how to read it safely).
   */
  public static final String TOKENS = "finchstream.tokens";

  /** Every topic Finchstream creates, in creation order. */
  public static final List<String> ALL = List.of(EVENTS, REPLIES, DLQ, FORKS, TOKENS);

  private Topics() {}
}
