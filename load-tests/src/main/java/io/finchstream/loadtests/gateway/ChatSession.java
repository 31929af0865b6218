package io.finchstream.loadtests.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One simulated chat user: {@code turns} times, a new user message and a streamed reply, in one
 * conversation. With {@code --api openai} every turn resends the whole history to {@code
 * /v1/chat/completions} with {@code X-Conversation-Id} (the gateway ingests only the new message);
 * {@code --api openai-stateless} does the same without the header, as most clients do (the
 * gateway's automatic reuse, or a full re-ingest with {@code gateway.openai.auto.reuse=false});
 * with {@code --api native} it posts the message and then streams {@code /generate}.
 *
 * <p>Time to first token runs from sending the generating request to the first token; the
 * inter-token gap is recorded per token: the first token of an event waited since the previous
 * event, the others of the same event arrived with it (gap 0). Native events carry token ids;
 * OpenAI chunks do not, so there each chunk counts as one token (per chunk).
 */
final class ChatSession implements Callable<Latencies> {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofMinutes(5);

  private final HttpClient http;
  private final LoadOptions options;
  private final String model;
  private final String conversation;
  private final Prompts prompts;
  private final long seed;
  private final ArrayNode history = JSON.createArrayNode();
  private final Latencies latencies = new Latencies();

  /** When the current turn's first reply text arrived (nanoTime), 0 before it. */
  private long firstArrival;

  ChatSession(
      final HttpClient http,
      final LoadOptions options,
      final String model,
      final String runId,
      final int index) {
    this.http = http;
    this.options = options;
    this.model = model;
    this.conversation = "load-" + runId + "-" + index;
    this.seed = options.seed() * 1_000_003L + index;
    this.prompts = new Prompts(seed, options.promptBytes());
  }

  @Override
  public Latencies call() {
    for (int turn = 0; turn < options.turns(); turn++) {
      try {
        turn(turn);
      } catch (final InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return latencies;
  }

  /**
   * Turn {@code turn} (0-based: it picks the sampling seed) of this conversation: a new user
   * message and its streamed reply. Returns the turn as the client saw it, also added to {@link
   * #latencies()}, or null when it failed (the error is counted there).
   */
  Latencies.TurnSample turn(final int turn) throws InterruptedException {
    final String prompt = prompts.next();
    final long start = System.nanoTime();
    final long prompt0 = latencies.promptTokens;
    final long cached0 = latencies.cachedTokens;
    final long completion0 = latencies.completionTokens;
    firstArrival = 0;
    try {
      final boolean ok =
          options.api().startsWith("openai") ? openAiTurn(prompt, turn) : nativeTurn(prompt, turn);
      if (!ok) {
        return null;
      }
      final long wall = micros(System.nanoTime() - start);
      latencies.turns++;
      latencies.turn.recordValue(Math.min(Latencies.HIGHEST_MICROS, wall));
      final Latencies.TurnSample sample =
          new Latencies.TurnSample(
              turn + 1,
              wall,
              firstArrival == 0 ? -1 : micros(firstArrival - start),
              latencies.promptTokens - prompt0,
              latencies.cachedTokens - cached0,
              latencies.completionTokens - completion0);
      latencies.perTurn.add(sample);
      return sample;
    } catch (final IOException e) {
      latencies.error("io: " + e.getClass().getSimpleName());
      return null;
    }
  }

  /** The conversation's id. */
  String conversation() {
    return conversation;
  }

  /** This session's measurements so far. */
  Latencies latencies() {
    return latencies;
  }

  private boolean openAiTurn(final String prompt, final int turn)
      throws IOException, InterruptedException {
    final ArrayNode messages = history.deepCopy();
    messages.addObject().put("role", "user").put("content", prompt);
    final ObjectNode body =
        JSON.createObjectNode()
            .put("model", model)
            .put("stream", true)
            .put("max_tokens", options.maxTokens())
            .put("temperature", options.temperature())
            .put("seed", seed * 1000 + turn);
    body.set("messages", messages);
    body.putObject("stream_options").put("include_usage", true);
    final HttpRequest.Builder builder = request("/v1/chat/completions", body);
    if (options.api().equals("openai")) {
      builder.header("X-Conversation-Id", conversation);
    }
    final HttpRequest request = builder.build();
    final long sent = System.nanoTime();
    final HttpResponse<Stream<String>> response =
        http.send(request, HttpResponse.BodyHandlers.ofLines());
    if (response.statusCode() != 200) {
      return failed(response);
    }
    final StringBuilder reply = new StringBuilder();
    long last = 0;
    try (Stream<String> lines = response.body()) {
      for (final Iterator<String> it = lines.iterator(); it.hasNext(); ) {
        final String line = it.next();
        if (!line.startsWith("data: ") || line.equals("data: [DONE]")) {
          continue;
        }
        final JsonNode event = JSON.readTree(line.substring(6));
        if (event.has("error")) {
          latencies.error("stream: " + event.path("error").path("code").asText());
          return false;
        }
        if (event.hasNonNull("usage")) {
          latencies.completionTokens += event.path("usage").path("completion_tokens").asLong();
          latencies.promptTokens += event.path("usage").path("prompt_tokens").asLong();
          latencies.cachedTokens +=
              event.path("usage").path("prompt_tokens_details").path("cached_tokens").asLong();
        }
        final String content =
            event.path("choices").path(0).path("delta").path("content").asText("");
        if (!content.isEmpty()) {
          last = arrived(sent, last, -1);
          reply.append(content);
        }
      }
    }
    history.add(messages.get(messages.size() - 1));
    history.addObject().put("role", "assistant").put("content", reply.toString().strip());
    return true;
  }

  private boolean nativeTurn(final String prompt, final int turn)
      throws IOException, InterruptedException {
    final ObjectNode message = JSON.createObjectNode().put("text", prompt).put("role", "user");
    final HttpResponse<String> appended =
        http.send(
            request("/v1/conversations/" + conversation + "/messages", message).build(),
            HttpResponse.BodyHandlers.ofString());
    if (appended.statusCode() != 202) {
      latencies.error("http " + appended.statusCode() + " " + errorCode(appended.body()));
      return false;
    }
    final ObjectNode body =
        JSON.createObjectNode()
            .put("max_tokens", options.maxTokens())
            .put("temperature", options.temperature())
            .put("seed", seed * 1000 + turn)
            .put("prefix", "Assistant:");
    body.putArray("stop").add("\n\n");
    final long sent = System.nanoTime();
    final HttpResponse<Stream<String>> response =
        http.send(
            request("/v1/conversations/" + conversation + "/generate", body).build(),
            HttpResponse.BodyHandlers.ofLines());
    if (response.statusCode() != 200) {
      return failed(response);
    }
    long last = 0;
    String event = "";
    try (Stream<String> lines = response.body()) {
      for (final Iterator<String> it = lines.iterator(); it.hasNext(); ) {
        final String line = it.next();
        if (line.startsWith("event: ")) {
          event = line.substring(7);
        } else if (line.startsWith("data: ")) {
          final JsonNode data = JSON.readTree(line.substring(6));
          switch (event) {
            case "token" -> {
              if (data.path("token_ids").size() > 0) {
                last = arrived(sent, last, data.path("token_ids").size());
              }
            }
            case "done" ->
                latencies.completionTokens += data.path("usage").path("completion_tokens").asLong();
            case "error" -> {
              latencies.error("stream: " + data.path("error").path("code").asText());
              return false;
            }
            default -> {}
          }
        }
      }
    }
    return true;
  }

  /**
   * Records an arrival of {@code tokens} tokens (-1: a chunk whose token count the API does not
   * say, counted as one); returns its time.
   */
  private long arrived(final long sent, final long last, final int tokens) {
    final long now = System.nanoTime();
    latencies.event(tokens);
    final int n = Math.max(1, tokens);
    if (last == 0) {
      firstArrival = now;
      latencies.ttft.recordValue(
          Math.min(Latencies.HIGHEST_MICROS, Math.max(1, micros(now - sent))));
      latencies.interTokenGap(0, n - 1);
    } else {
      latencies.interTokenGap(micros(now - last), n);
    }
    return now;
  }

  private boolean failed(final HttpResponse<Stream<String>> response) {
    final String body;
    try (Stream<String> lines = response.body()) {
      body = lines.collect(Collectors.joining("\n"));
    }
    latencies.error("http " + response.statusCode() + " " + errorCode(body));
    return false;
  }

  private static String errorCode(final String body) {
    try {
      return JSON.readTree(body).path("error").path("code").asText("?");
    } catch (final IOException e) {
      return "?";
    }
  }

  private HttpRequest.Builder request(final String path, final JsonNode body) throws IOException {
    final HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(options.url() + path))
            .timeout(TIMEOUT)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
    if (options.apiKey() != null) {
      b.header("Authorization", "Bearer " + options.apiKey());
    }
    return b;
  }

  private static long micros(final long nanos) {
    return TimeUnit.NANOSECONDS.toMicros(nanos);
  }
}
