package io.finchstream.loadtests.gateway;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The latency distribution as HdrHistogram plots it: latency against percentile on a log axis of
 * 1/(1 - p), so p50, p90, p99 and p99.9 are evenly spaced and the tail is visible.
 */
final class LatencyPlot {

  private LatencyPlot() {}

  static void write(
      final Path png, final Latencies total, final String interTokenLabel, final String title)
      throws IOException {
    final XYChart chart =
        new XYChartBuilder()
            .width(900)
            .height(540)
            .title(title)
            .xAxisTitle("percentile, as 1/(1-p): 2 = p50, 10 = p90, 100 = p99, 1000 = p99.9")
            .yAxisTitle("latency (ms)")
            .build();
    chart.getStyler().setXAxisLogarithmic(true);
    chart.getStyler().setYAxisLogarithmic(true);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    add(chart, "time to first token", total.ttft);
    add(chart, interTokenLabel, total.interToken);
    add(chart, "whole turn", total.turn);
    if (chart.getSeriesMap().isEmpty()) {
      return;
    }
    Files.createDirectories(png.toAbsolutePath().getParent());
    BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  private static void add(final XYChart chart, final String name, final Histogram h) {
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
      y.add(Math.max(0.001, v.getValueIteratedTo() / 1000.0));
    }
    if (x.isEmpty()) {
      return;
    }
    chart.addSeries(name, x, y).setMarker(SeriesMarkers.NONE);
  }
}
