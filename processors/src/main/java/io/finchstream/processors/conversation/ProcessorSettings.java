package io.finchstream.processors.conversation;

import io.finchstream.engine.StatePrecision;
import io.finchstream.processors.FinchstreamConfig;
import io.finchstream.processors.event.EventValidator;
import java.util.Locale;

/**
 * The settings of the conversation processor, read once from the configuration.
 *
 * @param limits validation limits
 * @param partBytes largest payload per stored record
 * @param snapshotInterval tokens between snapshots
 * @param snapshotAtTurnEnd snapshot at turn checkpoints (message ends)
 * @param retention which snapshots are kept
 * @param snapshotPrecision precision of stored snapshots
 * @param idleExpiryMs idle time after which a conversation is deleted (0: never)
 * @param autoIdleExpiryMs idle time after which an automatic conversation is deleted (0: never)
 * @param autoMaxPerTenant most automatic conversations of one tenant in one partition
 * @param maxDeferredEvents most events waiting per conversation
 * @param maxConversationTokens {@code max.conversation.tokens} as configured (-1: by the model)
 * @param computeIntervalMs punctuator period
 * @param computeBudgetMs time budget of the batched ingest of one punctuation
 * @param decodeCycleMs longest decode cycle
 * @param pendingTokens pending tokens that trigger a round from {@code process()}
 * @param batchConversations most conversations per engine call
 * @param batchTokens most tokens of one conversation per engine call
 */
public record ProcessorSettings(
    EventValidator.Limits limits,
    int partBytes,
    long snapshotInterval,
    boolean snapshotAtTurnEnd,
    RetentionPolicy retention,
    StatePrecision snapshotPrecision,
    long idleExpiryMs,
    long autoIdleExpiryMs,
    int autoMaxPerTenant,
    int maxDeferredEvents,
    long maxConversationTokens,
    long computeIntervalMs,
    long computeBudgetMs,
    long decodeCycleMs,
    long pendingTokens,
    int batchConversations,
    int batchTokens) {

  /** The settings of {@code config}. */
  public static ProcessorSettings from(final FinchstreamConfig config) {
    return new ProcessorSettings(
        EventValidator.Limits.from(config),
        config.getInt(FinchstreamConfig.SNAPSHOT_PART_BYTES_CONFIG),
        config.getInt(FinchstreamConfig.SNAPSHOT_INTERVAL_TOKENS_CONFIG),
        config.getBoolean(FinchstreamConfig.SNAPSHOT_AT_TURN_END_CONFIG),
        new RetentionPolicy(
            config.getInt(FinchstreamConfig.CHECKPOINT_RECENT_TURNS_CONFIG),
            config.getInt(FinchstreamConfig.CHECKPOINT_OLDER_SNAPSHOTS_CONFIG),
            config.getInt(FinchstreamConfig.CHECKPOINT_SPACING_TOKENS_CONFIG)),
        StatePrecision.valueOf(
            config.getString(FinchstreamConfig.SNAPSHOT_PRECISION_CONFIG).toUpperCase(Locale.ROOT)),
        config.getLong(FinchstreamConfig.CONVERSATION_IDLE_EXPIRY_MS_CONFIG),
        config.getLong(FinchstreamConfig.AUTO_CONVERSATION_IDLE_EXPIRY_MS_CONFIG),
        config.getInt(FinchstreamConfig.AUTO_CONVERSATIONS_MAX_PER_TENANT_CONFIG),
        config.getInt(FinchstreamConfig.MAX_DEFERRED_EVENTS_CONFIG),
        config.getLong(FinchstreamConfig.MAX_CONVERSATION_TOKENS_CONFIG),
        config.getLong(FinchstreamConfig.COMPUTE_INTERVAL_MS_CONFIG),
        config.getLong(FinchstreamConfig.COMPUTE_BUDGET_MS_CONFIG),
        config.getLong(FinchstreamConfig.DECODE_CYCLE_MS_CONFIG),
        config.getInt(FinchstreamConfig.COMPUTE_PENDING_TOKENS_CONFIG),
        config.getInt(FinchstreamConfig.BATCH_MAX_CONVERSATIONS_CONFIG),
        config.getInt(FinchstreamConfig.BATCH_MAX_TOKENS_CONFIG));
  }
}
