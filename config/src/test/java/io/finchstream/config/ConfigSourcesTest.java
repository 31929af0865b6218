package io.finchstream.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigSourcesTest {

  private static final ConfigDef DEF =
      new ConfigDef()
          .define("max.text.bytes", ConfigDef.Type.INT, 10, Importance.HIGH, "Longest text.")
          .define("api.keys", ConfigDef.Type.PASSWORD, "secret", Importance.LOW, "Keys.")
          .define("model.path", ConfigDef.Type.STRING, Importance.MEDIUM, "Model file.");

  @TempDir Path dir;

  @Test
  void shouldLetTheEnvironmentBeatTheFileAndOverridesBeatBoth() throws Exception {
    final Path file = dir.resolve("f.properties");
    Files.writeString(file, "max.text.bytes=1\nmodel.path=/from/file\n");
    final Map<String, Object> props =
        ConfigSources.layered(
            file,
            Map.of(
                "FINCHSTREAM_MAX_TEXT_BYTES",
                "2",
                "FINCHSTREAM_MODEL_PATH",
                "/from/env",
                "HOME",
                "/root"),
            Map.of("model.path", "/from/override"),
            DEF,
            "streams.");
    assertThat(props)
        .containsOnly(Map.entry("max.text.bytes", "2"), Map.entry("model.path", "/from/override"));
  }

  @Test
  void shouldPassThroughOnlyThePrefixAmongUnknownVariables() {
    assertThat(
            ConfigSources.fromEnvironment(
                Map.of(
                    "FINCHSTREAM_STREAMS_NUM_STREAM_THREADS",
                    "2",
                    "FINCHSTREAM_SHARED",
                    "../shared"),
                DEF,
                "streams."))
        .containsOnly(Map.entry("streams.num.stream.threads", "2"));
  }

  @Test
  void shouldNameTheFileThatCannotBeRead() {
    assertThatThrownBy(
            () ->
                ConfigSources.layered(
                    dir.resolve("missing.properties"), Map.of(), Map.of(), DEF, "x."))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("missing.properties");
  }

  @Test
  void shouldDocumentEveryKeyWithItsVariableButNoPasswordOrMissingDefault() {
    final String table = ConfigSources.markdownTable(DEF);
    assertThat(table.lines()).hasSize(5);
    assertThat(table)
        .contains("| `max.text.bytes` | `FINCHSTREAM_MAX_TEXT_BYTES` | int | `10` |")
        .contains("| `api.keys` | `FINCHSTREAM_API_KEYS` | password | `` |")
        .contains("| `model.path` | `FINCHSTREAM_MODEL_PATH` | string | `` |");
    assertThat(table.indexOf("max.text.bytes")).isLessThan(table.indexOf("model.path"));
  }
}
