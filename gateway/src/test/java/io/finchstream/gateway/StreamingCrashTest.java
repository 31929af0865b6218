package io.finchstream.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.engine.sampling.SamplingParams;
import io.finchstream.gateway.testing.GatewayHarness;
import io.finchstream.gateway.testing.ProcessorsAdmission;
import io.finchstream.processors.FinchstreamConfig;
import io.finchstream.processors.LoadedModel;
import io.finchstream.processors.TopicAdmin;
import io.finchstream.processors.event.ChatFormat;
import io.finchstream.processors.event.EventValidator;
import io.finchstream.processors.testing.ChildService;
import io.finchstream.processors.testing.DirectEngine;
import io.finchstream.processors.testing.KafkaTestCluster;
import io.finchstream.processors.testing.ReplyCollector;
import io.finchstream.processors.testing.ServiceConfigs;
import io.finchstream.processors.testing.TestModels;
import io.finchstream.proto.v1.FinishReason;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.GenerationDone;
import io.finchstream.proto.v1.Reply;
import io.finchstream.proto.v1.Role;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a streaming client sees when a processors instance dies mid-generation: the gateway shows
 * live tokens long before their transactions commit (the instances commit every few seconds here),
 * then instance a is killed with SIGKILL, b takes over from a's last commit and c joins (tasks move
 * again, mid-stream). Every client must still see each token exactly once, in order, with no gap:
 * its concatenated text and tokens equal a direct, unbatched engine run, and it gets exactly one
 * done. Clients that cancelled after seeing live tokens, right before the kill, must find every
 * token they saw in the reply the processors commit (CancelGeneration.shown_tokens): the new owner
 * resumes before the tokens they saw and must not cut the reply there.
 */
@ExtendWith(VertxExtension.class)
class StreamingCrashTest {

  private static final Logger LOG = LoggerFactory.getLogger(StreamingCrashTest.class);
  private static final String MODEL = "random-medium";
  private static final String APP = "streaming-crash";
  private static final int PARTITIONS = 6;
  private static final Path LOGS = Path.of("target", "child-logs");
  private static final String PREFIX = "Assistant:";

  @TempDir Path dir;

  /** One streamed generation as its client saw it. */
  private static final class Seen {
    final String conversation;
    final String prompt;
    final JsonObject request;
    volatile String requestId;
    final StringBuilder text = new StringBuilder();
    final List<Integer> tokens = new CopyOnWriteArrayList<>();
    final List<Integer> indices = new CopyOnWriteArrayList<>();
    final List<JsonObject> dones = new CopyOnWriteArrayList<>();
    final List<String> errors = new CopyOnWriteArrayList<>();
    volatile boolean cancelled;
    final CompletableFuture<Void> ended = new CompletableFuture<>();

    Seen(final String conversation, final String prompt, final JsonObject request) {
      this.conversation = conversation;
      this.prompt = prompt;
      this.request = request;
    }

    synchronized void token(final JsonObject t) {
      indices.add(t.getInteger("index"));
      text.append(t.getString("text"));
      final JsonArray ids = t.getJsonArray("token_ids");
      for (int i = 0; i < ids.size(); i++) {
        tokens.add(ids.getInteger(i));
      }
    }

    synchronized String text() {
      return text.toString();
    }
  }

  private static int partition(final String conversation) {
    return Utils.toPositive(Utils.murmur2(conversation.getBytes(StandardCharsets.UTF_8)))
        % PARTITIONS;
  }

  private Map<String, Object> instance(final KafkaTestCluster cluster, final String name) {
    final Map<String, Object> props =
        ServiceConfigs.forTest(
            cluster.bootstrapServers(),
            APP,
            dir.resolve("state-" + name),
            PARTITIONS,
            cluster.replicationFactor());
    props.put(FinchstreamConfig.CREATE_TOPICS_CONFIG, false);
    props.put(FinchstreamConfig.SNAPSHOT_INTERVAL_TOKENS_CONFIG, 64);
    // Transactions far apart: the live tokens clients see run seconds ahead of the commits, so the
    // kill lands with many shown tokens uncommitted.
    props.put("streams.commit.interval.ms", "4000");
    props.put(FinchstreamConfig.DECODE_CYCLE_MS_CONFIG, 1500L);
    return props;
  }

