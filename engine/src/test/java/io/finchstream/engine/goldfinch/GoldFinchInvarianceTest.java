package io.finchstream.engine.goldfinch;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.WeightPrecision;
import io.finchstream.engine.kernels.KernelKind;
import io.finchstream.engine.testing.RandomGoldFinch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Streaming prefill (path (b): ingest runs Finch-C2 + compression + cache append, logits runs the
 * GOLD window) against path (a) (every token through all layers, one at a time), bit for bit, for
 * every split point, chunking, pass size and batch composition (goldfinch-math §5.2–5.3).
 */
class GoldFinchInvarianceTest {

  private static final GoldFinchConfig CONFIG = RandomGoldFinch.small(); // G = 2, window 4
  private static final int BLOCK = 4; // cache chunks of 4 positions: many chunk boundaries
  private static final int LENGTH = 23;

  private static GoldFinchModel model(final KernelKind kind, final int threads, final int maxRows) {
    return RandomGoldFinch.model(
        CONFIG,
        7,
        LoadOptions.defaults().withKernels(kind).withThreads(threads).withMaxRowsPerPass(maxRows),
        BLOCK);
  }

  @ParameterizedTest
  @EnumSource(
      value = KernelKind.class,
      names = {"SCALAR", "VECTOR_128", "VECTOR_256", "VECTOR_512"})
  void shouldEqualPathAWithBf16WeightsInMemory(final KernelKind kind) {
    final GoldFinchModel m =
        RandomGoldFinch.model(
            CONFIG,
            7,
            LoadOptions.defaults()
                .withKernels(kind)
                .withPrecision(WeightPrecision.BF16)
                .withMaxRowsPerPass(3),
            BLOCK);
    assertThat(m.info().weightPrecision()).isEqualTo("bf16");
    final int[] tokens = tokens(5, LENGTH);
    final float[][] expected = pathA(m, tokens);
    for (final int split : new int[] {1, 2, 5, 6, 11, LENGTH}) {
      final GoldFinchState state = m.newState();
      m.ingest(List.of(state), List.of(Arrays.copyOf(tokens, split)));
      assertThat(logits(m, state)).as("split %d", split).isEqualTo(expected[split - 1]);
    }
  }

