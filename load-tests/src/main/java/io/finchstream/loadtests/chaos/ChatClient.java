package io.finchstream.loadtests.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finchstream.loadtests.gateway.Prompts;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The client of one conversation: until the deadline, turn after turn, a user message (each with a
 * unique nonce, so the checks can find it) and a streamed reply, each through a gateway chosen at
 * random among the instances that run (a load balancer with health checks). It never retries a
 * request whose fate it cannot know, and records everything in a {@link ClientRecord}.
 */
final class ChatClient implements Runnable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofMinutes(3);

  private final HttpClient http;
  private final Supplier<List<String>> gateways;
  private final ClientRecord record;
  private final Random random;
  private final long deadlineNanos;
  private final int maxTokens;
  private final Prompts prompts;

  ChatClient(
      final HttpClient http,
      final Supplier<List<String>> gateways,
      final ClientRecord record,
      final long seed,
      final long deadlineNanos,
      final int maxTokens) {
    this.http = http;
    this.gateways = gateways;
    this.record = record;
    this.random = new Random(seed);
    this.deadlineNanos = deadlineNanos;
    this.maxTokens = maxTokens;
    this.prompts = new Prompts(seed, 40);
  }

  @Override
  public void run() {
    int turn = 0;
    try {
      while (System.nanoTime() < deadlineNanos) {
        final String nonce = record.conversation + "-m" + turn;
        if (message(nonce)) {
          generate();
        } else {
          Thread.sleep(500);
        }
        turn++;
        Thread.sleep(100 + random.nextInt(400));
      }
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private String gateway() {
    final List<String> live = gateways.get();
    return live.get(random.nextInt(live.size()));
  }

  /** Appends a user message; true when it was accepted. */
  private boolean message(final String nonce) throws InterruptedException {
    final ObjectNode body =
        JSON.createObjectNode().put("text", nonce + " " + prompts.next()).put("role", "user");
    try {
      final HttpResponse<String> r =
          http.send(
              post(gateway(), "/v1/conversations/" + record.conversation + "/messages", body),
              HttpResponse.BodyHandlers.ofString());
      synchronized (record) {
        if (r.statusCode() == 202) {
          record.accepted.add(nonce);
          return true;
        }
        if (r.statusCode() >= 400 && r.statusCode() < 500 && r.statusCode() != 429) {
          record.refused.add(nonce + ": " + r.statusCode() + " " + r.body());
        } else {
          record.maybe.add(nonce);
        }
      }
    } catch (final IOException e) {
      synchronized (record) {
        record.maybe.add(nonce);
      }
    }
    return false;
  }

  /** Streams a reply (SSE) and records what arrived. */
  private void generate() throws InterruptedException {
    final String gateway = gateway();
    final ClientRecord.Streamed s = new ClientRecord.Streamed(gateway, System.currentTimeMillis());
    synchronized (record) {
      record.generations.add(s);
    }
    final ObjectNode body =
        JSON.createObjectNode()
            .put("max_tokens", 4 + random.nextInt(maxTokens - 3))
            .put("temperature", 1.0)
            .put("seed", random.nextInt(1_000_000))
            .put("prefix", "Assistant:");
    body.putArray("stop").add("\n\n");
    try {
      final HttpResponse<Stream<String>> r =
          http.send(
              post(gateway, "/v1/conversations/" + record.conversation + "/generate", body),
              HttpResponse.BodyHandlers.ofLines());
      synchronized (record) {
        s.status = r.statusCode();
        s.requestId = r.headers().firstValue("X-Finchstream-Generation").orElse(null);
      }
      if (r.statusCode() != 200) {
        try (Stream<String> lines = r.body()) {
          final String text = String.join("\n", lines.toList());
          synchronized (record) {
            s.error = r.statusCode() + " " + text;
            record.generateFailures++;
          }
        }
        return;
      }
      read(r.body(), s);
    } catch (final IOException e) {
      synchronized (record) {
        s.interrupted = true;
        if (s.error == null) {
          s.error = e.toString();
        }
      }
    }
  }

  private void read(final Stream<String> body, final ClientRecord.Streamed s) throws IOException {
    String event = "";
    try (Stream<String> lines = body) {
      for (final Iterator<String> it = lines.iterator(); it.hasNext(); ) {
        final String line = it.next();
        if (line.startsWith("event: ")) {
          event = line.substring(7);
        } else if (line.startsWith("data: ")) {
          final JsonNode data = JSON.readTree(line.substring(6));
          synchronized (record) {
            switch (event) {
              case "token" -> {
                final List<Integer> ids = new ArrayList<>();
                data.path("token_ids").forEach(n -> ids.add(n.asInt()));
                s.chunks.add(
                    new ClientRecord.Chunk(
                        data.path("index").asInt(), ids, data.path("text").asText("")));
              }
              case "done" -> {
                s.doneText = data.path("text").asText("");
                s.finishReason = data.path("finish_reason").asText("");
                if (s.requestId == null) {
                  s.requestId = data.path("request_id").asText(null);
                }
              }
              case "error" -> s.error = data.toString();
              default -> {}
            }
          }
        }
      }
    } catch (final RuntimeException e) {
      // Jackson's unchecked parse errors or a broken stream: the reply was cut off
      throw new IOException(e);
    }
    synchronized (record) {
      if (s.doneText == null && s.error == null) {
        s.interrupted = true;
        s.error = "stream ended without done";
      }
    }
  }

  private static HttpRequest post(final String base, final String path, final JsonNode body)
      throws IOException {
    return HttpRequest.newBuilder(URI.create(base + path))
        .timeout(TIMEOUT)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
        .build();
  }
}
