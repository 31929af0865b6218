package io.finchstream.loadtests.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The gateway load generator: {@code --sessions} concurrent chat sessions (one virtual thread each)
 * of {@code --turns} turns against a running gateway, then a report of time to first token,
 * inter-token gaps (per token) and turn latency (HdrHistogram percentiles), tokens per event,
 * throughput and errors, and what the run cost the server (from its {@code /metrics} before and
 * after: CPU, broker transactions and records, token delivery delay), written to stdout and to
 * {@code --out} (the .hgrm files, {@code summary.json}, {@code latency.png}).
 *
 * <p>Run it against {@code ./finchstream up} (or serve) on an otherwise idle machine; see
 * docs/BENCHMARKS.md for the command the recorded numbers come from. The gateway's rate limit
 * ({@code gateway.rate.limit.per.second}, per key or client address) must allow the load: set
 * {@code FINCHSTREAM_GATEWAY_RATE_LIMIT_PER_SECOND=0} on the server, or 429s are counted as errors.
 */
public final class ChatLoad {

  private ChatLoad() {}

  public static void main(final String[] args) throws Exception {
    System.setProperty("java.awt.headless", "true");
    final LoadOptions options;
    try {
      options = LoadOptions.parse(args);
    } catch (final IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    final HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    final String model = model(http, options);
    final String runId = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    System.err.printf(
        "gateway load: %d sessions x %d turns, max_tokens %d, %s API, model %s, run %s%n",
        options.sessions(), options.turns(), options.maxTokens(), options.api(), model, runId);
    final Latencies total = new Latencies();
    final ServerMetrics before = ServerMetrics.scrape(http, options.url(), options.apiKey());
    final long start = System.nanoTime();
    try (ExecutorService sessions = Executors.newVirtualThreadPerTaskExecutor()) {
      final List<Future<Latencies>> results = new ArrayList<>();
      for (int i = 0; i < options.sessions(); i++) {
        results.add(sessions.submit(new ChatSession(http, options, model, runId, i)));
      }
      for (final Future<Latencies> r : results) {
        total.add(r.get());
      }
    } catch (final ExecutionException e) {
      throw new IllegalStateException("a session failed: " + e.getCause(), e.getCause());
    }
    final double wallSeconds = (System.nanoTime() - start) / 1e9;
    final ServerMetrics after = ServerMetrics.scrape(http, options.url(), options.apiKey());
    final Map<String, Double> server =
        before == null || after == null
            ? Map.of()
            : ServerMetrics.delta(
                before, after, wallSeconds, options.api().equals("native") ? "native" : "openai");
    final LoadReport report = new LoadReport(options, model, total, wallSeconds, server);
    System.out.print(report.text());
    report.write(options.out());
    System.err.println(
        "wrote "
            + options.out().toAbsolutePath()
            + "/{summary.json,ttft.hgrm,inter-token.hgrm,turn.hgrm,latency.png}");
    if (total.turns == 0) {
      System.exit(1);
    }
  }

  /** The served model's id (GET /v1/models), checking the gateway answers at all. */
  static String model(final HttpClient http, final LoadOptions options)
      throws IOException, InterruptedException {
    final HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(options.url() + "/v1/models"))
            .timeout(Duration.ofSeconds(10));
    if (options.apiKey() != null) {
      request.header("Authorization", "Bearer " + options.apiKey());
    }
    final HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (final IOException e) {
      throw new IOException(
          "cannot reach the gateway at "
              + options.url()
              + " (start it with ./finchstream up): "
              + e.getMessage(),
          e);
    }
    if (response.statusCode() != 200) {
      throw new IOException(
          "GET "
              + options.url()
              + "/v1/models answered "
              + response.statusCode()
              + ": "
              + response.body()
              + (response.statusCode() == 401
                  ? " (pass --api-key or set FINCHSTREAM_API_KEY)"
                  : ""));
    }
    final JsonNode body = new ObjectMapper().readTree(response.body());
    return body.path("data").path(0).path("id").asText();
  }
}
