package io.finchstream.processors.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

class BoundedMemoryRocksDBConfigTest {

  static {
    RocksDB.loadLibrary();
  }

  @Test
  void shouldGiveEveryStoreTheSameCacheAndWriteBufferManagerWithCachedIndexAndFilterBlocks() {
    final Map<String, Object> configs =
        Map.of(
            BoundedMemoryRocksDBConfig.BLOCK_CACHE_BYTES,
            64L << 20,
            BoundedMemoryRocksDBConfig.WRITE_BUFFER_BYTES,
            "16777216");
    final BoundedMemoryRocksDBConfig setter = new BoundedMemoryRocksDBConfig();
    try (Options a = new Options().setTableFormatConfig(new BlockBasedTableConfig());
        Options b = new Options().setTableFormatConfig(new BlockBasedTableConfig())) {
      setter.setConfig("conversation-meta", a, configs);
      setter.setConfig("conversation-tokens", b, configs);
      final BoundedMemoryRocksDBConfig.Shared shared = BoundedMemoryRocksDBConfig.shared(configs);
      assertThat(BoundedMemoryRocksDBConfig.shared(Map.of())).isEqualTo(shared);
      for (final Options o : new Options[] {a, b}) {
        final BlockBasedTableConfig table = (BlockBasedTableConfig) o.tableFormatConfig();
        assertThat(table.cacheIndexAndFilterBlocks()).isTrue();
        assertThat(table.cacheIndexAndFilterBlocksWithHighPriority()).isTrue();
        assertThat(table.pinTopLevelIndexAndFilter()).isTrue();
        assertThat(o.writeBufferSize())
            .isLessThanOrEqualTo(BoundedMemoryRocksDBConfig.WRITE_BUFFER_SIZE_PER_STORE);
        assertThat(o.maxWriteBufferNumber()).isEqualTo(2);
      }
      assertThat(shared.bufferBytes()).isLessThan(shared.cacheBytes());
      setter.close("conversation-meta", a);
      assertThat(BoundedMemoryRocksDBConfig.shared(configs).cache().isOwningHandle())
          .as("shared cache survives a store's close")
          .isTrue();
    }
  }
}
