package io.finchstream.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * Where a Finchstream configuration comes from, the same for every {@link ConfigDef} of the
 * project: a properties file, then the environment ({@code FINCHSTREAM_MAX_TEXT_BYTES=1000} is
 * {@code max.text.bytes=1000}), then explicit overrides, later sources winning; and the Markdown
 * reference generated from the definition.
 */
public final class ConfigSources {

  /** Environment variables that set configuration keys start with this. */
  public static final String ENV_PREFIX = "FINCHSTREAM_";

  private ConfigSources() {}

  /**
   * The settings of {@code file} (may be null), then of the environment ({@link #fromEnvironment}),
   * then {@code overrides}.
   *
   * @throws ConfigException when the file cannot be read
   */
  public static Map<String, Object> layered(
      final Path file,
      final Map<String, String> env,
      final Map<String, ?> overrides,
      final ConfigDef definition,
      final String passThroughPrefix) {
    final Map<String, Object> props = new HashMap<>();
    if (file != null) {
      final Properties fromFile = new Properties();
      try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        fromFile.load(reader);
      } catch (final IOException e) {
        throw new ConfigException("cannot read configuration file " + file + ": " + e.getMessage());
      }
      fromFile.forEach((k, v) -> props.put(k.toString(), v));
    }
    props.putAll(fromEnvironment(env, definition, passThroughPrefix));
    props.putAll(overrides);
    return props;
  }

  /**
   * The settings named by environment variables: {@code FINCHSTREAM_A_B=v} gives {@code a.b=v}.
   * Variables that name no key of {@code definition} are ignored, except those whose key starts
   * with {@code passThroughPrefix} (settings passed on to Kafka as they are).
   */
  public static Map<String, String> fromEnvironment(
      final Map<String, String> env, final ConfigDef definition, final String passThroughPrefix) {
    final Map<String, String> out = new HashMap<>();
    env.forEach(
        (name, value) -> {
          if (name.startsWith(ENV_PREFIX)) {
            final String key =
                name.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
            if (definition.names().contains(key) || key.startsWith(passThroughPrefix)) {
              out.put(key, value);
            }
          }
        });
    return out;
  }

  /** The environment variable that sets {@code key}. */
  public static String environmentVariable(final String key) {
    return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_');
  }

  /**
   * The configuration reference as a Markdown table, by importance then name; passwords show no
   * default.
   */
  public static String markdownTable(final ConfigDef definition) {
    final List<ConfigDef.ConfigKey> keys = new ArrayList<>(definition.configKeys().values());
    keys.sort(
        Comparator.comparing((ConfigDef.ConfigKey k) -> k.importance).thenComparing(k -> k.name));
    final StringBuilder sb = new StringBuilder();
    sb.append("| key | environment | type | default | valid values | importance | description |\n");
    sb.append("|---|---|---|---|---|---|---|\n");
    for (final ConfigDef.ConfigKey key : keys) {
      final String dflt =
          key.type == ConfigDef.Type.PASSWORD || !key.hasDefault()
              ? ""
              : ConfigDef.convertToString(key.defaultValue, key.type);
      sb.append("| `")
          .append(key.name)
          .append("` | `")
          .append(environmentVariable(key.name))
          .append("` | ")
          .append(key.type.name().toLowerCase(Locale.ROOT))
          .append(" | `")
          .append(dflt)
          .append("` | ")
          .append(key.validator == null ? "" : key.validator.toString())
          .append(" | ")
          .append(key.importance.name().toLowerCase(Locale.ROOT))
          .append(" | ")
          .append(key.documentation)
          .append(" |\n");
    }
    return sb.toString();
  }
}
