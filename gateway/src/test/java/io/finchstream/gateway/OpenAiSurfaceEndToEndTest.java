package io.finchstream.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.models.ResponseFormatJsonObject;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessage;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.chat.completions.ChatCompletionTokenLogprob;
import com.openai.models.chat.completions.ChatCompletionToolMessageParam;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionChoice;
import com.openai.models.completions.CompletionCreateParams;
import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.ModelState;
import io.finchstream.engine.sampling.Choices;
import io.finchstream.engine.sampling.SamplingParams;
import io.finchstream.engine.structured.SchemaValidator;
import io.finchstream.engine.structured.TestSchemas;
import io.finchstream.gateway.conversation.ChatTurns;
import io.finchstream.gateway.conversation.ChoiceCalls;
import io.finchstream.gateway.testing.Http;
import io.finchstream.gateway.testing.ServiceStack;
import io.finchstream.processors.LoadedModel;
import io.finchstream.processors.testing.DirectEngine;
import io.finchstream.processors.testing.TestModels;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * OpenAI's request features through the whole service (gateway, Kafka, processors, engine) with the
 * official SDK: {@code logprobs} / {@code top_logprobs} equal to the log-softmax of the model's
 * logits for the same state (streamed and not, and the native {@code "logprobs": k}), {@code
 * logit_bias}, and {@code response_format} JSON schemas whose replies from a random-weight model
 * (noise without the mask) all parse and validate.
 */
@ExtendWith(VertxExtension.class)
class OpenAiSurfaceEndToEndTest {

  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .build();

  private static OpenAIClient client;

  private static ServiceStack stack;
  private static Http http;
  private static LoadedModel model;

