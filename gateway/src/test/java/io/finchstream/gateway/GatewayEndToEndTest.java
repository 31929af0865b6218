package io.finchstream.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import io.finchstream.gateway.testing.Eventually;
import io.finchstream.gateway.testing.Http;
import io.finchstream.gateway.testing.ServiceStack;
import io.finchstream.processors.LoadedModel;
import io.finchstream.processors.testing.TestModels;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The gateway in front of the real processors (Kafka Streams, exactly-once, RocksDB) on a real
 * in-JVM Kafka: conversations over several turns, SSE ending with a done event, the OpenAI path
 * with conversation reuse, and errors the processors report coming back as HTTP errors.
 *
 * <p>The model is the processors' seeded random-weight Finch (real engine code, byte vocabulary):
 * the trained tiny model of the shared data predicts end-of-text first after every prompt tried
 * (see {@code TestModels.randomFinch}), so its replies are empty, which would leave the streaming
 * paths untested.
 */
@ExtendWith(VertxExtension.class)
class GatewayEndToEndTest {

  private static ServiceStack stack;
  private static Http http;
  private static LoadedModel model;

  @BeforeAll
  static void start(final Vertx vertx) throws Exception {
    model = TestModels.randomFinch();
    stack = ServiceStack.start(vertx, model, "random-finch", "gateway-e2e", Map.of(), Map.of());
    http = stack.http();
  }

  @AfterAll
  static void stop() throws Exception {
    if (stack != null) {
      stack.close();
    }
  }

