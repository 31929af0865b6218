package io.finchstream.loadtests.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.stream.DoubleStream;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The soak test's data and what it says ({@link Soak}): the server's memory sampled every few
 * seconds ({@code samples.csv}), every small chat turn ({@code turns.csv}) and the long
 * conversation's story ({@code run.json}) in; a summary ({@code summary.json}, {@code summary.md})
 * and a plot ({@code soak.png}) out.
 *
 * <p>The summary compares two windows of {@code window} seconds: the first one after the warm-up
 * (and after the long conversation held exactly its bound, or else was first refused, if that came
 * later) and the last one of the run. A memory figure is the window's mean, except the heap, whose
 * used bytes saw-tooth with every collection: its figure is the window's lowest sample (the floor
 * after a collection). Latency figures are percentiles of the turns that ended in the window. A
 * figure is called flat when the last window is at most {@code 1 + tolerance} times the first, or
 * above it by no more than an absolute slack (8 MiB for memory, 50 ms for latency) that keeps
 * small, noisy figures from failing on noise. The slope (least squares over every sample from the
 * first window on, per minute) shows a trend the two windows might hide.
 */
final class SoakReport {

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  static final double MIB = 1024.0 * 1024.0;
  static final double MEMORY_SLACK_BYTES = 8 * MIB;
  static final double LATENCY_SLACK_MS = 50;

  /** The columns of {@code samples.csv}, in order (t_s first). */
  static final List<String> COLUMNS =
      List.of(
          "t_s",
          "heap_used_bytes",
          "heap_committed_bytes",
          "gc_live_data_bytes",
          "rocksdb_block_cache_bytes",
          "rocksdb_memtable_bytes",
          "rocksdb_pinned_bytes",
          "rocksdb_table_readers_bytes",
          "hot_state_bytes",
          "rss_bytes",
          "long_tokens",
          "long_refusals",
          "dlq_conversation_too_long",
          "hot_evictions",
          "small_turns",
          "small_errors");

  /** One sample: seconds since the start and a value per column (NaN: not exposed yet). */
  record Sample(double t, Map<String, Double> values) {
    double get(final String column) {
      return values.getOrDefault(column, Double.NaN);
    }
  }

  /**
   * One small chat turn: when it ended (seconds since the start), its wall time and TTFT (ms), and
   * its number in its conversation (1-based; 0: not recorded).
   */
  record Turn(double t, double wallMs, double ttftMs, int turn) {}

  /**
   * What the run did, besides the samples.
   *
   * @param durationSeconds the run's length
   * @param sampleSeconds the sampling interval
   * @param warmupSeconds samples before this are not compared
   * @param windowSeconds length of the compared windows
   * @param boundHitSeconds when the long conversation's first append was refused (NaN: never)
   * @param boundTokens the long conversation's tokens then
   * @param boundFullSeconds when it first held exactly the bound it named (NaN: never)
   * @param configuredBound the bound the refusal named ({@code max.conversation.tokens=N}), or -1
   * @param expectedBound the bound computed from the model and the hot memory beforehand, or -1
   * @param finalLongTokens the long conversation's tokens at the end
   * @param longAppends appends sent to the long conversation
   * @param longRefusals of them, refused (after their 202, or by the gateway)
   * @param longRefusalsAfterBound refusals from the bound on that kept coming
   * @param longGenerates generations asked of the long conversation
   * @param longGeneratesCut of them, cut at the bound (finish reason length before max_tokens)
   * @param longGeneratesRefused of them, refused with context_length_exceeded
   * @param longErrors other failures of the long conversation's requests, by kind
   * @param smallConversations conversations of the small chats
   * @param smallSessions concurrent small-chat sessions
   * @param smallMaxTurns turns after which a small conversation was replaced (0: never)
   * @param smallReplaced small conversations deleted and replaced
   * @param smallTurns small turns that succeeded
   * @param smallErrors small turns that failed, by kind
   * @param settings the server settings of the run, as given
   */
  record RunInfo(
      double durationSeconds,
      double sampleSeconds,
      double warmupSeconds,
      double windowSeconds,
      double boundHitSeconds,
      long boundTokens,
      double boundFullSeconds,
      long configuredBound,
      long expectedBound,
      long finalLongTokens,
      long longAppends,
      long longRefusals,
      long longRefusalsAfterBound,
      long longGenerates,
      long longGeneratesCut,
      long longGeneratesRefused,
      Map<String, Long> longErrors,
      int smallConversations,
      int smallSessions,
      int smallMaxTurns,
      long smallReplaced,
      long smallTurns,
      Map<String, Long> smallErrors,
      String settings) {}

