package io.finchstream.processors.conversation;

import io.finchstream.engine.ModelState;
import io.finchstream.proto.v1.GenerationProgress;

/**
 * A generation attached to its conversation, as the {@link ConversationLedger} keeps it: where the
 * log must be kept from, whether the generation owns the state yet, and for an ephemeral generation
 * the copy it works on and the end of its scratch log.
 */
final class Attachment {
  /** The log is kept from here (the generation's first generated token, or its scratch). */
  final long keepLogFrom;

  /** Ephemeral: the conversation ends at base; the generation works on a copy. */
  final boolean ephemeral;

  final long base;

  /** End of the log the generation writes to (ephemeral: past the conversation's end). */
  long scratchEnd;

  /** The ephemeral generation's own state (a copy of the conversation's at base), or null. */
  ModelState copy;

  private long copyCharged;

  /** The generation advances the state itself (prefill done); batched ingest leaves it alone. */
  boolean ownsState;

  Attachment(final GenerationProgress progress) {
    this.ephemeral = progress.getEphemeral();
    this.base = progress.getBasePosition();
    this.keepLogFrom = ephemeral ? base : progress.getStartPosition();
    this.scratchEnd = progress.getStartPosition() + progress.getGenerated();
  }

  /** Takes a copy of {@code state} to work on, charged to {@code budget}. */
  void takeCopy(final ModelState state, final MemoryBudget budget) {
    copy = state.copy();
    copyCharged = copy.memoryBytes();
    budget.charge(copyCharged);
  }

  /** Drops the copy (if any) and returns its memory to {@code budget}. */
  void dropCopy(final MemoryBudget budget) {
    if (copy != null) {
      budget.charge(-copyCharged);
      copy = null;
      copyCharged = 0;
    }
  }
}
