package io.finchstream.processors.store;

import java.util.Map;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

/**
 * Bounds the off-heap memory of every RocksDB store of this JVM (Kafka Streams' "bounded memory"
 * recipe, kafka-notes §2.4): one LRU block cache shared by all stores of all tasks, with index and
 * filter blocks charged to it (high priority, top level pinned), and one {@link WriteBufferManager}
 * that charges every memtable to the same cache. Without it each store of each task gets its own 50
 * MiB cache and 3 × 16 MiB memtables.
 *
 * <p>Sizes come from the Streams configuration map: {@link #BLOCK_CACHE_BYTES} (total) and {@link
 * #WRITE_BUFFER_BYTES} (memtables, part of the total), which {@code FinchstreamService} fills from
 * {@code rocksdb.block.cache.bytes} and {@code rocksdb.write.buffer.bytes}. The shared objects live
 * for the JVM's lifetime (they are static: stores come and go with tasks, the budget stays), and
 * are created by the first store with the first configuration seen; {@link #close} closes nothing
 * shared, per the RocksDB and Kafka Streams guidance.
 */
public final class BoundedMemoryRocksDBConfig implements RocksDBConfigSetter {

  /** Streams-config key of the total cache size in bytes. */
  public static final String BLOCK_CACHE_BYTES = "finchstream.rocksdb.block.cache.bytes";

  /** Streams-config key of the memtable budget in bytes (charged to the block cache). */
  public static final String WRITE_BUFFER_BYTES = "finchstream.rocksdb.write.buffer.bytes";

  static final long DEFAULT_BLOCK_CACHE_BYTES = 128L << 20;
  static final long DEFAULT_WRITE_BUFFER_BYTES = 32L << 20;

  /** Memtable size per store; small, because there are many stores and values are chunked. */
  static final long WRITE_BUFFER_SIZE_PER_STORE = 8L << 20;

  /** Share of the cache reserved for index and filter blocks. */
  private static final double HIGH_PRIORITY_RATIO = 0.1;

  private static Cache cache;
  private static WriteBufferManager writeBufferManager;
  private static long cacheBytes;
  private static long bufferBytes;

  @Override
  public void setConfig(
      final String storeName, final Options options, final Map<String, Object> configs) {
    final Shared shared = shared(configs);
    final BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
    table.setBlockCache(shared.cache());
    table.setCacheIndexAndFilterBlocks(true);
    table.setCacheIndexAndFilterBlocksWithHighPriority(true);
    table.setPinTopLevelIndexAndFilter(true);
    options.setTableFormatConfig(table);
    options.setWriteBufferManager(shared.writeBufferManager());
    options.setWriteBufferSize(Math.min(WRITE_BUFFER_SIZE_PER_STORE, shared.bufferBytes()));
    options.setMaxWriteBufferNumber(2);
  }

  @Override
  public void close(final String storeName, final Options options) {
    // The cache and the write-buffer manager are shared by all stores: never closed here.
  }

  /** The shared cache and manager, created on first use with {@code configs}' sizes. */
  static synchronized Shared shared(final Map<String, Object> configs) {
    if (cache == null) {
      cacheBytes = longValue(configs.get(BLOCK_CACHE_BYTES), DEFAULT_BLOCK_CACHE_BYTES);
      bufferBytes =
          Math.min(
              longValue(configs.get(WRITE_BUFFER_BYTES), DEFAULT_WRITE_BUFFER_BYTES),
              cacheBytes / 2);
      cache = new LRUCache(cacheBytes, -1, false, HIGH_PRIORITY_RATIO);
      writeBufferManager = new WriteBufferManager(bufferBytes, cache);
    }
    return new Shared(cache, writeBufferManager, cacheBytes, bufferBytes);
  }

  private static long longValue(final Object v, final long dflt) {
    if (v == null) {
      return dflt;
    }
    return v instanceof Number n ? n.longValue() : Long.parseLong(v.toString().trim());
  }

  /** The JVM-wide objects and their sizes. */
  record Shared(
      Cache cache, WriteBufferManager writeBufferManager, long cacheBytes, long bufferBytes) {}
}
