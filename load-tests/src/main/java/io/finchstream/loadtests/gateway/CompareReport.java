package io.finchstream.loadtests.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.BasicStroke;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Compares the runs of {@code streaming-bench.sh}: for every configuration (all its rounds merged:
 * histograms added, throughputs and server figures as medians over the rounds), a Markdown table
 * (compare.md) with throughput against the first configuration of the same run, time to first
 * token, inter-token gaps per token, tokens per event, and what it cost the server (transactions,
 * records and CPU); and one plot (compare.png) of time to first token and inter-token gap against
 * percentile for every configuration.
 *
 * <p>Usage: {@code CompareReport DIR NAME...} (the configurations in the order to show them; the
 * first is the baseline of the ratios).
 */
public final class CompareReport {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One configuration's rounds, merged. */
  private static final class Config {
    final String name;
    String settings = "";
    final Histogram ttft = Latencies.histogram();
    final Histogram interToken = Latencies.histogram();
    final Histogram turn = Latencies.histogram();
    final List<Double> throughput = new ArrayList<>();
    final List<Double> tokensPerEvent = new ArrayList<>();
    final List<Double> multiTokenEvents = new ArrayList<>();
    final Map<String, List<Double>> server = new LinkedHashMap<>();
    long errors;

    Config(final String name) {
      this.name = name;
    }
  }

  private CompareReport() {}

  public static void main(final String[] args) throws IOException {
    System.setProperty("java.awt.headless", "true");
    if (args.length < 2) {
      System.err.println("usage: CompareReport DIR NAME...");
      System.exit(2);
    }
    final Path dir = Path.of(args[0]);
    final Map<String, Config> configs = new LinkedHashMap<>();
    for (final String name : Arrays.copyOfRange(args, 1, args.length)) {
      configs.put(name, new Config(name));
    }
    try (Stream<Path> runs = Files.list(dir)) {
      for (final Path run : runs.sorted().toList()) {
        final Path summary = run.resolve("summary.json");
        final Path nameFile = run.resolve("config-name");
        if (!Files.exists(summary) || !Files.exists(nameFile)) {
          continue;
        }
        final Config c = configs.get(Files.readString(nameFile).strip());
        if (c != null) {
          c.settings = Files.readString(run.resolve("config-settings")).strip();
          add(c, JSON.readTree(summary.toFile()));
        }
      }
    }
    final String table = table(new ArrayList<>(configs.values()));
    Files.writeString(dir.resolve("compare.md"), table);
    System.out.print(table);
    plot(dir.resolve("compare.png"), new ArrayList<>(configs.values()));
    System.err.println("wrote " + dir.resolve("compare.md") + " and " + dir.resolve("compare.png"));
  }

