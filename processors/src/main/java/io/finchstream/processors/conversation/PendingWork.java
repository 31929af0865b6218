package io.finchstream.processors.conversation;

import io.finchstream.engine.ModelState;
import java.util.List;

/**
 * What batched ingest ({@link BatchedCompute}) asks of the owner of the conversations' states:
 * which conversations have durable tokens that no state has computed yet, the next tokens of one of
 * them with the state they advance, and the news that they were computed (the owner then takes the
 * snapshots that are due).
 */
interface PendingWork {

  /** Tokens {@code [state.position(), state.position() + tokens.length)} of one conversation. */
  @SuppressWarnings("ArrayRecordComponent") // read by index, never compared or hashed
  record Work(String conversation, ModelState state, int[] tokens) {}

  /** Conversations with tokens to compute, those a generation waits for first. */
  List<String> pending();

  /** The conversations of {@link #pending} that a generation waits for. */
  List<String> urgent();

  /** Whether {@code conversation} has tokens its state does not hold yet (pending or in flight). */
  boolean computing(String conversation);

  /** Roughly how many tokens wait to be computed (triggers an early round). */
  long pendingTokens();

  /**
   * The next at most {@code maxTokens} tokens of {@code conversation} and its state, or null when
   * it has none to compute now (it then leaves {@link #pending}).
   */
  Work work(String conversation, int maxTokens);

  /** {@code work} was ingested: its state advanced by its tokens. */
  void computed(Work work);

  /**
   * {@code work} could not be computed ({@code cause}); the conversation waits for its next event.
   */
  void failed(Work work, RuntimeException cause);
}