  @BeforeAll
  static void start(final Vertx vertx) throws Exception {
    model = TestModels.randomFinch();
    stack =
        ServiceStack.start(vertx, model, "random-finch", "openai-surface-e2e", Map.of(), Map.of());
    http = stack.http();
    client = stack.openAi("unused", Duration.ofMinutes(2));
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

  private static ChatCompletionCreateParams.Builder params(final String user) {
    return ChatCompletionCreateParams.builder()
        .model("random-finch")
        .addUserMessage(user)
        .maxCompletionTokens(24)
        .temperature(0.0);
  }

  /** The state after the chat text a one-message request renders, and its logits. */
  private static ModelState promptState(final String user, final float[][] row) {
    final LanguageModel engine = model.model();
    final ModelState state = engine.newState();
    engine.ingest(
        List.of(state), List.of(model.tokenizer().encode("User: " + user + "\n\nAssistant:")));
    engine.logits(List.of(state), row);
    return state;
  }

  private static double[] logSoftmax(final float[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (final float v : logits) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (final float v : logits) {
      sum += Math.exp(v - max);
    }
    final double[] out = new double[logits.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = logits[i] - max - Math.log(sum);
    }
    return out;
  }

  /** A byte token's legacy text: the character, or {@code bytes:\\xNN} for part of one. */
  private static int byteOf(final String token) {
    if (token.startsWith("bytes:\\x")) {
      return Integer.parseInt(token.substring("bytes:\\x".length()), 16);
    }
    final byte[] bytes = token.getBytes(StandardCharsets.UTF_8);
    assertThat(bytes).hasSize(1);
    return bytes[0] & 0xFF;
  }

  /** Byte vocabulary: a token is its byte. */
  private static int token(final List<Long> bytes) {
    assertThat(bytes).hasSize(1);
    return bytes.get(0).intValue();
  }

  @Test
  void shouldReportLogprobsThatEqualTheLogSoftmaxOfTheModelsLogitsStreamedAndNot() {
    final String user = "What is a finch?";
    final ChatCompletion completion =
        client.chat().completions().create(params(user).logprobs(true).topLogprobs(3).build());
    final List<ChatCompletionTokenLogprob> content =
        completion.choices().get(0).logprobs().orElseThrow().content().orElseThrow();
    assertThat((long) content.size())
        .isEqualTo(completion.usage().orElseThrow().completionTokens())
        .isPositive();
    final float[][] row = new float[1][model.info().vocabSize()];
    final ModelState state = promptState(user, row);
    for (int k = 0; k < content.size(); k++) {
      final ChatCompletionTokenLogprob lp = content.get(k);
      final double[] expected = logSoftmax(row[0]);
      final int token = token(lp.bytes().orElseThrow());
      assertThat(lp.logprob()).as("token %d", k).isCloseTo(expected[token], within(1e-9));
      assertThat(lp.topLogprobs()).hasSize(3);
      assertThat(lp.topLogprobs().get(0).logprob()).isGreaterThanOrEqualTo(lp.logprob());
      for (final ChatCompletionTokenLogprob.TopLogprob t : lp.topLogprobs()) {
        assertThat(t.logprob()).isCloseTo(expected[token(t.bytes().orElseThrow())], within(1e-9));
      }
      model.model().step(List.of(state), new int[] {token}, row);
    }
    final List<ChatCompletionTokenLogprob> streamed = new ArrayList<>();
    try (StreamResponse<ChatCompletionChunk> stream =
        client
            .chat()
            .completions()
            .createStreaming(params(user).logprobs(true).topLogprobs(3).build())) {
      stream.stream()
          .flatMap(c -> c.choices().stream())
          .forEach(c -> c.logprobs().flatMap(l -> l.content()).ifPresent(streamed::addAll));
    }
    assertThat(streamed.stream().map(ChatCompletionTokenLogprob::logprob).toList())
        .isEqualTo(content.stream().map(ChatCompletionTokenLogprob::logprob).toList());

    final Http.Response nativeReply =
        http.post(
            "/v1/conversations/native-lp/messages",
            new JsonObject().put("text", user).put("role", "user").encode());
    assertThat(nativeReply.status()).isEqualTo(202);
    final Http.Response generated =
        http.post(
            "/v1/conversations/native-lp/generate",
            "{\"max_tokens\":24,\"temperature\":0,\"prefix\":\"Assistant:\",\"stop\":[\"\\n\\n\"],"
                + "\"stream\":false,\"logprobs\":3}");
    assertThat(generated.status()).as(generated.body()).isEqualTo(200);
    final JsonArray nativeLogprobs = generated.json().getJsonArray("logprobs");
    assertThat(nativeLogprobs.size()).isEqualTo(content.size());
    for (int k = 0; k < content.size(); k++) {
      final JsonObject entry = nativeLogprobs.getJsonObject(k);
      assertThat(entry.getDouble("logprob")).isEqualTo(content.get(k).logprob());
      assertThat(entry.getLong("token_id")).isEqualTo(content.get(k).bytes().orElseThrow().get(0));
      assertThat(entry.getJsonArray("top_logprobs").size()).isEqualTo(3);
    }
  }

  @Test
  void shouldApplyLogitBias() {
    final String user = "Bias me.";
    final float[][] row = new float[1][model.info().vocabSize()];
    promptState(user, row);
    int greedy = 0;
    for (int t = 1; t < row[0].length; t++) {
      if (row[0][t] > row[0][greedy]) {
        greedy = t;
      }
    }
    final ChatCompletion plain =
        client.chat().completions().create(params(user).logprobs(true).build());
    assertThat(
            token(
                plain
                    .choices()
                    .get(0)
                    .logprobs()
                    .orElseThrow()
                    .content()
                    .orElseThrow()
                    .get(0)
                    .bytes()
                    .orElseThrow()))
        .isEqualTo(greedy);
    final ChatCompletion banned =
        client
            .chat()
            .completions()
            .create(
                params(user)
                    .logprobs(true)
                    .logitBias(
                        ChatCompletionCreateParams.LogitBias.builder()
                            .putAdditionalProperty(Integer.toString(greedy), JsonValue.from(-100))
                            .build())
                    .build());
    assertThat(
            banned.choices().get(0).logprobs().orElseThrow().content().orElseThrow().stream()
                .map(l -> token(l.bytes().orElseThrow()))
                .toList())
        .doesNotContain(greedy);
    final Http.Response nativeBias =
        http.post("/v1/conversations/native-bias/messages", "{\"text\":\"x\",\"role\":\"raw\"}");
    assertThat(nativeBias.status()).isEqualTo(202);
    final Http.Response forced =
        http.post(
            "/v1/conversations/native-bias/generate",
            "{\"max_tokens\":5,\"temperature\":0,\"stream\":false,\"logit_bias\":{\"65\":100}}");
    assertThat(forced.status()).as(forced.body()).isEqualTo(200);
    assertThat(forced.json().getString("text")).isEqualTo("AAAAA");
  }

  @Test
  @SuppressWarnings("deprecation") // OpenAI deprecated seed; clients still send it, we honour it
  void shouldAnswerEveryJsonSchemaWithJsonThatParsesAndValidates() throws Exception {
    final List<String> failures = new ArrayList<>();
    for (final TestSchemas.Case c : TestSchemas.ALL) {
      final JsonObject format =
          new JsonObject()
              .put("type", "json_schema")
              .put(
                  "json_schema",
                  new JsonObject()
                      .put("name", c.name().replaceAll("[^A-Za-z0-9_-]", "_"))
                      .put("strict", c.strict())
                      .put("schema", new JsonObject(c.json())));
      final ChatCompletion completion =
          client
              .chat()
              .completions()
              .create(
                  params("Reply in JSON.")
                      .temperature(1.0)
                      .seed(7)
                      .maxCompletionTokens(300)
                      .putAdditionalBodyProperty(
                          "response_format",
                          // plain maps all the way down (a Vert.x JsonObject inside is no Map)
                          JsonValue.from(JSON.readValue(format.encode(), Map.class)))
                      .build());
      final String text = completion.choices().get(0).message().content().orElse("");
      try {
        final JsonNode value = JSON.readTree(text);
        final List<String> violations = SchemaValidator.validate(JSON.readTree(c.json()), value);
        if (!violations.isEmpty()) {
          failures.add(c + ": " + text + " violates " + violations);
        }
      } catch (final Exception e) {
        failures.add(c + ": " + text + " does not parse: " + e.getMessage());
      }
    }
    assertThat(failures).isEmpty();
    final ChatCompletion object =
        client
            .chat()
            .completions()
            .create(
                params("Any object.")
                    .temperature(1.0)
                    .maxCompletionTokens(200)
                    .responseFormat(ResponseFormatJsonObject.builder().build())
                    .build());
    assertThat(JSON.readTree(object.choices().get(0).message().content().orElseThrow()).isObject())
        .isTrue();
  }

  @Test
  void shouldAnswerLegacyCompletionsOnTheSameEnginePath() {
    final String prompt = "Once upon a time";
    final Completion plain =
        client
            .completions()
            .create(
                CompletionCreateParams.builder()
                    .model("random-finch")
                    .prompt(prompt)
                    .maxTokens(12)
                    .temperature(0.0)
                    .logprobs(2)
                    .build());
    final CompletionChoice choice = plain.choices().get(0);
    assertThat(choice.finishReason()).isEqualTo(CompletionChoice.FinishReason.LENGTH);
    assertThat(plain.usage().orElseThrow().completionTokens()).isEqualTo(12);
    assertThat(plain.usage().orElseThrow().promptTokens()).isEqualTo(prompt.length());
    final CompletionChoice.Logprobs lp = choice.logprobs().orElseThrow();
    assertThat(lp.tokenLogprobs().orElseThrow()).hasSize(12);
    // The same state directly: the prompt's bytes, then each generated token.
    final LanguageModel engine = model.model();
    final ModelState state = engine.newState();
    engine.ingest(List.of(state), List.of(model.tokenizer().encode(prompt)));
    final float[][] row = new float[1][model.info().vocabSize()];
    engine.logits(List.of(state), row);
    final List<String> tokens = lp.tokens().orElseThrow();
    assertThat(tokens).hasSize(12);
    for (int k = 0; k < tokens.size(); k++) {
      final int token = byteOf(tokens.get(k));
      assertThat(lp.tokenLogprobs().orElseThrow().get(k))
          .isCloseTo(logSoftmax(row[0])[token], within(1e-9));
      engine.step(List.of(state), new int[] {token}, row);
    }
    final Completion echoed =
        client
            .completions()
            .create(
                CompletionCreateParams.builder()
                    .model("random-finch")
                    .prompt(prompt)
                    .maxTokens(12)
                    .temperature(0.0)
                    .echo(true)
                    .build());
    assertThat(echoed.choices().get(0).text()).isEqualTo(prompt + choice.text());
    final StringBuilder streamed = new StringBuilder();
    try (StreamResponse<Completion> stream =
        client
            .completions()
            .createStreaming(
                CompletionCreateParams.builder()
                    .model("random-finch")
                    .promptOfArrayOfTokens(prompt.chars().mapToObj(c -> (long) c).toList())
                    .maxTokens(12)
                    .temperature(0.0)
                    .build())) {
      stream.stream().forEach(c -> c.choices().forEach(ch -> streamed.append(ch.text())));
    }
    assertThat(streamed.toString()).isEqualTo(choice.text());
    assertThatThrownBy(
            () ->
                client
                    .completions()
                    .create(
                        CompletionCreateParams.builder()
                            .model("random-finch")
                            .prompt(prompt)
                            .suffix("the end")
                            .build()))
        .isInstanceOfSatisfying(
            BadRequestException.class, e -> assertThat(e.param()).contains("suffix"));
  }

  /** Choice {@code i} of a chat, generated directly (one state, no batching, no Kafka). */
  private static String directChoice(
      final String user, final long seed, final int i, final int maxTokens) {
    final DirectEngine direct =
        new DirectEngine(model.model(), model.tokenizer())
            .appendText("User: " + user + "\n\n")
            .appendText(ChatTurns.ASSISTANT_PREFIX);
    return ChatTurns.replyText(
        direct
            .generate(
                SamplingParams.builder()
                    .maxTokens(maxTokens)
                    .temperature(1.0)
                    .seed(Choices.seed(seed, i))
                    .stopStrings(ChatTurns.TURN_STOPS)
                    .build())
            .text());
  }

  @Test
  void shouldAnswerNChoicesEachTheDirectReplyOfItsSeedStreamStreamedAndNot() {
    final String user = "Name three finches.";
    final long seed = 1234;
    final int n = 3;
    final List<String> expected = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      expected.add(directChoice(user, seed, i, 16));
    }
    assertThat(expected)
        .as("a random model at temperature 1 draws differently")
        .doesNotHaveDuplicates();
    final ChatCompletion completion =
        client
            .chat()
            .completions()
            .create(
                params(user)
                    .maxCompletionTokens(16)
                    .temperature(1.0)
                    .putAdditionalBodyProperty("seed", JsonValue.from(seed))
                    .n(n)
                    .logprobs(true)
                    .build());
    assertThat(completion.choices()).hasSize(n);
    long completionTokens = 0;
    for (int i = 0; i < n; i++) {
      final ChatCompletion.Choice c = completion.choices().get(i);
      assertThat(c.index()).isEqualTo(i);
      assertThat(c.message().content().orElseThrow()).as("choice %d", i).isEqualTo(expected.get(i));
      completionTokens += c.logprobs().orElseThrow().content().orElseThrow().size();
    }
    assertThat(completion.usage().orElseThrow().completionTokens())
        .as("the tokens of every choice")
        .isEqualTo(completionTokens);
    assertThat(completion.usage().orElseThrow().promptTokens())
        .isEqualTo(("User: " + user + "\n\nAssistant:").length());

    final List<StringBuilder> streamed = new ArrayList<>();
    final List<String> finishes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      streamed.add(new StringBuilder());
      finishes.add(null);
    }
    long streamedUsage = -1;
    try (StreamResponse<ChatCompletionChunk> stream =
        client
            .chat()
            .completions()
            .createStreaming(
                params(user)
                    .maxCompletionTokens(16)
                    .temperature(1.0)
                    .putAdditionalBodyProperty("seed", JsonValue.from(seed))
                    .n(n)
                    .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
                    .build())) {
      for (final ChatCompletionChunk chunk : stream.stream().toList()) {
        if (chunk.usage().isPresent()) {
          streamedUsage = chunk.usage().get().completionTokens();
        }
        for (final ChatCompletionChunk.Choice c : chunk.choices()) {
          final int i = (int) c.index();
          c.delta().content().ifPresent(streamed.get(i)::append);
          c.finishReason().ifPresent(f -> finishes.set(i, f.asString()));
        }
      }
    }
    for (int i = 0; i < n; i++) {
      assertThat(streamed.get(i).toString().strip())
          .as("streamed choice %d", i)
          .isEqualTo(expected.get(i));
      assertThat(finishes.get(i)).as("choice %d finished", i).isNotNull();
    }
    assertThat(streamedUsage).isEqualTo(completionTokens);

    final Completion legacy =
        client
            .completions()
            .create(
                CompletionCreateParams.builder()
                    .model("random-finch")
                    .prompt("Once upon a time")
                    .maxTokens(10)
                    .temperature(1.0)
                    .seed(seed)
                    .n(2)
                    .build());
    assertThat(legacy.choices()).hasSize(2);
    for (int i = 0; i < 2; i++) {
      final DirectEngine direct =
          new DirectEngine(model.model(), model.tokenizer()).appendText("Once upon a time");
      assertThat(legacy.choices().get(i).index()).isEqualTo(i);
      assertThat(legacy.choices().get(i).text())
          .isEqualTo(
              direct
                  .generate(
                      SamplingParams.builder()
                          .maxTokens(10)
                          .temperature(1.0)
                          .seed(Choices.seed(seed, i))
                          .build())
                  .text());
    }
    assertThat(
            http.post(
                    "/v1/conversations/native-n/messages",
                    new JsonObject().put("text", user).put("role", "user").encode())
                .status())
        .isEqualTo(202);
    final Http.Response nativeReply =
        http.post(
            "/v1/conversations/native-n/generate",
            new JsonObject()
                .put("max_tokens", 16)
                .put("temperature", 1.0)
                .put("seed", seed)
                .put("prefix", ChatTurns.ASSISTANT_PREFIX)
                .put("stop", new JsonArray().add("\n\n"))
                .put("stream", false)
                .put("n", 2)
                .encode());
    assertThat(nativeReply.status()).as(nativeReply.body()).isEqualTo(200);
    final JsonArray nativeChoices = nativeReply.json().getJsonArray("choices");
    assertThat(nativeChoices).hasSize(2);
    for (int i = 0; i < 2; i++) {
      assertThat(nativeChoices.getJsonObject(i).getInteger("choice")).isEqualTo(i);
      assertThat(ChatTurns.replyText(nativeChoices.getJsonObject(i).getString("text")))
          .isEqualTo(expected.get(i));
    }
    assertThat(ChoiceCalls.MAX_CHOICES).isEqualTo(Choices.MAX_CHOICES);
    assertThatThrownBy(() -> client.chat().completions().create(params(user).n(129).build()))
        .isInstanceOfSatisfying(
            BadRequestException.class, e -> assertThat(e.param()).contains("n"));
  }

