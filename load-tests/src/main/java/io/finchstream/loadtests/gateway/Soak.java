package io.finchstream.loadtests.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.ModelState;
import io.finchstream.engine.Models;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The soak test of bounded memory (issue 14, item 4): against a running gateway (normally {@code
 * ./finchstream up} serving the demo GoldFinch with a small {@code hot.cache.max.bytes}, started by
 * load-tests/bin/soak.sh), for {@code --duration} seconds at once:
 *
 * <ul>
 *   <li>one <b>long</b> conversation fed with large appends of tinyshakespeare text (native API)
 *       and now and then a short generation, until appends are refused at its bound ({@code
 *       max.conversation.tokens}, by default what fits in the hot memory); each refusal halves the
 *       append size (down to {@code --long-min-append-bytes}), so the conversation ends up at the
 *       bound itself, and it keeps trying: refusals must keep coming and nothing may break;
 *   <li>{@code --small-conversations} <b>small</b> conversations taking short chat turns ({@link
 *       ChatSession}: append + a generation of {@code --max-tokens}), round robin, in a closed loop
 *       of {@code --small-sessions} concurrent sessions; after {@code --small-max-turns} turns a
 *       conversation is deleted and a new one takes its place, so they stay small.
 * </ul>
 *
 * <p>Every {@code --sample-seconds} it scrapes {@code /metrics} ({@link ServerMetrics}): heap used
 * and live after GC, the RocksDB figures Kafka Streams exposes (the one block cache every store
 * shares, with the memtables charged to it; memtables; pinned blocks; table readers), the hot
 * states' bytes, the refusals the processors counted; with {@code --server-pid}, the process's
 * resident set. It writes {@code samples.csv}, {@code turns.csv} (every small turn), {@code
 * run.json}, then {@link SoakReport}'s summary ({@code summary.json}, {@code summary.md}) and plot
 * ({@code soak.png}). {@code --report} only re-makes those from an earlier run's files.
 *
 * <p>The state this tool keeps grows with the run's length only: one row per sample and per small
 * turn (a few thousand in ten minutes).
 */
@Command(
    name = "soak",
    mixinStandardHelpOptions = true,
    description = {
      "Drives one GoldFinch conversation to its length bound and many small chats at once, and"
          + " records heap, RocksDB memory, hot-state bytes and latency over time."
    })
public final class Soak implements Callable<Integer> {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern BOUND = Pattern.compile("max\\.conversation\\.tokens=(\\d+)");
  private static final Duration TIMEOUT = Duration.ofMinutes(5);

  @Option(
      names = "--url",
      defaultValue = "http://localhost:8080",
      description = "The gateway. Default: ${DEFAULT-VALUE}.")
  String url;

  @Option(
      names = "--api-key",
      defaultValue = "${env:FINCHSTREAM_API_KEY}",
      description = "Bearer key, if the gateway wants one. Default: $FINCHSTREAM_API_KEY.")
  String apiKey;

  @Option(
      names = "--duration",
      defaultValue = "540",
      description = "Seconds to run. Default: ${DEFAULT-VALUE}.")
  int durationSeconds;

  @Option(
      names = "--sample-seconds",
      defaultValue = "5",
      description = "Seconds between samples of /metrics. Default: ${DEFAULT-VALUE}.")
  int sampleSeconds;

  @Option(
      names = "--warmup",
      defaultValue = "120",
      description =
          "Seconds not compared (JIT, topics, caches filling). Default: ${DEFAULT-VALUE}.")
  int warmupSeconds;

  @Option(
      names = "--window",
      defaultValue = "60",
      description = "Seconds of the first and last windows compared. Default: ${DEFAULT-VALUE}.")
  int windowSeconds;

  @Option(
      names = "--small-conversations",
      defaultValue = "150",
      description = "Small conversations. Default: ${DEFAULT-VALUE}.")
  int smallConversations;

  @Option(
      names = "--small-sessions",
      defaultValue = "4",
      description = "Concurrent small-chat turns (closed loop). Default: ${DEFAULT-VALUE}.")
  int smallSessions;

  @Option(
      names = "--small-max-turns",
      defaultValue = "8",
      description =
          "Turns of a small conversation before it is deleted and replaced by a new one (0: never,"
              + " they grow all run). Default: ${DEFAULT-VALUE}.")
  int smallMaxTurns;

  @Option(
      names = "--max-tokens",
      defaultValue = "16",
      description = "max_tokens of every generation. Default: ${DEFAULT-VALUE}.")
  int maxTokens;

