package io.finchstream.processors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FinchstreamConfigTest {

  @TempDir Path dir;

  @Test
  void shouldLetEnvironmentOverrideTheFileAndOverridesWinOverBoth() throws Exception {
    final Path file = dir.resolve("finchstream.properties");
    Files.writeString(
        file, "max.text.bytes=1000\nsnapshot.interval.tokens=10\nbootstrap.servers=file:1\n");
    final FinchstreamConfig config =
        FinchstreamConfig.load(
            file,
            Map.of(
                "FINCHSTREAM_MAX_TEXT_BYTES",
                "2000",
                "FINCHSTREAM_BOOTSTRAP_SERVERS",
                "env:2",
                "PATH",
                "/bin"),
            Map.of("bootstrap.servers", "cli:3"));
    assertThat(config.getInt(FinchstreamConfig.MAX_TEXT_BYTES_CONFIG)).isEqualTo(2000);
    assertThat(config.getInt(FinchstreamConfig.SNAPSHOT_INTERVAL_TOKENS_CONFIG)).isEqualTo(10);
    assertThat(config.getString(FinchstreamConfig.BOOTSTRAP_SERVERS_CONFIG)).isEqualTo("cli:3");
  }

  @Test
  void shouldIgnoreEnvironmentVariablesThatNameNoSettingButPassStreamsOnesThrough() {
    final Map<String, String> env =
        FinchstreamConfig.fromEnvironment(
            Map.of(
                "FINCHSTREAM_SHARED",
                "/data",
                "FINCHSTREAM_STREAMS_NUM_STREAM_THREADS",
                "2",
                "FINCHSTREAM_HOT_CACHE_MAX_BYTES",
                "5"));
    assertThat(env)
        .containsOnly(
            Map.entry("streams.num.stream.threads", "2"), Map.entry("hot.cache.max.bytes", "5"));
    final FinchstreamConfig config = new FinchstreamConfig(env);
    assertThat(config.streamsOverrides()).containsEntry("num.stream.threads", "2");
    assertThat(config.getLong(FinchstreamConfig.HOT_CACHE_MAX_BYTES_CONFIG)).isEqualTo(5L);
  }

  @Test
  void shouldNameTheKeyOfAnInvalidValue() {
    assertThatThrownBy(() -> new FinchstreamConfig(Map.of("snapshot.part.bytes", "10")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("snapshot.part.bytes");
    assertThatThrownBy(
            () ->
                new FinchstreamConfig(
                    Map.of(
                        "rocksdb.block.cache.bytes",
                        "2097152",
                        "rocksdb.write.buffer.bytes",
                        "4194304")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("rocksdb.write.buffer.bytes");
    assertThatThrownBy(
            () -> FinchstreamConfig.load(dir.resolve("missing.properties"), Map.of(), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("missing.properties");
  }

  @Test
  void shouldDocumentEveryKeyInTheGeneratedTable() {
    final String table = FinchstreamConfig.markdownTable();
    for (final String name : FinchstreamConfig.CONFIG.names()) {
      assertThat(table).contains("`" + name + "`");
      assertThat(FinchstreamConfig.CONFIG.configKeys().get(name).documentation).isNotBlank();
    }
  }
}
