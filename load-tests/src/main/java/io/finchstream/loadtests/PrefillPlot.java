package io.finchstream.loadtests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Plots the output of {@code finchstream bench prefill --json} (one JSON object per line: {@code
 * context}, {@code ingest_us_per_token}, {@code generate_us_per_token}) as a PNG: cost per token
 * against context length, linear axes, so a flat line (ingest) and a straight rising line
 * (generation) read as what they are.
 *
 * <p>Usage: {@code PrefillPlot RESULTS.jsonl OUT.png [TITLE]}.
 */
public final class PrefillPlot {

  private PrefillPlot() {}

  /** One measured context length. */
  record Point(long context, double ingestUs, double generateUs) {}

  public static void main(final String[] args) throws IOException {
    if (args.length < 2) {
      System.err.println("usage: PrefillPlot RESULTS.jsonl OUT.png [TITLE]");
      System.exit(2);
    }
    System.setProperty("java.awt.headless", "true");
    final List<Point> points = read(Path.of(args[0]));
    final String title = args.length > 2 ? args[2] : "GoldFinch: cost per token vs context length";
    write(points, Path.of(args[1]), title);
  }

  /** Parses the JSON lines; blank lines and lines not starting with '{' are skipped. */
  static List<Point> read(final Path file) throws IOException {
    final ObjectMapper json = new ObjectMapper();
    final List<Point> points = new ArrayList<>();
    for (final String line : Files.readAllLines(file)) {
      if (!line.strip().startsWith("{")) {
        continue;
      }
      final JsonNode n = json.readTree(line);
      points.add(
          new Point(
              n.get("context").asLong(),
              n.get("ingest_us_per_token").asDouble(),
              n.get("generate_us_per_token").asDouble()));
    }
    if (points.isEmpty()) {
      throw new IOException(
          file + ": no result lines (expected the output of bench prefill --json)");
    }
    return points;
  }

  /** Writes the chart as PNG to {@code out} (the extension is added by XChart when missing). */
  static void write(final List<Point> points, final Path out, final String title)
      throws IOException {
    final XYChart chart =
        new XYChartBuilder()
            .width(900)
            .height(540)
            .title(title)
            .xAxisTitle("context length (tokens already in the conversation)")
            .yAxisTitle("µs per token")
            .build();
    chart.getStyler().setLegendPosition(LegendPosition.InsideNW);
    chart.getStyler().setYAxisMin(0.0);
    final double[] x = new double[points.size()];
    final double[] ingest = new double[points.size()];
    final double[] generate = new double[points.size()];
    for (int i = 0; i < points.size(); i++) {
      x[i] = points.get(i).context();
      ingest[i] = points.get(i).ingestUs();
      generate[i] = points.get(i).generateUs();
    }
    final XYSeries g =
        chart.addSeries("generate (all layers, GOLD attends over the context)", x, generate);
    g.setMarker(SeriesMarkers.CIRCLE);
    final XYSeries s = chart.addSeries("ingest (Finch-C2 + compression + cache append)", x, ingest);
    s.setMarker(SeriesMarkers.SQUARE);
    final Path parent = out.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    final String name = out.toString();
    BitmapEncoder.saveBitmap(
        chart,
        name.endsWith(".png") ? name.substring(0, name.length() - 4) : name,
        BitmapEncoder.BitmapFormat.PNG);
  }
}