  @Option(
      names = "--prompt-bytes",
      defaultValue = "64",
      description = "Size of a small chat's user message. Default: ${DEFAULT-VALUE}.")
  int promptBytes;

  @Option(
      names = "--long-append-bytes",
      defaultValue = "2048",
      description = "First size of the long conversation's appends. Default: ${DEFAULT-VALUE}.")
  int longAppendBytes;

  @Option(
      names = "--long-min-append-bytes",
      defaultValue = "64",
      description =
          "Smallest append once refusals halve the size (the bound is reached to within it)."
              + " Default: ${DEFAULT-VALUE}.")
  int longMinAppendBytes;

  @Option(
      names = "--long-pause-ms",
      defaultValue = "3000",
      description = "Pause between the long conversation's appends. Default: ${DEFAULT-VALUE}.")
  int longPauseMs;

  @Option(
      names = "--long-generate-every",
      defaultValue = "4",
      description =
          "A short generation on the long conversation after every N appends (and after a"
              + " refusal). Default: ${DEFAULT-VALUE}.")
  int longGenerateEvery;

  @Option(
      names = "--text",
      description =
          "Text of the long conversation. Default: $FINCHSTREAM_SHARED/data/tinyshakespeare.txt.")
  Path text;

  @Option(
      names = "--hot-bytes",
      defaultValue = "0",
      description =
          "The server's hot.cache.max.bytes, to print the bound expected for --model (0: none).")
  long hotBytes;

  @Option(
      names = "--model",
      defaultValue = "models/goldfinch-shakespeare-L6-C256.safetensors",
      description = "The served model's file, for the expected bound. Default: ${DEFAULT-VALUE}.")
  Path model;

  @Option(
      names = "--server-pid",
      defaultValue = "0",
      description = "The server's process id on this machine, to sample its RSS (0: none).")
  long serverPid;

  @Option(
      names = "--settings",
      defaultValue = "",
      description = "The server's settings, recorded with the results.")
  String settings;

  @Option(
      names = "--seed",
      defaultValue = "1",
      description = "Seed of prompts and sampling. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(
      names = "--memory-tolerance",
      defaultValue = "0.25",
      description =
          "A memory figure is flat when the last window is ≤ (1 + this) × the first."
              + " Default: ${DEFAULT-VALUE}.")
  double memoryTolerance;

  @Option(
      names = "--latency-tolerance",
      defaultValue = "0.5",
      description = "The same for latency. Default: ${DEFAULT-VALUE}.")
  double latencyTolerance;

  @Option(
      names = "--out",
      defaultValue = "load-tests/target/soak",
      description = "Output directory. Default: ${DEFAULT-VALUE}.")
  Path out;

  @Option(
      names = "--report",
      description = "Only re-make the summary and plot from the files in --out.")
  boolean reportOnly;

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  private long start;

  // the long conversation, as its driver saw it
  private final AtomicLong longTokens = new AtomicLong();
  private final AtomicLong longAppends = new AtomicLong();
  private final AtomicLong longRefusals = new AtomicLong();
  private final AtomicLong longGenerates = new AtomicLong();
  private final AtomicLong longGeneratesCut = new AtomicLong();
  private final AtomicLong longGeneratesRefused = new AtomicLong();
  private final Map<String, Long> longErrors = new TreeMap<>();
  private volatile double boundHitSeconds = Double.NaN;
  private volatile long boundTokens = -1;
  private volatile long configuredBound = -1;
  private volatile double boundFullSeconds = Double.NaN;

  // the small chats
  private final ConcurrentLinkedQueue<SoakReport.Turn> newTurns = new ConcurrentLinkedQueue<>();
  private final AtomicLong smallTurns = new AtomicLong();
  private final AtomicLong smallErrorsInInterval = new AtomicLong();
  private final AtomicLong smallTurnsInInterval = new AtomicLong();
  private final AtomicLong smallReplaced = new AtomicLong();
  private final ConcurrentLinkedQueue<Latencies> retired = new ConcurrentLinkedQueue<>();
  private long scrapeFailures;

