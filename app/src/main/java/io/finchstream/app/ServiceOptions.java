package io.finchstream.app;

import io.finchstream.processors.FinchstreamConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Options of the commands that run the processors: a properties file, {@code --set key=value}
 * overrides, and a few common settings as options. Environment variables ({@code
 * FINCHSTREAM_FOO_BAR}) apply too; see docs/CONFIGURATION.md for every key.
 */
final class ServiceOptions {

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "Properties file with Finchstream settings (see docs/CONFIGURATION.md).")
  Path configFile;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description =
          "Any setting, e.g. --set snapshot.interval.tokens=1024 or --set streams.num.stream.threads=2.")
  Map<String, String> settings = new HashMap<>();

  @Option(
      names = "--application-server",
      paramLabel = "HOST:PORT",
      description =
          "The address other instances reach this instance's gateway at, to route its"
              + " conversations' reads there. Default: the gateway's own HOST:PORT (--host,"
              + " --port; the machine's host name when it binds every interface).")
  String applicationServer;

  @Option(
      names = "--partitions",
      paramLabel = "N",
      description = "Partitions of the topics created at start (default 6).")
  Integer partitions;

  @Option(
      names = "--vocab",
      paramLabel = "FILE",
      description =
          "RWKV World vocabulary file (rwkv_vocab_v20230424.txt), for models with a 65536-token vocabulary.")
  Path vocab;

  /** The configuration: file, environment, then these options (and {@code fixed}) win. */
  FinchstreamConfig config(final Map<String, Object> fixed) {
    return config(Map.of(), fixed);
  }

  /** As {@link #config(Map)}, over the command's own {@code defaults}. */
  FinchstreamConfig config(final Map<String, Object> defaults, final Map<String, Object> fixed) {
    final Map<String, Object> overrides = new HashMap<>(settings);
    if (applicationServer != null) {
      overrides.put(FinchstreamConfig.APPLICATION_SERVER_CONFIG, applicationServer);
    }
    if (partitions != null) {
      overrides.put(FinchstreamConfig.TOPIC_PARTITIONS_CONFIG, partitions);
    }
    if (vocab != null) {
      overrides.put(FinchstreamConfig.TOKENIZER_VOCAB_CONFIG, vocab.toString());
    }
    overrides.putAll(fixed);
    return FinchstreamConfig.load(defaults, configFile, System.getenv(), overrides);
  }
}
