package io.finchstream.processors;

import java.util.List;

/**
 * The names of the state stores (and so of their changelog topics, {@code
 * <application.id>-<store>-changelog}). Schemas: {@code proto/.../state.proto}.
 */
public final class StoreNames {

  /** Conversation id → {@code ConversationMeta}. Read by interactive queries. */
  public static final String META = "conversation-meta";

  /**
   * (conversation, start position) → {@code TokenLogRecord}: the tokens since the last snapshot.
   */
  public static final String TOKENS = "conversation-tokens";

  /**
   * (conversation, position, part) → {@code BlobPart}: the retained snapshots, each a {@code
   * StateSnapshot} split into parts.
   */
  public static final String SNAPSHOTS = "conversation-snapshots";

  /** (conversation, block, part) → {@code BlobPart}: the token-cache blocks (GoldFinch). */
  public static final String CACHE = "conversation-cache";

  /** Conversation id → {@code GenerationProgress}: the running generation, if any. */
  public static final String GENERATIONS = "conversation-generations";

  /** (conversation, sequence) → {@code DeferredEvent}: events that wait for a generation to end. */
  public static final String DEFERRED = "conversation-deferred";

  /** (fork id, part) → {@code ForkTransfer}: parts of an incoming fork until all have arrived. */
  public static final String FORK_STAGING = "fork-staging";

  /**
   * Fork event id → {@code ForkSettled}: reserved cross-partition forks that settled before their
   * reservation arrived (a few, each removed by its reservation or after an hour).
   */
  public static final String FORK_SETTLED = "fork-settled";

  /** (conversation, message index) → {@code Checkpoint}: the turn checkpoints. */
  public static final String CHECKPOINTS = "conversation-checkpoints";

  /** (conversation, message index) → {@code MessageText}: the messages' texts, for listing. */
  public static final String TEXTS = "conversation-texts";

  /** (tree root, digest, conversation) → {@code DigestEntry}: checkpoints by running digest. */
  public static final String DIGESTS = "conversation-digests";

  /** Every store of the topology. */
  public static final List<String> ALL =
      List.of(
          META,
          TOKENS,
          SNAPSHOTS,
          CACHE,
          GENERATIONS,
          DEFERRED,
          FORK_STAGING,
          FORK_SETTLED,
          CHECKPOINTS,
          TEXTS,
          DIGESTS);

  private StoreNames() {}
}