  @Test
  void shouldShowEveryTokenOnceAndOneDoneWhenAnInstanceIsKilledMidStream(final Vertx vertx)
      throws Exception {
    final LoadedModel model = TestModels.byName(MODEL);
    try (KafkaTestCluster cluster = KafkaTestCluster.start(1)) {
      try (Admin admin = cluster.admin()) {
        TopicAdmin.ensureTopics(admin, PARTITIONS, cluster.replicationFactor());
      }
      final EventLimits limits = new EventLimits(256 * 1024, 1 << 16, 4096, 256, 16, 16);
      try (ReplyCollector committed = new ReplyCollector(cluster.consumerProps());
          ChildService a = ChildService.start("a", instance(cluster, "a"), MODEL, LOGS);
          ChildService b = ChildService.start("b", instance(cluster, "b"), MODEL, LOGS);
          GatewayHarness gateway =
              GatewayHarness.start(
                  vertx,
                  GatewayHarness.config(
                      cluster, Map.of(GatewayConfig.REPLY_TIMEOUT_CONFIG, 180_000L)),
                  id -> new ConversationLookup.NotFound(),
                  ReadinessProbe.none(),
                  limits,
                  new ApiModel("random-medium", model.info().id(), 256, 1_700_000_000L),
                  new ProcessorsAdmission(model.tokenizer(), limits))) {
        a.awaitRunning(Duration.ofMinutes(2));
        b.awaitRunning(Duration.ofMinutes(2));
        awaitSplit(a, b);
        final Set<Integer> victims = a.partitions();
        LOG.info("instance a runs partitions {}, b {}", victims, b.partitions());

        // Streaming clients on every partition, and cancelling clients on a's partitions.
        final List<Seen> streams = new ArrayList<>();
        final List<Seen> cancels = new ArrayList<>();
        for (int i = 0; streams.size() < 10 || cancels.size() < 3; i++) {
          final String conversation = String.format("crash-%03d", i);
          final String prompt = "Tell me about the number " + i;
          if (victims.contains(partition(conversation)) && cancels.size() < 3) {
            cancels.add(
                new Seen(
                    conversation,
                    prompt,
                    new JsonObject()
                        .put("type", "generate")
                        .put("max_tokens", 3000)
                        .put("temperature", 1.0)
                        .put("seed", 500 + i)
                        // End of text is barred: the reply must run until its cancel lands.
                        .put("logit_bias", new JsonObject().put("0", -100))
                        .put("prefix", PREFIX)));
          } else if (streams.size() < 10) {
            streams.add(new Seen(conversation, prompt, generateRequest(i)));
          }
        }
        for (final Seen s : concat(streams, cancels)) {
          append(gateway.port(), s);
        }
        for (final Seen s : streams) {
          stream(gateway.port(), s);
        }
        final WebSocketClient wsClient = vertx.createWebSocketClient();
        for (final Seen s : cancels) {
          cancelAfter(wsClient, gateway.port(), s, 24);
        }

        // Kill a once every cancelling client has cancelled after its tokens and some stream on
        // a's partitions is midway: the tokens they saw are not committed yet.
        awaitTrue(
            () ->
                cancels.stream().allMatch(s -> s.ended.isDone())
                    && streams.stream()
                        .anyMatch(
                            s ->
                                victims.contains(partition(s.conversation))
                                    && s.tokens.size() >= 10
                                    && s.dones.isEmpty()),
            Duration.ofMinutes(3),
            "cancels sent and a stream of instance a midway");
        Thread.sleep(200); // the cancels are in Kafka (the gateway writes them with acks=all)
        final List<String> uncommitted = new ArrayList<>();
        for (final Seen s : cancels) {
          final int committedTokens = committedTokens(committed.replies(s.requestId));
          LOG.info(
              "cancel {}: the client saw {} tokens, {} are committed",
              s.requestId,
              s.tokens.size(),
              committedTokens);
          if (committedTokens < s.tokens.size()) {
            uncommitted.add(s.requestId);
          }
        }
        LOG.info("killing instance a (SIGKILL; partitions {})", victims);
        a.kill();
        try (ChildService c = ChildService.start("c", instance(cluster, "c"), MODEL, LOGS)) {
          c.awaitRunning(Duration.ofMinutes(2));
          for (final Seen s : streams) {
            s.ended.get(240, TimeUnit.SECONDS);
          }
          committed.awaitFinished(
              cancels.stream().map(s -> s.requestId).toList(), Duration.ofMinutes(4));
          // Verify.
          for (final Seen s : streams) {
            checkStream(model, s);
          }
          for (final Seen s : cancels) {
            checkCancelled(model, s, committed.replies(s.requestId));
          }
          assertThat(uncommitted)
              .as(
                  "cancelled generations whose shown tokens were not committed when a died (the"
                      + " case this test is about)")
              .isNotEmpty();
          assertThat(gateway.registry().scrape())
              .contains("finchstream_gateway_generation_live_mismatches_total 0.0");
        }
        wsClient.close();
      }
    }
  }

