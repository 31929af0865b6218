package io.finchstream.processors.conversation;

import io.finchstream.engine.ModelState;
import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.GenerationProgress;

/**
 * What running generations ({@link Generations}) ask of the owner of the conversations' states. A
 * generation is attached to its conversation from its Generate until it ends: its prefill is
 * urgent, the log is kept from its first generated token on (a new owner rebuilds the decoder from
 * it after a crash), and once the state is computed to the end the generation owns it (pinned in
 * memory; batched ingest leaves it alone) and advances it itself, one sampled token at a time.
 */
interface GenerationHost {

  /**
   * The generation {@code progress} of {@code conversation} starts, or resumes after a restart or a
   * move: attach it (an ephemeral one gets a copy of the state at its base to work on).
   */
  void attach(String conversation, GenerationProgress progress);

  /**
   * The state to decode from, pinned: computed to the end of the conversation, or to {@code lag}
   * tokens before it (the generation's last sampled token, appended but not yet ingested); null
   * when it is not there yet (its compute becomes urgent) or {@code lag} does not fit.
   */
  ModelState decodeState(String conversation, int lag);

  /** Appends what the generation sampled, durably; returns the conversation's metadata after. */
  ConversationMeta appendGenerated(String conversation, int[] tokens);

  /**
   * The generation ended with {@code replyText}: it becomes one ASSISTANT message (tokens from
   * {@code start}, the Generate's prefix included), the state is released and the turn's checkpoint
   * is due; an ephemeral generation leaves nothing behind. Returns the metadata after.
   */
  ConversationMeta finishReply(String conversation, long start, String replyText);

  /** The generation failed: release the state without recording a reply. */
  void detach(String conversation);

  /** Tokens {@code [from, to)} of the conversation's log (a resumed generation's own tokens). */
  int[] readLog(String conversation, long from, long to);
}