  private static void add(final Config c, final JsonNode s) {
    final JsonNode h = s.path("histograms");
    c.ttft.add(LoadReport.decode(h.path("ttft").asText()));
    c.interToken.add(LoadReport.decode(h.path("inter_token").asText()));
    c.turn.add(LoadReport.decode(h.path("turn").asText()));
    c.throughput.add(s.path("tokens_per_second").asDouble());
    final long events = s.path("events").asLong();
    if (events > 0 && s.path("event_tokens").asLong() > 0) {
      c.tokensPerEvent.add(s.path("event_tokens").asDouble() / events);
      c.multiTokenEvents.add(100.0 * s.path("multi_token_events").asDouble() / events);
    }
    for (final Map.Entry<String, JsonNode> e : s.path("server").properties()) {
      c.server.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue().asDouble());
    }
    for (final Map.Entry<String, JsonNode> e : s.path("errors").properties()) {
      c.errors += e.getValue().asLong();
    }
  }

  static double median(final List<Double> values) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    final double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  private static String ms(final Histogram h, final double percentile) {
    return h.getTotalCount() == 0
        ? "–"
        : String.format(Locale.ROOT, "%.0f", h.getValueAtPercentile(percentile) / 1000.0);
  }

  private static String num(final double v, final String format) {
    return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, format, v);
  }

  private static String table(final List<Config> configs) {
    final double base = configs.isEmpty() ? Double.NaN : median(configs.get(0).throughput);
    final StringBuilder sb = new StringBuilder();
    sb.append(
        "| configuration | rounds | tokens/s | vs first | TTFT p50 / p90 / p99 ms | inter-token p50 / p90 / p99 ms (per token) | tokens per event | events with >1 token | token delay ≤ 20 ms | transactions/s | records/s | server CPU ms/token | errors |\n");
    sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (final Config c : configs) {
      final double tps = median(c.throughput);
      sb.append("| `")
          .append(c.name)
          .append("`")
          .append(c.settings.isEmpty() ? "" : " (" + c.settings.replace(",", ", ") + ")")
          .append(" | ")
          .append(c.throughput.size())
          .append(" | ")
          .append(num(tps, "%.0f"))
          .append(" | ")
          .append(num(tps / base, "%.2f"))
          .append(" | ")
          .append(ms(c.ttft, 50))
          .append(" / ")
          .append(ms(c.ttft, 90))
          .append(" / ")
          .append(ms(c.ttft, 99))
          .append(" | ")
          .append(ms(c.interToken, 50))
          .append(" / ")
          .append(ms(c.interToken, 90))
          .append(" / ")
          .append(ms(c.interToken, 99))
          .append(" | ")
          .append(num(median(c.tokensPerEvent), "%.2f"))
          .append(" | ")
          .append(num(median(c.multiTokenEvents), "%.1f%%"))
          .append(" | ")
          .append(
              num(
                  median(c.server.getOrDefault("token_delay_within_20ms_fraction", List.of()))
                      * 100,
                  "%.1f%%"))
          .append(" | ")
          .append(num(median(c.server.getOrDefault("transactions_per_second", List.of())), "%.1f"))
          .append(" | ")
          .append(num(median(c.server.getOrDefault("records_per_second", List.of())), "%.0f"))
          .append(" | ")
          .append(num(median(c.server.getOrDefault("server_cpu_ms_per_token", List.of())), "%.2f"))
          .append(" | ")
          .append(c.errors)
          .append(" |\n");
    }
    return sb.toString();
  }

  private static void plot(final Path png, final List<Config> configs) throws IOException {
    final XYChart chart =
        new XYChartBuilder()
            .width(1000)
            .height(600)
            .title("Time to first token (solid) and inter-token gap per token (dashed)")
            .xAxisTitle("percentile, as 1/(1-p): 2 = p50, 10 = p90, 100 = p99, 1000 = p99.9")
            .yAxisTitle("latency (ms)")
            .build();
    chart.getStyler().setXAxisLogarithmic(true);
    chart.getStyler().setYAxisLogarithmic(true);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    for (final Config c : configs) {
      series(chart, c.name + ": first token", c.ttft, SeriesLines.SOLID);
      series(chart, c.name + ": inter-token", c.interToken, SeriesLines.DASH_DASH);
    }
    if (!chart.getSeriesMap().isEmpty()) {
      BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
  }

  private static void series(
      final XYChart chart, final String name, final Histogram h, final BasicStroke line) {
    if (h.getTotalCount() == 0) {
      return;
    }
    final List<Double> x = new ArrayList<>();
    final List<Double> y = new ArrayList<>();
    for (final HistogramIterationValue v : h.percentiles(5)) {
      final double p = v.getPercentileLevelIteratedTo() / 100.0;
      if (p >= 0.9999) {
        break;
      }
      x.add(1 / (1 - p));
      y.add(Math.max(0.01, v.getValueIteratedTo() / 1000.0));
    }
    if (!x.isEmpty()) {
      chart.addSeries(name, x, y).setMarker(SeriesMarkers.NONE).setLineStyle(line);
    }
  }
}
