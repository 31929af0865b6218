package io.finchstream.processors.conversation;

import io.finchstream.processors.event.Command;
import io.finchstream.processors.event.Inbound;

/**
 * The events that change a conversation's state of record. {@link ConversationLedger} implements
 * them and is the only writer of a conversation's metadata, token log, snapshots, checkpoints,
 * message texts and cache blocks. Every method runs in the current event's transaction and either
 * applies the event whole or returns {@link Outcome.Rejected} without changing anything.
 *
 * <p>Events of a generating conversation never reach these methods: they wait in the {@link
 * DeferredQueue}. Generations talk to the ledger through {@link GenerationHost}, batched ingest
 * through {@link PendingWork}.
 */
interface Conversations {

  /** Appends tokens (a message, or raw tokens). */
  Outcome append(Inbound in, Command.Append append);

  /** Appends the Generate's prefix and registers the generation ({@link Outcome.Started}). */
  Outcome generate(Inbound in, Command.StartGeneration generate);

  /** Goes back to a turn in place: keeps the first messages, drops the rest. */
  Outcome rewind(Inbound in, Command.Rewind rewind);

  /** Copies the conversation (at a turn) into a new one, on this task or through a transfer. */
  Outcome fork(Inbound in, Command.Fork fork);

  /** Back to the empty state; the conversation stays. */
  Outcome reset(Inbound in);

  /** Deletes every record of the conversation. */
  Outcome delete(Inbound in);
}