  private static final String WEATHER =
      """
      {"type": "object", "additionalProperties": false, "required": ["location", "unit", "days"],
       "properties": {"location": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]},
                      "days": {"type": "integer"}}}
      """;

  private static List<Object> tools() {
    return List.of(
        Map.of(
            "type",
            "function",
            "function",
            Map.of(
                "name",
                "get_weather",
                "description",
                "The weather at a place",
                "strict",
                true,
                "parameters",
                new JsonObject(WEATHER).getMap())),
        Map.of(
            "type",
            "function",
            "function",
            Map.of("name", "search", "parameters", Map.of("type", "object"))));
  }

  private static ChatCompletionCreateParams.Builder toolParams(
      final String user, final Object choice) {
    return params(user)
        .maxCompletionTokens(200)
        .temperature(1.0)
        .putAdditionalBodyProperty("seed", JsonValue.from(77))
        .putAdditionalBodyProperty("tools", JsonValue.from(tools()))
        .putAdditionalBodyProperty("tool_choice", JsonValue.from(choice));
  }

  @Test
  void shouldCallToolsWithArgumentsValidAgainstTheirSchemaStreamedAndNot() throws Exception {
    final String user = "Weather in Paris?";
    final JsonNode weather = JSON.readTree(WEATHER);
    final ChatCompletion required =
        client.chat().completions().create(toolParams(user, "required").build());
    final ChatCompletion.Choice choice = required.choices().get(0);
    assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
    assertThat(choice.message().content()).isEmpty();
    final List<ChatCompletionMessageToolCall> calls = choice.message().toolCalls().orElseThrow();
    assertThat(calls).hasSize(1);
    final ChatCompletionMessageFunctionToolCall call = calls.get(0).asFunction();
    assertThat(call.id()).startsWith("call_");
    assertThat(call.function().name()).isIn("get_weather", "search");
    final JsonNode arguments = JSON.readTree(call.function().arguments());
    assertThat(arguments.isObject()).as(call.function().arguments()).isTrue();
    if (call.function().name().equals("get_weather")) {
      assertThat(SchemaValidator.validate(weather, arguments))
          .as(call.function().arguments())
          .isEmpty();
    }

    // Named: always that function, its arguments valid, finish_reason stop (as OpenAI's).
    for (long seed = 0; seed < 3; seed++) {
      final ChatCompletion named =
          client
              .chat()
              .completions()
              .create(
                  toolParams(
                          user,
                          Map.of("type", "function", "function", Map.of("name", "get_weather")))
                      .putAdditionalBodyProperty("seed", JsonValue.from(seed))
                      .build());
      final ChatCompletionMessageFunctionToolCall c =
          named.choices().get(0).message().toolCalls().orElseThrow().get(0).asFunction();
      assertThat(c.function().name()).isEqualTo("get_weather");
      assertThat(SchemaValidator.validate(weather, JSON.readTree(c.function().arguments())))
          .as(c.function().arguments())
          .isEmpty();
      assertThat(named.choices().get(0).finishReason())
          .isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
    }

    // Streamed: one head (id, name), then argument deltas that add up to the same call.
    final StringBuilder streamedArguments = new StringBuilder();
    final List<String> names = new ArrayList<>();
    final List<String> finishes = new ArrayList<>();
    int argumentDeltas = 0;
    try (StreamResponse<ChatCompletionChunk> stream =
        client.chat().completions().createStreaming(toolParams(user, "required").build())) {
      for (final ChatCompletionChunk chunk : stream.stream().toList()) {
        for (final ChatCompletionChunk.Choice c : chunk.choices()) {
          c.finishReason().ifPresent(f -> finishes.add(f.asString()));
          for (final ChatCompletionChunk.Choice.Delta.ToolCall t :
              c.delta().toolCalls().orElse(List.of())) {
            assertThat(t.index()).isZero();
            t.id().ifPresent(id -> assertThat(id).startsWith("call_"));
            t.function().flatMap(f -> f.name()).ifPresent(names::add);
            final String piece = t.function().flatMap(f -> f.arguments()).orElse("");
            if (!piece.isEmpty()) {
              argumentDeltas++;
            }
            streamedArguments.append(piece);
          }
        }
      }
    }
    assertThat(names).containsExactly(call.function().name());
    assertThat(streamedArguments.toString()).isEqualTo(call.function().arguments());
    assertThat(argumentDeltas).as("arguments stream as they are generated").isGreaterThan(1);
    assertThat(finishes).containsExactly("tool_calls");

    // A parameters schema outside the subset, when a call is forced (compiled): 400 naming it.
    assertThatThrownBy(
            () ->
                client
                    .chat()
                    .completions()
                    .create(
                        params(user)
                            .putAdditionalBodyProperty(
                                "tools",
                                JsonValue.from(
                                    List.of(
                                        Map.of(
                                            "type",
                                            "function",
                                            "function",
                                            Map.of(
                                                "name",
                                                "f",
                                                "parameters",
                                                Map.of("type", "string", "pattern", "a+"))))))
                            .putAdditionalBodyProperty("tool_choice", JsonValue.from("required"))
                            .build()))
        .isInstanceOfSatisfying(
            BadRequestException.class,
            e -> {
              assertThat(e.param()).contains("tools");
              assertThat(e.getMessage()).contains("function 'f'").contains("pattern");
            });
  }

