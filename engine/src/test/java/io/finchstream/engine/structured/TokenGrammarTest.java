package io.finchstream.engine.structured;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finchstream.engine.EngineException;
import io.finchstream.engine.sampling.Generation;
import io.finchstream.engine.sampling.InvalidParameterException;
import io.finchstream.engine.sampling.Sampler;
import io.finchstream.engine.sampling.SamplingParams;
import io.finchstream.engine.testing.SharedData;
import io.finchstream.engine.tokenizer.ByteTokenizer;
import io.finchstream.engine.tokenizer.Tokenizer;
import io.finchstream.engine.tokenizer.WorldTokenizer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Masks against the bytes they stand for, the string table against the trie walk, the budget. */
class TokenGrammarTest {

  private static TokenTable world;
  private static final TokenTable BYTES = TokenTable.of(ByteTokenizer.INSTANCE);

  @BeforeAll
  static void loadWorld() {
    world = TokenTable.of(WorldTokenizer.load(SharedData.require(WorldTokenizer.VOCAB_FILE_NAME)));
  }

  private static ParseState after(final JsonGrammar g, final byte[] prefix) {
    ParseState s = g.start();
    final Frame.Sink sink = new Frame.Sink();
    for (final byte b : prefix) {
      s = s.advance(b & 0xFF, sink);
    }
    return s;
  }

  private static ParseState after(final JsonGrammar g, final String prefix) {
    return after(g, prefix.getBytes(StandardCharsets.UTF_8));
  }

  private static float[] randomLogits(final long seed, final int vocab) {
    final SplittableRandom r = new SplittableRandom(seed);
    final float[] l = new float[vocab];
    for (int i = 0; i < vocab; i++) {
      l[i] = (float) r.nextGaussian();
    }
    return l;
  }

  private static float[] masked(final MaskEntry e, final int vocab, final int remaining) {
    final float[] l = randomLogits(remaining, vocab);
    e.apply(l, remaining, new float[0]);
    return l;
  }

  private static final JsonGrammar SCHEMA =
      JsonGrammar.fromSchema(
          """
          {"type": "object", "additionalProperties": false, "required": ["a", "b"],
           "properties": {"a": {"type": "string"},
                          "b": {"type": "array", "items": {"type": ["string", "integer"]}}}}
          """,
          true);