  /**
   * One compared figure; one that is not {@code judged} is shown but does not decide the verdict.
   */
  record Figure(
      String name,
      String unit,
      double first,
      double last,
      double slopePerMinute,
      boolean flat,
      boolean judged) {
    double ratio() {
      return last / first;
    }
  }

  /**
   * The comparison: the windows (seconds since the start), whether they overlap (the run was too
   * short to compare), and the figures.
   */
  record Summary(
      double firstFrom,
      double firstTo,
      double lastFrom,
      double lastTo,
      boolean overlap,
      List<Figure> memory,
      List<Figure> latency,
      long firstTurns,
      long lastTurns,
      double firstMeanTurn,
      double lastMeanTurn) {

    boolean memoryFlat() {
      return memory.stream().allMatch(f -> f.flat() || !f.judged());
    }

    boolean latencyFlat() {
      return latency.stream().allMatch(f -> f.flat() || !f.judged());
    }
  }

  private SoakReport() {}

  /** Compares the first window after warm-up (and bound) with the last one. */
  static Summary summarize(
      final List<Sample> samples,
      final List<Turn> turns,
      final RunInfo info,
      final double memoryTolerance,
      final double latencyTolerance) {
    if (samples.isEmpty()) {
      throw new IllegalArgumentException("no samples");
    }
    final double end = samples.getLast().t();
    final double bound =
        Double.isNaN(info.boundFullSeconds()) ? info.boundHitSeconds() : info.boundFullSeconds();
    final double from =
        Double.isNaN(bound) ? info.warmupSeconds() : Math.max(info.warmupSeconds(), bound);
    final double firstTo = from + info.windowSeconds();
    final double lastFrom = Math.max(from, end - info.windowSeconds());
    final List<Sample> first = between(samples, from, firstTo, Sample::t);
    final List<Sample> last = between(samples, lastFrom, end + 1e-9, Sample::t);
    final List<Sample> trend = between(samples, from, end + 1e-9, Sample::t);
    final List<Figure> memory = new ArrayList<>();
    memory.add(
        memoryFigure(
            "heap used, lowest sample (not judged)",
            "heap_used_bytes",
            first,
            last,
            trend,
            true,
            memoryTolerance));
    memory.add(
        memoryFigure(
            "heap live after GC (jvm_gc_live_data_size)",
            "gc_live_data_bytes",
            first,
            last,
            trend,
            false,
            memoryTolerance));
    memory.add(
        memoryFigure(
            "RocksDB block cache (memtables charged to it)",
            "rocksdb_block_cache_bytes",
            first,
            last,
            trend,
            false,
            memoryTolerance));
    memory.add(
        memoryFigure(
            "RocksDB memtables",
            "rocksdb_memtable_bytes",
            first,
            last,
            trend,
            false,
            memoryTolerance));
    memory.add(
        memoryFigure("hot states", "hot_state_bytes", first, last, trend, false, memoryTolerance));
    memory.add(
        memoryFigure(
            "process resident set (RSS)", "rss_bytes", first, last, trend, false, memoryTolerance));
    memory.removeIf(f -> Double.isNaN(f.first()) || Double.isNaN(f.last()));
    final List<Turn> firstTurns = between(turns, from, firstTo, Turn::t);
    final List<Turn> lastTurns = between(turns, lastFrom, end + 1e-9, Turn::t);
    final List<Figure> latency = new ArrayList<>();
    latency.add(
        latencyFigure("turn p50", firstTurns, lastTurns, Turn::wallMs, 0.5, latencyTolerance));
    latency.add(
        latencyFigure("turn p99", firstTurns, lastTurns, Turn::wallMs, 0.99, latencyTolerance));
    latency.add(
        latencyFigure(
            "time to first token p50", firstTurns, lastTurns, Turn::ttftMs, 0.5, latencyTolerance));
    latency.removeIf(f -> Double.isNaN(f.first()) || Double.isNaN(f.last()));
    return new Summary(
        from,
        firstTo,
        lastFrom,
        end,
        firstTo > lastFrom,
        memory,
        latency,
        firstTurns.size(),
        lastTurns.size(),
        meanTurn(firstTurns),
        meanTurn(lastTurns));
  }

