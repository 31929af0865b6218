package io.finchstream.processors.testing;

import io.finchstream.processors.store.BinaryStore;
import io.finchstream.processors.store.KafkaBinaryStore;
import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * Real RocksDB key-value stores (Kafka Streams' own implementation, changelog off) in a directory,
 * for unit tests of the store classes without a broker. Close it to close the stores.
 */
public final class RocksStores implements AutoCloseable {

  private final MockProcessorContext<Object, Object> context;
  private final List<KeyValueStore<Bytes, byte[]>> open = new ArrayList<>();

  public RocksStores(final Path dir) {
    final Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "store-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    context = new MockProcessorContext<>(props, new TaskId(0, 0), dir.toFile());
  }

  /** Opens a new RocksDB store named {@code name}. */
  public BinaryStore open(final String name) {
    final KeyValueStore<Bytes, byte[]> store =
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(name), Serdes.Bytes(), Serdes.ByteArray())
            .withLoggingDisabled()
            .withCachingDisabled()
            .build();
    store.init(context.getStateStoreContext(), store);
    open.add(store);
    return new KafkaBinaryStore(store);
  }

  /** The state directory. */
  public File dir() {
    return context.stateDir();
  }

  @Override
  public void close() {
    open.forEach(KeyValueStore::close);
  }
}
