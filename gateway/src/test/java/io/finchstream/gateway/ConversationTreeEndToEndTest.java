package io.finchstream.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.finchstream.gateway.testing.Eventually;
import io.finchstream.gateway.testing.Http;
import io.finchstream.gateway.testing.ServiceStack;
import io.finchstream.processors.LoadedModel;
import io.finchstream.processors.testing.TestModels;
import io.finchstream.proto.ConversationKeys;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Conversation trees through the gateway, in front of the real processors: going back to a turn
 * (native rewind, fork at a turn, the stored messages), ephemeral questions, listing; and the
 * OpenAI API with {@code X-Conversation-Id} answering 200 with the right continuation for a
 * regenerated reply, an edited message and a retry after a disconnect — the same reply a fresh
 * conversation with the whole history gives (greedy sampling, deterministic engine).
 */
@ExtendWith(VertxExtension.class)
class ConversationTreeEndToEndTest {

  private static ServiceStack stack;
  private static Http http;
  private static LoadedModel model;
  private static OpenAIClient client;

  @BeforeAll
  static void start(final Vertx vertx) throws Exception {
    model = TestModels.randomFinch();
    stack = ServiceStack.start(vertx, model, "random-finch", "gateway-trees", Map.of(), Map.of());
    http = stack.http();
    client = stack.openAi("unused", Duration.ofSeconds(60));
  }