  private static long bytes(final String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  @Test
  void shouldHoldAConversationOverSeveralTurnsStreamingEachReplyToADoneEvent() {
    long expectedTokens = 0;
    final String[] prompts = {
      "ROMEO:\nBut soft, what light", "JULIET:\nO Romeo, Romeo", "ROMEO:\nI take thee at thy word"
    };
    for (int turn = 0; turn < prompts.length; turn++) {
      final Http.Response appended =
          http.post(
              "/v1/conversations/verona/messages",
              new JsonObject().put("text", prompts[turn]).put("role", "raw").encode());
      assertThat(appended.status()).isEqualTo(202);
      expectedTokens += bytes(prompts[turn]);

      final Http.Response r =
          http.post(
              "/v1/conversations/verona/generate",
              "{\"max_tokens\":40,\"temperature\":0.8,\"seed\":" + turn + "}");
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      final List<Http.Sse> events = r.events();
      final Http.Sse done = events.get(events.size() - 1);
      assertThat(done.event()).as(r.body()).isEqualTo("done");
      assertThat(events.subList(0, events.size() - 1)).allMatch(e -> e.event().equals("token"));
      final String streamed =
          events.stream()
              .filter(e -> e.event().equals("token"))
              .map(e -> e.json().getString("text"))
              .collect(Collectors.joining());
      assertThat(streamed).isEqualTo(done.json().getString("text"));
      final long completion = done.json().getJsonObject("usage").getLong("completion_tokens");
      assertThat(completion).isBetween(1L, 40L);
      expectedTokens += completion;
      assertThat(done.json().getJsonObject("usage").getLong("conversation_tokens"))
          .isEqualTo(expectedTokens);
    }
    final JsonObject meta = http.get("/v1/conversations/verona").json();
    assertThat(meta.getLong("tokens")).isEqualTo(expectedTokens);
    assertThat(meta.getString("model")).isEqualTo(model.info().id());
    assertThat(meta.getLong("generations_finished")).isEqualTo(prompts.length);
    assertThat(meta.getLong("messages")).as("3 raw appends and 3 replies").isEqualTo(6);
  }

  @Test
  @SuppressWarnings("deprecation") // OpenAI deprecated seed; clients still send it, we honour it
  void shouldAnswerOpenAiClientsAndIngestOnlyNewMessagesOfAReusedConversation() {
    final OpenAIClient client = stack.openAi("unused", Duration.ofSeconds(60));
    try {
      final Map<String, List<String>> header = Map.of("X-Conversation-Id", List.of("oai-verona"));
      final ChatCompletion first =
          client
              .chat()
              .completions()
              .create(
                  ChatCompletionCreateParams.builder()
                      .model("random-finch")
                      .additionalHeaders(header)
                      .maxCompletionTokens(30)
                      .seed(1)
                      .addSystemMessage("You speak like Shakespeare.")
                      .addUserMessage("Who art thou?")
                      .build());
      first.validate();
      final String reply = first.choices().get(0).message().content().orElse("");
      assertThat(first.usage().orElseThrow().promptTokens())
          .isEqualTo(
              bytes("System: You speak like Shakespeare.\n\n")
                  + bytes("User: Who art thou?\n\n")
                  + bytes("Assistant:"));

      final StringBuilder streamed = new StringBuilder();
      ChatCompletionChunk last = null;
      try (StreamResponse<ChatCompletionChunk> stream =
          client
              .chat()
              .completions()
              .createStreaming(
                  ChatCompletionCreateParams.builder()
                      .model(model.info().id())
                      .additionalHeaders(header)
                      .maxCompletionTokens(30)
                      .seed(2)
                      .streamOptions(
                          ChatCompletionStreamOptions.builder().includeUsage(true).build())
                      .addSystemMessage("You speak like Shakespeare.")
                      .addUserMessage("Who art thou?")
                      .addAssistantMessage(reply)
                      .addUserMessage("Speak again.")
                      .build())) {
        for (final ChatCompletionChunk c :
            (Iterable<ChatCompletionChunk>) stream.stream()::iterator) {
          c.validate();
          c.choices().forEach(choice -> choice.delta().content().ifPresent(streamed::append));
          last = c;
        }
      }
      assertThat(last).isNotNull();
      assertThat(
              last.usage().orElseThrow().promptTokens()
                  - last.usage()
                      .orElseThrow()
                      .promptTokensDetails()
                      .orElseThrow()
                      .cachedTokens()
                      .orElseThrow())
          .as("the second turn ingests only its new message; the rest is cached")
          .isEqualTo(bytes("User: Speak again.\n\n") + bytes("Assistant:"));
      final JsonObject meta = http.get("/v1/conversations/oai-verona").json();
      assertThat(meta.getLong("messages")).isEqualTo(5);
    } finally {
      client.close();
    }
  }

  @Test
  void shouldTurnAnErrorOfTheProcessorsIntoAClearHttpError() {
    final Http.Response r =
        http.post("/v1/conversations/never-written/generate", "{\"stream\":false}");
    assertThat(r.status()).as(r.body()).isEqualTo(400);
    assertThat(r.errorCode()).isEqualTo("invalid_parameters");
    assertThat(r.json().getJsonObject("error").getString("message")).contains("empty");
    final Http.Response ready = http.get("/health/ready");
    assertThat(ready.status()).as(ready.body()).isEqualTo(200);
  }

  /**
   * Two forks into one new id, sent at once: the gateway's check ("does the new id exist?") passes
   * for both before either is applied, so both get 202, and the processors refuse the second when
   * they apply it (CONVERSATION_EXISTS). That refusal reaches the client that caused it: the
   * conversation it forked into lists the refused fork's event id among its "refused" events, with
   * the 409 it would have got at once. Races are timing: the attempt repeats with new ids until
   * both forks are accepted (in practice at the first).
   */
  @Test
  void shouldShowAForkRefusedAfterIts202ToTheClientThatSentIt() throws Exception {
    final Http.Response source =
        http.post(
            "/v1/conversations/fork-race/messages",
            new JsonObject().put("text", "to be forked twice").put("role", "user").encode());
    assertThat(source.status()).as(source.body()).isEqualTo(202);
    for (int attempt = 0; attempt < 20; attempt++) {
      final String target = "fork-race-copy-" + attempt;
      final String body = new JsonObject().put("new_id", target).encode();
      final CompletableFuture<Http.Response> first =
          CompletableFuture.supplyAsync(() -> http.post("/v1/conversations/fork-race/fork", body));
      final CompletableFuture<Http.Response> second =
          CompletableFuture.supplyAsync(() -> http.post("/v1/conversations/fork-race/fork", body));
      final List<Http.Response> answers = List.of(first.get(), second.get());
      assertThat(answers).extracting(Http.Response::status).containsAnyOf(202).isSubsetOf(202, 409);
      if (answers.stream().anyMatch(a -> a.status() == 409)) {
        continue; // the gateway saw the first fork applied: the ordinary 409, not this race
      }
      final Set<String> accepted =
          answers.stream().map(a -> a.json().getString("event_id")).collect(Collectors.toSet());
      final String path = "/v1/conversations/" + target;
      Eventually.until(
          () -> {
            final Http.Response r = http.get(path);
            return r.status() == 200 && !r.json().getJsonArray("refused").isEmpty();
          },
          30_000,
          "the second fork's refusal on " + target);
      final JsonObject forked = http.get(path).json();
      final JsonArray refused = forked.getJsonArray("refused");
      assertThat(refused).as("one of the two forks refused").hasSize(1);
      final JsonObject refusal = refused.getJsonObject(0);
      assertThat(accepted).contains(refusal.getString("event_id"));
      assertThat(refusal.getInteger("status")).isEqualTo(409);
      assertThat(refusal.getString("code")).isEqualTo("conversation_exists");
      assertThat(refusal.getString("message")).contains("already exists");
      assertThat(forked.getLong("messages")).as("the fork that landed").isEqualTo(1);
      return;
    }
    throw new AssertionError("the two forks were never both accepted in 20 attempts");
  }
}
