package io.finchstream.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonField;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.CompletionUsage;
import com.openai.models.models.Model;
import io.finchstream.gateway.testing.Eventually;
import io.finchstream.gateway.testing.GatewayHarness;
import io.finchstream.gateway.testing.Http;
import io.finchstream.gateway.testing.ScriptedGateway;
import io.finchstream.gateway.testing.ScriptedProcessors;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.Role;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The OpenAI-compatible API as the official {@code openai-java} SDK speaks it (its own request
 * builders, SSE parser and response validation), over a real Kafka cluster with {@link
 * ScriptedProcessors} answering.
 */
@ExtendWith(VertxExtension.class)
class OpenAiCompatibilityTest {

  private static final String SCRIPT = " Hello there, friend!";
  private static final String KEY = "sk-test-key";

  private static ScriptedGateway stack;
  private static ScriptedProcessors processors;
  private static GatewayHarness harness;
  private static OpenAIClient client;
  private static Http http;

  @BeforeAll
  static void start(final Vertx vertx) throws Exception {
    stack = ScriptedGateway.prepare();
    processors = stack.processors();
    processors.script(SCRIPT, 2, 0);
    harness =
        stack
            .start(
                vertx,
                Map.of(GatewayConfig.API_KEYS_CONFIG, KEY),
                ReadinessProbe.none(),
                EventLimits.defaults())
            .harness();
    client = sdk(KEY);
    http = new Http(WebClient.create(vertx), harness.port());
  }

