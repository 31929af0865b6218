package io.finchstream.processors.conversation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.ModelState;
import io.finchstream.engine.structured.SchemaValidator;
import io.finchstream.engine.structured.TestSchemas;
import io.finchstream.processors.LoadedModel;
import io.finchstream.processors.testing.Events;
import io.finchstream.processors.testing.TestModels;
import io.finchstream.processors.testing.TopologyFixture;
import io.finchstream.proto.v1.ErrorCode;
import io.finchstream.proto.v1.FinishReason;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.GenerationDone;
import io.finchstream.proto.v1.Reply;
import io.finchstream.proto.v1.ResponseFormat;
import io.finchstream.proto.v1.SamplingParams;
import io.finchstream.proto.v1.TokenChunk;
import io.finchstream.proto.v1.TokenLogprob;
import io.finchstream.proto.v1.TokenLogprobs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The request features of OpenAI's surface through the processors (validator, decode cycles, token
 * chunks): log probabilities equal to the log-softmax of the model's own logits for the same state
 * (after {@code logit_bias}), and replies constrained by a response format that always parse and
 * validate, on a random-weight model whose free output is noise.
 */
class StructuredRepliesTest {

  private static final String PROMPT = "User: Tell me about the weather.\n\nAssistant:";

  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .build();

  @TempDir Path dir;

  private final LoadedModel model = TestModels.randomFinch();

  @Test
  void shouldReportLogprobsEqualToTheLogSoftmaxOfTheModelsLogitsAfterTheBias() {
    final Map<Integer, Float> bias = Map.of(101, 4.5f, 32, -100f, 200, 2f);
    final int top = 5;
    try (TopologyFixture fx = new TopologyFixture(model, Map.of(), dir)) {
      fx.send("c", Events.appendText(PROMPT));
      fx.send(
          "c",
          Events.generate(
              Generate.newBuilder()
                  .setRequestId("lp")
                  .setMaxTokens(40)
                  .setLogprobs(true)
                  .setTopLogprobs(top)
                  .setSampling(
                      SamplingParams.newBuilder()
                          .setTemperature(0.8f)
                          .setSeed(11)
                          .putAllLogitBias(bias))
                  .build()));
      fx.settle();
      final List<Reply> replies = fx.replies("lp");
      final List<Integer> tokens = new ArrayList<>();
      final List<TokenLogprobs> logprobs = new ArrayList<>();
      for (final Reply r : replies) {
        if (r.hasChunk()) {
          final TokenChunk c = r.getChunk();
          assertThat(c.getLogprobsCount()).isEqualTo(c.getTokenIdsCount());
          tokens.addAll(c.getTokenIdsList());
          logprobs.addAll(c.getLogprobsList());
        }
      }
      assertThat(done(replies).getUsage().getCompletionTokens()).isEqualTo(tokens.size());
      assertThat(tokens).isNotEmpty().doesNotContain(32); // -100 bans the space
      // The same states, computed directly: the logits the `logits` command writes for them.
      final LanguageModel engine = model.model();
      final ModelState state = engine.newState();
      engine.ingest(List.of(state), List.of(model.tokenizer().encode(PROMPT)));
      final float[][] row = new float[1][engine.info().vocabSize()];
      engine.logits(List.of(state), row);
      for (int k = 0; k < tokens.size(); k++) {
        final double[] expected = logSoftmax(row[0], bias);
        final TokenLogprobs got = logprobs.get(k);
        final int token = tokens.get(k);
        assertThat(got.getChosen().getTokenId()).isEqualTo(token);
        assertThat(got.getChosen().getLogprob())
            .as("token %d", k)
            .isCloseTo(expected[token], within(1e-9));
        assertThat(got.getChosen().getBytes().toByteArray())
            .isEqualTo(model.tokenizer().tokenBytes(token));
        final List<Integer> best =
            IntStream.range(0, expected.length)
                .boxed()
                .sorted(
                    Comparator.comparingDouble((Integer t) -> -expected[t]).thenComparing(t -> t))
                .limit(top)
                .toList();
        assertThat(got.getTopList().stream().map(TokenLogprob::getTokenId).toList())
            .as("top %d at token %d", top, k)
            .isEqualTo(best);
        for (final TokenLogprob t : got.getTopList()) {
          assertThat(t.getLogprob()).isCloseTo(expected[t.getTokenId()], within(1e-9));
        }
        engine.step(List.of(state), new int[] {token}, row);
      }
    }
  }

