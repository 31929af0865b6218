package io.finchstream.processors.store;

import io.finchstream.proto.v1.TokenLogRecord;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;

/**
 * The durable token log of every conversation of a task: records {@code (conversation, start) →
 * tokens [start, start + n)}, contiguous from the latest snapshot position to the end of the
 * conversation. Appending writes only the new tokens; reading a window reads only the records that
 * overlap it; truncation (after a snapshot) deletes whole records below a position.
 */
public final class TokenLog {

  /** A stored record: {@code ids} are the tokens at {@code [start, start + ids.length)}. */
  @SuppressWarnings("ArrayRecordComponent") // read by index, never compared or hashed
  public record Entry(long start, int[] ids) {
    public long end() {
      return start + ids.length;
    }
  }

  private final ProtoStore<TokenLogRecord> store;
  private final int maxTokensPerRecord;

  /**
   * @param maxTokensPerRecord longest record (bounds the record size: at most 5 bytes per token)
   */
  public TokenLog(final ProtoStore<TokenLogRecord> store, final int maxTokensPerRecord) {
    this.store = store;
    this.maxTokensPerRecord = maxTokensPerRecord;
  }

  /** Stores {@code tokens} as the conversation's tokens from {@code start} on. */
  public void append(final String conversation, final long start, final int[] tokens) {
    for (int off = 0; off < tokens.length; off += maxTokensPerRecord) {
      final int n = Math.min(maxTokensPerRecord, tokens.length - off);
      final TokenLogRecord.Builder rec = TokenLogRecord.newBuilder();
      for (int i = 0; i < n; i++) {
        rec.addIds(tokens[off + i]);
      }
      store.put(StoreKey.of(conversation, start + off), rec.build());
    }
  }

  /**
   * The tokens {@code [from, to)}.
   *
   * @throws StoreCorruptedException when the log does not cover the window (a gap, or truncated)
   */
  public int[] read(final String conversation, final long from, final long to) {
    final int n = Math.toIntExact(to - from);
    final int[] out = new int[n];
    if (n == 0) {
      return out;
    }
    final KeyValue<Bytes, TokenLogRecord> first =
        store.last(StoreKey.of(conversation, 0), StoreKey.of(conversation, from));
    if (first == null) {
      throw new StoreCorruptedException(
          "token log of " + conversation + " has no record at or before " + from);
    }
    long expected = StoreKey.index(first.key);
    int filled = 0;
    for (final KeyValue<Bytes, TokenLogRecord> kv :
        store.range(
            StoreKey.of(conversation, expected),
            StoreKey.of(conversation, to - 1),
            Integer.MAX_VALUE)) {
      final long start = StoreKey.index(kv.key);
      if (start != expected) {
        throw new StoreCorruptedException(
            "token log of "
                + conversation
                + " has a gap: expected a record at "
                + expected
                + ", found "
                + start);
      }
      final TokenLogRecord rec = kv.value;
      for (int i = 0; i < rec.getIdsCount(); i++) {
        final long pos = start + i;
        if (pos >= from && pos < to) {
          out[(int) (pos - from)] = rec.getIds(i);
          filled++;
        }
      }
      expected = start + rec.getIdsCount();
    }
    if (filled != n) {
      throw new StoreCorruptedException(
          "token log of "
              + conversation
              + " covers "
              + filled
              + " of the "
              + n
              + " tokens ["
              + from
              + ", "
              + to
              + ")");
    }
    return out;
  }

  /** Every record from the one containing {@code from} on, in order (for readers of the log). */
  public List<Entry> entriesFrom(final String conversation, final long from) {
    final KeyValue<Bytes, TokenLogRecord> first =
        store.last(StoreKey.of(conversation, 0), StoreKey.of(conversation, from));
    final long begin = first == null ? from : StoreKey.index(first.key);
    final List<Entry> out = new ArrayList<>();
    for (final KeyValue<Bytes, TokenLogRecord> kv :
        store.range(
            StoreKey.of(conversation, begin),
            StoreKey.of(conversation, Long.MAX_VALUE),
            Integer.MAX_VALUE)) {
      out.add(new Entry(StoreKey.index(kv.key), toArray(kv.value)));
    }
    return out;
  }

  /** Stores a record as it is (fork import). */
  public void putRecord(final String conversation, final long start, final TokenLogRecord record) {
    store.put(StoreKey.of(conversation, start), record);
  }

  /**
   * Deletes every record that lies entirely below {@code position}, scanning from {@code logStart}
   * (the first record still stored), and returns the new start: the first remaining record's start,
   * or {@code position} if none remains below it. Work is proportional to the records deleted,
   * never to the conversation's length.
   */
  public long truncateBelow(final String conversation, final long logStart, final long position) {
    if (position <= logStart) {
      return logStart;
    }
    long newStart = position;
    final List<Bytes> doomed = new ArrayList<>();
    for (final KeyValue<Bytes, TokenLogRecord> kv :
        store.range(
            StoreKey.of(conversation, logStart),
            StoreKey.of(conversation, position - 1),
            Integer.MAX_VALUE)) {
      final long start = StoreKey.index(kv.key);
      if (start + kv.value.getIdsCount() <= position) {
        doomed.add(kv.key);
      } else {
        newStart = Math.min(newStart, start);
      }
    }
    doomed.forEach(store::delete);
    return newStart;
  }

  /**
   * Cuts the log at {@code position}: deletes every record that starts at or after it and shortens
   * the one that straddles it, so the log ends exactly at {@code position} (a rewind).
   */
  public void truncateFrom(final String conversation, final long position) {
    final KeyValue<Bytes, TokenLogRecord> straddling =
        position == 0
            ? null
            : store.last(StoreKey.of(conversation, 0), StoreKey.of(conversation, position - 1));
    for (final Bytes key :
        store.keysInRange(
            StoreKey.of(conversation, position), StoreKey.of(conversation, Long.MAX_VALUE))) {
      store.delete(key);
    }
    if (straddling != null) {
      final long start = StoreKey.index(straddling.key);
      final int keep = (int) (position - start);
      if (keep < straddling.value.getIdsCount()) {
        store.put(
            straddling.key,
            TokenLogRecord.newBuilder()
                .addAllIds(straddling.value.getIdsList().subList(0, keep))
                .build());
      }
    }
  }

  /** Deletes the whole log of a conversation. */
  public void deleteAll(final String conversation) {
    store.deletePrefix(StoreKey.prefix(conversation));
  }

  private static int[] toArray(final TokenLogRecord rec) {
    final int[] ids = new int[rec.getIdsCount()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = rec.getIds(i);
    }
    return ids;
  }
}