  private static OpenAIClient sdk(final String key) {
    return OpenAIOkHttpClient.builder()
        .baseUrl("http://localhost:" + harness.port() + "/v1")
        .apiKey(key)
        .maxRetries(0)
        .timeout(Duration.ofSeconds(30))
        .build();
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

  private static ChatCompletionCreateParams.Builder params() {
    return ChatCompletionCreateParams.builder()
        .model(GatewayHarness.MODEL.id())
        .maxCompletionTokens(100)
        .temperature(0.0);
  }

  @Test
  void shouldListTheServedModel() {
    final List<Model> models = client.models().list().data();
    assertThat(models).hasSize(1);
    assertThat(models.get(0).id()).isEqualTo(GatewayHarness.MODEL.id());
    assertThat(models.get(0).ownedBy()).isEqualTo("finchstream");
    assertThat(client.models().retrieve(GatewayHarness.MODEL.id()).created())
        .isEqualTo(GatewayHarness.MODEL.createdEpochSeconds());
    assertThat(client.models().retrieve(GatewayHarness.MODEL.fingerprint()).id())
        .as("the fingerprint names the model too")
        .isEqualTo(GatewayHarness.MODEL.id());
  }

  @Test
  void shouldAnswerAChatCompletionInOneBody() {
    final ChatCompletion completion =
        client.chat().completions().create(params().addUserMessage("Hi!").build());
    completion.validate();
    assertThat(completion.choices()).hasSize(1);
    assertThat(completion.choices().get(0).message().content()).contains(SCRIPT.strip());
    assertThat(completion.choices().get(0).finishReason())
        .isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
    assertThat(completion.model()).isEqualTo(GatewayHarness.MODEL.id());
    final CompletionUsage usage = completion.usage().orElseThrow();
    assertThat(usage.completionTokens()).isEqualTo(bytes(SCRIPT));
    assertThat(usage.promptTokens()).isEqualTo(bytes("User: Hi!\n\n") + bytes("Assistant:"));
    assertThat(usage.totalTokens()).isEqualTo(usage.promptTokens() + usage.completionTokens());
  }

  @Test
  void shouldStreamChunksTheSdkParses() {
    final StringBuilder text = new StringBuilder();
    final List<ChatCompletionChunk> chunks = new ArrayList<>();
    final ChatCompletionCreateParams p =
        params()
            .addUserMessage("Stream, please.")
            .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
            .build();
    try (StreamResponse<ChatCompletionChunk> stream =
        client.chat().completions().createStreaming(p)) {
      stream.stream()
          .forEach(
              c -> {
                c.validate();
                chunks.add(c);
                c.choices().forEach(choice -> choice.delta().content().ifPresent(text::append));
              });
    }
    assertThat(text.toString()).isEqualTo(SCRIPT.stripLeading());
    assertThat(chunks.get(0).choices().get(0).delta().role())
        .contains(ChatCompletionChunk.Choice.Delta.Role.ASSISTANT);
    final ChatCompletionChunk finish = chunks.get(chunks.size() - 2);
    assertThat(finish.choices().get(0).finishReason())
        .contains(ChatCompletionChunk.Choice.FinishReason.STOP);
    final ChatCompletionChunk last = chunks.get(chunks.size() - 1);
    assertThat(last.choices()).isEmpty();
    assertThat(last.usage().orElseThrow().completionTokens()).isEqualTo(bytes(SCRIPT));
    assertThat(chunks.stream().map(ChatCompletionChunk::id).distinct()).hasSize(1);
  }

  @Test
  void shouldReuseAConversationAndAppendOnlyNewMessages() {
    final String id = "oai-reuse";
    final Map<String, List<String>> header = Map.of("X-Conversation-Id", List.of(id));
    final ChatCompletion first =
        client
            .chat()
            .completions()
            .create(
                params()
                    .additionalHeaders(header)
                    .addSystemMessage("You are terse.")
                    .addUserMessage("Hello?")
                    .build());
    final String reply = first.choices().get(0).message().content().orElseThrow();
    assertThat(appendsTo(id))
        .extracting(e -> e.getAppendText().getRole())
        .containsExactly(Role.ROLE_SYSTEM, Role.ROLE_USER);

    final ChatCompletion second =
        client
            .chat()
            .completions()
            .create(
                params()
                    .additionalHeaders(header)
                    .addSystemMessage("You are terse.")
                    .addUserMessage("Hello?")
                    .addAssistantMessage(reply)
                    .addUserMessage("And then?")
                    .build());
    assertThat(second.choices().get(0).message().content()).contains(SCRIPT.strip());
    final List<ConversationEvent> appends = appendsTo(id);
    assertThat(appends)
        .extracting(e -> e.getAppendText().getText())
        .containsExactly("You are terse.", "Hello?", "And then?");
    assertThat(
            second.usage().orElseThrow().promptTokens()
                - second
                    .usage()
                    .orElseThrow()
                    .promptTokensDetails()
                    .orElseThrow()
                    .cachedTokens()
                    .orElseThrow())
        .as("only the new message and the reply prefix are computed; the rest is cached")
        .isEqualTo(bytes("User: And then?\n\n") + bytes("Assistant:"));

    final JsonObject meta =
        http.get("/v1/conversations/" + id, Map.of("Authorization", "Bearer " + KEY)).json();
    assertThat(meta.getLong("messages")).isEqualTo(5);
  }

  @Test
  void shouldRewindADivergingHistoryToTheLongestCommonPrefixAndAnswer() {
    final String id = "oai-diverge";
    final Map<String, List<String>> header = Map.of("X-Conversation-Id", List.of(id));
    final String reply =
        client
            .chat()
            .completions()
            .create(params().additionalHeaders(header).addUserMessage("One").build())
            .choices()
            .get(0)
            .message()
            .content()
            .orElseThrow();
    client
        .chat()
        .completions()
        .create(
            params()
                .additionalHeaders(header)
                .addUserMessage("One")
                .addAssistantMessage(reply)
                .addUserMessage("Two")
                .build());
    assertThat(eventsOf(id, ConversationEvent::hasRewind)).isEmpty();

    // an edited second message: back to the first reply, then the edit
    final ChatCompletion edited =
        client
            .chat()
            .completions()
            .create(
                params()
                    .additionalHeaders(header)
                    .addUserMessage("One")
                    .addAssistantMessage(reply)
                    .addUserMessage("Two, edited")
                    .build());
    assertThat(edited.choices().get(0).message().content()).contains(SCRIPT.strip());
    assertThat(eventsOf(id, ConversationEvent::hasRewind))
        .singleElement()
        .satisfies(e -> assertThat(e.getRewind().getToMessage()).isEqualTo(2));
    assertThat(
            edited.usage().orElseThrow().promptTokens()
                - edited
                    .usage()
                    .orElseThrow()
                    .promptTokensDetails()
                    .orElseThrow()
                    .cachedTokens()
                    .orElseThrow())
        .as("only the edited message and the reply prefix are computed; the rest is cached")
        .isEqualTo(bytes("User: Two, edited\n\n") + bytes("Assistant:"));

    // a different first message: nothing in common, from the start
    client
        .chat()
        .completions()
        .create(params().additionalHeaders(header).addUserMessage("Zero").build());
    assertThat(eventsOf(id, ConversationEvent::hasRewind))
        .extracting(e -> e.getRewind().getToMessage())
        .containsExactly(2L, 0L);
    final JsonObject meta =
        http.get("/v1/conversations/" + id, Map.of("Authorization", "Bearer " + KEY)).json();
    assertThat(meta.getLong("messages")).isEqualTo(2);
  }

  @Test
  void shouldRefuseASecondRequestWhileAnotherGeneratesWith409() throws Exception {
    final String id = "oai-busy";
    // 100 one-character chunks 200 ms apart: ~20 s, so a loaded machine still sees it running when
    // the SDK's (slow, first) call arrives.
    processors.script(SCRIPT.repeat(5), 1, 200);
    try {
      final Http.Response started =
          http.call(
              HttpMethod.POST,
              "/v1/conversations/" + id + "/messages",
              "{\"text\":\"hi\",\"role\":\"user\"}",
              Map.of("Authorization", "Bearer " + KEY));
      assertThat(started.status()).isEqualTo(202);
      final var running =
          CompletableFuture.supplyAsync(
              () ->
                  http.call(
                      HttpMethod.POST,
                      "/v1/conversations/" + id + "/generate",
                      "{\"max_tokens\":100,\"stream\":false}",
                      Map.of("Authorization", "Bearer " + KEY)));
      Eventually.until(
          () ->
              http.get("/v1/conversations/" + id, Map.of("Authorization", "Bearer " + KEY))
                  .json()
                  .getBoolean("generating"),
          10_000,
          "the native generation to run");
      assertThatThrownBy(
              () ->
                  client
                      .chat()
                      .completions()
                      .create(
                          params()
                              .additionalHeaders(Map.of("X-Conversation-Id", List.of(id)))
                              .addUserMessage("hi")
                              .build()))
          .isInstanceOfSatisfying(
              OpenAIServiceException.class,
              e -> {
                assertThat(e.statusCode()).isEqualTo(409);
                assertThat(e.code()).contains("conversation_busy");
              });
      assertThat(running.get(90, TimeUnit.SECONDS).status()).isEqualTo(200);
    } finally {
      processors.script(SCRIPT, 2, 0);
    }
  }

  @Test
  void shouldAcceptARecordedCurlRequest() {
    // As typed by hand against an OpenAI-compatible server: content parts, max_completion_tokens,
    // stop as a string.
    final String body =
        """
        {"model": "%s", "messages": [{"role": "developer", "content": "Answer briefly."},
         {"role": "user", "content": [{"type": "text", "text": "Say "}, {"type": "text", "text": "hello"}]}],
         "max_completion_tokens": 8, "stop": "!", "user": "someone", "metadata": {"k": "v"}}
        """
            .formatted(GatewayHarness.MODEL.id());
    final Http.Response r =
        http.call(
            HttpMethod.POST,
            "/v1/chat/completions",
            body,
            Map.of("Authorization", "Bearer " + KEY));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().getString("object")).isEqualTo("chat.completion");
    assertThat(r.json().getJsonArray("choices").getJsonObject(0).getString("finish_reason"))
        .isEqualTo("length");
    assertThat(
            r.json()
                .getJsonArray("choices")
                .getJsonObject(0)
                .getJsonObject("message")
                .getString("content"))
        .isEqualTo(SCRIPT.substring(0, 8).strip());
  }

