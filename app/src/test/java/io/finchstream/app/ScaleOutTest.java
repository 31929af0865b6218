package io.finchstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scale-out from any start (issue 14, item 6): {@code up}, then two {@code serve} instances joining
 * its broker, all real child JVMs started through the command line with their defaults (only the
 * peer secret {@code up} printed is passed on). Every conversation answers through every gateway
 * before the others join, while they join (a rebalance), after, while each leaves and after that:
 * reads with the same metadata everywhere, generations through every gateway, and automatic reuse
 * of an OpenAI client's resent history through any gateway.
 */
class ScaleOutTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static final Logger LOG = LoggerFactory.getLogger(ScaleOutTest.class);
  private static final int CONVERSATIONS = 12;

  /** The readers here are one client that reads far faster than the default rate limit. */
  private static final String NO_RATE_LIMIT = "gateway.rate.limit.per.second=0";

  private static final Pattern TASK_READY = Pattern.compile("task 0_\\d+: conversation processor");

  @TempDir Path dir;

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  @Test
  void shouldAnswerEveryConversationThroughEveryGatewayBeforeDuringAndAfterRebalances()
      throws Exception {
    final Path logs = Path.of("target", "child-logs", "scale-out");
    final Path data = dir.resolve("up");
    try (Instance up = Instance.up(data, 6, logs, NO_RATE_LIMIT)) {
      final List<String> conversations = new ArrayList<>();
      for (int i = 0; i < CONVERSATIONS; i++) {
        final String id = "scale-" + i;
        conversations.add(id);
        final HttpResponse<String> r =
            post(
                up.url(),
                "/v1/conversations/" + id + "/messages",
                "{\"text\":\"hello " + i + "\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
      }
      final List<String> gateways = new CopyOnWriteArrayList<>(List.of(up.url()));
      final Map<String, Long> tokens = expectedTokens(up.url(), conversations);
      checkEverywhere(gateways, conversations, tokens, "before the others join");

      final Reads during = new Reads(gateways, conversations, tokens);
      final Thread reader = Thread.ofPlatform().name("reads-during-rebalance").start(during);
      // The reader stops before the instances are closed: try-with-resources closes them before a
      // finally block runs, and a read through a gateway whose JVM is being stopped while it is
      // still on the list is a refused connection that says nothing about routing. Each instance
      // leaves the list first, then stops (as a load balancer drains it).
      try {
        try (Instance a =
                Instance.serve("serve-a", up, data, dir.resolve("a"), logs, NO_RATE_LIMIT);
            Instance b =
                Instance.serve("serve-b", up, data, dir.resolve("b"), logs, NO_RATE_LIMIT)) {
          gateways.add(a.url());
          gateways.add(b.url());
          a.jvm().awaitLine(TASK_READY, Duration.ofMinutes(2));
          b.jvm().awaitLine(TASK_READY, Duration.ofMinutes(2));
          awaitReady(List.of(a.url(), b.url()));
          checkEverywhere(gateways, conversations, tokens, "after two instances joined");
          generateEverywhere(gateways, conversations, tokens);
          checkEverywhere(gateways, conversations, tokens, "after the generations");
          reuseAcrossGateways(gateways);

          leave(gateways, b, "serve-b");
          checkEverywhere(gateways, conversations, tokens, "after serve-b left");
          leave(gateways, a, "serve-a");
          checkEverywhere(gateways, conversations, tokens, "after serve-a left");
        }
      } finally {
        during.stop();
        reader.join();
      }
      LOG.info(
          "reads during the rebalances: {} answered, {} answered 503 with Retry-After, failures {}",
          during.ok,
          during.retryLater,
          during.failures);
      assertThat(during.ok.get()).as("reads while instances joined and left").isPositive();
      assertThat(during.failures).as("reads that did not answer 200 with the metadata").isEmpty();
    }
  }

  /** Takes {@code instance} off the gateways the clients use, then stops it (SIGTERM). */
  private static void leave(final List<String> gateways, final Instance instance, final String name)
      throws InterruptedException {
    gateways.remove(instance.url());
    LOG.info("stopping {} (it leaves the group: another rebalance)", name);
    assertThat(instance.jvm().stop(Duration.ofSeconds(90)))
        .as("exit code of %s after SIGTERM (128 + 15: the JVM ran its shutdown hook)", name)
        .isEqualTo(143);
  }

  /** Each conversation's token count as its owner reports it. */
  private Map<String, Long> expectedTokens(final String gateway, final List<String> ids)
      throws Exception {
    final Map<String, Long> tokens = new ConcurrentHashMap<>();
    for (final String id : ids) {
      final HttpResponse<String> r = getAnswered(gateway, "/v1/conversations/" + id);
      assertThat(r.statusCode()).as("%s: %s", id, r.body()).isEqualTo(200);
      tokens.put(id, JSON.readTree(r.body()).get("tokens").asLong());
    }
    return tokens;
  }

  private void checkEverywhere(
      final List<String> gateways,
      final List<String> ids,
      final Map<String, Long> tokens,
      final String when)
      throws Exception {
    for (final String gateway : gateways) {
      for (final String id : ids) {
        final HttpResponse<String> r = getAnswered(gateway, "/v1/conversations/" + id);
        assertThat(r.statusCode())
            .as("%s through %s %s: %s", id, gateway, when, r.body())
            .isEqualTo(200);
        assertThat(JSON.readTree(r.body()).get("tokens").asLong())
            .as("tokens of %s through %s %s", id, gateway, when)
            .isEqualTo(tokens.get(id));
      }
    }
  }

  /** One generation per conversation, each through the next gateway in turn. */
  private void generateEverywhere(
      final List<String> gateways, final List<String> ids, final Map<String, Long> tokens)
      throws Exception {
    for (int i = 0; i < ids.size(); i++) {
      final String id = ids.get(i);
      final String gateway = gateways.get(i % gateways.size());
      final HttpResponse<String> r =
          post(
              gateway,
              "/v1/conversations/" + id + "/generate",
              "{\"max_tokens\":4,\"temperature\":0,\"stream\":false}");
      assertThat(r.statusCode())
          .as("generate %s through %s: %s", id, gateway, r.body())
          .isEqualTo(200);
      final JsonNode done = JSON.readTree(r.body());
      assertThat(done.get("finish_reason").asText())
          .as(r.body())
          .isIn("length", "end_of_text", "stop");
      tokens.put(id, done.get("usage").get("conversation_tokens").asLong());
    }
  }

  /**
   * Automatic reuse across instances (issue 11): each chat's second turn, the whole history resent
   * as an OpenAI client does, goes through another gateway than its first. The prefix lookup goes
   * to the owner of the chat's automatic conversation, wherever that is, so the second turn reuses
   * all of the first ({@code cached_tokens}) through every gateway.
   */
  private void reuseAcrossGateways(final List<String> gateways) throws Exception {
    final String model =
        JSON.readTree(get(gateways.get(0), "/v1/models").body())
            .get("data")
            .get(0)
            .get("id")
            .asText();
    for (int i = 0; i < 6; i++) {
      final ObjectNode first = JSON.createObjectNode().put("role", "user");
      first.put("content", "Speak of Verona, chat " + i + ".");
      final ArrayNode messages = JSON.createArrayNode().add(first);
      final JsonNode one = chat(gateways.get(i % gateways.size()), model, messages);
      messages.add(
          JSON.createObjectNode()
              .put("role", "assistant")
              .put("content", one.get("choices").get(0).get("message").get("content").asText()));
      messages.add(JSON.createObjectNode().put("role", "user").put("content", "And then?"));
      final String other = gateways.get((i + 1) % gateways.size());
      final JsonNode two = chat(other, model, messages);
      final long held =
          one.get("usage").get("prompt_tokens").asLong()
              + one.get("usage").get("completion_tokens").asLong();
      assertThat(two.get("usage").get("prompt_tokens_details").get("cached_tokens").asLong())
          .as("chat %d's second turn through %s reuses its first: %s", i, other, two)
          .isGreaterThanOrEqualTo(held)
          .isLessThan(two.get("usage").get("prompt_tokens").asLong());
    }
  }

  private JsonNode chat(final String gateway, final String model, final ArrayNode messages)
      throws Exception {
    final ObjectNode body = JSON.createObjectNode().put("model", model);
    body.set("messages", messages);
    body.put("max_tokens", 8).put("temperature", 0);
    final HttpResponse<String> r = post(gateway, "/v1/chat/completions", body.toString());
    assertThat(r.statusCode()).as("chat through %s: %s", gateway, r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  private void awaitReady(final List<String> gateways) throws Exception {
    final long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    for (final String gateway : gateways) {
      while (get(gateway, "/health/ready").statusCode() != 200) {
        assertThat(System.nanoTime()).as("%s ready within 2 minutes", gateway).isLessThan(deadline);
        Thread.sleep(200);
      }
    }
  }

  /**
   * GET as a client should: a 503 with {@code Retry-After} (a partition moving, a write not applied
   * yet) is asked again after that many seconds, for at most a minute; anything else is the answer.
   */
  private HttpResponse<String> getAnswered(final String base, final String path) throws Exception {
    final long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    while (true) {
      final HttpResponse<String> r = get(base, path);
      final var retryAfter = r.headers().firstValueAsLong("Retry-After");
      if (r.statusCode() != 503 || retryAfter.isEmpty() || System.nanoTime() > deadline) {
        return r;
      }
      LOG.info("{}{}: 503, retrying after {} s: {}", base, path, retryAfter.getAsLong(), r.body());
      Thread.sleep(Duration.ofSeconds(retryAfter.getAsLong()));
    }
  }

  private HttpResponse<String> get(final String base, final String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(final String base, final String path, final String json)
      throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofMinutes(2))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Reads every conversation through every gateway in a loop, recording what does not answer. */
  private static final String RETRY_LATER = "503 with Retry-After";

  private final class Reads implements Runnable {
    private final List<String> gateways;
    private final List<String> ids;
    private final Map<String, Long> initial;
    private final AtomicBoolean running = new AtomicBoolean(true);
    final AtomicInteger ok = new AtomicInteger();
    final AtomicInteger retryLater = new AtomicInteger();
    final List<String> failures = new CopyOnWriteArrayList<>();

    Reads(final List<String> gateways, final List<String> ids, final Map<String, Long> tokens) {
      this.gateways = gateways;
      this.ids = ids;
      this.initial = Map.copyOf(tokens);
    }

    void stop() {
      running.set(false);
    }

    @Override
    public void run() {
      while (running.get()) {
        for (final String gateway : List.copyOf(gateways)) {
          if (!isReady(gateway)) {
            continue;
          }
          for (final String id : ids) {
            final String problem = read(gateway, id);
            if (problem == null) {
              ok.incrementAndGet();
            } else if (problem.equals(RETRY_LATER)) {
              retryLater.incrementAndGet();
            } else if (gateways.contains(gateway)) {
              failures.add(Instant.now() + " " + id + " through " + gateway + ": " + problem);
            }
          }
        }
      }
    }

    /**
     * Null when {@code id} answers through {@code gateway} with at least its first tokens, {@link
     * #RETRY_LATER} for a 503 with {@code Retry-After} (what a client is told while a partition
     * moves), else what went wrong.
     */
    private String read(final String gateway, final String id) {
      try {
        final HttpResponse<String> r = get(gateway, "/v1/conversations/" + id);
        if (r.statusCode() == 503 && r.headers().firstValue("Retry-After").isPresent()) {
          return RETRY_LATER;
        }
        if (r.statusCode() != 200) {
          return r.statusCode() + " " + r.body();
        }
        final long seen = JSON.readTree(r.body()).get("tokens").asLong();
        return seen >= initial.get(id) ? null : "tokens " + seen;
      } catch (final Exception e) {
        return e.toString();
      }
    }

    private boolean isReady(final String gateway) {
      try {
        return get(gateway, "/health/ready").statusCode() == 200;
      } catch (final Exception e) {
        return false;
      }
    }
  }
}