  @AfterAll
  static void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    if (stack != null) {
      stack.close();
    }
  }

  private static String say(final String id, final String text) {
    final Http.Response r =
        http.post(
            "/v1/conversations/" + id + "/messages",
            new JsonObject().put("text", text).put("role", "user").encode());
    assertThat(r.status()).as(r.body()).isEqualTo(202);
    return text;
  }

  private static JsonObject reply(final String id, final String extra) {
    final Http.Response r =
        http.post(
            "/v1/conversations/" + id + "/generate",
            "{\"max_tokens\":24,\"temperature\":0,\"prefix\":\"Assistant:\",\"stream\":false"
                + extra
                + "}");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json();
  }

  private static JsonArray messages(final String id) {
    final Http.Response r = http.get("/v1/conversations/" + id + "/messages");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json().getJsonArray("data");
  }

  @Test
  void shouldGoBackToATurnBranchAtOneAndListTheStoredMessages() {
    final String id = "tree-native";
    say(id, "Hello there");
    final String first = reply(id, "").getString("text");
    say(id, "And then?");
    final String second = reply(id, "").getString("text");

    final JsonArray stored = messages(id);
    assertThat(stored.size()).isEqualTo(4);
    assertThat(stored.stream().map(o -> ((JsonObject) o).getString("role")))
        .containsExactly("user", "assistant", "user", "assistant");
    assertThat(stored.getJsonObject(1).getString("text")).isEqualTo(first);
    assertThat(stored.getJsonObject(0).getLong("tokens"))
        .isEqualTo("User: Hello there\n\n".length());
    assertThat(stored.stream().map(o -> ((JsonObject) o).getBoolean("snapshot")))
        .as("the last turns keep a snapshot")
        .containsOnly(true);

    // back to before the second reply, and the same reply again (regenerate)
    assertThat(http.post("/v1/conversations/" + id + "/rewind", "{\"to_message\":3}").status())
        .isEqualTo(202);
    assertThat(reply(id, "").getString("text")).isEqualTo(second);
    assertThat(messages(id).size()).isEqualTo(4);

    // a branch of the same tree at the first reply
    final Http.Response fork =
        http.post(
            "/v1/conversations/" + id + "/fork", "{\"new_id\":\"" + id + "~b1\",\"at_message\":2}");
    assertThat(fork.status()).as(fork.body()).isEqualTo(202);
    Eventually.until(
        () -> http.get("/v1/conversations/" + id + "~b1").status() == 200, 10_000, "the branch");
    final JsonObject branch = http.get("/v1/conversations/" + id + "~b1").json();
    assertThat(branch.getLong("messages")).isEqualTo(2);
    // a branch lists the messages from its base snapshot on (here: the turn after message 0)
    assertThat(messages(id + "~b1").size()).isEqualTo(2 - branch.getLong("first_message"));
    assertThat(http.get("/v1/conversations/" + id + "~b1").json().getLong("tokens"))
        .isEqualTo(
            stored.getJsonObject(0).getLong("tokens") + stored.getJsonObject(1).getLong("tokens"));

    // turns past the end are refused by name
    final Http.Response tooFar =
        http.post("/v1/conversations/" + id + "/rewind", "{\"to_message\":9}");
    assertThat(tooFar.status()).isEqualTo(400);
    assertThat(tooFar.errorCode()).isEqualTo("invalid_parameter");
  }

  /**
   * Reliability audit S1-1 through the gateway: the source is generating a long reply when it is
   * forked into an id of another partition, and the client's next message to the new id, sent right
   * after the 202, used to create it first (the fork was then dead-lettered). Now the new id is
   * reserved before the 202: it ends up with the source's whole history, then the message.
   */
  @Test
  void shouldKeepAForkAcrossPartitionsWhenTheNewIdIsUsedRightAfterThe202() throws Exception {
    final String src = "race-src";
    final String dst =
        IntStream.range(0, 100)
            .mapToObj(i -> "race-dst-" + i)
            .filter(c -> ConversationKeys.partition(c, 2) != ConversationKeys.partition(src, 2))
            .findFirst()
            .orElseThrow();
    say(src, "the secret is 42");
    final CompletableFuture<Http.Response> busy =
        CompletableFuture.supplyAsync(
            () ->
                http.post(
                    "/v1/conversations/" + src + "/generate",
                    "{\"max_tokens\":1500,\"temperature\":0,\"prefix\":\"Assistant:\","
                        + "\"logit_bias\":{\"0\":-100},\"stream\":false}"));
    Eventually.until(
        () -> {
          final Http.Response r = http.get("/v1/conversations/" + src);
          return r.status() == 200 && r.json().getBoolean("generating");
        },
        30_000,
        "the source to generate");
    final Http.Response fork =
        http.post("/v1/conversations/" + src + "/fork", "{\"new_id\":\"" + dst + "\"}");
    assertThat(fork.status()).as(fork.body()).isEqualTo(202);
    say(dst, "next");
    final Http.Response reply = busy.get(120, TimeUnit.SECONDS);
    assertThat(reply.status()).as(reply.body()).isEqualTo(200);
    Eventually.until(
        () -> {
          final Http.Response r = http.get("/v1/conversations/" + dst);
          return r.status() == 200 && r.json().getLong("messages") == 3;
        },
        60_000,
        "the fork and the next message");
    final JsonObject source = http.get("/v1/conversations/" + src).json();
    final JsonObject target = http.get("/v1/conversations/" + dst).json();
    assertThat(target.getString("forked_from")).isEqualTo(src);
    assertThat(target.getLong("tokens"))
        .isEqualTo(source.getLong("tokens") + "User: next\n\n".length());
    final JsonArray stored = messages(dst);
    assertThat(stored.getJsonObject(0).getString("text")).isEqualTo("the secret is 42");
    assertThat(stored.getJsonObject(1).getString("text")).isEqualTo(reply.json().getString("text"));
    assertThat(stored.getJsonObject(2).getString("text")).isEqualTo("next");
  }

  @Test
  void shouldAnswerEphemeralQuestionsAndLeaveTheConversationAsItWas() {
    final String id = "tree-document";
    say(id, "The finch is a small bird that eats seeds.");
    Eventually.until(
        () -> http.get("/v1/conversations/" + id).status() == 200, 10_000, "the document");
    final JsonObject before = http.get("/v1/conversations/" + id).json();
    final JsonObject a = reply(id, ",\"ephemeral\":true");
    final JsonObject b = reply(id, ",\"ephemeral\":true");
    assertThat(a.getString("text")).isEqualTo(b.getString("text"));
    final JsonObject after = http.get("/v1/conversations/" + id).json();
    assertThat(after.getLong("tokens")).isEqualTo(before.getLong("tokens"));
    assertThat(after.getLong("messages")).isEqualTo(1);
    assertThat(after.getString("message_digest")).isEqualTo(before.getString("message_digest"));
  }

  @Test
  void shouldListConversationsAPageAtATime() {
    for (final String id : List.of("list-a", "list-b", "list-c")) {
      say(id, "hi");
    }
    Eventually.until(
        () -> http.get("/v1/conversations/list-c").status() == 200, 10_000, "the conversations");
    final JsonObject page = http.get("/v1/conversations?after=list-&limit=2").json();
    assertThat(page.getJsonArray("data").stream().map(o -> ((JsonObject) o).getString("id")))
        .containsExactly("list-a", "list-b");
    assertThat(page.getBoolean("has_more")).isTrue();
    final JsonObject next =
        http.get("/v1/conversations?limit=2&after=" + page.getString("next_after")).json();
    assertThat(next.getJsonArray("data").getJsonObject(0).getString("id")).isEqualTo("list-c");
  }

  private static ChatCompletionCreateParams.Builder chat() {
    return ChatCompletionCreateParams.builder()
        .model("random-finch")
        .maxCompletionTokens(24)
        .temperature(0.0);
  }

  private static String answer(final String conversation, final ChatCompletionCreateParams p) {
    final ChatCompletionCreateParams withHeader =
        conversation == null
            ? p
            : p.toBuilder()
                .additionalHeaders(Map.of("X-Conversation-Id", List.of(conversation)))
                .build();
    final ChatCompletion c = client.chat().completions().create(withHeader);
    return c.choices().get(0).message().content().orElse("");
  }

  @Test
  void shouldRegenerateEditAndRetryOverOpenAiWithTheRightContinuation() {
    final String id = "oai-tree";
    final UnaryOperator<ChatCompletionCreateParams.Builder> turn1 =
        b -> b.addSystemMessage("Speak plainly.").addUserMessage("What is a finch?");
    final String r1 = answer(id, turn1.apply(chat()).build());
    final UnaryOperator<ChatCompletionCreateParams.Builder> turn2 =
        b -> turn1.apply(b).addAssistantMessage(r1).addUserMessage("And a sparrow?");
    final String r2 = answer(id, turn2.apply(chat()).build());

    // regenerate: the same history again (without the reply the client threw away)
    assertThat(answer(id, turn2.apply(chat()).build())).isEqualTo(r2);
    assertThat(http.get("/v1/conversations/" + id).json().getLong("messages")).isEqualTo(5);

    // edit an earlier message: the continuation is what a fresh conversation would answer
    final ChatCompletionCreateParams edited =
        chat().addSystemMessage("Speak plainly.").addUserMessage("What is a robin?").build();
    assertThat(answer(id, edited)).isEqualTo(answer(null, edited));
    assertThat(http.get("/v1/conversations/" + id).json().getLong("messages")).isEqualTo(3);

    // a reply cut off by a disconnect, then the identical request again: it continues as an
    // uninterrupted request would (a branch of the conversation before the cut shows which)
    final ChatCompletionCreateParams cut =
        chat()
            .maxCompletionTokens(400)
            .addSystemMessage("Speak plainly.")
            .addUserMessage("What is a robin?")
            .addAssistantMessage(answer(null, edited))
            .addUserMessage("Tell me everything about birds.")
            .build();
    assertThat(
            http.post(
                    "/v1/conversations/" + id + "/fork",
                    "{\"new_id\":\"" + id + "~before-cut\",\"at_message\":3}")
                .status())
        .isEqualTo(202);
    Eventually.until(
        () -> http.get("/v1/conversations/" + id + "~before-cut").status() == 200,
        10_000,
        "the branch");
    final String uninterrupted = answer(id + "~before-cut", cut);
    try (StreamResponse<ChatCompletionChunk> stream =
        client
            .chat()
            .completions()
            .createStreaming(
                cut.toBuilder()
                    .additionalHeaders(Map.of("X-Conversation-Id", List.of(id)))
                    .build())) {
      final Iterator<ChatCompletionChunk> it = stream.stream().iterator();
      it.next(); // the first chunk arrived: the reply is under way; now the client goes away
    }
    assertThat(answer(id, cut)).as("the retry answers 200").isEqualTo(uninterrupted);
    assertThat(http.get("/v1/conversations/" + id).json().getLong("messages")).isEqualTo(5);
  }
}
