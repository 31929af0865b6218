package io.finchstream.loadtests.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * What resending the whole history costs a stateless OpenAI client, per turn number (issue 11):
 * {@code run} drives ONE chat of {@code --turns} turns through {@code /v1/chat/completions} without
 * {@code X-Conversation-Id} (every turn resends every earlier message, as {@link ChatSession} with
 * {@code --api openai-stateless} does), temperature 0, and writes one JSON file with, per turn, the
 * request's wall time, time to first chunk, prompt_tokens and cached_tokens. {@code report} reads
 * every run's JSON in a directory, groups them by {@code --label} (one configuration of the server,
 * e.g. automatic reuse on or off) and writes the median per turn number over the runs of each label
 * as a markdown table ({@code resend-cost.md}) and a plot of time per turn against turn number
 * ({@code resend-cost.png}). load-tests/bin/resend-cost.sh runs it against {@code ./finchstream
 * up}.
 *
 * <pre>
 * ResendCost run --url URL --label NAME --out FILE.json [--turns 50] [--prompt-bytes 1300]
 *                [--max-tokens 16] [--seed 1] [--api-key KEY]
 * ResendCost report DIR
 * </pre>
 */
public final class ResendCost {

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private ResendCost() {}

  public static void main(final String[] args) throws Exception {
    System.setProperty("java.awt.headless", "true");
    if (args.length >= 1 && args[0].equals("run")) {
      run(Arrays.copyOfRange(args, 1, args.length));
    } else if (args.length == 2 && args[0].equals("report")) {
      report(Path.of(args[1]));
    } else {
      System.err.println(
          "usage: ResendCost run --url URL --label NAME --out FILE.json [--turns 50]"
              + " [--prompt-bytes 1300] [--max-tokens 16] [--seed 1] [--api-key KEY]\n"
              + "       ResendCost report DIR");
      System.exit(2);
    }
  }

  private static void run(final String[] args) throws Exception {
    final Map<String, String> o = new LinkedHashMap<>();
    o.put("--url", "http://localhost:8080");
    o.put("--label", null);
    o.put("--out", null);
    o.put("--turns", "50");
    o.put("--prompt-bytes", "1300");
    o.put("--max-tokens", "16");
    o.put("--seed", "1");
    o.put("--api-key", System.getenv("FINCHSTREAM_API_KEY"));
    for (int i = 0; i < args.length; i += 2) {
      if (!o.containsKey(args[i]) || i + 1 >= args.length) {
        throw new IllegalArgumentException("unknown option or missing value: " + args[i]);
      }
      o.put(args[i], args[i + 1]);
    }
    if (o.get("--label") == null || o.get("--out") == null) {
      throw new IllegalArgumentException("--label and --out are required");
    }
    final String url = o.get("--url").replaceAll("/+$", "");
    final String key = o.get("--api-key");
    final Path out = Path.of(o.get("--out"));
    final LoadOptions options =
        new LoadOptions(
            URI.create(url),
            1,
            Integer.parseInt(o.get("--turns")),
            Integer.parseInt(o.get("--max-tokens")),
            Integer.parseInt(o.get("--prompt-bytes")),
            0.0,
            "openai-stateless",
            key == null || key.isBlank() ? null : key,
            out.toAbsolutePath().getParent(),
            Long.parseLong(o.get("--seed")));
    final HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    final String model = ChatLoad.model(http, options);
    System.err.printf(
        "resend-cost: %s, one stateless chat of %d turns, ~%d bytes per user message, model %s%n",
        o.get("--label"), options.turns(), options.promptBytes(), model);
    final Latencies l = new ChatSession(http, options, model, "resend", 0).call();
    final ObjectNode root = JSON.createObjectNode();
    root.put("label", o.get("--label"))
        .put("model", model)
        .put("turns", options.turns())
        .put("prompt_bytes", options.promptBytes())
        .put("max_tokens", options.maxTokens())
        .put("seed", options.seed());
    root.set("errors", JSON.valueToTree(l.errors));
    final ArrayNode rows = root.putArray("per_turn");
    for (final Latencies.TurnSample t : l.perTurn) {
      rows.addObject()
          .put("turn", t.turn())
          .put("wall_ms", t.wallMicros() / 1000.0)
          .put("ttft_ms", t.ttftMicros() < 0 ? -1 : t.ttftMicros() / 1000.0)
          .put("prompt_tokens", t.promptTokens())
          .put("cached_tokens", t.cachedTokens())
          .put("completion_tokens", t.completionTokens());
      System.err.printf(
          "turn %3d: %8.1f ms, prompt %6d, cached %6d%n",
          t.turn(), t.wallMicros() / 1000.0, t.promptTokens(), t.cachedTokens());
    }
    Files.createDirectories(out.toAbsolutePath().getParent());
    JSON.writeValue(out.toFile(), root);
    if (l.perTurn.size() < options.turns()) {
      System.err.println("resend-cost: only " + l.perTurn.size() + " turns succeeded: " + l.errors);
      System.exit(1);
    }
  }

  /** One label's medians per turn number. */
  record Series(
      String label,
      int runs,
      List<Integer> turn,
      List<Double> wallMs,
      List<Long> promptTokens,
      List<Long> cachedTokens) {

    /** Median wall time at {@code turn} (1-based), or NaN when no run reached it. */
    double wallAt(final int n) {
      final int i = turn.indexOf(n);
      return i < 0 ? Double.NaN : wallMs.get(i);
    }

    /**
     * Mean of the median wall times of turns [from, to] (1-based, inclusive), or NaN when a turn is
     * missing: a window's mean, less at the mercy of one noisy turn than a single turn.
     */
    double meanWall(final int from, final int to) {
      double sum = 0;
      for (int n = from; n <= to; n++) {
        sum += wallAt(n);
      }
      return sum / (to - from + 1);
    }
  }