  private static double meanTurn(final List<Turn> turns) {
    return turns.stream()
        .filter(t -> t.turn() > 0)
        .mapToInt(Turn::turn)
        .average()
        .orElse(Double.NaN);
  }

  private static Figure memoryFigure(
      final String name,
      final String column,
      final List<Sample> first,
      final List<Sample> last,
      final List<Sample> trend,
      final boolean floor,
      final double tolerance) {
    final double a = floor ? min(first, column) : mean(first, column);
    final double b = floor ? min(last, column) : mean(last, column);
    return new Figure(
        name,
        "MiB",
        a / MIB,
        b / MIB,
        slopePerMinute(trend, column) / MIB,
        flat(a, b, tolerance, MEMORY_SLACK_BYTES),
        !floor);
  }

  private static Figure latencyFigure(
      final String name,
      final List<Turn> first,
      final List<Turn> last,
      final ToDoubleFunction<Turn> value,
      final double q,
      final double tolerance) {
    final double a = percentile(first, value, q);
    final double b = percentile(last, value, q);
    return new Figure(name, "ms", a, b, Double.NaN, flat(a, b, tolerance, LATENCY_SLACK_MS), true);
  }

  static boolean flat(
      final double first, final double last, final double tolerance, final double slack) {
    return last <= first * (1 + tolerance) || last - first <= slack;
  }

  private static <T> List<T> between(
      final List<T> all, final double from, final double to, final ToDoubleFunction<T> t) {
    return all.stream().filter(x -> t.applyAsDouble(x) >= from && t.applyAsDouble(x) < to).toList();
  }

  static double mean(final List<Sample> samples, final String column) {
    return samples.stream()
        .mapToDouble(s -> s.get(column))
        .filter(v -> !Double.isNaN(v))
        .average()
        .orElse(Double.NaN);
  }

  static double min(final List<Sample> samples, final String column) {
    return samples.stream()
        .mapToDouble(s -> s.get(column))
        .filter(v -> !Double.isNaN(v))
        .min()
        .orElse(Double.NaN);
  }

  /** Least-squares slope of {@code column} against time, per minute; NaN under 3 samples. */
  static double slopePerMinute(final List<Sample> samples, final String column) {
    final double[][] xy =
        samples.stream()
            .filter(s -> !Double.isNaN(s.get(column)))
            .map(s -> new double[] {s.t() / 60.0, s.get(column)})
            .toArray(double[][]::new);
    if (xy.length < 3) {
      return Double.NaN;
    }
    final double mx = Arrays.stream(xy).mapToDouble(p -> p[0]).average().orElseThrow();
    final double my = Arrays.stream(xy).mapToDouble(p -> p[1]).average().orElseThrow();
    double sxy = 0;
    double sxx = 0;
    for (final double[] p : xy) {
      sxy += (p[0] - mx) * (p[1] - my);
      sxx += (p[0] - mx) * (p[0] - mx);
    }
    return sxx == 0 ? Double.NaN : sxy / sxx;
  }

