package io.finchstream.processors.conversation;

import io.finchstream.processors.store.MessageTexts;
import io.finchstream.processors.store.ProtoStore;
import io.finchstream.processors.store.StoreKey;
import io.finchstream.proto.ConversationKeys;
import io.finchstream.proto.v1.Checkpoint;
import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.DigestEntry;
import io.finchstream.proto.v1.MessageText;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;

/**
 * The turn checkpoints of a task's conversations: one {@link Checkpoint} per message (its role,
 * token range and the running digest after it), its text ({@link MessageText}, compressed when
 * long), and an entry in the digest index, so the checkpoints of a tree of conversations can be
 * found by the digest of a history. Three stores, written together; used by the {@link
 * ConversationLedger} only.
 */
final class Checkpoints {

  /** A checkpoint with its message index. */
  record Indexed(long index, Checkpoint checkpoint) {}

  private final ProtoStore<Checkpoint> index;
  private final ProtoStore<MessageText> texts;
  private final ProtoStore<DigestEntry> digests;
  private final int maxTextBytes;

  /**
   * @param maxTextBytes largest stored text (compressed); longer ones are cut and marked so
   */
  Checkpoints(
      final ProtoStore<Checkpoint> index,
      final ProtoStore<MessageText> texts,
      final ProtoStore<DigestEntry> digests,
      final int maxTextBytes) {
    this.index = index;
    this.texts = texts;
    this.digests = digests;
    this.maxTextBytes = maxTextBytes;
  }

  /** Records message {@code i} of {@code conversation}; {@code text} is null for raw tokens. */
  void add(final String conversation, final long i, final Checkpoint cp, final String text) {
    put(conversation, i, cp, MessageTexts.encode(text == null ? "" : text, maxTextBytes));
  }

  /** Records message {@code i} with an already encoded text (a fork's copy). */
  void put(final String conversation, final long i, final Checkpoint cp, final MessageText text) {
    index.put(StoreKey.of(conversation, i), cp);
    texts.put(StoreKey.of(conversation, i), text);
    digests.put(
        digestKey(conversation, cp),
        DigestEntry.newBuilder().setMessages(i + 1).setPosition(cp.getEnd()).build());
  }

  /** The checkpoint after message {@code i}, or null. */
  Checkpoint get(final String conversation, final long i) {
    return index.get(StoreKey.of(conversation, i));
  }

  /** The text of message {@code i} as stored, or null. */
  MessageText text(final String conversation, final long i) {
    return texts.get(StoreKey.of(conversation, i));
  }

  /** The checkpoints of the last {@code recentTurns} messages, ascending. */
  List<Indexed> recent(
      final String conversation, final ConversationMeta meta, final int recentTurns) {
    final long from = Math.max(meta.getFirstMessage(), meta.getMessages() - recentTurns);
    return range(conversation, from, meta.getMessages());
  }

  /** The end of the first recent checkpoint past {@code position}, else {@link Long#MAX_VALUE}. */
  long nextEndAfter(
      final String conversation,
      final ConversationMeta meta,
      final int recentTurns,
      final long position) {
    for (final Indexed c : recent(conversation, meta, recentTurns)) {
      if (c.checkpoint().getEnd() > position) {
        return c.checkpoint().getEnd();
      }
    }
    return Long.MAX_VALUE;
  }

  /** Messages complete at {@code position} if it ends a recent checkpoint, else -1. */
  long turnEndingAt(
      final String conversation,
      final ConversationMeta meta,
      final int recentTurns,
      final long position) {
    for (final Indexed c : recent(conversation, meta, recentTurns)) {
      if (c.checkpoint().getEnd() == position) {
        return c.index() + 1;
      }
    }
    return -1;
  }

  /** The checkpoints of messages {@code [from, to)}, ascending. */
  List<Indexed> range(final String conversation, final long from, final long to) {
    final List<Indexed> out = new ArrayList<>();
    if (from >= to) {
      return out;
    }
    for (final KeyValue<Bytes, Checkpoint> kv :
        index.range(
            StoreKey.of(conversation, from),
            StoreKey.of(conversation, to - 1),
            Integer.MAX_VALUE)) {
      out.add(new Indexed(StoreKey.index(kv.key), kv.value));
    }
    return out;
  }

  /** Deletes messages {@code [from, to)}: checkpoints, texts and digest entries. */
  void delete(final String conversation, final long from, final long to) {
    for (final Indexed c : range(conversation, from, to)) {
      digests.delete(digestKey(conversation, c.checkpoint()));
      index.delete(StoreKey.of(conversation, c.index()));
      texts.delete(StoreKey.of(conversation, c.index()));
    }
  }

  /**
   * Deletes the messages from {@code from} on that end before {@code position} (they are no longer
   * reachable); returns the index of the first message kept.
   */
  long deleteEndingBefore(final String conversation, final long from, final long position) {
    long first = from;
    for (final KeyValue<Bytes, Checkpoint> kv :
        index.range(
            StoreKey.of(conversation, from),
            StoreKey.of(conversation, Long.MAX_VALUE),
            Integer.MAX_VALUE)) {
      if (kv.value.getEnd() >= position) {
        break;
      }
      digests.delete(digestKey(conversation, kv.value));
      index.delete(kv.key);
      texts.delete(kv.key);
      first = StoreKey.index(kv.key) + 1;
    }
    return first;
  }

  /** Deletes every message of {@code conversation}. */
  void deleteAll(final String conversation) {
    delete(conversation, 0, Long.MAX_VALUE);
  }

  /**
   * The checkpoints with {@code digest} in the tree of {@code root}: conversation id → entry. For
   * lookups by history (interactive queries read the same store).
   */
  List<KeyValue<String, DigestEntry>> withDigest(final String root, final byte[] digest) {
    final List<KeyValue<String, DigestEntry>> out = new ArrayList<>();
    for (final KeyValue<Bytes, DigestEntry> kv :
        digests.prefixScan(StoreKey.digestPrefix(root, digest))) {
      out.add(KeyValue.pair(StoreKey.digestConversation(kv.key, digest.length), kv.value));
    }
    return out;
  }

  private static Bytes digestKey(final String conversation, final Checkpoint cp) {
    return StoreKey.digest(
        ConversationKeys.root(conversation), cp.getDigest().toByteArray(), conversation);
  }
}
