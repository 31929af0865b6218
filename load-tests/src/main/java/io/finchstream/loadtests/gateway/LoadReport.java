package io.finchstream.loadtests.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;

/** The results of a run as text, JSON, HdrHistogram percentile files and a plot. */
final class LoadReport {

  private static final double[] PERCENTILES = {50, 90, 99, 99.9};

  private final LoadOptions options;
  private final String model;
  private final Latencies total;
  private final double wallSeconds;
  private final Map<String, Double> server;

  /**
   * @param server what the run cost the server ({@link ServerMetrics#delta}; empty if unknown)
   */
  LoadReport(
      final LoadOptions options,
      final String model,
      final Latencies total,
      final double wallSeconds,
      final Map<String, Double> server) {
    this.options = options;
    this.model = model;
    this.total = total;
    this.wallSeconds = wallSeconds;
    this.server = server;
  }

  /**
   * Label of the inter-token histogram: per token (native) or per chunk (OpenAI chunks carry no
   * token counts).
   */
  String interTokenLabel() {
    return options.api().equals("native") ? "inter-token" : "inter-chunk";
  }

  String text() {
    final StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "%d sessions x %d turns (%s API, max_tokens %d, model %s) in %.1f s%n",
            options.sessions(),
            options.turns(),
            options.api(),
            options.maxTokens(),
            model,
            wallSeconds));
    sb.append(
        String.format(
            Locale.ROOT,
            "turns completed %d, completion tokens %d, throughput %.1f tokens/s, %.2f turns/s%n",
            total.turns,
            total.completionTokens,
            total.completionTokens / wallSeconds,
            total.turns / wallSeconds));
    sb.append(
        String.format(
            Locale.ROOT,
            "%-22s %8s %9s %9s %9s %9s %9s %9s%n",
            "latency (ms)",
            "count",
            "mean",
            "p50",
            "p90",
            "p99",
            "p99.9",
            "max"));
    row(sb, "time to first token", total.ttft);
    row(sb, interTokenLabel(), total.interToken);
    row(sb, "whole turn", total.turn);
    if (options.api().equals("native") && total.events > 0) {
      sb.append(
          String.format(
              Locale.ROOT,
              "tokens per event %.2f (%d events; %.1f%% carried more than one token)%n",
              total.eventTokens / (double) total.events,
              total.events,
              100.0 * total.multiTokenEvents / total.events));
    }
    if (!server.isEmpty()) {
      sb.append("server, over the run:");
      server.forEach((k, v) -> sb.append(String.format(Locale.ROOT, "%n  %-36s %12.3f", k, v)));
      sb.append('\n');
    }
    if (!total.errors.isEmpty()) {
      sb.append("errors: ").append(total.errors).append('\n');
      if (total.errors.keySet().stream().anyMatch(k -> k.startsWith("http 429"))) {
        sb.append(
            "  (429: the gateway's rate limit; run the server with FINCHSTREAM_GATEWAY_RATE_LIMIT_PER_SECOND=0)\n");
      }
    }
    return sb.toString();
  }

  private static void row(final StringBuilder sb, final String name, final Histogram h) {
    sb.append(
        String.format(
            Locale.ROOT, "%-22s %8d %9.2f", name, h.getTotalCount(), h.getMean() / 1000.0));
    for (final double p : PERCENTILES) {
      sb.append(String.format(Locale.ROOT, " %9.2f", h.getValueAtPercentile(p) / 1000.0));
    }
    sb.append(String.format(Locale.ROOT, " %9.2f%n", h.getMaxValue() / 1000.0));
  }

  void write(final Path dir) throws IOException {
    Files.createDirectories(dir);
    hgrm(dir.resolve("ttft.hgrm"), total.ttft);
    hgrm(dir.resolve("inter-token.hgrm"), total.interToken);
    hgrm(dir.resolve("turn.hgrm"), total.turn);
    final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    Files.writeString(dir.resolve("summary.json"), json.writeValueAsString(summary(json)) + "\n");
    LatencyPlot.write(
        dir.resolve("latency.png"),
        total,
        interTokenLabel(),
        String.format(
            Locale.ROOT,
            "Gateway: %d sessions, %s API, max_tokens %d (%.0f tokens/s)",
            options.sessions(),
            options.api(),
            options.maxTokens(),
            total.completionTokens / wallSeconds));
  }

  private ObjectNode summary(final ObjectMapper json) {
    final ObjectNode root = json.createObjectNode();
    root.putObject("options")
        .put("url", options.url().toString())
        .put("sessions", options.sessions())
        .put("turns", options.turns())
        .put("max_tokens", options.maxTokens())
        .put("prompt_bytes", options.promptBytes())
        .put("temperature", options.temperature())
        .put("api", options.api())
        .put("seed", options.seed());
    root.put("model", model)
        .put("wall_seconds", wallSeconds)
        .put("turns_completed", total.turns)
        .put("completion_tokens", total.completionTokens)
        .put("prompt_tokens", total.promptTokens)
        .put("cached_tokens", total.cachedTokens)
        .put("tokens_per_second", total.completionTokens / wallSeconds)
        .put("turns_per_second", total.turns / wallSeconds);
    root.put("events", total.events)
        .put("event_tokens", total.eventTokens)
        .put("multi_token_events", total.multiTokenEvents);
    final ObjectNode raw = root.putObject("histograms");
    raw.put("ttft", encode(total.ttft))
        .put("inter_token", encode(total.interToken))
        .put("turn", encode(total.turn));
    final ObjectNode serverNode = root.putObject("server");
    server.forEach(serverNode::put);
    final ObjectNode errors = root.putObject("errors");
    total.errors.forEach(errors::put);
    histogram(root.putObject("ttft_ms"), total.ttft);
    histogram(root.putObject(interTokenLabel().replace('-', '_') + "_ms"), total.interToken);
    histogram(root.putObject("turn_ms"), total.turn);
    return root;
  }

  /** {@code h} in HdrHistogram's compressed form, base64 (to merge runs later). */
  static String encode(final Histogram h) {
    final ByteBuffer buffer = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
    final int n = h.encodeIntoCompressedByteBuffer(buffer);
    return Base64.getEncoder().encodeToString(Arrays.copyOf(buffer.array(), n));
  }

  /** The histogram {@link #encode} wrote. */
  static Histogram decode(final String base64) {
    try {
      return Histogram.decodeFromCompressedByteBuffer(
          ByteBuffer.wrap(Base64.getDecoder().decode(base64)), Latencies.HIGHEST_MICROS);
    } catch (final DataFormatException e) {
      throw new IllegalArgumentException("not an encoded histogram", e);
    }
  }

  private static void histogram(final ObjectNode node, final Histogram h) {
    node.put("count", h.getTotalCount()).put("mean", h.getMean() / 1000.0);
    for (final double p : PERCENTILES) {
      node.put(
          "p" + (p == Math.rint(p) ? Integer.toString((int) p) : Double.toString(p)),
          h.getValueAtPercentile(p) / 1000.0);
    }
    node.put("max", h.getMaxValue() / 1000.0);
  }

  private static void hgrm(final Path file, final Histogram h) throws IOException {
    try (PrintStream out =
        new PrintStream(Files.newOutputStream(file), false, StandardCharsets.UTF_8)) {
      h.outputPercentileDistribution(out, 1000.0); // microseconds -> milliseconds
    }
  }
}