  static List<Series> read(final Path dir) throws IOException {
    final Map<String, List<JsonNode>> byLabel = new TreeMap<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (final Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
        final JsonNode run = JSON.readTree(f.toFile());
        if (run.has("per_turn")) {
          byLabel.computeIfAbsent(run.path("label").asText(), k -> new ArrayList<>()).add(run);
        }
      }
    }
    final List<Series> out = new ArrayList<>();
    byLabel.forEach(
        (label, runs) -> {
          final Map<Integer, List<JsonNode>> byTurn = new TreeMap<>();
          for (final JsonNode run : runs) {
            run.path("per_turn")
                .forEach(
                    t ->
                        byTurn
                            .computeIfAbsent(t.path("turn").asInt(), k -> new ArrayList<>())
                            .add(t));
          }
          final Series s =
              new Series(
                  label,
                  runs.size(),
                  new ArrayList<>(),
                  new ArrayList<>(),
                  new ArrayList<>(),
                  new ArrayList<>());
          byTurn.forEach(
              (n, samples) -> {
                s.turn().add(n);
                s.wallMs().add(median(samples, "wall_ms"));
                s.promptTokens().add(Math.round(median(samples, "prompt_tokens")));
                s.cachedTokens().add(Math.round(median(samples, "cached_tokens")));
              });
          out.add(s);
        });
    return out;
  }

  static double median(final List<JsonNode> samples, final String field) {
    final double[] v =
        samples.stream().mapToDouble(t -> t.path(field).asDouble()).sorted().toArray();
    final int m = v.length / 2;
    return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
  }

  private static void report(final Path dir) throws IOException {
    final List<Series> series = read(dir);
    if (series.isEmpty()) {
      throw new IOException("no run JSON (with per_turn) in " + dir);
    }
    final Path md = dir.resolve("resend-cost.md");
    Files.writeString(md, markdown(series));
    final Path png = dir.resolve("resend-cost.png");
    plot(series, png);
    System.out.print(Files.readString(md));
    System.err.println("wrote " + md.toAbsolutePath() + " and " + png.toAbsolutePath());
  }

  /**
   * The table: for turns 1, 2, then every fifth and the last, the median wall time, prompt_tokens
   * and cached_tokens of each label; then each label's last turn ÷ turn 2 and, when there are
   * enough turns, the mean of the last {@link #WINDOW} turns ÷ the mean of turns 2 onwards.
   */
  static String markdown(final List<Series> series) {
    final int last = series.stream().mapToInt(s -> s.turn().getLast()).max().orElse(0);
    final StringBuilder sb = new StringBuilder("| turn |");
    final StringBuilder rule = new StringBuilder("|---:|");
    for (final Series s : series) {
      sb.append(
          String.format(
              Locale.ROOT, " %s: ms | %s: prompt | %s: cached |", s.label(), s.label(), s.label()));
      rule.append("---:|---:|---:|");
    }
    sb.append('\n').append(rule).append('\n');
    for (int n = 1; n <= last; n++) {
      if (n > 2 && n % 5 != 0 && n != last) {
        continue;
      }
      sb.append("| ").append(n).append(" |");
      for (final Series s : series) {
        final int i = s.turn().indexOf(n);
        if (i < 0) {
          sb.append(" – | – | – |");
        } else {
          sb.append(
              String.format(
                  Locale.ROOT,
                  " %.0f | %d | %d |",
                  s.wallMs().get(i),
                  s.promptTokens().get(i),
                  s.cachedTokens().get(i)));
        }
      }
      sb.append('\n');
    }
    sb.append('\n');
    for (final Series s : series) {
      final int lastTurn = s.turn().getLast();
      sb.append(
          String.format(
              Locale.ROOT,
              "- %s (median of %d run%s): turn %d ÷ turn 2 = **%.2f×** (%.0f ms ÷ %.0f ms)%n",
              s.label(),
              s.runs(),
              s.runs() == 1 ? "" : "s",
              lastTurn,
              s.wallAt(lastTurn) / s.wallAt(2),
              s.wallAt(lastTurn),
              s.wallAt(2)));
      if (lastTurn >= 2 + 2 * WINDOW) {
        final int from = lastTurn - WINDOW + 1;
        sb.append(
            String.format(
                Locale.ROOT,
                "- %s: mean of turns %d–%d ÷ mean of turns 2–%d = **%.2f×** (%.0f ms ÷ %.0f ms)%n",
                s.label(),
                from,
                lastTurn,
                1 + WINDOW,
                s.meanWall(from, lastTurn) / s.meanWall(2, 1 + WINDOW),
                s.meanWall(from, lastTurn),
                s.meanWall(2, 1 + WINDOW)));
      }
    }
    return sb.toString();
  }

  /** Turns per window of the smoothed ratio: the last ones against turns 2 onwards. */
  static final int WINDOW = 5;

  private static void plot(final List<Series> series, final Path png) throws IOException {
    final XYChart chart =
        new XYChartBuilder()
            .width(900)
            .height(540)
            .title("Stateless chat: time per turn (whole history resent every turn)")
            .xAxisTitle("turn number")
            .yAxisTitle("request wall time, ms (median over runs)")
            .build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    for (final Series s : series) {
      final List<Double> x = s.turn().stream().map(Integer::doubleValue).toList();
      chart
          .addSeries(s.label() + " (" + s.runs() + " runs)", x, s.wallMs())
          .setMarker(SeriesMarkers.CIRCLE);
    }
    Files.createDirectories(png.toAbsolutePath().getParent());
    BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
  }
}
