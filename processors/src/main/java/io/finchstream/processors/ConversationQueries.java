package io.finchstream.processors;

import com.google.protobuf.InvalidProtocolBufferException;
import io.finchstream.processors.store.StoreKey;
import io.finchstream.proto.v1.ConversationMeta;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Interactive queries for the gateway: a conversation's metadata is read locally when this instance
 * owns it, otherwise the answer names the instance that does ({@code application.server} of that
 * instance), found with {@link KafkaStreams#queryMetadataForKey}.
 */
public final class ConversationQueries {

  /** The answer to a query. */
  public sealed interface Result {}

  /**
   * This instance owns the conversation: here it is ({@code meta} is the stored metadata, which the
   * gateway needs for the message history).
   */
  public record Found(StoredConversation info, ConversationMeta meta) implements Result {}

  /** This instance owns the partition, and the conversation does not exist. */
  public record NotFound() implements Result {}

  /** Another instance owns it: ask it (its {@code application.server}). */
  public record Remote(HostInfo host) implements Result {}

  /** Nobody can answer right now (rebalancing, restoring); retry later (HTTP 503). */
  public record Unavailable(String reason) implements Result {}

  private final KafkaStreams streams;
  private final HostInfo self;

  /**
   * @param self this instance's {@code application.server}, or null when it has none (then every
   *     query is answered locally, which is right for a single instance)
   */
  public ConversationQueries(final KafkaStreams streams, final HostInfo self) {
    this.streams = streams;
    this.self = self;
  }

  /** Where {@code conversationId} lives, and its metadata if that is here. */
  public Result find(final String conversationId) {
    final KeyQueryMetadata where;
    try {
      where =
          self == null
              ? null
              : streams.queryMetadataForKey(
                  StoreNames.META, conversationId, new StringSerializer());
    } catch (final IllegalStateException e) {
      return new Unavailable("the service is not running: " + e.getMessage());
    }
    final int partition;
    if (self == null) {
      // Without application.server, Kafka Streams does not track owners: read every local store.
      partition = -1;
    } else if (where == null
        || where.partition() < 0
        || HostInfo.unavailable().equals(where.activeHost())) {
      return new Unavailable("the owner of the conversation is not known yet (rebalancing)");
    } else if (!self.equals(where.activeHost())) {
      return new Remote(where.activeHost());
    } else {
      partition = where.partition();
    }
    try {
      final ConversationMeta meta = parse(read(StoreNames.META, conversationId, partition));
      if (meta == null) {
        return new NotFound();
      }
      final boolean generating = read(StoreNames.GENERATIONS, conversationId, partition) != null;
      return new Found(StoredConversation.of(conversationId, meta, generating), meta);
    } catch (final InvalidStateStoreException e) {
      return new Unavailable(
          "the conversation's partition is not queryable here now: " + e.getMessage());
    }
  }

  /** The value in {@code store} (one partition's, or every local one's for -1). */
  private byte[] read(final String store, final String conversationId, final int partition) {
    StoreQueryParameters<ReadOnlyKeyValueStore<Bytes, byte[]>> params =
        StoreQueryParameters.fromNameAndType(
            store, QueryableStoreTypes.<Bytes, byte[]>keyValueStore());
    if (partition >= 0) {
      params = params.withPartition(partition);
    }
    return streams.store(params).get(StoreKey.id(conversationId));
  }

  private static ConversationMeta parse(final byte[] bytes) {
    if (bytes == null) {
      return null;
    }
    try {
      return ConversationMeta.parseFrom(bytes);
    } catch (final InvalidProtocolBufferException e) {
      throw new InvalidStateStoreException("stored metadata does not parse: " + e.getMessage());
    }
  }
}