  /**
   * Every field of the SDK's {@code ChatCompletionCreateParams} body (found by reflection, so a
   * field a newer SDK adds fails here until it is classified) either works (200) or is refused with
   * 400 naming it; fields accepted with one value only are tried with both kinds of value.
   */
  @Test
  void shouldImplementOrRefuseByNameEveryFieldTheSdkCanSend() throws Exception {
    final Map<String, List<Object>> works = new LinkedHashMap<>();
    final Map<String, List<Object>> refused = new LinkedHashMap<>();
    works.put("frequency_penalty", List.of(0.5));
    works.put("presence_penalty", List.of(-0.5));
    works.put("logit_bias", List.of(Map.of("65", 3)));
    works.put("logprobs", List.of(true, false));
    works.put("top_logprobs", List.of(0)); // with logprobs: below
    works.put("max_tokens", List.of(50));
    works.put("max_completion_tokens", List.of(50));
    works.put("n", List.of(1, 2));
    works.put("seed", List.of(3));
    works.put("stop", List.of("\n", List.of("a", "b")));
    works.put("temperature", List.of(0.5));
    works.put("top_p", List.of(0.9));
    works.put("response_format", List.of(Map.of("type", "json_object"), Map.of("type", "text")));
    works.put("stream_options", List.of(Map.of("include_usage", true)));
    works.put("user", List.of("user-1"));
    works.put("safety_identifier", List.of("hash-1"));
    works.put("store", List.of(false));
    works.put("service_tier", List.of("auto", "default"));
    works.put("modalities", List.of(List.of("text")));
    works.put("tool_choice", List.of("none"));
    refused.put("n", List.of(0, 129, 1.5));
    refused.put("store", List.of(true));
    refused.put("service_tier", List.of("flex"));
    refused.put("modalities", List.of(List.of("text", "audio")));
    refused.put("tool_choice", List.of("auto", "required"));
    works.put("parallel_tool_calls", List.of(true, false));
    refused.put("parallel_tool_calls", List.of("yes"));
    works.put(
        "tools",
        List.of(
            List.of(
                Map.of(
                    "type",
                    "function",
                    "function",
                    Map.of("name", "f", "parameters", Map.of("type", "object"))))));
    refused.put(
        "tools",
        List.of(
            List.of(),
            List.of(Map.of("type", "custom", "custom", Map.of("name", "f"))),
            List.of(Map.of("type", "function", "function", Map.of("name", "bad name")))));
    refused.put("functions", List.of(List.of(Map.of("name", "f"))));
    refused.put("function_call", List.of("auto"));
    refused.put("audio", List.of(Map.of("format", "wav", "voice", "alloy")));
    refused.put("prediction", List.of(Map.of("type", "content", "content", "x")));
    refused.put("web_search_options", List.of(Map.of()));
    refused.put("reasoning_effort", List.of("low"));
    refused.put("verbosity", List.of("low"));
    works.put("metadata", List.of(Map.of("k", "v")));
    refused.put("metadata", List.of(Map.of("k", 1)));
    refused.put("prompt_cache_key", List.of("key"));
    refused.put("top_logprobs", List.of(2)); // without logprobs
    refused.put("frobnicate", List.of(1)); // not an OpenAI field at all
    refused.put("logit_bias", List.of(Map.of("65", 101), Map.of("999", 1)));
    refused.put("response_format", List.of(Map.of("type", "json_schema")));
    final Set<String> sdkFields = new TreeSet<>();
    for (final Field f : ChatCompletionCreateParams.Body.class.getDeclaredFields()) {
      if (f.getType() == JsonField.class) {
        sdkFields.add(f.getName().replaceAll("([A-Z])", "_$1").toLowerCase(Locale.ROOT));
      }
    }
    final Set<String> covered = new TreeSet<>(works.keySet());
    covered.addAll(refused.keySet());
    covered.addAll(List.of("model", "messages")); // in every request
    assertThat(sdkFields).hasSizeGreaterThan(30);
    assertThat(covered).as("every field the SDK sends is classified").containsAll(sdkFields);
    for (final Map.Entry<String, List<Object>> e : works.entrySet()) {
      for (final Object value : e.getValue()) {
        final ChatCompletionCreateParams.Builder b = params().addUserMessage("Hi!");
        b.putAdditionalBodyProperty(e.getKey(), JsonValue.from(value));
        if (e.getKey().equals("top_logprobs")) {
          b.logprobs(true);
        }
        final ChatCompletion c = client.chat().completions().create(b.build());
        assertThat(c.choices())
            .as("%s = %s", e.getKey(), value)
            .hasSize(e.getKey().equals("n") ? ((Number) value).intValue() : 1);
      }
    }
    for (final Map.Entry<String, List<Object>> e : refused.entrySet()) {
      for (final Object value : e.getValue()) {
        final ChatCompletionCreateParams.Builder b = params().addUserMessage("Hi!");
        b.putAdditionalBodyProperty(e.getKey(), JsonValue.from(value));
        assertThatThrownBy(() -> client.chat().completions().create(b.build()))
            .as("%s = %s", e.getKey(), value)
            .isInstanceOfSatisfying(
                BadRequestException.class,
                ex ->
                    assertThat(ex.param())
                        .hasValueSatisfying(p -> assertThat(p).startsWith(e.getKey())));
      }
    }
  }

