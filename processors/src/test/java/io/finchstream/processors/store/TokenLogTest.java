package io.finchstream.processors.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finchstream.processors.testing.RocksStores;
import io.finchstream.proto.v1.TokenLogRecord;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenLogTest {

  @TempDir Path dir;
  private RocksStores stores;
  private TokenLog log;
  private final AtomicLong written = new AtomicLong();

  @BeforeEach
  void open() {
    stores = new RocksStores(dir);
    final BinaryStore counted = new ByteCountingStore(stores.open("tokens"), written::addAndGet);
    log = new TokenLog(new ProtoStore<>("tokens", counted, TokenLogRecord.parser()), 100);
  }

  @AfterEach
  void close() {
    stores.close();
  }

  @Test
  void shouldReadAnyWindowAcrossRecords() {
    final int[] all = IntStream.range(0, 1000).map(i -> (i * 37) % 65536).toArray();
    int pos = 0;
    for (final int n : new int[] {1, 7, 250, 3, 739}) {
      log.append("c", pos, Arrays.copyOfRange(all, pos, pos + n));
      pos += n;
    }
    assertThat(log.read("c", 0, 1000)).containsExactly(all);
    assertThat(log.read("c", 5, 9)).containsExactly(Arrays.copyOfRange(all, 5, 9));
    assertThat(log.read("c", 257, 812)).containsExactly(Arrays.copyOfRange(all, 257, 812));
    assertThat(log.read("c", 999, 1000)).containsExactly(all[999]);
    assertThat(log.read("c", 10, 10)).isEmpty();
  }

  @Test
  void shouldKeepConversationsApart() {
    log.append("a", 0, new int[] {1, 2, 3});
    log.append("ab", 0, new int[] {9, 9});
    log.append("a", 3, new int[] {4});
    assertThat(log.read("a", 0, 4)).containsExactly(1, 2, 3, 4);
    log.deleteAll("a");
    assertThat(log.read("ab", 0, 2)).containsExactly(9, 9);
    assertThatThrownBy(() -> log.read("a", 0, 1)).isInstanceOf(StoreCorruptedException.class);
  }

  @Test
  void shouldTruncateOnlyWholeRecordsBelowThePosition() {
    log.append("c", 0, new int[] {1, 2, 3});
    log.append("c", 3, new int[] {4, 5, 6});
    log.append("c", 6, new int[] {7});
    assertThat(log.truncateBelow("c", 0, 4)).as("new log start").isEqualTo(3);
    assertThat(log.truncateBelow("c", 3, 3)).isEqualTo(3);
    assertThat(log.read("c", 4, 7)).containsExactly(5, 6, 7);
    assertThat(log.entriesFrom("c", 4)).extracting(TokenLog.Entry::start).containsExactly(3L, 6L);
    assertThatThrownBy(() -> log.read("c", 2, 4)).isInstanceOf(StoreCorruptedException.class);
  }

  @Test
  void shouldTruncateEverythingBelowAPositionOnARecordBoundary() {
    log.append("c", 0, new int[] {1, 2});
    log.append("c", 2, new int[] {3});
    assertThat(log.truncateBelow("c", 0, 3)).isEqualTo(3);
    assertThat(log.entriesFrom("c", 0)).isEmpty();
    log.append("c", 3, new int[] {4});
    assertThat(log.read("c", 3, 4)).containsExactly(4);
  }

  @Test
  void shouldSplitLongAppendsIntoBoundedRecords() {
    final int[] many = IntStream.range(0, 250).toArray();
    log.append("c", 0, many);
    assertThat(log.entriesFrom("c", 0))
        .extracting(e -> e.ids().length)
        .containsExactly(100, 100, 50);
    assertThat(log.read("c", 0, 250)).containsExactly(many);
  }

  @Test
  void shouldWriteBytesProportionalToTheAppendNotToTheLog() {
    log.append("c", 0, IntStream.range(0, 100).map(i -> 200).toArray());
    for (int i = 0; i < 500; i++) {
      log.append("c", 100 + i, new int[] {200});
    }
    final long before = written.get();
    log.append("c", 600, new int[] {200});
    final long one = written.get() - before;
    assertThat(one).isLessThan(40);
  }
}
