package io.finchstream.processors;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Parser;
import io.finchstream.processors.store.MessageTexts;
import io.finchstream.processors.store.StoreKey;
import io.finchstream.proto.Topics;
import io.finchstream.proto.v1.Checkpoint;
import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.DigestEntry;
import io.finchstream.proto.v1.MessageText;
import io.finchstream.proto.v1.SnapshotRef;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Interactive queries for the gateway: a conversation's metadata, messages and checkpoints are read
 * locally when this instance owns it, otherwise the answer names the instance that does ({@code
 * application.server} of that instance), found with {@link KafkaStreams#queryMetadataForKey} and
 * the {@link ConversationPartitioner} (a conversation lives where its tree's root does). Listing
 * reads this instance's active partitions only; the gateway scatters it over {@link #peers}.
 */
public final class ConversationQueries {

  /** The answer to a query about one conversation. */
  public sealed interface Result {}

  /**
   * This instance owns the conversation: here it is ({@code meta} is the stored metadata, which the
   * gateway needs for the message history).
   */
  public record Found(StoredConversation info, ConversationMeta meta) implements Result {}

  /**
   * This instance owns the conversation: the messages asked for (those below {@code
   * meta.first_message} have no record any more).
   */
  public record Messages(ConversationMeta meta, boolean generating, List<Message> messages)
      implements Result {}

  /** This instance owns the partition, and the conversation does not exist. */
  public record NotFound() implements Result {}

  /** Another instance owns it: ask it (its {@code application.server}). */
  public record Remote(HostInfo host) implements Result {}

  /** Nobody can answer right now (rebalancing, restoring); retry later (HTTP 503). */
  public record Unavailable(String reason) implements Result {}

  /**
   * One stored message.
   *
   * @param index its index (from 0)
   * @param role its role, as named in events.proto without the prefix ({@code user}, {@code raw},
   *     ...)
   * @param text its text (empty for raw tokens)
   * @param truncated whether the stored text was cut
   * @param tokens tokens it put into the conversation
   * @param end the conversation's token position right after it
   * @param digestHex the running digest after it (hex)
   * @param snapshot whether a snapshot is retained at its end (going back to it replays nothing)
   * @param reachable whether the conversation can be rewound or forked to right after it
   */
  public record Message(
      long index,
      String role,
      String text,
      boolean truncated,
      long tokens,
      long end,
      String digestHex,
      boolean snapshot,
      boolean reachable) {}

  /** A checkpoint found by digest: conversation {@code conversationId} after {@code messages}. */
  public record DigestMatch(String conversationId, long messages, long position) {}

  /** This instance owns the tree: the checkpoints with the digest asked for (maybe none). */
  public record DigestMatches(List<DigestMatch> matches) implements Result {}

  /**
   * A conversation of a tree that holds a prefix of a history: its first {@code messages} messages
   * (ending at token {@code position}) are that prefix, and it can be continued or forked right
   * after them.
   *
   * @param conversationId the conversation
   * @param messages messages of the prefix it holds
   * @param position its token position right after them
   * @param conversationMessages messages it holds in all ({@code messages} when the prefix is all)
   * @param generating whether a generation is running on it
   */
  public record PrefixCandidate(
      String conversationId,
      long messages,
      long position,
      long conversationMessages,
      boolean generating) {}

  /**
   * This instance owns the tree: the conversations holding the longest of the prefixes asked for
   * that any of them holds (empty when none holds any).
   */
  public record PrefixMatches(List<PrefixCandidate> candidates) implements Result {}

  private static final Parser<ConversationMeta> META = ConversationMeta.parser();
  private static final Parser<Checkpoint> CHECKPOINT = Checkpoint.parser();
  private static final Parser<MessageText> TEXT = MessageText.parser();
  private static final Parser<DigestEntry> DIGEST = DigestEntry.parser();

  private final KafkaStreams streams;
  private final HostInfo self;
  private final ConversationPartitioner partitioner = new ConversationPartitioner();

  /**
   * @param self this instance's {@code application.server}, or null when it has none (then every
   *     query is answered locally, which is right for a single instance)
   */
  public ConversationQueries(final KafkaStreams streams, final HostInfo self) {
    this.streams = streams;
    this.self = self;
  }

  /**
   * This instance owns the conversation: {@code events} of its events wait behind a running
   * generation or a fork's reservation ({@link #waiting}).
   */
  public record Waiting(long events) implements Result {}

  /**
   * How many events of {@code conversationId} wait behind a running generation or a fork's
   * reservation, counted as the processors count them against {@code max.deferred.events} (the
   * sequence numbers from the oldest waiting event to the newest): {@link Waiting} when this
   * instance owns the conversation. Two key reads, no scan.
   */
  public Result waiting(final String conversationId) {
    return onOwner(
        conversationId,
        partition -> {
          final Bytes from = StoreKey.of(conversationId, 0);
          final Bytes to = StoreKey.of(conversationId, Long.MAX_VALUE);
          final List<KeyValue<Bytes, byte[]>> first =
              range(StoreNames.DEFERRED, from, to, partition, 1);
          if (first.isEmpty()) {
            return new Waiting(0);
          }
          try (KeyValueIterator<Bytes, byte[]> last =
              store(StoreNames.DEFERRED, partition).reverseRange(from, to)) {
            return new Waiting(
                last.hasNext()
                    ? StoreKey.index(last.next().key) - StoreKey.index(first.get(0).key) + 1
                    : 0);
          }
        });
  }

  /** Where {@code conversationId} lives, and its metadata if that is here. */
  public Result find(final String conversationId) {
    return onOwner(
        conversationId,
        partition -> {
          final ConversationMeta meta =
              parse(read(StoreNames.META, StoreKey.id(conversationId), partition), META);
          if (meta == null) {
            return new NotFound();
          }
          final boolean generating =
              read(StoreNames.GENERATIONS, StoreKey.id(conversationId), partition) != null;
          return new Found(StoredConversation.of(conversationId, meta, generating), meta);
        });
  }

  /** The messages {@code [from, from + limit)} of {@code conversationId} (texts included). */
  public Result messages(final String conversationId, final long from, final int limit) {
    return onOwner(
        conversationId,
        partition -> {
          final ConversationMeta meta =
              parse(read(StoreNames.META, StoreKey.id(conversationId), partition), META);
          if (meta == null) {
            return new NotFound();
          }
          final Set<Long> snapshotAt = new HashSet<>();
          for (final SnapshotRef s : meta.getSnapshotsList()) {
            snapshotAt.add(s.getPosition());
          }
          final long horizon =
              meta.getSnapshotsCount() == 0 ? 0 : meta.getSnapshots(0).getPosition();
          final long start = Math.max(from, meta.getFirstMessage());
          final List<Message> out = new ArrayList<>();
          for (final KeyValue<Bytes, byte[]> kv :
              range(
                  StoreNames.CHECKPOINTS,
                  StoreKey.of(conversationId, start),
                  StoreKey.of(conversationId, Long.MAX_VALUE),
                  partition,
                  limit)) {
            final long index = StoreKey.index(kv.key);
            final Checkpoint cp = parse(kv.value, CHECKPOINT);
            final MessageText text =
                parse(read(StoreNames.TEXTS, StoreKey.of(conversationId, index), partition), TEXT);
            out.add(
                new Message(
                    index,
                    roleName(cp),
                    text == null ? "" : MessageTexts.decode(text),
                    text != null && text.getTruncated(),
                    cp.getEnd() - cp.getStart(),
                    cp.getEnd(),
                    hex(cp.getDigest().toByteArray()),
                    snapshotAt.contains(cp.getEnd()),
                    cp.getEnd() >= horizon));
          }
          final boolean generating =
              read(StoreNames.GENERATIONS, StoreKey.id(conversationId), partition) != null;
          return new Messages(meta, generating, out);
        });
  }

  /**
   * The checkpoints of the tree of {@code root} whose running digest is {@code digest} (for finding
   * where a resent history can continue), or the routing answer when another instance owns it.
   */
  public Result findDigest(final String root, final byte[] digest) {
    return onOwner(
        root,
        partition -> {
          final List<DigestMatch> into = new ArrayList<>();
          final Bytes prefix = StoreKey.digestPrefix(root, digest);
          for (final KeyValue<Bytes, byte[]> kv :
              range(StoreNames.DIGESTS, prefix, upperBound(prefix), partition, Integer.MAX_VALUE)) {
            final DigestEntry e = parse(kv.value, DIGEST);
            into.add(
                new DigestMatch(
                    StoreKey.digestConversation(kv.key, digest.length),
                    e.getMessages(),
                    e.getPosition()));
          }
          return new DigestMatches(into);
        });
  }

  /**
   * Where in the tree of {@code root} a resent history can continue: {@code digests[i]} is the
   * history's running digest after its message {@code i} ({@code MessageHistory}); the answer holds
   * the conversations of the tree that can go on right after the longest prefix any of them holds
   * (a retained checkpoint with that digest), or the routing answer when another instance owns the
   * tree. One owner answers for a whole tree, so no instance is scanned but it.
   */
  public Result findPrefix(final String root, final List<byte[]> digests) {
    return onOwner(
        root,
        partition -> {
          for (int i = digests.size() - 1; i >= 0; i--) {
            final byte[] digest = digests.get(i);
            final Bytes prefix = StoreKey.digestPrefix(root, digest);
            final List<PrefixCandidate> found = new ArrayList<>();
            for (final KeyValue<Bytes, byte[]> kv :
                range(
                    StoreNames.DIGESTS, prefix, upperBound(prefix), partition, Integer.MAX_VALUE)) {
              final DigestEntry e = parse(kv.value, DIGEST);
              final String conversation = StoreKey.digestConversation(kv.key, digest.length);
              final ConversationMeta meta =
                  parse(read(StoreNames.META, StoreKey.id(conversation), partition), META);
              if (meta == null || e.getMessages() != i + 1 || meta.getMessages() < i + 1) {
                continue;
              }
              final long horizon =
                  meta.getSnapshotsCount() == 0 ? 0 : meta.getSnapshots(0).getPosition();
              if (e.getPosition() < horizon) {
                continue; // no longer reachable: older than its oldest snapshot
              }
              found.add(
                  new PrefixCandidate(
                      conversation,
                      e.getMessages(),
                      e.getPosition(),
                      meta.getMessages(),
                      read(StoreNames.GENERATIONS, StoreKey.id(conversation), partition) != null));
            }
            if (!found.isEmpty()) {
              return new PrefixMatches(found);
            }
          }
          return new PrefixMatches(List.of());
        });
  }

  /**
   * The conversations of the active partitions this instance owns whose keys are in namespace
   * {@code prefix} (they start with it and have no {@code /} after it: a tenant's, see {@code
   * TenantKeys}) and come after {@code prefix + after} (UTF-8 byte order), at most {@code limit},
   * in order.
   */
  public List<Found> listLocal(final String prefix, final String after, final int limit) {
    final TreeMap<Bytes, Found> merged = new TreeMap<>();
    final Bytes from = StoreKey.id(prefix + after);
    final Bytes to = StoreKey.id(prefix + "\uffff\uffff");
    for (final int partition : localPartitions()) {
      int taken = 0;
      try (KeyValueIterator<Bytes, byte[]> it = store(StoreNames.META, partition).range(from, to)) {
        while (it.hasNext() && taken <= limit) {
          final KeyValue<Bytes, byte[]> kv = it.next();
          final String key = new String(kv.key.get(), StandardCharsets.UTF_8);
          if (kv.key.equals(from) || key.indexOf('/', prefix.length()) >= 0) {
            continue;
          }
          final boolean generating = read(StoreNames.GENERATIONS, kv.key, partition) != null;
          final ConversationMeta meta = parse(kv.value, META);
          merged.put(kv.key, new Found(StoredConversation.of(key, meta, generating), meta));
          taken++;
        }
      }
    }
    return merged.values().stream().limit(limit).toList();
  }

  /** The {@code application.server} of every other instance (empty without application.server). */
  public List<HostInfo> peers() {
    if (self == null) {
      return List.of();
    }
    final List<HostInfo> out = new ArrayList<>();
    for (final StreamsMetadata m : streams.metadataForAllStreamsClients()) {
      if (!self.equals(m.hostInfo())) {
        out.add(m.hostInfo());
      }
    }
    return out;
  }

  /** Runs {@code query} on the conversation's partition if this instance owns it. */
  private Result onOwner(final String conversationId, final LocalQuery query) {
    final KeyQueryMetadata where;
    try {
      where =
          self == null
              ? null
              : streams.queryMetadataForKey(StoreNames.META, conversationId, partitioner);
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
      return query.run(partition);
    } catch (final InvalidStateStoreException e) {
      return new Unavailable(
          "the conversation's partition is not queryable here now: " + e.getMessage());
    }
  }

  @FunctionalInterface
  private interface LocalQuery {
    Result run(int partition);
  }

  /** The input partitions this instance's active tasks own. */
  private List<Integer> localPartitions() {
    final List<Integer> out = new ArrayList<>();
    for (final var thread : streams.metadataForLocalThreads()) {
      for (final var task : thread.activeTasks()) {
        for (final TopicPartition tp : task.topicPartitions()) {
          if (tp.topic().equals(Topics.EVENTS)) {
            out.add(tp.partition());
          }
        }
      }
    }
    return out;
  }

  private ReadOnlyKeyValueStore<Bytes, byte[]> store(final String name, final int partition) {
    StoreQueryParameters<ReadOnlyKeyValueStore<Bytes, byte[]>> params =
        StoreQueryParameters.fromNameAndType(
            name, QueryableStoreTypes.<Bytes, byte[]>keyValueStore());
    if (partition >= 0) {
      params = params.withPartition(partition);
    }
    return streams.store(params);
  }

  /** The value of {@code key} in {@code store} (one partition's, or every local one's for -1). */
  private byte[] read(final String name, final Bytes key, final int partition) {
    return store(name, partition).get(key);
  }

  private List<KeyValue<Bytes, byte[]>> range(
      final String name, final Bytes from, final Bytes to, final int partition, final int limit) {
    final List<KeyValue<Bytes, byte[]>> out = new ArrayList<>();
    try (KeyValueIterator<Bytes, byte[]> it = store(name, partition).range(from, to)) {
      while (it.hasNext() && out.size() < limit) {
        out.add(it.next());
      }
    }
    return out;
  }

  /** The smallest key above every key that starts with {@code prefix}'s bytes (inclusive bound). */
  private static Bytes upperBound(final Bytes prefix) {
    final byte[] p = prefix.get();
    final byte[] out = new byte[p.length + 8];
    System.arraycopy(p, 0, out, 0, p.length);
    Arrays.fill(out, p.length, out.length, (byte) 0xff);
    return Bytes.wrap(out);
  }

  private static String roleName(final Checkpoint cp) {
    if (cp.getTokens()) {
      return "tokens";
    }
    return switch (cp.getRole()) {
      case ROLE_USER -> "user";
      case ROLE_ASSISTANT -> "assistant";
      case ROLE_SYSTEM -> "system";
      default -> "raw";
    };
  }

  private static String hex(final byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }

  private static <T> T parse(final byte[] bytes, final Parser<T> parser) {
    if (bytes == null) {
      return null;
    }
    try {
      return parser.parseFrom(bytes);
    } catch (final InvalidProtocolBufferException e) {
      throw new InvalidStateStoreException("a stored value does not parse: " + e.getMessage());
    }
  }
}