  private static List<Seen> concat(final List<Seen> x, final List<Seen> y) {
    final List<Seen> all = new ArrayList<>(x);
    all.addAll(y);
    return all;
  }

  /** Sampled with a seed, greedy with stop strings, or seeded from the request id. */
  private static JsonObject generateRequest(final int i) {
    final JsonObject r = new JsonObject().put("prefix", PREFIX).put("max_tokens", 1200 + 10 * i);
    switch (i % 3) {
      case 0 -> r.put("temperature", 1.0).put("top_p", 0.95).put("seed", 1000 + i);
      case 1 -> r.put("temperature", 0.0).put("stop", new JsonArray().add("qq").add("\n\n\n"));
      default -> r.put("temperature", 0.8).put("top_k", 40).put("repetition_penalty", 1.2);
    }
    return r;
  }

  /** The Generate the gateway wrote for {@code s} (what the processors sample with). */
  private static Generate generate(final Seen s) {
    final JsonObject r = s.request;
    final io.finchstream.proto.v1.SamplingParams.Builder p =
        io.finchstream.proto.v1.SamplingParams.newBuilder();
    if (r.containsKey("temperature")) {
      p.setTemperature(r.getDouble("temperature").floatValue());
    }
    if (r.containsKey("top_p")) {
      p.setTopP(r.getDouble("top_p").floatValue());
    }
    if (r.containsKey("top_k")) {
      p.setTopK(r.getInteger("top_k"));
    }
    if (r.containsKey("repetition_penalty")) {
      p.setRepetitionPenalty(r.getDouble("repetition_penalty").floatValue());
    }
    if (r.containsKey("seed")) {
      p.setSeed(r.getLong("seed"));
    }
    if (r.containsKey("logit_bias")) {
      r.getJsonObject("logit_bias")
          .forEach(
              e ->
                  p.putLogitBias(
                      Integer.parseInt(e.getKey()), ((Number) e.getValue()).floatValue()));
    }
    final Generate.Builder g =
        Generate.newBuilder()
            .setRequestId(s.requestId)
            .setMaxTokens(r.getInteger("max_tokens"))
            .setPrefixText(PREFIX)
            .setSampling(p);
    if (r.containsKey("stop")) {
      r.getJsonArray("stop").forEach(x -> g.addStop((String) x));
    }
    return g.build();
  }

  /** The direct, unbatched engine run of {@code s}'s conversation and generation. */
  private static DirectEngine.Generation expected(final LoadedModel model, final Seen s) {
    final DirectEngine direct = new DirectEngine(model.model(), model.tokenizer());
    direct.appendText(ChatFormat.render(Role.ROLE_USER, s.prompt));
    direct.appendText(PREFIX);
    final Generate g = generate(s);
    final long seed =
        g.getSampling().hasSeed() ? g.getSampling().getSeed() : EventValidator.seedOf(s.requestId);
    final SamplingParams params = EventValidator.samplingParams(g, g.getMaxTokens(), seed).build();
    return direct.generate(params);
  }

  private static void checkStream(final LoadedModel model, final Seen s) {
    final DirectEngine.Generation expected = expected(model, s);
    assertThat(s.errors).as("errors of %s", s.requestId).isEmpty();
    assertThat(s.dones).as("done events of %s", s.requestId).hasSize(1);
    for (int i = 0; i < s.indices.size(); i++) {
      assertThat(s.indices.get(i)).as("event %d of %s", i, s.requestId).isEqualTo(i);
    }
    assertThat(s.tokens.stream().mapToInt(Integer::intValue).toArray())
        .as("tokens %s saw", s.requestId)
        .containsExactly(expected.tokens());
    assertThat(s.text()).as("text %s saw", s.requestId).isEqualTo(expected.text());
    assertThat(s.dones.get(0).getString("text")).isEqualTo(expected.text());
    assertThat(s.dones.get(0).getString("finish_reason"))
        .isEqualTo(
            expected.reason().name().substring("FINISH_REASON_".length()).toLowerCase(Locale.ROOT));
  }