  /** The nearest-rank {@code q} quantile of {@code value} over {@code turns}; NaN if none. */
  static <T> double percentile(
      final List<T> items, final ToDoubleFunction<T> value, final double q) {
    final double[] v =
        items.stream()
            .mapToDouble(value)
            .filter(x -> !Double.isNaN(x) && x >= 0)
            .sorted()
            .toArray();
    if (v.length == 0) {
      return Double.NaN;
    }
    final int rank = (int) Math.ceil(q * v.length);
    return v[Math.max(0, Math.min(v.length - 1, rank - 1))];
  }

  // ---------------------------------------------------------------- files

  static String csvHeader() {
    return String.join(",", COLUMNS) + "\n";
  }

  static String csvLine(final Sample s) {
    final StringBuilder sb = new StringBuilder(fmt(s.t()));
    for (final String c : COLUMNS.subList(1, COLUMNS.size())) {
      sb.append(',').append(fmt(s.get(c)));
    }
    return sb.append('\n').toString();
  }

  static String turnLine(final Turn t) {
    return fmt(t.t()) + "," + fmt(t.wallMs()) + "," + fmt(t.ttftMs()) + "," + t.turn() + "\n";
  }

  private static String fmt(final double v) {
    if (Double.isNaN(v)) {
      return "";
    }
    return v == Math.rint(v) && Math.abs(v) < 1e15
        ? Long.toString((long) v)
        : String.format(Locale.ROOT, "%.3f", v);
  }

  static List<Sample> readSamples(final Path csv) throws IOException {
    final List<String> lines = Files.readAllLines(csv);
    final List<String> header = List.of(lines.getFirst().split(",", -1));
    final List<Sample> out = new ArrayList<>();
    for (final String line : lines.subList(1, lines.size())) {
      if (line.isBlank()) {
        continue;
      }
      final String[] cells = line.split(",", -1);
      final Map<String, Double> values = new LinkedHashMap<>();
      for (int i = 1; i < header.size() && i < cells.length; i++) {
        values.put(header.get(i), cells[i].isEmpty() ? Double.NaN : Double.parseDouble(cells[i]));
      }
      out.add(new Sample(Double.parseDouble(cells[0]), values));
    }
    return out;
  }

  static List<Turn> readTurns(final Path csv) throws IOException {
    final List<Turn> out = new ArrayList<>();
    for (final String line : Files.readAllLines(csv)) {
      if (line.isBlank() || line.startsWith("t_s")) {
        continue;
      }
      final String[] c = line.split(",", -1);
      out.add(
          new Turn(
              Double.parseDouble(c[0]),
              Double.parseDouble(c[1]),
              c[2].isEmpty() ? Double.NaN : Double.parseDouble(c[2]),
              c.length > 3 && !c[3].isEmpty() ? Integer.parseInt(c[3]) : 0));
    }
    return out;
  }

  static void writeRunInfo(final Path file, final RunInfo info) throws IOException {
    JSON.writeValue(file.toFile(), info);
  }

  static RunInfo readRunInfo(final Path file) throws IOException {
    return JSON.readValue(file.toFile(), RunInfo.class);
  }