  public static void main(final String[] args) {
    System.setProperty("java.awt.headless", "true");
    System.exit(new CommandLine(new Soak()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (reportOnly) {
      System.out.print(SoakReport.report(out, memoryTolerance, latencyTolerance));
      return 0;
    }
    url = url.replaceAll("/+$", "");
    if (text == null) {
      final String shared = System.getenv().getOrDefault("FINCHSTREAM_SHARED", "../shared");
      text = Path.of(shared, "data", "tinyshakespeare.txt");
    }
    final String corpus = Files.readString(text, StandardCharsets.UTF_8);
    final LoadOptions options =
        new LoadOptions(
            URI.create(url),
            1,
            1,
            maxTokens,
            promptBytes,
            1.0,
            "native",
            apiKey == null || apiKey.isBlank() ? null : apiKey,
            out,
            seed);
    final String modelId = ChatLoad.model(http, options);
    final long expected = expectedBound();
    final String runId = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    System.err.printf(
        "soak: %d s against %s (model %s), run %s; long conversation soak-%s-long; %d small"
            + " conversations, %d sessions; expected bound %s%n",
        durationSeconds,
        url,
        modelId,
        runId,
        runId,
        smallConversations,
        smallSessions,
        expected < 0
            ? "not computed (give --hot-bytes and --model)"
            : String.format("%,d tokens (hot memory %,d bytes)", expected, hotBytes));
    Files.createDirectories(out);
    final Path samplesCsv = out.resolve("samples.csv");
    final Path turnsCsv = out.resolve("turns.csv");
    Files.writeString(samplesCsv, SoakReport.csvHeader());
    Files.writeString(turnsCsv, "t_s,wall_ms,ttft_ms,turn\n");

    final ChatSession[] sessions = new ChatSession[smallConversations];
    for (int i = 0; i < smallConversations; i++) {
      sessions[i] = new ChatSession(http, options, modelId, "soak-" + runId, i);
    }
    final SmallChats small = new SmallChats(sessions, options, modelId, "soak-" + runId);
    start = System.nanoTime();
    final long deadline = start + Duration.ofSeconds(durationSeconds).toNanos();
    final List<Future<Void>> drivers = new ArrayList<>();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      drivers.add(
          pool.submit(
              () -> {
                longConversation("soak-" + runId + "-long", corpus, deadline);
                return null;
              }));
      for (int w = 0; w < smallSessions; w++) {
        drivers.add(
            pool.submit(
                () -> {
                  small.run(deadline);
                  return null;
                }));
      }
      // the sampler, on this thread
      while (System.nanoTime() < deadline) {
        final long wake = System.nanoTime() + Duration.ofSeconds(sampleSeconds).toNanos();
        sample(samplesCsv, turnsCsv);
        final long sleep = Math.min(wake, deadline) - System.nanoTime();
        if (sleep > 0) {
          Thread.sleep(Duration.ofNanos(sleep));
        }
      }
    }
    // the last turns that ended after the deadline
    sample(samplesCsv, turnsCsv);
    for (final Future<Void> d : drivers) {
      try {
        d.get();
      } catch (final ExecutionException e) {
        throw new IllegalStateException("a load driver failed: " + e.getCause(), e.getCause());
      }
    }
    final SoakReport.RunInfo info = runInfo(sessions, expected);
    SoakReport.writeRunInfo(out.resolve("run.json"), info);
    System.out.print(SoakReport.report(out, memoryTolerance, latencyTolerance));
    System.err.println(
        "wrote " + out.toAbsolutePath() + "/{samples.csv,turns.csv,run.json,summary.*,soak.png}");
    return Double.isNaN(boundHitSeconds) || smallTurns.get() == 0 ? 1 : 0;
  }

  private SoakReport.RunInfo runInfo(final ChatSession[] sessions, final long expected) {
    final Map<String, Long> smallErrors = new TreeMap<>();
    for (final ChatSession s : sessions) {
      s.latencies().errors.forEach((k, v) -> smallErrors.merge(k, v, Long::sum));
    }
    for (final Latencies l : retired) {
      l.errors.forEach((k, v) -> smallErrors.merge(k, v, Long::sum));
    }
    final Map<String, Long> longErrorsCopy;
    synchronized (longErrors) {
      longErrorsCopy = new TreeMap<>(longErrors);
    }
    if (scrapeFailures > 0) {
      longErrorsCopy.put("metrics scrapes failed", scrapeFailures);
    }
    return new SoakReport.RunInfo(
        durationSeconds,
        sampleSeconds,
        warmupSeconds,
        windowSeconds,
        boundHitSeconds,
        boundTokens,
        boundFullSeconds,
        configuredBound,
        expected,
        longTokens.get(),
        longAppends.get(),
        longRefusals.get(),
        Math.max(0, longRefusals.get() - 1),
        longGenerates.get(),
        longGeneratesCut.get(),
        longGeneratesRefused.get(),
        longErrorsCopy,
        smallConversations,
        smallSessions,
        smallMaxTurns,
        smallReplaced.get(),
        smallTurns.get(),
        smallErrors,
        settings);
  }

  /**
   * The small chats: {@code --small-sessions} loops, each taking the next conversation round robin
   * (skipping one whose turn is still running) and running one turn of it. A conversation that had
   * {@code --small-max-turns} turns is deleted and replaced by a new one, so the small
   * conversations stay small.
   */
  private final class SmallChats {
    private final ChatSession[] sessions;
    private final AtomicBoolean[] busy;
    private final int[] turnNumber;
    private final int[] incarnation;
    private final AtomicInteger next = new AtomicInteger();
    private final LoadOptions options;
    private final String modelId;
    private final String runId;

    SmallChats(
        final ChatSession[] sessions,
        final LoadOptions options,
        final String modelId,
        final String runId) {
      this.sessions = sessions;
      this.options = options;
      this.modelId = modelId;
      this.runId = runId;
      this.busy = new AtomicBoolean[sessions.length];
      this.turnNumber = new int[sessions.length];
      this.incarnation = new int[sessions.length];
      for (int i = 0; i < sessions.length; i++) {
        busy[i] = new AtomicBoolean();
      }
    }

    void run(final long deadline) throws InterruptedException {
      while (System.nanoTime() < deadline) {
        final int i = Math.floorMod(next.getAndIncrement(), sessions.length);
        if (!busy[i].compareAndSet(false, true)) {
          continue;
        }
        try {
          if (smallMaxTurns > 0 && turnNumber[i] >= smallMaxTurns) {
            replace(i);
          }
          final Latencies.TurnSample t = sessions[i].turn(turnNumber[i]++);
          if (t == null) {
            smallErrorsInInterval.incrementAndGet();
          } else {
            smallTurns.incrementAndGet();
            smallTurnsInInterval.incrementAndGet();
            newTurns.add(
                new SoakReport.Turn(
                    seconds(),
                    t.wallMicros() / 1000.0,
                    t.ttftMicros() < 0 ? Double.NaN : t.ttftMicros() / 1000.0,
                    turnNumber[i]));
          }
        } finally {
          busy[i].set(false);
        }
      }
    }

    /** Deletes conversation {@code i} and starts a new one in its place. */
    private void replace(final int i) throws InterruptedException {
      final ChatSession old = sessions[i];
      try {
        final HttpRequest.Builder b =
            HttpRequest.newBuilder(URI.create(url + "/v1/conversations/" + old.conversation()))
                .timeout(TIMEOUT)
                .DELETE();
        auth(b);
        final int status =
            http.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        if (status != 202) {
          old.latencies().error("delete: http " + status);
        }
      } catch (final IOException e) {
        old.latencies().error("delete: " + e.getClass().getSimpleName());
      }
      retired.add(old.latencies());
      incarnation[i]++;
      sessions[i] = new ChatSession(http, options, modelId, runId + "-g" + incarnation[i], i);
      turnNumber[i] = 0;
      smallReplaced.incrementAndGet();
    }
  }

  /**
   * The bound {@code LengthBound} derives for {@code --model} and {@code --hot-bytes} (the same
   * rule, docs/PROCESSORS.md "Conversation length"): the hot memory less an empty state and the
   * cache's block allocated ahead, divided by the bytes per token; -1 if not asked or unbounded.
   */
  private long expectedBound() {
    if (hotBytes <= 0 || model == null || !Files.isRegularFile(model)) {
      return -1;
    }
    final LanguageModel m =
        Models.load(model, io.finchstream.engine.LoadOptions.defaults().withThreads(1));
    final long perToken = m.info().memoryBytesPerToken();
    if (perToken == 0) {
      return -1;
    }
    final ModelState empty = m.newState();
    final long fixed = empty.memoryBytes() + empty.cache().blockSize() * perToken;
    return Math.max(1, Math.max(0, hotBytes - fixed) / perToken);
  }

  // ---------------------------------------------------------------- the long conversation

  private void longConversation(final String id, final String corpus, final long deadline)
      throws InterruptedException {
    int size = longAppendBytes;
    int offset = 0;
    int sinceGenerate = 0;
    while (System.nanoTime() < deadline) {
      if (offset + size > corpus.length()) {
        offset = 0;
      }
      final String chunk = corpus.substring(offset, offset + size);
      offset += size;
      boolean refused = false;
      try {
        final ObjectNode body = JSON.createObjectNode().put("text", chunk).put("role", "user");
        final HttpResponse<String> r = post("/v1/conversations/" + id + "/messages", body);
        longAppends.incrementAndGet();
        if (r.statusCode() == 202) {
          final String eventId = JSON.readTree(r.body()).path("event_id").asText();
          final JsonNode meta = conversation(id);
          if (meta != null) {
            tokens(meta.path("tokens").asLong());
            for (final JsonNode refusal : meta.path("refused")) {
              if (eventId.equals(refusal.path("event_id").asText())) {
                refused = true;
                refusal(refusal.path("code").asText(), refusal.path("message").asText());
              }
            }
          }
        } else {
          final JsonNode error = JSON.readTree(r.body()).path("error");
          if (error.path("code").asText().equals("context_length_exceeded")) {
            refused = true;
            refusal("context_length_exceeded", error.path("message").asText());
          } else {
            longError("append: http " + r.statusCode() + " " + error.path("code").asText());
          }
        }
      } catch (final IOException e) {
        longError("append: " + e.getClass().getSimpleName());
      }
      if (refused) {
        size = Math.max(longMinAppendBytes, size / 2);
      }
      if (refused || ++sinceGenerate >= longGenerateEvery) {
        sinceGenerate = 0;
        longGenerate(id);
      }
      final long pause = Math.min(longPauseMs, (deadline - System.nanoTime()) / 1_000_000);
      if (pause > 0) {
        Thread.sleep(pause);
      }
    }
  }

  private void refusal(final String code, final String message) {
    final long n = longRefusals.incrementAndGet();
    if (!code.equalsIgnoreCase("context_length_exceeded")
        && !code.equalsIgnoreCase("conversation_too_long")) {
      longError("append refused: " + code);
      return;
    }
    if (n == 1 || Double.isNaN(boundHitSeconds)) {
      boundHitSeconds = seconds();
      boundTokens = longTokens.get();
      final Matcher m = BOUND.matcher(message);
      if (m.find()) {
        configuredBound = Long.parseLong(m.group(1));
      }
      System.err.printf(
          "soak: long conversation refused at %.0f s with %,d tokens: %s%n",
          boundHitSeconds, boundTokens, message);
    }
  }

  /** The long conversation holds {@code tokens} tokens. */
  private void tokens(final long tokens) {
    longTokens.set(tokens);
    if (tokens == configuredBound && Double.isNaN(boundFullSeconds)) {
      boundFullSeconds = seconds();
      System.err.printf(
          "soak: long conversation at its bound, %,d tokens, at %.0f s%n",
          tokens, boundFullSeconds);
    }
  }

  private void longGenerate(final String id) throws InterruptedException {
    final ObjectNode body =
        JSON.createObjectNode()
            .put("max_tokens", maxTokens)
            .put("stream", false)
            .put("seed", seed + longGenerates.get());
    try {
      longGenerates.incrementAndGet();
      final HttpResponse<String> r = post("/v1/conversations/" + id + "/generate", body);
      final JsonNode reply = JSON.readTree(r.body());
      if (r.statusCode() == 200) {
        if (reply.path("finish_reason").asText().equals("length")
            && reply.path("usage").path("completion_tokens").asInt() < maxTokens) {
          longGeneratesCut.incrementAndGet();
        }
        final long tokens = reply.path("usage").path("conversation_tokens").asLong(-1);
        if (tokens > 0) {
          tokens(tokens);
        }
      } else if (reply.path("error").path("code").asText().equals("context_length_exceeded")) {
        longGeneratesRefused.incrementAndGet();
      } else {
        longError(
            "generate: http " + r.statusCode() + " " + reply.path("error").path("code").asText());
      }
    } catch (final IOException e) {
      longError("generate: " + e.getClass().getSimpleName());
    }
  }

  /** The conversation's metadata once this gateway's writes are applied; null if it never was. */
  private JsonNode conversation(final String id) throws IOException, InterruptedException {
    final long until = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (true) {
      final HttpRequest.Builder b =
          HttpRequest.newBuilder(URI.create(url + "/v1/conversations/" + id)).timeout(TIMEOUT);
      auth(b);
      final HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() == 200) {
        return JSON.readTree(r.body());
      }
      if (r.statusCode() != 503 || System.nanoTime() > until) {
        longError("read: http " + r.statusCode());
        return null;
      }
      Thread.sleep(500);
    }
  }