  /** log-softmax of {@code logits + bias} (the bias added in float, as the sampler does). */
  private static double[] logSoftmax(final float[] logits, final Map<Integer, Float> bias) {
    final double[] l = new double[logits.length];
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < l.length; i++) {
      l[i] = bias.containsKey(i) ? logits[i] + bias.get(i) : logits[i];
      max = Math.max(max, l[i]);
    }
    double sum = 0;
    for (final double v : l) {
      sum += Math.exp(v - max);
    }
    final double log = Math.log(sum);
    for (int i = 0; i < l.length; i++) {
      l[i] = l[i] - max - log;
    }
    return l;
  }

  @Test
  void shouldAnswerEveryResponseFormatWithJsonThatParsesAndValidates() throws Exception {
    final int seeds = 10; // 10 schemas × 10 seeds: 100 generations
    final List<String> failures = new ArrayList<>();
    int outputs = 0;
    try (TopologyFixture fx = new TopologyFixture(model, Map.of(), dir)) {
      for (int s = 0; s < TestSchemas.ALL.size(); s++) {
        final TestSchemas.Case c = TestSchemas.ALL.get(s);
        for (int seed = 0; seed < seeds; seed++) {
          final String conversation = "c" + s + "-" + seed;
          final String request = "json-" + s + "-" + seed;
          fx.send(conversation, Events.appendText(PROMPT));
          fx.send(
              conversation,
              Events.generate(
                  Generate.newBuilder()
                      .setRequestId(request)
                      .setMaxTokens(300)
                      .setResponseFormat(
                          ResponseFormat.newBuilder()
                              .setType(ResponseFormat.Type.TYPE_JSON_SCHEMA)
                              .setName(c.name())
                              .setSchema(c.json())
                              .setStrict(c.strict()))
                      .setSampling(SamplingParams.newBuilder().setTemperature(1.2f).setSeed(seed))
                      .build()));
        }
      }
      fx.send("obj", Events.appendText(PROMPT));
      fx.send(
          "obj",
          Events.generate(
              Generate.newBuilder()
                  .setRequestId("obj")
                  .setMaxTokens(200)
                  .setResponseFormat(
                      ResponseFormat.newBuilder().setType(ResponseFormat.Type.TYPE_JSON_OBJECT))
                  .build()));
      fx.settle();
      for (int s = 0; s < TestSchemas.ALL.size(); s++) {
        final TestSchemas.Case c = TestSchemas.ALL.get(s);
        final JsonNode schema = JSON.readTree(c.json());
        for (int seed = 0; seed < seeds; seed++) {
          final GenerationDone done = done(fx.replies("json-" + s + "-" + seed));
          outputs++;
          final String where = c + " seed " + seed + ": " + done.getText();
          if (done.getFinishReason() != FinishReason.FINISH_REASON_STOP) {
            failures.add(where + " ended " + done.getFinishReason());
            continue;
          }
          try {
            final List<String> violations =
                SchemaValidator.validate(schema, JSON.readTree(done.getText()));
            if (!violations.isEmpty()) {
              failures.add(where + " violates " + violations);
            }
          } catch (final Exception e) {
            failures.add(where + " does not parse: " + e.getMessage());
          }
        }
      }
      final GenerationDone object = done(fx.replies("obj"));
      assertThat(JSON.readTree(object.getText()).isObject()).as(object.getText()).isTrue();
    }
    assertThat(outputs).isEqualTo(TestSchemas.ALL.size() * seeds);
    assertThat(failures).isEmpty();
  }

  @Test
  void shouldRefuseASchemaOutsideTheSubsetNamingTheKeyword() {
    try (TopologyFixture fx = new TopologyFixture(model, Map.of(), dir)) {
      fx.send("c", Events.appendText(PROMPT));
      fx.send(
          "c",
          Events.generate(
              Generate.newBuilder()
                  .setRequestId("bad")
                  .setMaxTokens(50)
                  .setResponseFormat(
                      ResponseFormat.newBuilder()
                          .setType(ResponseFormat.Type.TYPE_JSON_SCHEMA)
                          .setSchema("{\"type\": \"string\", \"pattern\": \"^a+$\"}"))
                  .build()));
      fx.send(
          "c",
          Events.generate(
              Generate.newBuilder()
                  .setRequestId("short")
                  .setMaxTokens(1)
                  .setResponseFormat(
                      ResponseFormat.newBuilder().setType(ResponseFormat.Type.TYPE_JSON_OBJECT))
                  .build()));
      fx.settle();
      final Reply bad = fx.replies("bad").get(0);
      assertThat(bad.getError().getCode()).isEqualTo(ErrorCode.INVALID_PARAMETERS);
      assertThat(bad.getError().getMessage())
          .startsWith("response_format.json_schema.schema")
          .contains("pattern");
      final Reply tooShort = fx.replies("short").get(0);
      assertThat(tooShort.getError().getCode()).isEqualTo(ErrorCode.INVALID_PARAMETERS);
      assertThat(tooShort.getError().getMessage()).startsWith("max_tokens must be >= 2");
    }
  }

  private static GenerationDone done(final List<Reply> replies) {
    assertThat(replies).isNotEmpty();
    final Reply last = replies.get(replies.size() - 1);
    assertThat(last.hasDone()).as("%s", last).isTrue();
    return last.getDone();
  }
}