  @Test
  void shouldReportBadRequestsTheWayTheSdkExpects() {
    assertThatThrownBy(
            () ->
                client
                    .chat()
                    .completions()
                    .create(
                        ChatCompletionCreateParams.builder()
                            .model("gpt-4o")
                            .addUserMessage("x")
                            .build()))
        .isInstanceOfSatisfying(
            NotFoundException.class, e -> assertThat(e.code()).contains("model_not_found"));
    assertThatThrownBy(
            () -> client.chat().completions().create(params().addUserMessage("x").n(129).build()))
        .isInstanceOfSatisfying(
            BadRequestException.class, e -> assertThat(e.param()).contains("n"));
    assertThatThrownBy(
            () ->
                client
                    .chat()
                    .completions()
                    .create(params().addUserMessage("x").temperature(2.5).build()))
        .isInstanceOfSatisfying(
            BadRequestException.class, e -> assertThat(e.param()).contains("temperature"));
    final OpenAIClient wrong = sdk("sk-wrong");
    try {
      assertThatThrownBy(() -> wrong.models().list()).isInstanceOf(UnauthorizedException.class);
    } finally {
      wrong.close();
    }
  }

  private static List<ConversationEvent> eventsOf(
      final String conversation, final Predicate<ConversationEvent> kind) {
    return processors.events().stream()
        .filter(kind)
        .filter(e -> processors.conversationOf(e.getEventId()).equals(conversation))
        .toList();
  }

  private static List<ConversationEvent> appendsTo(final String conversation) {
    return processors.events().stream()
        .filter(ConversationEvent::hasAppendText)
        .filter(e -> processors.conversationOf(e.getEventId()).equals(conversation))
        .toList();
  }

  private static long bytes(final String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }
}