  private HttpResponse<String> post(final String path, final JsonNode body)
      throws IOException, InterruptedException {
    final HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url + path))
            .timeout(TIMEOUT)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
    auth(b);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private void auth(final HttpRequest.Builder b) {
    if (apiKey != null && !apiKey.isBlank()) {
      b.header("Authorization", "Bearer " + apiKey);
    }
  }

  private void longError(final String what) {
    synchronized (longErrors) {
      longErrors.merge(what, 1L, Long::sum);
    }
  }

  // ---------------------------------------------------------------- sampling

  private void sample(final Path samplesCsv, final Path turnsCsv) throws IOException {
    final double t = seconds();
    final ServerMetrics m = ServerMetrics.scrape(http, URI.create(url), apiKey);
    final Map<String, Double> v = new LinkedHashMap<>();
    if (m == null) {
      scrapeFailures++;
    } else {
      v.put("heap_used_bytes", m.sum("jvm_memory_used_bytes", l -> "heap".equals(l.get("area"))));
      v.put(
          "heap_committed_bytes",
          m.sum("jvm_memory_committed_bytes", l -> "heap".equals(l.get("area"))));
      v.put("gc_live_data_bytes", m.sum("jvm_gc_live_data_size_bytes"));
      // every store reports the one shared cache: its usage is the largest, not the sum
      v.put("rocksdb_block_cache_bytes", m.max("kafka_stream_state_block_cache_usage"));
      v.put("rocksdb_memtable_bytes", m.sum("kafka_stream_state_cur_size_all_mem_tables"));
      v.put("rocksdb_pinned_bytes", m.max("kafka_stream_state_block_cache_pinned_usage"));
      v.put("rocksdb_table_readers_bytes", m.sum("kafka_stream_state_estimate_table_readers_mem"));
      v.put("hot_state_bytes", m.sum("finchstream_hotcache_bytes"));
      v.put(
          "dlq_conversation_too_long",
          m.sum("finchstream_dlq_total", l -> "conversation_too_long".equals(l.get("code"))));
      v.put("hot_evictions", m.sum("finchstream_hotcache_evictions_total"));
    }
    v.put("rss_bytes", rss());
    v.put("long_tokens", (double) longTokens.get());
    v.put("long_refusals", (double) longRefusals.get());
    v.put("small_turns", (double) smallTurnsInInterval.getAndSet(0));
    v.put("small_errors", (double) smallErrorsInInterval.getAndSet(0));
    Files.writeString(
        samplesCsv, SoakReport.csvLine(new SoakReport.Sample(t, v)), StandardOpenOption.APPEND);
    final StringBuilder turns = new StringBuilder();
    final List<SoakReport.Turn> drained = new ArrayList<>();
    for (SoakReport.Turn x = newTurns.poll(); x != null; x = newTurns.poll()) {
      drained.add(x);
      turns.append(SoakReport.turnLine(x));
    }
    Files.writeString(turnsCsv, turns.toString(), StandardOpenOption.APPEND);
    System.err.printf(
        "soak: %4.0f s  heap %6.1f MiB  rocksdb %6.1f MiB  hot %6.1f MiB  rss %6.1f MiB  long %,d"
            + " tokens, %d refused  small turns %d (p50 %.0f ms)%n",
        t,
        v.getOrDefault("heap_used_bytes", Double.NaN) / SoakReport.MIB,
        v.getOrDefault("rocksdb_block_cache_bytes", Double.NaN) / SoakReport.MIB,
        v.getOrDefault("hot_state_bytes", Double.NaN) / SoakReport.MIB,
        v.get("rss_bytes") / SoakReport.MIB,
        longTokens.get(),
        longRefusals.get(),
        drained.size(),
        SoakReport.percentile(drained, SoakReport.Turn::wallMs, 0.5));
  }

  /** The server's resident set in bytes (Linux /proc), NaN without --server-pid. */
  private double rss() {
    if (serverPid <= 0) {
      return Double.NaN;
    }
    try {
      for (final String line :
          Files.readAllLines(Path.of("/proc", Long.toString(serverPid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Double.parseDouble(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (final IOException e) {
      // the process is gone
    }
    return Double.NaN;
  }

  private double seconds() {
    return (System.nanoTime() - start) / 1e9;
  }
}
