package io.finchstream.processors.conversation;

import io.finchstream.processors.store.ProtoStore;
import io.finchstream.processors.store.StoreKey;
import io.finchstream.proto.AutoConversations;
import io.finchstream.proto.v1.ConversationMeta;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;

/**
 * Walks a task's conversations a bounded number at a time, wrapping around, for idle expiry: each
 * call reads the metadata of at most {@code max} conversations from where the last one stopped.
 * Reads only; the {@link ConversationLedger} deletes.
 */
final class IdleScan {

  private static final Bytes FIRST_ID = Bytes.wrap(new byte[0]);

  /** Above every UTF-8 id (0xff never occurs in UTF-8). */
  private static final Bytes LAST_ID =
      Bytes.wrap(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff});

  private final ProtoStore<ConversationMeta> meta;
  private Bytes cursor = FIRST_ID;

  IdleScan(final ProtoStore<ConversationMeta> meta) {
    this.meta = meta;
  }

  /**
   * Of the next at most {@code max} conversations, those last changed before {@code cutoffMs}, or
   * before {@code autoCutoffMs} for automatic ones ({@link AutoConversations}); {@link
   * Long#MIN_VALUE} expires none.
   */
  List<String> next(final long cutoffMs, final long autoCutoffMs, final int max) {
    final List<String> out = new ArrayList<>();
    final List<KeyValue<Bytes, ConversationMeta>> batch = meta.range(cursor, LAST_ID, max + 1);
    for (final KeyValue<Bytes, ConversationMeta> kv : batch) {
      final String conversation = StoreKey.idToConversation(kv.key);
      final long cutoff = AutoConversations.isAutomatic(conversation) ? autoCutoffMs : cutoffMs;
      if (!kv.key.equals(cursor) && kv.value.getUpdatedAtMs() < cutoff) {
        out.add(conversation);
      }
    }
    cursor = batch.size() <= max ? FIRST_ID : batch.get(batch.size() - 1).key;
    return out;
  }
}