  private static int[] tokens(final long seed, final int n) {
    final Random random = new Random(seed);
    final int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = random.nextInt(CONFIG.vocab());
    }
    return out;
  }

  /** Path (a): from an empty state, each token through all layers; logits after each. */
  private static float[][] pathA(final GoldFinchModel m, final int[] tokens) {
    final GoldFinchState state = m.newState();
    final float[][] out = new float[tokens.length][CONFIG.vocab()];
    for (int t = 0; t < tokens.length; t++) {
      assertThat(state.goldCurrent()).isTrue();
      m.step(List.of(state), new int[] {tokens[t]}, new float[][] {out[t]});
    }
    return out;
  }

  private static float[] logits(final GoldFinchModel m, final GoldFinchState state) {
    final float[][] out = new float[1][CONFIG.vocab()];
    m.logits(List.of(state), out);
    return out[0];
  }

  @ParameterizedTest
  @EnumSource(
      value = KernelKind.class,
      names = {"SCALAR", "VECTOR_128", "VECTOR_256", "VECTOR_512"})
  void shouldEqualPathAForEverySplitPoint(final KernelKind kind) {
    final GoldFinchModel m = model(kind, 1, 64);
    final int[] tokens = tokens(1, LENGTH);
    final float[][] expected = pathA(m, tokens);
    assertThat(expected[LENGTH - 1])
        .as("a model with non-trivial activations")
        .isNotEqualTo(expected[LENGTH - 2]);
    for (int split = 1; split <= LENGTH; split++) {
      final GoldFinchState state = m.newState();
      m.ingest(List.of(state), List.of(Arrays.copyOf(tokens, split)));
      assertThat(state.goldCurrent()).as("ingest runs no GOLD block").isEqualTo(false);
      assertThat(logits(m, state)).as("split %d", split).isEqualTo(expected[split - 1]);
      for (int t = split; t < Math.min(LENGTH, split + 3); t++) { // then decode steps
        final float[][] out = new float[1][CONFIG.vocab()];
        m.step(List.of(state), new int[] {tokens[t]}, out);
        assertThat(out[0]).as("split %d, step %d", split, t).isEqualTo(expected[t]);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = KernelKind.class,
      names = {"SCALAR", "VECTOR_128", "VECTOR_256", "VECTOR_512"})
  void shouldEqualPathAForEveryChunkSizeAndPassSize(final KernelKind kind) {
    final int[] tokens = tokens(2, LENGTH);
    final float[][] expected = pathA(model(kind, 1, 64), tokens);
    for (final int maxRows : new int[] {1, 3, 64}) {
      final GoldFinchModel m = model(kind, 1, maxRows);
      for (final int chunk : new int[] {1, 2, 3, 5, 8, LENGTH}) {
        final GoldFinchState state = m.newState();
        for (int at = 0; at < LENGTH; at += chunk) {
          final int end = Math.min(LENGTH, at + chunk);
          m.ingest(List.of(state), List.of(Arrays.copyOfRange(tokens, at, end)));
          assertThat(logits(m, state))
              .as("rows %d, chunk %d, at %d", maxRows, chunk, end)
              .isEqualTo(expected[end - 1]);
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = KernelKind.class,
      names = {"SCALAR", "VECTOR_128", "VECTOR_256", "VECTOR_512"})
  void shouldEqualPathAAcrossRandomSessionsOfIngestLogitsAndSteps(final KernelKind kind) {
    final GoldFinchModel m = model(kind, 2, 5);
    final int length = 60; // beyond several windows and cache chunks
    final int[] tokens = tokens(3, length);
    final float[][] expected = pathA(m, tokens);
    final Random schedule = new Random(4);
    for (int session = 0; session < 6; session++) {
      final GoldFinchState state = m.newState();
      int at = 0;
      while (at < length) {
        if (schedule.nextInt(3) == 0 && state.position() > 0) {
          final float[][] out = new float[1][CONFIG.vocab()];
          m.step(List.of(state), new int[] {tokens[at]}, out);
          assertThat(out[0]).as("session %d step at %d", session, at).isEqualTo(expected[at]);
          at++;
        } else {
          final int end = Math.min(length, at + 1 + schedule.nextInt(9));
          m.ingest(List.of(state), List.of(Arrays.copyOfRange(tokens, at, end)));
          at = end;
          if (schedule.nextBoolean() || at == length) {
            assertThat(logits(m, state))
                .as("session %d logits at %d", session, at)
                .isEqualTo(expected[at - 1]);
          }
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = KernelKind.class,
      names = {"SCALAR", "VECTOR_128", "VECTOR_256", "VECTOR_512"})
  void shouldGiveEveryConversationTheSameBitsWhateverTheBatchAndThreads(final KernelKind kind) {
    final int conversations = 5;
    final int[][] tokens = new int[conversations][];
    for (int i = 0; i < conversations; i++) {
      tokens[i] = tokens(10 + i, 7 + 6 * i);
    }
    final float[][][] alone = new float[conversations][][];
    final GoldFinchModel single = model(kind, 1, 64);
    for (int i = 0; i < conversations; i++) {
      alone[i] = run(single, List.of(tokens[i]))[0];
    }
    for (final GoldFinchModel m :
        new GoldFinchModel[] {model(kind, 1, 64), model(kind, 3, 64), model(kind, 2, 4)}) {
      final float[][][] together = run(m, Arrays.asList(tokens));
      for (int i = 0; i < conversations; i++) {
        assertThat(together[i]).as("conversation %d", i).isEqualTo(alone[i]);
      }
    }
  }

  @Test
  void shouldGiveTheSameBitsWithEveryKernelAndVectorWidth() {
    final List<int[]> tokens = List.of(tokens(31, 19), tokens(32, 9));
    final float[][][] expected = run(model(KernelKind.SCALAR, 1, 64), tokens);
    for (final KernelKind kind :
        new KernelKind[] {KernelKind.VECTOR_128, KernelKind.VECTOR_256, KernelKind.VECTOR_512}) {
      assertThat(run(model(kind, 2, 5), tokens)).as("%s", kind).isEqualTo(expected);
    }
  }

  /**
   * All conversations advance together: ingest all but the last 3 tokens (one call), logits, then 3
   * batched decode steps (conversations that ran out of tokens sit them out). Returns per
   * conversation its 4 logit rows.
   */
  private static float[][][] run(final GoldFinchModel m, final List<int[]> tokens) {
    final int n = tokens.size();
    final List<GoldFinchState> states = new ArrayList<>();
    final List<int[]> prefixes = new ArrayList<>();
    for (final int[] t : tokens) {
      states.add(m.newState());
      prefixes.add(Arrays.copyOf(t, t.length - 3));
    }
    m.ingest(states, prefixes);
    final float[][][] out = new float[n][4][CONFIG.vocab()];
    final float[][] first = new float[n][];
    for (int i = 0; i < n; i++) {
      first[i] = out[i][0];
    }
    m.logits(states, first);
    for (int k = 0; k < 3; k++) {
      final int[] next = new int[n];
      final float[][] rows = new float[n][];
      for (int i = 0; i < n; i++) {
        next[i] = tokens.get(i)[tokens.get(i).length - 3 + k];
        rows[i] = out[i][k + 1];
      }
      m.step(states, next, rows);
    }
    return out;
  }
}
