package io.finchstream.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.CompletionUsage;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseStreamEvent;
import io.finchstream.gateway.testing.Http;
import io.finchstream.gateway.testing.ServiceStack;
import io.finchstream.processors.LoadedModel;
import io.finchstream.processors.testing.TestModels;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Automatic state reuse through the whole service (official openai-java SDK, gateway, Kafka, the
 * real processors and engine): a client that resends the whole chat without {@code
 * X-Conversation-Id} gets {@code cached_tokens} equal to the tokens of the messages the service
 * already held (read back from the stored conversation), every turn in the same automatic
 * conversation; regenerate and edit continue from the longest common prefix in a branch of the same
 * tree (regenerate gives the same greedy reply again); two tenants with identical histories never
 * share; and reuse survives a restart of the processors between turns. The Responses API (the SDK's
 * responses() service): a chain of ten responses and a branch from the third, each reusing the
 * previous response's tokens; streaming events; 404 for unknown, foreign and deleted ones.
 */
@ExtendWith(VertxExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AutoReuseEndToEndTest {

  private static final String ACME = "acme-key";
  private static final String GLOBEX = "globex-key";

  private static LoadedModel model;
  private static ServiceStack stack;
  private static Http http;
  private static OpenAIClient acme;
  private static OpenAIClient globex;

  @BeforeAll
  static void start(final Vertx vertx) throws Exception {
    model = TestModels.randomFinch();
    stack =
        ServiceStack.start(
            vertx,
            model,
            "random-finch",
            "gateway-auto-reuse",
            Map.of(),
            Map.of(GatewayConfig.API_KEYS_CONFIG, "acme:" + ACME + ",globex:" + GLOBEX));
    http = stack.http();
    acme = stack.openAi(ACME, Duration.ofSeconds(90));
    globex = stack.openAi(GLOBEX, Duration.ofSeconds(90));
  }

  @AfterAll
  static void stop() throws Exception {
    for (final OpenAIClient c : new OpenAIClient[] {acme, globex}) {
      if (c != null) {
        c.close();
      }
    }
    if (stack != null) {
      stack.close();
    }
  }

  /** One answered turn: the reply, its usage and the conversation the service used. */
  private record Turn(String reply, CompletionUsage usage, String conversation) {
    long cached() {
      return usage.promptTokensDetails().orElseThrow().cachedTokens().orElseThrow();
    }
  }

  /** A chat as a stateless client keeps it: every message, resent each turn. */
  private static final class Chat {
    final List<String[]> messages = new ArrayList<>();

    Chat user(final String text) {
      messages.add(new String[] {"user", text});
      return this;
    }

    Chat assistant(final String text) {
      messages.add(new String[] {"assistant", text});
      return this;
    }

    Chat copy() {
      final Chat c = new Chat();
      c.messages.addAll(messages);
      return c;
    }

    ChatCompletionCreateParams params() {
      final ChatCompletionCreateParams.Builder b =
          ChatCompletionCreateParams.builder()
              .model("random-finch")
              .maxCompletionTokens(6)
              .temperature(0.0);
      for (final String[] m : messages) {
        if (m[0].equals("user")) {
          b.addUserMessage(m[1]);
        } else {
          b.addAssistantMessage(m[1]);
        }
      }
      return b.build();
    }
  }

  private static Turn ask(final OpenAIClient client, final Chat chat) {
    try (HttpResponseFor<ChatCompletion> raw =
        client.chat().completions().withRawResponse().create(chat.params())) {
      assertThat(raw.statusCode()).isEqualTo(200);
      final ChatCompletion c = raw.parse();
      c.validate();
      final List<String> ids = raw.headers().values("X-Conversation-Id");
      assertThat(ids).as("the automatic conversation is named").hasSize(1);
      return new Turn(
          c.choices().get(0).message().content().orElse(""), c.usage().orElseThrow(), ids.get(0));
    }
  }

  private static Turn askStreaming(final OpenAIClient client, final Chat chat) {
    final ChatCompletionCreateParams params =
        chat.params().toBuilder()
            .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
            .build();
    try (HttpResponseFor<StreamResponse<ChatCompletionChunk>> raw =
            client.chat().completions().withRawResponse().createStreaming(params);
        StreamResponse<ChatCompletionChunk> stream = raw.parse()) {
      final StringBuilder text = new StringBuilder();
      CompletionUsage usage = null;
      for (final ChatCompletionChunk c :
          (Iterable<ChatCompletionChunk>) stream.stream()::iterator) {
        c.validate();
        c.choices().forEach(choice -> choice.delta().content().ifPresent(text::append));
        if (c.usage().isPresent()) {
          usage = c.usage().get();
        }
      }
      assertThat(usage).as("include_usage").isNotNull();
      return new Turn(
          text.toString().strip(), usage, raw.headers().values("X-Conversation-Id").get(0));
    }
  }

  /** The stored messages of {@code id}, as tenant {@code key} sees them. */
  private static JsonArray messages(final String key, final String id) {
    final Http.Response r =
        http.get(
            "/v1/conversations/" + id + "/messages?limit=1000",
            Map.of("Authorization", "Bearer " + key));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json().getJsonArray("data");
  }

  /** The token position after the first {@code n} messages of {@code id} (0 for none). */
  private static long end(final String key, final String id, final int n) {
    if (n == 0) {
      return 0;
    }
    final JsonArray data = messages(key, id);
    for (final Object o : data) {
      final JsonObject m = (JsonObject) o;
      if (m.getLong("index") == n - 1) {
        return m.getLong("end");
      }
    }
    throw new AssertionError("conversation " + id + " has no message " + (n - 1) + ": " + data);
  }

  private static String root(final String id) {
    final int at = id.indexOf('~');
    return at < 0 ? id : id.substring(0, at);
  }

  @Test
  @Order(1)
  void shouldReuseEveryTurnOfAChatResentWithoutTheHeader() {
    final StringBuilder document = new StringBuilder("Please read this carefully. ");
    while (document.length() < 2_000) {
      document.append("The quick brown fox jumps over the lazy dog near the river bank. ");
    }
    final Chat chat = new Chat().user(document.toString());
    String conversation = null;
    for (int turn = 1; turn <= 30; turn++) {
      final long held =
          conversation == null ? 0 : end(ACME, conversation, chat.messages.size() - 1);
      final Turn t = turn % 10 == 0 ? askStreaming(acme, chat) : ask(acme, chat);
      assertThat(t.usage().totalTokens())
          .isEqualTo(t.usage().promptTokens() + t.usage().completionTokens());
      if (conversation == null) {
        assertThat(t.cached()).as("turn 1 holds nothing yet").isZero();
        assertThat(t.conversation()).startsWith("auto-");
        conversation = t.conversation();
      } else {
        assertThat(t.conversation())
            .as("turn %d stays in one conversation", turn)
            .isEqualTo(conversation);
        assertThat(t.cached())
            .as("turn %d reuses every message the service held", turn)
            .isEqualTo(held)
            .isPositive();
        assertThat((double) t.cached() / t.usage().promptTokens())
            .as("turn %d: cached share of the prompt", turn)
            .isGreaterThanOrEqualTo(0.95);
      }
      // prompt_tokens is the whole prompt: everything held before the reply
      assertThat(t.usage().promptTokens())
          .isEqualTo(end(ACME, conversation, chat.messages.size()) + "Assistant:".length());
      chat.assistant(t.reply()).user("Turn " + turn + ": and then?");
    }
    final JsonArray stored = messages(ACME, conversation);
    assertThat(stored.getJsonObject(0).getString("text")).isEqualTo(document.toString());
    assertThat(stored.getJsonObject(stored.size() - 1).getString("role")).isEqualTo("assistant");
  }

  @Test
  @Order(2)
  void shouldContinueRegeneratedAndEditedChatsFromTheLongestCommonPrefix() {
    final Chat chat = new Chat().user("Tell me about rivers.");
    Turn t = ask(acme, chat);
    chat.assistant(t.reply()).user("And about lakes?");
    t = ask(acme, chat);
    final String conversation = t.conversation();
    final String lastReply = t.reply();
    chat.assistant(lastReply).user("And about the sea?");
    t = ask(acme, chat);
    assertThat(t.conversation()).isEqualTo(conversation);
    final String seaReply = t.reply();

    // regenerate: the same history without the last reply
    final long heldToLastUser = end(ACME, conversation, 5);
    final Turn regenerated = ask(acme, chat);
    assertThat(regenerated.conversation())
        .as("a branch of the same tree")
        .isNotEqualTo(conversation)
        .startsWith(root(conversation) + "~");
    assertThat(regenerated.cached()).isEqualTo(heldToLastUser);
    assertThat(regenerated.reply()).as("greedy: the same reply again").isEqualTo(seaReply);
    assertThat(messages(ACME, conversation).size())
        .as("the original branch is unchanged")
        .isEqualTo(6);

    // edit: the second user message changed; the first exchange is the common prefix
    final Chat edited = new Chat().user("Tell me about rivers.");
    edited.messages.add(chat.messages.get(1));
    edited.user("And about mountains?");
    final long heldFirstExchange = end(ACME, conversation, 2);
    final Turn e = ask(acme, edited);
    assertThat(root(e.conversation())).isEqualTo(root(conversation));
    assertThat(e.conversation())
        .isNotEqualTo(conversation)
        .isNotEqualTo(regenerated.conversation());
    assertThat(e.cached()).isEqualTo(heldFirstExchange);
    final JsonArray stored = messages(ACME, e.conversation());
    assertThat(stored.getJsonObject(stored.size() - 2).getString("text"))
        .isEqualTo("And about mountains?");

    // and going on from the edit continues that branch
    edited.assistant(e.reply()).user("Which is highest?");
    final long held = end(ACME, e.conversation(), 4);
    final Turn next = ask(acme, edited);
    assertThat(next.conversation()).isEqualTo(e.conversation());
    assertThat(next.cached()).isEqualTo(held);
  }

  @Test
  @Order(3)
  void shouldNeverShareStateBetweenTenantsWithIdenticalHistories() {
    final Chat chat = new Chat().user("A secret shared by nobody: 7421.");
    final Turn first = ask(acme, chat);
    chat.assistant(first.reply()).user("Repeat it.");
    final Turn acmeSecond = ask(acme, chat);
    assertThat(acmeSecond.cached()).isPositive();

    final Chat same = chat.copy();
    final Turn globexTurn = ask(globex, same);
    assertThat(globexTurn.cached()).as("nothing of acme's is reused").isZero();
    assertThat(root(globexTurn.conversation())).isNotEqualTo(root(acmeSecond.conversation()));
    final Http.Response foreign =
        http.get(
            "/v1/conversations/" + acmeSecond.conversation(),
            Map.of("Authorization", "Bearer " + GLOBEX));
    assertThat(foreign.status()).as("another tenant's conversation").isEqualTo(404);
    // globex's own history is reused for globex
    same.assistant(globexTurn.reply()).user("Once more.");
    final long held = end(GLOBEX, globexTurn.conversation(), 4);
    final Turn globexNext = ask(globex, same);
    assertThat(globexNext.conversation()).isEqualTo(globexTurn.conversation());
    assertThat(globexNext.cached()).isEqualTo(held).isPositive();
  }

  @Test
  @Order(4)
  void shouldReuseAfterTheProcessorsRestartBetweenTurns() throws Exception {
    final Chat chat = new Chat().user("Remember this across a restart, please.");
    final Turn first = ask(acme, chat);
    chat.assistant(first.reply()).user("Still there?");
    final Turn second = ask(acme, chat);
    chat.assistant(second.reply()).user("And now?");

    stack.restartProcessors();

    final long held = end(ACME, second.conversation(), 4);
    final Turn third = ask(acme, chat);
    assertThat(third.conversation()).isEqualTo(second.conversation());
    assertThat(third.cached()).as("durable, not a cache in memory").isEqualTo(held).isPositive();
  }

  private static ResponseCreateParams.Builder responseParams(final String input) {
    return ResponseCreateParams.builder()
        .model("random-finch")
        .input(input)
        .maxOutputTokens(6)
        .temperature(0.0);
  }

  private static String outputText(final Response r) {
    return r.output().get(0).asMessage().content().get(0).asOutputText().text();
  }

  /** The conversation and reply index a response id names (resp_<n>_<digest>_<conversation>). */
  private static long heldAfter(final String key, final Response r) {
    final String[] parts = r.id().split("_", 4);
    return end(key, parts[3], Integer.parseInt(parts[1]) + 1);
  }

  @Test
  @Order(5)
  void shouldChainTenResponsesAndBranchFromTheThird() {
    final List<Response> chain = new ArrayList<>();
    Response previous = null;
    for (int i = 1; i <= 10; i++) {
      final ResponseCreateParams.Builder p = responseParams("Step " + i + ", go on.");
      if (previous != null) {
        p.previousResponseId(previous.id());
      }
      final long held = previous == null ? 0 : heldAfter(ACME, previous);
      final Response r = acme.responses().create(p.build());
      r.validate();
      assertThat(r.usage().orElseThrow().inputTokensDetails().cachedTokens())
          .as("response %d continues the one before in O(new tokens)", i)
          .isEqualTo(held);
      if (previous != null) {
        assertThat(r.previousResponseId()).contains(previous.id());
      }
      chain.add(r);
      previous = r;
    }
    // a branch from response 3 leaves the chain as it was
    final Response third = chain.get(2);
    final long heldAtThird = heldAfter(ACME, third);
    final Response branch =
        acme.responses()
            .create(responseParams("Another way.").previousResponseId(third.id()).build());
    assertThat(branch.usage().orElseThrow().inputTokensDetails().cachedTokens())
        .isEqualTo(heldAtThird);
    assertThat(branch.id().split("_", 4)[3])
        .as("a branch of the same tree")
        .startsWith(root(third.id().split("_", 4)[3]) + "~")
        .isNotEqualTo(chain.get(9).id().split("_", 4)[3]);
    for (final Response r : chain) {
      final Response again = acme.responses().retrieve(r.id());
      again.validate();
      assertThat(outputText(again)).isEqualTo(outputText(r));
    }
    // and the chain goes on from its end
    final long held = heldAfter(ACME, chain.get(9));
    final Response eleventh =
        acme.responses()
            .create(responseParams("Step 11.").previousResponseId(chain.get(9).id()).build());
    assertThat(eleventh.usage().orElseThrow().inputTokensDetails().cachedTokens()).isEqualTo(held);
  }

  @Test
  @Order(6)
  void shouldStreamAResponseAndAnswerUnknownOnesWith404() {
    final StringBuilder deltas = new StringBuilder();
    Response completed = null;
    boolean created = false;
    try (StreamResponse<ResponseStreamEvent> stream =
        acme.responses().createStreaming(responseParams("Stream to me.").build())) {
      for (final ResponseStreamEvent e :
          (Iterable<ResponseStreamEvent>) stream.stream()::iterator) {
        e.validate();
        if (e.isCreated()) {
          created = true;
        } else if (e.isOutputTextDelta()) {
          deltas.append(e.asOutputTextDelta().delta());
        } else if (e.isCompleted()) {
          completed = e.asCompleted().response();
        } else if (e.isIncomplete()) {
          completed = e.asIncomplete().response(); // cut at max_output_tokens
        }
      }
    }
    assertThat(created).isTrue();
    assertThat(completed).isNotNull();
    final Response done = completed;
    assertThat(outputText(done)).isEqualTo(deltas.toString().strip());
    assertThat(outputText(acme.responses().retrieve(done.id()))).isEqualTo(outputText(done));
    // another tenant cannot see it
    assertThatThrownBy(() -> globex.responses().retrieve(done.id()))
        .isInstanceOfSatisfying(
            NotFoundException.class, e -> assertThat(e.statusCode()).isEqualTo(404));
    // deleted: gone
    acme.responses().delete(done.id());
    assertThatThrownBy(() -> acme.responses().retrieve(done.id()))
        .isInstanceOf(NotFoundException.class);
    final Http.Response unknown =
        http.call(
            HttpMethod.POST,
            "/v1/responses",
            new JsonObject()
                .put("model", "random-finch")
                .put("input", "Hi")
                .put("previous_response_id", "resp_1_0123456789abcdef_nope")
                .encode(),
            Map.of("Authorization", "Bearer " + ACME));
    assertThat(unknown.status()).isEqualTo(404);
    final JsonObject error = unknown.json().getJsonObject("error");
    assertThat(error.getString("type")).isEqualTo("invalid_request_error");
    assertThat(error.getString("param")).isEqualTo("previous_response_id");
    assertThat(error.getString("message")).contains("resp_1_0123456789abcdef_nope");
  }
}
