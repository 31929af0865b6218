package io.finchstream.engine.structured;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.ModelState;
import io.finchstream.engine.finch.FinchConfig;
import io.finchstream.engine.sampling.Choices;
import io.finchstream.engine.sampling.Generation;
import io.finchstream.engine.sampling.Sampler;
import io.finchstream.engine.sampling.SamplingParams;
import io.finchstream.engine.testing.RandomFinch;
import io.finchstream.engine.testing.SharedData;
import io.finchstream.engine.tokenizer.ByteTokenizer;
import io.finchstream.engine.tokenizer.Tokenizer;
import io.finchstream.engine.tokenizer.WorldTokenizer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Constrained decoding with random-weight models, whose unconstrained output is noise: 10 schemas ×
 * 10 seeds per vocabulary, every output parses (Jackson, strictly) and validates against its schema
 * (an independent validator), and it ends by itself (finish STOP) within {@code max_tokens}.
 */
class ConstrainedGenerationTest {

  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .build();

  /** One generation's outcome. */
  record Output(String text, Generation.Finish finish, int tokens) {}

  static Output generate(
      final LanguageModel model,
      final Tokenizer tokenizer,
      final TokenGrammar grammar,
      final SamplingParams params,
      final int[] prompt) {
    final ModelState state = model.newState();
    model.ingest(List.of(state), List.of(prompt));
    final float[][] logits = new float[1][model.info().vocabSize()];
    model.logits(List.of(state), logits);
    final Generation g =
        new Generation(tokenizer, params, grammar == null ? null : grammar.newConstraint());
    final Sampler sampler = new Sampler();
    final StringBuilder text = new StringBuilder();
    while (!g.ended()) {
      final int token = g.sample(sampler, logits[0]);
      text.append(g.accept(token));
      if (!g.ended()) {
        model.step(List.of(state), new int[] {token}, logits);
      }
    }
    return new Output(text.toString(), g.finish(), g.generated());
  }

  /** Sampling parameters that vary with the seed: plain noise, filters, penalties. */
  static SamplingParams params(final long seed, final int maxTokens) {
    final SamplingParams.Builder b = SamplingParams.builder().seed(seed).maxTokens(maxTokens);
    return switch ((int) (seed % 4)) {
      case 0 -> b.build();
      case 1 -> b.temperature(1.5).topK(50).build();
      case 2 -> b.temperature(0.7).topP(0.9).presencePenalty(1.0).build();
      default -> b.repetitionPenalty(1.3).minP(0.01).build();
    };
  }

  private static void checkAll(
      final LanguageModel model, final Tokenizer tokenizer, final int maxTokens) {
    final TokenTable table = TokenTable.of(tokenizer);
    final List<String> failures = new ArrayList<>();
    int outputs = 0;
    for (final TestSchemas.Case c : TestSchemas.ALL) {
      final TokenGrammar grammar =
          new TokenGrammar(JsonGrammar.fromSchema(c.json(), c.strict()), table);
      final JsonNode schema = read(c.json());
      for (long seed = 0; seed < 10; seed++) {
        final int[] prompt = new SplittableRandom(seed).ints(6, 1, tokenizer.vocabSize()).toArray();
        final Output out = generate(model, tokenizer, grammar, params(seed, maxTokens), prompt);
        outputs++;
        final String where = c + " seed " + seed + ": " + out.text();
        if (out.finish() != Generation.Finish.STOP || out.tokens() > maxTokens) {
          failures.add(where + " ended " + out.finish() + " after " + out.tokens());
          continue;
        }
        final JsonNode value;
        try {
          value = JSON.readTree(out.text());
        } catch (final Exception e) {
          failures.add(where + " does not parse: " + e.getMessage());
          continue;
        }
        final List<String> violations = SchemaValidator.validate(schema, value);
        if (!violations.isEmpty()) {
          failures.add(where + " violates " + violations);
        }
      }
    }
    assertThat(outputs).isEqualTo(100);
    assertThat(failures).isEmpty();
  }

  private static JsonNode read(final String json) {
    try {
      return JSON.readTree(json);
    } catch (final Exception e) {
      throw new AssertionError(e);
    }
  }

  private static LanguageModel model(final int vocab) {
    return RandomFinch.model(
        FinchConfig.standard(2, 32, 8, vocab), 5, LoadOptions.defaults().withThreads(1));
  }

  @Test
  void shouldGenerateValidJsonForEverySchemaWithTheByteVocabulary() {
    checkAll(model(ByteTokenizer.VOCAB_SIZE), ByteTokenizer.INSTANCE, 300);
  }

  @Test
  void shouldGenerateValidJsonForEverySchemaWithTheWorldVocabulary() {
    final Tokenizer world = WorldTokenizer.load(SharedData.require(WorldTokenizer.VOCAB_FILE_NAME));
    checkAll(model(WorldTokenizer.VOCAB_SIZE), world, 128);
  }

  @Test
  void shouldGiveEveryChoiceOfNAValidValue() {
    final LanguageModel model = model(ByteTokenizer.VOCAB_SIZE);
    final TestSchemas.Case c = TestSchemas.ALL.get(4);
    final TokenGrammar grammar =
        new TokenGrammar(
            JsonGrammar.fromSchema(c.json(), c.strict()), TokenTable.of(ByteTokenizer.INSTANCE));
    final ModelState prompt = model.newState();
    model.ingest(List.of(prompt), List.of(ByteTokenizer.INSTANCE.encode("shape: ")));
    final Choices choices =
        new Choices(
            model, ByteTokenizer.INSTANCE, prompt, params(1, 200), 6, grammar.newConstraint());
    final StringBuilder[] texts = new StringBuilder[6];
    for (int i = 0; i < texts.length; i++) {
      texts[i] = new StringBuilder();
    }
    final Sampler sampler = new Sampler();
    while (!choices.done()) {
      for (final Choices.Step s : choices.step(sampler)) {
        texts[s.choice()].append(s.text());
      }
    }
    final JsonNode schema = read(c.json());
    for (int i = 0; i < texts.length; i++) {
      assertThat(choices.generation(i).finish()).isEqualTo(Generation.Finish.STOP);
      assertThat(SchemaValidator.validate(schema, read(texts[i].toString())))
          .as(texts[i].toString())
          .isEmpty();
    }
  }

  @Test
  void shouldProduceNoiseWithoutTheMask() {
    final LanguageModel model = model(ByteTokenizer.VOCAB_SIZE);
    int parsed = 0;
    for (long seed = 0; seed < 10; seed++) {
      final Output out =
          generate(
              model,
              ByteTokenizer.INSTANCE,
              null,
              params(seed, 100),
              new SplittableRandom(seed).ints(6, 1, 256).toArray());
      if (parses(out.text())) {
        parsed++;
      }
    }
    assertThat(parsed).isZero();
  }

  private static boolean parses(final String text) {
    try {
      return JSON.readTree(text) != null;
    } catch (final IOException e) {
      return false;
    }
  }
}
