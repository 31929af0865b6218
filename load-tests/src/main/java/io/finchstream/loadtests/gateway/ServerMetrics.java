package io.finchstream.loadtests.gateway;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The server's {@code /metrics} (Prometheus text) at one moment; two of them give what the run cost
 * the server: CPU, transactions and records the broker took, how fast tokens reached clients. Every
 * figure is optional: a counter the server does not have (another version, a broker of its own
 * instead of {@code up}'s embedded one) is simply missing from the report.
 */
final class ServerMetrics {

  /** One sample: its metric name, labels and value. */
  record Sample(String name, Map<String, String> labels, double value) {}

  private final List<Sample> samples;

  private ServerMetrics(final List<Sample> samples) {
    this.samples = samples;
  }

  /** Scrapes {@code url/metrics}; null if the server does not answer. */
  static ServerMetrics scrape(final HttpClient http, final URI url, final String apiKey) {
    try {
      final HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create(url + "/metrics")).timeout(Duration.ofSeconds(30));
      if (apiKey != null) {
        request.header("Authorization", "Bearer " + apiKey);
      }
      final HttpResponse<String> response =
          http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? parse(response.body()) : null;
    } catch (final IOException e) {
      return null;
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  static ServerMetrics parse(final String text) {
    final List<Sample> samples = new ArrayList<>();
    for (final String line : text.lines().toList()) {
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      final int brace = line.indexOf('{');
      final int space = line.lastIndexOf(' ');
      if (space < 0) {
        continue;
      }
      final String name =
          brace >= 0 && brace < space ? line.substring(0, brace) : line.substring(0, space);
      final Map<String, String> labels = new HashMap<>();
      if (brace >= 0 && brace < space) {
        final String body = line.substring(brace + 1, line.lastIndexOf('}', space));
        int i = 0;
        while (i < body.length()) {
          final int eq = body.indexOf('=', i);
          final int open = body.indexOf('"', eq);
          int close = open + 1;
          while (close < body.length() && body.charAt(close) != '"') {
            close += body.charAt(close) == '\\' ? 2 : 1;
          }
          labels.put(body.substring(i, eq).trim(), body.substring(open + 1, close));
          i = body.indexOf(',', close);
          i = i < 0 ? body.length() : i + 1;
        }
      }
      try {
        samples.add(new Sample(name, labels, Double.parseDouble(line.substring(space + 1))));
      } catch (final NumberFormatException e) {
        // not a sample line
      }
    }
    return new ServerMetrics(samples);
  }

  /** The sum of {@code name} over the samples whose labels pass {@code filter}; NaN if none. */
  double sum(final String name, final Predicate<Map<String, String>> filter) {
    double total = 0;
    boolean any = false;
    for (final Sample s : samples) {
      if (s.name().equals(name) && filter.test(s.labels())) {
        total += s.value();
        any = true;
      }
    }
    return any ? total : Double.NaN;
  }

  double sum(final String name) {
    return sum(name, l -> true);
  }

  /**
   * The largest sample of {@code name} over every label set; NaN if none. For a gauge every store
   * reports alike, such as the usage of the RocksDB block cache all stores share.
   */
  double max(final String name) {
    return samples.stream()
        .filter(s -> s.name().equals(name))
        .mapToDouble(Sample::value)
        .max()
        .orElse(Double.NaN);
  }

  /**
   * The cumulative bucket counts of histogram {@code name} (its {@code _bucket} samples, upper
   * bound in seconds), for labels passing {@code filter}.
   */
  NavigableMap<Double, Double> buckets(
      final String name, final Predicate<Map<String, String>> filter) {
    final TreeMap<Double, Double> buckets = new TreeMap<>();
    for (final Sample s : samples) {
      if (s.name().equals(name + "_bucket") && filter.test(s.labels())) {
        final String le = s.labels().get("le");
        final double bound = le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
        buckets.merge(bound, s.value(), Double::sum);
      }
    }
    return buckets;
  }

  /**
   * What happened between {@code before} and {@code after} ({@code seconds} apart), as named
   * figures for the report (missing ones left out).
   */
  static Map<String, Double> delta(
      final ServerMetrics before,
      final ServerMetrics after,
      final double seconds,
      final String api) {
    final Map<String, Double> out = new LinkedHashMap<>();
    final double cpu =
        after.sum("process_cpu_time_ns_total") - before.sum("process_cpu_time_ns_total");
    final double generated =
        after.sum("finchstream_tokens_generated_total")
            - before.sum("finchstream_tokens_generated_total");
    put(out, "server_cpu_seconds", cpu / 1e9);
    put(out, "server_cpu_ms_per_token", cpu / 1e6 / generated);
    put(out, "tokens_generated", generated);
    final double txn =
        diff(before, after, "finchstream_broker_requests_total", "request", "EndTxn");
    put(out, "transactions_per_second", txn / seconds);
    put(
        out,
        "produce_requests_per_second",
        diff(before, after, "finchstream_broker_requests_total", "request", "Produce") / seconds);
    put(
        out,
        "fetch_requests_per_second",
        diff(before, after, "finchstream_broker_requests_total", "request", "Fetch") / seconds);
    put(
        out,
        "records_per_second",
        (after.sum("finchstream_broker_records_in_total")
                - before.sum("finchstream_broker_records_in_total"))
            / seconds);
    for (final String topic :
        List.of("finchstream.replies", "finchstream.tokens", "finchstream.events", "other")) {
      put(
          out,
          "records_per_second_" + topic.replace("finchstream.", "").replace("other", "changelogs"),
          diff(before, after, "finchstream_broker_records_in_total", "topic", topic) / seconds);
    }
    final double shown =
        after.sum("finchstream_gateway_generation_tokens_total")
            - before.sum("finchstream_gateway_generation_tokens_total");
    final double live =
        after.sum("finchstream_gateway_generation_live_tokens_total")
            - before.sum("finchstream_gateway_generation_live_tokens_total");
    put(out, "tokens_delivered_live_fraction", live / shown);
    final Predicate<Map<String, String>> ofApi = l -> api.equals(l.get("api"));
    final NavigableMap<Double, Double> b0 =
        before.buckets("finchstream_gateway_generation_token_delay_seconds", ofApi);
    final NavigableMap<Double, Double> b1 =
        after.buckets("finchstream_gateway_generation_token_delay_seconds", ofApi);
    final TreeMap<Double, Double> d = new TreeMap<>();
    b1.forEach((le, v) -> d.put(le, v - b0.getOrDefault(le, 0.0)));
    if (!d.isEmpty() && d.lastEntry().getValue() > 0) {
      final double n = d.lastEntry().getValue();
      put(out, "token_delay_within_20ms_fraction", d.getOrDefault(0.02, Double.NaN) / n);
      put(out, "token_delay_p50_ms", quantile(d, 0.5) * 1000);
      put(out, "token_delay_p99_ms", quantile(d, 0.99) * 1000);
    }
    final NavigableMap<Double, Double> c0 =
        before.buckets("finchstream_gateway_generation_commit_delay_seconds", ofApi);
    final NavigableMap<Double, Double> c1 =
        after.buckets("finchstream_gateway_generation_commit_delay_seconds", ofApi);
    final TreeMap<Double, Double> c = new TreeMap<>();
    c1.forEach((le, v) -> c.put(le, v - c0.getOrDefault(le, 0.0)));
    if (!c.isEmpty() && c.lastEntry().getValue() > 0) {
      put(out, "commit_delay_p50_ms", quantile(c, 0.5) * 1000);
      put(out, "commit_delay_p99_ms", quantile(c, 0.99) * 1000);
    }
    return out;
  }

  private static double diff(
      final ServerMetrics before,
      final ServerMetrics after,
      final String name,
      final String label,
      final String value) {
    return after.sum(name, l -> value.equals(l.get(label)))
        - before.sum(name, l -> value.equals(l.get(label)));
  }

  /** The upper bound of the bucket where the cumulative count reaches {@code q} of the total. */
  private static double quantile(final NavigableMap<Double, Double> cumulative, final double q) {
    final double target = q * cumulative.lastEntry().getValue();
    for (final Map.Entry<Double, Double> e : cumulative.entrySet()) {
      if (e.getValue() >= target) {
        return e.getKey();
      }
    }
    return Double.NaN;
  }

  private static void put(final Map<String, Double> out, final String key, final double value) {
    if (!Double.isNaN(value) && !Double.isInfinite(value)) {
      out.put(key, value);
    }
  }
}