  /**
   * Reads {@code dir}'s {@code samples.csv}, {@code turns.csv} and {@code run.json}, writes {@code
   * summary.json}, {@code summary.md} and {@code soak.png}, and returns the markdown.
   */
  static String report(final Path dir, final double memoryTolerance, final double latencyTolerance)
      throws IOException {
    final List<Sample> samples = readSamples(dir.resolve("samples.csv"));
    final List<Turn> turns = readTurns(dir.resolve("turns.csv"));
    final RunInfo info = readRunInfo(dir.resolve("run.json"));
    final Summary summary = summarize(samples, turns, info, memoryTolerance, latencyTolerance);
    final ObjectNode root = JSON.createObjectNode();
    root.set("run", JSON.valueToTree(info));
    root.set("summary", JSON.valueToTree(summary));
    root.put("memory_flat", summary.memoryFlat());
    root.put("latency_flat", summary.latencyFlat());
    root.put("memory_tolerance", memoryTolerance);
    root.put("latency_tolerance", latencyTolerance);
    JSON.writeValue(dir.resolve("summary.json").toFile(), root);
    final String md = markdown(info, summary, memoryTolerance, latencyTolerance);
    Files.writeString(dir.resolve("summary.md"), md);
    plot(samples, turns, info, summary, dir.resolve("soak.png"));
    return md;
  }