  @Test
  void shouldRenderToolsCallsAndResultsInTheDocumentedPromptFormat() {
    final String user = "Weather in Paris?";
    final ChatCompletion first =
        client
            .chat()
            .completions()
            .create(
                toolParams(
                        user, Map.of("type", "function", "function", Map.of("name", "get_weather")))
                    .build());
    final ChatCompletionMessage called = first.choices().get(0).message();
    final ChatCompletionMessageFunctionToolCall call =
        called.toolCalls().orElseThrow().get(0).asFunction();
    // The SDK sends the call back as the assistant message, then the tool's result; "none": text.
    final ChatCompletion answer =
        client
            .chat()
            .completions()
            .create(
                toolParams(user, "none")
                    .temperature(0.0)
                    .maxCompletionTokens(24)
                    .addMessage(called)
                    .addMessage(
                        ChatCompletionToolMessageParam.builder()
                            .toolCallId(call.id())
                            .content("{\"celsius\": 21}")
                            .build())
                    .build());
    assertThat(answer.choices().get(0).message().toolCalls().orElse(List.of())).isEmpty();
    final JsonArray rendered = new JsonArray();
    for (final Object tool : tools()) {
      final JsonObject f =
          new JsonObject(JsonObject.mapFrom(tool).getJsonObject("function").getMap());
      final JsonObject line = new JsonObject().put("name", f.getString("name"));
      if (f.containsKey("description")) {
        line.put("description", f.getString("description"));
      }
      line.put("parameters", f.getJsonObject("parameters"));
      rendered.add(line.encode());
    }
    final StringBuilder prompt =
        new StringBuilder("System: ")
            .append(
                "You can call functions. To call one, answer with <tool_call> and then one JSON"
                    + " object {\"name\": <the function's name>, \"arguments\": <its arguments>}"
                    + " on one line. The functions:");
    for (final Object line : rendered) {
      prompt.append('\n').append(line);
    }
    prompt
        .append("\n\nUser: ")
        .append(user)
        .append("\n\nAssistant: <tool_call>{\"name\": \"get_weather\", \"arguments\": ")
        .append(call.function().arguments())
        .append("}\n\nTool: {\"celsius\": 21}\n\n")
        .append(ChatTurns.ASSISTANT_PREFIX);
    final DirectEngine direct =
        new DirectEngine(model.model(), model.tokenizer()).appendText(prompt.toString());
    assertThat(answer.choices().get(0).message().content().orElseThrow())
        .isEqualTo(
            ChatTurns.replyText(
                direct
                    .generate(
                        SamplingParams.builder()
                            .maxTokens(24)
                            .temperature(0.0)
                            .stopStrings(ChatTurns.TURN_STOPS)
                            .build())
                    .text()));
  }

  @Test
  void shouldRefuseASchemaOutsideTheSubsetWith400NamingIt() {
    final Map<String, Object> format =
        Map.of(
            "type",
            "json_schema",
            "json_schema",
            Map.of("name", "p", "schema", Map.of("type", "string", "pattern", "^a+$")));
    assertThatThrownBy(
            () ->
                client
                    .chat()
                    .completions()
                    .create(
                        params("x")
                            .putAdditionalBodyProperty("response_format", JsonValue.from(format))
                            .build()))
        .isInstanceOfSatisfying(
            BadRequestException.class,
            e -> {
              assertThat(e.param()).contains("response_format.json_schema.schema");
              assertThat(e.getMessage()).contains("pattern");
            });
  }
}