  private static void checkCancelled(
      final LoadedModel model, final Seen s, final List<Reply> replies) {
    final List<GenerationDone> done =
        replies.stream().filter(Reply::hasDone).map(Reply::getDone).toList();
    assertThat(done).as("GenerationDone of cancelled %s", s.requestId).hasSize(1);
    assertThat(done.get(0).getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_CANCELLED);
    final List<Integer> tokens = new ArrayList<>();
    replies.stream()
        .filter(Reply::hasChunk)
        .forEach(r -> tokens.addAll(r.getChunk().getTokenIdsList()));
    assertThat(tokens.size())
        .as("tokens %s committed, against the %d its client saw", s.requestId, s.tokens.size())
        .isGreaterThanOrEqualTo(s.tokens.size());
    assertThat(tokens.subList(0, s.tokens.size()))
        .as("the tokens the client of %s saw are the reply's first", s.requestId)
        .isEqualTo(s.tokens);
    assertThat(done.get(0).getText()).startsWith(s.text());
    final int[] direct = expected(model, s).tokens();
    for (int i = 0; i < tokens.size(); i++) {
      assertThat(tokens.get(i)).as("token %d of %s", i, s.requestId).isEqualTo(direct[i]);
    }
  }

  private static int committedTokens(final List<Reply> replies) {
    return replies.stream()
        .filter(Reply::hasChunk)
        .mapToInt(r -> r.getChunk().getTokenIdsCount())
        .sum();
  }

  private static void append(final int port, final Seen s) throws Exception {
    final HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://localhost:"
                                + port
                                + "/v1/conversations/"
                                + s.conversation
                                + "/messages"))
                    .header("Content-Type", "application/json")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            new JsonObject().put("text", s.prompt).put("role", "user").encode()))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
  }

  /** Streams {@code s}'s generation (native SSE) on a thread of its own. */
  private static void stream(final int port, final Seen s) throws Exception {
    final HttpResponse<InputStream> response =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .build()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://localhost:"
                                + port
                                + "/v1/conversations/"
                                + s.conversation
                                + "/generate"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(s.request.encode()))
                    .build(),
                HttpResponse.BodyHandlers.ofInputStream());
    assertThat(response.statusCode()).isEqualTo(200);
    s.requestId = response.headers().firstValue("X-Finchstream-Generation").orElseThrow();
    final Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                String event = "";
                String line;
                while ((line = in.readLine()) != null) {
                  if (line.startsWith("event: ")) {
                    event = line.substring(7);
                  } else if (line.startsWith("data: ")) {
                    final JsonObject data = new JsonObject(line.substring(6));
                    switch (event) {
                      case "token" -> s.token(data);
                      case "done" -> s.dones.add(data);
                      default -> s.errors.add(event + " " + data.encode());
                    }
                  }
                }
              } catch (final Exception e) {
                s.errors.add("stream failed: " + e);
              } finally {
                s.ended.complete(null);
              }
            },
            "sse-" + s.conversation);
    reader.setDaemon(true);
    reader.start();
  }

  /** Generates over a WebSocket and cancels once {@code after} tokens arrived. */
  private static void cancelAfter(
      final WebSocketClient client, final int port, final Seen s, final int after)
      throws Exception {
    final WebSocket ws =
        client
            .connect(port, "localhost", "/v1/conversations/" + s.conversation + "/ws")
            .toCompletionStage()
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
    ws.textMessageHandler(
        text -> {
          final JsonObject frame = new JsonObject(text);
          switch (frame.getString("type")) {
            case "token" -> {
              if (!s.ended.isDone()) {
                // Shown to the client, even if it arrives after the client asked to cancel.
                s.token(frame);
                if (s.tokens.size() >= after && !s.cancelled) {
                  s.cancelled = true;
                  ws.writeTextMessage("{\"type\":\"cancel\"}");
                }
              }
            }
            case "cancelled" -> {
              s.requestId = frame.getString("request_id");
              s.ended.complete(null);
            }
            default -> s.errors.add(frame.encode());
          }
        });
    ws.writeTextMessage(s.request.encode());
  }

  private static void awaitSplit(final ChildService a, final ChildService b)
      throws InterruptedException {
    awaitTrue(
        () ->
            !a.partitions().isEmpty()
                && !b.partitions().isEmpty()
                && a.partitions().size() + b.partitions().size() == PARTITIONS,
        Duration.ofMinutes(2),
        "tasks split between a and b");
  }

  private static void awaitTrue(
      final BooleanSupplier condition, final Duration timeout, final String what)
      throws InterruptedException {
    final long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      Thread.sleep(20);
    }
  }
}