  static String markdown(
      final RunInfo info,
      final Summary s,
      final double memoryTolerance,
      final double latencyTolerance) {
    final StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "Soak: %.0f s, samples every %.0f s; %d small conversations, %d sessions; settings %s%n%n",
            info.durationSeconds(),
            info.sampleSeconds(),
            info.smallConversations(),
            info.smallSessions(),
            info.settings().isBlank() ? "(defaults)" : info.settings()));
    if (Double.isNaN(info.boundHitSeconds())) {
      sb.append("- long conversation: **never reached its bound** (")
          .append(info.finalLongTokens())
          .append(" tokens at the end)\n");
    } else {
      sb.append(
          String.format(
              Locale.ROOT,
              "- long conversation: first append refused at %.0f s with %,d tokens; exactly at the"
                  + " bound from %s (bound %s; expected %s); %,d tokens at the end%n",
              info.boundHitSeconds(),
              info.boundTokens(),
              Double.isNaN(info.boundFullSeconds())
                  ? "never"
                  : String.format(Locale.ROOT, "%.0f s", info.boundFullSeconds()),
              info.configuredBound() < 0
                  ? "?"
                  : String.format(Locale.ROOT, "%,d", info.configuredBound()),
              info.expectedBound() < 0
                  ? "?"
                  : String.format(Locale.ROOT, "%,d", info.expectedBound()),
              info.finalLongTokens()));
    }
    sb.append(
        String.format(
            Locale.ROOT,
            "- long conversation: %d appends, %d refused (%d of them after the bound); %d"
                + " generations, %d cut at the bound, %d refused; other errors %s%n",
            info.longAppends(),
            info.longRefusals(),
            info.longRefusalsAfterBound(),
            info.longGenerates(),
            info.longGeneratesCut(),
            info.longGeneratesRefused(),
            info.longErrors()));
    sb.append(
        String.format(
            Locale.ROOT,
            "- small chats: %,d turns, errors %s; %s%n",
            info.smallTurns(),
            info.smallErrors(),
            info.smallMaxTurns() > 0
                ? String.format(
                    Locale.ROOT,
                    "a conversation is deleted and replaced after %d turns (%,d replaced)",
                    info.smallMaxTurns(),
                    info.smallReplaced())
                : "the conversations grew all run"));
    sb.append(
        String.format(
            Locale.ROOT,
            "- windows compared: first %.0f–%.0f s (%d turns, mean turn number %.1f), last %.0f–%.0f"
                + " s (%d turns, mean turn number %.1f)%s%n%n",
            s.firstFrom(),
            s.firstTo(),
            s.firstTurns(),
            s.firstMeanTurn(),
            s.lastFrom(),
            s.lastTo(),
            s.lastTurns(),
            s.lastMeanTurn(),
            s.overlap() ? " — **they overlap: the run was too short to compare**" : ""));
    sb.append(
        "| figure | first window | last window | last ÷ first | slope per minute | flat? |\n");
    sb.append("|---|---:|---:|---:|---:|---|\n");
    for (final Figure f : s.memory()) {
      row(sb, f);
    }
    for (final Figure f : s.latency()) {
      row(sb, f);
    }
    sb.append(
        String.format(
            Locale.ROOT,
            "%nMemory %s; latency %s (flat: last ≤ first × %.2f, or at most %.0f MiB / %.0f ms"
                + " above it).%n",
            s.memoryFlat() ? "**stayed flat**" : "**did not stay flat**",
            s.latencyFlat() ? "**stayed flat**" : "**did not stay flat**",
            1 + memoryTolerance,
            MEMORY_SLACK_BYTES / MIB,
            LATENCY_SLACK_MS));
    if (latencyTolerance != memoryTolerance) {
      sb.append(String.format(Locale.ROOT, "(Latency tolerance: × %.2f.)%n", 1 + latencyTolerance));
    }
    return sb.toString();
  }

  private static void row(final StringBuilder sb, final Figure f) {
    sb.append(
        String.format(
            Locale.ROOT,
            "| %s | %.1f %s | %.1f %s | %.2f× | %s | %s |%n",
            f.name(),
            f.first(),
            f.unit(),
            f.last(),
            f.unit(),
            f.ratio(),
            Double.isNaN(f.slopePerMinute())
                ? "–"
                : String.format(Locale.ROOT, "%+.2f %s", f.slopePerMinute(), f.unit()),
            !f.judged() ? "–" : f.flat() ? "yes" : "**no**"));
  }

  // ---------------------------------------------------------------- plot

  /**
   * Three panels, one above the other, on the same time axis: memory (MiB), the small turns'
   * latency per sampling interval (p50, p99, TTFT p50; log scale), the long conversation (tokens,
   * refusals). Vertical lines mark the long conversation's first refusal and when it held exactly
   * its bound (black), and the starts of the compared windows (grey, dashed).
   */
  static void plot(
      final List<Sample> samples,
      final List<Turn> turns,
      final RunInfo info,
      final Summary summary,
      final Path png)
      throws IOException {
    final List<Double> t = samples.stream().map(Sample::t).toList();
    final XYChart memory = chart("Server memory", "MiB");
    for (final Object[] c :
        new Object[][] {
          {"heap used", "heap_used_bytes", new Color(0x1f77b4)},
          {"heap live after GC", "gc_live_data_bytes", new Color(0x17becf)},
          {
            "RocksDB block cache (memtables charged)",
            "rocksdb_block_cache_bytes",
            new Color(0xd62728)
          },
          {"RocksDB memtables", "rocksdb_memtable_bytes", new Color(0xff9896)},
          {"hot states", "hot_state_bytes", new Color(0x2ca02c)},
          {"RSS", "rss_bytes", new Color(0x9467bd)}
        }) {
      final String column = (String) c[1];
      color(
          series(memory, (String) c[0], t, samples.stream().map(s -> s.get(column) / MIB).toList()),
          (Color) c[2]);
    }
    final XYChart latency = chart("Small chat turns (append + generate), per interval", "ms (log)");
    latency.getStyler().setYAxisLogarithmic(true);
    latency.getStyler().setYAxisMin(null);
    final List<Double> lt = new ArrayList<>();
    final List<Double> p50 = new ArrayList<>();
    final List<Double> p99 = new ArrayList<>();
    final List<Double> ttft = new ArrayList<>();
    double prev = 0;
    for (final Sample s : samples) {
      final List<Turn> in = between(turns, prev, s.t(), Turn::t);
      prev = s.t();
      if (!in.isEmpty()) {
        lt.add(s.t());
        p50.add(percentile(in, Turn::wallMs, 0.5));
        p99.add(percentile(in, Turn::wallMs, 0.99));
        ttft.add(percentile(in, Turn::ttftMs, 0.5));
      }
    }
    color(series(latency, "turn p50", lt, p50), new Color(0x1f77b4));
    color(series(latency, "turn p99", lt, p99), new Color(0xd62728));
    color(series(latency, "time to first token p50", lt, ttft), new Color(0x2ca02c));
    final XYChart conversation = chart("The long conversation", "tokens");
    color(
        series(conversation, "tokens", t, samples.stream().map(s -> s.get("long_tokens")).toList()),
        new Color(0x1f77b4));
    final XYSeries refusals =
        series(
            conversation,
            "appends refused (cumulative, right axis)",
            t,
            samples.stream().map(s -> s.get("long_refusals")).toList());
    if (refusals != null) {
      color(refusals, new Color(0xd62728));
      refusals.setYAxisGroup(1);
      conversation.setYAxisGroupTitle(1, "refusals");
      conversation.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
    }
    conversation.setXAxisTitle("seconds since start");
    for (final XYChart chart : List.of(memory, latency, conversation)) {
      final double[] range =
          chart.getSeriesMap().values().stream()
              .filter(x -> x.getYAxisGroup() == 0)
              .flatMapToDouble(x -> DoubleStream.of(x.getYMin(), x.getYMax()))
              .filter(v -> !Double.isNaN(v) && !Double.isInfinite(v))
              .sorted()
              .toArray();
      if (range.length == 0) {
        continue;
      }
      final double bottom = chart.getStyler().isYAxisLogarithmic() ? range[0] : 0;
      final double top = range[range.length - 1];
      if (!Double.isNaN(info.boundHitSeconds())) {
        vertical(
                chart,
                String.format(Locale.ROOT, "first refusal (%,d tokens)", info.boundTokens()),
                info.boundHitSeconds(),
                bottom,
                top)
            .setLineColor(Color.BLACK);
      }
      if (!Double.isNaN(info.boundFullSeconds())) {
        vertical(
                chart,
                String.format(Locale.ROOT, "at the bound (%,d tokens)", info.configuredBound()),
                info.boundFullSeconds(),
                bottom,
                top)
            .setLineColor(Color.BLACK);
      }
      vertical(chart, "first / last window compared", summary.firstFrom(), bottom, top)
          .setLineColor(Color.GRAY);
      final XYSeries last = vertical(chart, "last window", summary.lastFrom(), bottom, top);
      last.setLineColor(Color.GRAY);
      last.setShowInLegend(false);
    }
    Files.createDirectories(png.toAbsolutePath().getParent());
    BitmapEncoder.saveBitmap(
        List.of(memory, latency, conversation),
        3,
        1,
        png.toString(),
        BitmapEncoder.BitmapFormat.PNG);
  }

  private static XYChart chart(final String title, final String y) {
    final XYChart chart =
        new XYChartBuilder().width(1000).height(400).title(title).yAxisTitle(y).build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    chart.getStyler().setXAxisMin(0.0);
    chart.getStyler().setYAxisMin(0.0);
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    return chart;
  }

  /** Adds the points whose y is a number; null if there are none. */
  private static XYSeries series(
      final XYChart chart, final String name, final List<Double> x, final List<Double> y) {
    final List<Double> xs = new ArrayList<>();
    final List<Double> ys = new ArrayList<>();
    for (int i = 0; i < x.size(); i++) {
      if (!Double.isNaN(y.get(i))) {
        xs.add(x.get(i));
        ys.add(y.get(i));
      }
    }
    if (xs.isEmpty()) {
      return null;
    }
    final XYSeries s = chart.addSeries(name, xs, ys);
    s.setMarker(SeriesMarkers.NONE);
    return s;
  }

  private static void color(final XYSeries series, final Color color) {
    if (series != null) {
      series.setLineColor(color);
    }
  }

  private static XYSeries vertical(
      final XYChart chart,
      final String name,
      final double x,
      final double bottom,
      final double top) {
    final XYSeries s = chart.addSeries(name, new double[] {x, x}, new double[] {bottom, top});
    s.setMarker(SeriesMarkers.NONE);
    s.setLineStyle(SeriesLines.DASH_DASH);
    return s;
  }
}