  private static final List<byte[]> STRING_PREFIXES =
      List.of(
          bytes("{\"a\":\""),
          bytes("{\"a\":\"xy"),
          bytes("{\"a\":\"x\\"),
          bytes("{\"a\":\"x\\u"),
          bytes("{\"a\":\"x\\uD"),
          bytes("{\"a\":\"x\\ud7"),
          bytes("{\"a\":\"x\\u00e"),
          new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xE2},
          new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xE2, (byte) 0x82},
          new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xF0},
          new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xED},
          new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xE0},
          new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xF4},
          bytes("{\"a\":\"\",\"b\":[\"q"),
          bytes("{\"a\":\"\",\"b\":[1,\""));

  private static byte[] bytes(final String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void shouldMaskInsideStringsExactlyAsTheTrieWalkDoes() {
    for (final TokenTable table : List.of(BYTES, world)) {
      final TokenGrammar g = new TokenGrammar(SCHEMA, table);
      for (final byte[] prefix : STRING_PREFIXES) {
        final ParseState s = after(SCHEMA, prefix);
        assertThat(s.single().rule).isInstanceOf(StringRule.class);
        final MaskEntry fast = g.compute(s);
        final MaskEntry walked = g.computeByWalk(s);
        assertThat(fast.allowed()).isEqualTo(walked.allowed());
        for (final int remaining : new int[] {1, s.minBytes, s.minBytes + 1, s.minBytes + 3, 999}) {
          assertThat(masked(fast, table.vocabSize(), remaining))
              .as("%s, remaining %d", new String(prefix, StandardCharsets.UTF_8), remaining)
              .isEqualTo(masked(walked, table.vocabSize(), remaining));
        }
      }
      final JsonGrammar any = JsonGrammar.anyObject();
      final TokenGrammar ga = new TokenGrammar(any, table);
      for (final String prefix : List.of("{\"", "{\"k\":\"", "{\"k\":[\"v", "{\"k\":{\"\\")) {
        final ParseState s = after(any, prefix);
        assertThat(masked(ga.compute(s), table.vocabSize(), 50))
            .isEqualTo(masked(ga.computeByWalk(s), table.vocabSize(), 50));
      }
    }
  }

  @Test
  void shouldAllowExactlyTheTokensWhoseBytesContinueTheValue() {
    final TokenGrammar g = new TokenGrammar(SCHEMA, BYTES);
    final Frame.Sink sink = new Frame.Sink();
    for (final String prefix :
        List.of(
            "", "{", "{\"a\"", "{\"a\":\"x\"", "{\"a\":\"\",\"b\":[", "{\"a\":\"\",\"b\":[12")) {
      final ParseState s = after(SCHEMA, prefix);
      final float[] l = new float[256];
      g.compute(s).apply(l, 1000, new float[0]);
      for (int t = 1; t < 256; t++) {
        final boolean valid = s.advance(t, sink) != null;
        assertThat(l[t] != Float.NEGATIVE_INFINITY).as("%s + byte %d", prefix, t).isEqualTo(valid);
      }
      assertThat(l[0]).isEqualTo(Float.NEGATIVE_INFINITY); // end of text: the value is incomplete
    }
  }

  @Test
  void shouldAllowWorldTokensOnlyWhenAllTheirBytesContinueTheValue() {
    final TokenGrammar g = new TokenGrammar(SCHEMA, world);
    final Frame.Sink sink = new Frame.Sink();
    for (final String prefix : List.of("", "{\"a\":", "{\"a\":\"x", "{\"a\":\"\",\"b\":[12")) {
      final ParseState s = after(SCHEMA, prefix);
      final float[] l = new float[world.vocabSize()];
      g.compute(s).apply(l, 1000, new float[0]);
      for (int t = 1; t < world.vocabSize(); t++) {
        final boolean valid = g.advance(s, t, sink) != null;
        assertThat(l[t] != Float.NEGATIVE_INFINITY).as("%s + token %d", prefix, t).isEqualTo(valid);
      }
    }
  }

  @Test
  void shouldAllowEndOfTextOnlyWhereTheValueMayEnd() {
    final JsonGrammar number = JsonGrammar.fromSchema("{\"type\": \"number\"}", false);
    final TokenGrammar g = new TokenGrammar(number, BYTES);
    final float[] l = new float[256];
    g.compute(after(number, "12")).apply(l, 10, new float[0]);
    assertThat(l[0]).isZero();
    assertThat(l['3']).isZero();
    assertThat(l[' ']).isEqualTo(Float.NEGATIVE_INFINITY);
    // one token left: a digit keeps the number complete, '.' or 'e' would leave it unfinished
    final float[] tight = new float[256];
    g.compute(after(number, "12")).apply(tight, 1, new float[0]);
    assertThat(tight['3']).isZero();
    assertThat(tight[0]).isZero();
    assertThat(tight['e']).isEqualTo(Float.NEGATIVE_INFINITY);
    final float[] open = new float[256];
    g.compute(after(number, "12")).apply(open, 2, new float[0]);
    assertThat(open['e']).isZero();
  }

  /** Draws with random logits until the constraint completes; the text. */
  private static String fill(
      final Tokenizer tokenizer, final TokenGrammar g, final int maxTokens, final long seed) {
    final Generation gen =
        new Generation(
            tokenizer,
            SamplingParams.builder().maxTokens(maxTokens).seed(seed).build(),
            g.newConstraint());
    final Sampler sampler = new Sampler();
    final StringBuilder text = new StringBuilder();
    for (int step = 0; !gen.ended(); step++) {
      text.append(
          gen.accept(gen.sample(sampler, randomLogits(seed * 1000 + step, g.table().vocabSize()))));
    }
    assertThat(gen.finish()).as(text.toString()).isEqualTo(Generation.Finish.STOP);
    assertThat(gen.generated()).isLessThanOrEqualTo(maxTokens);
    return text.toString();
  }

  @Test
  void shouldCompleteTheValueWithinMaxTokensEvenAtTheShortestBudget() {
    for (final TokenTable table : List.of(BYTES, world)) {
      for (final TestSchemas.Case c : TestSchemas.ALL) {
        final JsonGrammar grammar = JsonGrammar.fromSchema(c.json(), c.strict());
        final TokenGrammar g = new TokenGrammar(grammar, table);
        final int shortest = g.newConstraint().tokensToComplete();
        assertThat(shortest).isEqualTo(grammar.minBytes());
        for (long seed = 0; seed < 3; seed++) {
          final String text = fill(table.tokenizer(), g, shortest, seed);
          assertThat(JsonGrammarTest.classify(grammar, text)).as(text).isEqualTo(1);
          fill(table.tokenizer(), g, shortest + 7, seed);
        }
      }
    }
  }

  @Test
  void shouldRefuseAMaxTokensTooSmallForTheSchema() {
    final TokenGrammar g = new TokenGrammar(SCHEMA, BYTES);
    assertThatThrownBy(
            () ->
                new Generation(
                    ByteTokenizer.INSTANCE,
                    SamplingParams.builder().maxTokens(SCHEMA.minBytes() - 1).build(),
                    g.newConstraint()))
        .isInstanceOf(InvalidParameterException.class)
        .hasMessageContaining("max_tokens")
        .hasMessageContaining(">= " + SCHEMA.minBytes());
  }

  @Test
  void shouldReplayAConstrainedGenerationToTheSamePlace() {
    final TokenGrammar g = new TokenGrammar(SCHEMA, world);
    final SamplingParams params = SamplingParams.builder().maxTokens(40).seed(3).build();
    final Generation first = new Generation(world.tokenizer(), params, g.newConstraint());
    final Sampler sampler = new Sampler();
    final int[] tokens = new int[12];
    final StringBuilder text = new StringBuilder();
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = first.sample(sampler, randomLogits(i, world.vocabSize()));
      text.append(first.accept(tokens[i]));
    }
    final Generation replayed = new Generation(world.tokenizer(), params, g.newConstraint());
    assertThat(replayed.replay(tokens)).isEqualTo(text.toString());
    final float[] a = randomLogits(99, world.vocabSize());
    assertThat(replayed.sample(sampler, a)).isEqualTo(first.sample(sampler, a));
    assertThat(replayed.constraint().tokensToComplete())
        .isEqualTo(first.constraint().tokensToComplete());
  }

  @Test
  void shouldRefuseATokenTheGrammarDoesNotAllow() {
    final JsonConstraint c = new TokenGrammar(SCHEMA, BYTES).newConstraint();
    c.accept('{');
    assertThatThrownBy(() -> c.accept('}'))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("not allowed");
    assertThatThrownBy(() -> c.accept(0)).isInstanceOf(EngineException.class);
    c.accept('"'); // the constraint is unchanged by the refused tokens
  }

  @Test
  void shouldGiveTheSameMasksWithoutACache() {
    final TokenGrammar cached = new TokenGrammar(SCHEMA, world);
    final TokenGrammar uncached = new TokenGrammar(SCHEMA, world, 0);
    final JsonConstraint a = cached.newConstraint();
    final JsonConstraint b = uncached.newConstraint();
    final Sampler sampler = new Sampler();
    final Generation ga =
        new Generation(world.tokenizer(), SamplingParams.builder().maxTokens(60).build(), a);
    for (int step = 0; !ga.ended(); step++) {
      final float[] la = randomLogits(step, world.vocabSize());
      final float[] lb = la.clone();
      a.apply(la, 60 - step);
      b.apply(lb, 60 - step);
      assertThat(la).isEqualTo(lb);
      final int t = ga.sample(sampler, randomLogits(step, world.vocabSize()));
      ga.accept(t);
      if (t != 0) {
        b.accept(t);
      }
    }
    assertThat(uncached.cachedStates()).isZero();
    assertThat(cached.cachedStates()).isPositive();
    assertThat(cached.walks()).isLessThanOrEqualTo(uncached.walks());
  }

  @Test
  void shouldPutEveryTokenWithBytesInTheTrie() {
    assertThat(BYTES.nodes()).isEqualTo(256); // the root and bytes 1..255
    assertThat(world.nodes()).isGreaterThan(65_529);
    final Frame.Sink sink = new Frame.Sink();
    final JsonGrammar any = JsonGrammar.anyObject();
    final TokenGrammar g = new TokenGrammar(any, world);
    final ParseState inString = after(any, "{\"");
    int inside = 0;
    for (int t = 1; t < world.vocabSize(); t++) {
      if (g.advance(inString, t, sink) != null) {
        inside++;
      }
    }
    assertThat(g.compute(inString).allowed()).isEqualTo(inside);
  }
}
