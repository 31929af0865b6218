package io.finchstream.engine.finch;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.WeightPrecision;
import io.finchstream.engine.io.MemoryCheckpoint;
import io.finchstream.engine.kernels.KernelKind;
import io.finchstream.engine.testing.RandomFinch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The determinism contract of {@link io.finchstream.engine.LanguageModel}, bit for bit: batch
 * composition, chunking, pass size and thread count never change a conversation's logits or state.
 */
class FinchInvarianceTest {

  private static final FinchConfig CONFIG = FinchConfig.standard(2, 64, 16, 61);
  private static final MemoryCheckpoint CHECKPOINT = RandomFinch.checkpoint(CONFIG, 21);

  static Stream<Arguments> variants() {
    return Stream.of(KernelKind.SCALAR, KernelKind.VECTOR)
        .flatMap(k -> Stream.of(WeightPrecision.values()).map(p -> Arguments.of(k, p)));
  }

  private static FinchModel model(
      final KernelKind kind, final WeightPrecision p, final int threads, final int rows) {
    return FinchModel.load(
        CHECKPOINT,
        LoadOptions.defaults()
            .withKernels(kind)
            .withPrecision(p)
            .withThreads(threads)
            .withMaxRowsPerPass(rows));
  }

  private static int[] tokens(final long seed, final int n) {
    final SplittableRandom random = new SplittableRandom(seed);
    return random.ints(n, 0, CONFIG.vocabSize()).toArray();
  }

  private static float[] logits(final FinchModel model, final FinchState state) {
    final float[][] out = new float[1][CONFIG.vocabSize()];
    model.logits(List.of(state), out);
    return out[0];
  }

  @ParameterizedTest
  @MethodSource("variants")
  void shouldGiveAConversationTheSameBitsAloneAndInABatchOf64(
      final KernelKind kind, final WeightPrecision p) {
    final FinchModel model = model(kind, p, 2, 64);
    final int[] mine = tokens(1, 9);
    final FinchState alone = model.newState();
    model.ingest(List.of(alone), List.of(mine));
    final float[] aloneLogits = logits(model, alone);

    final List<FinchState> batch = new ArrayList<>();
    final List<int[]> input = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      batch.add(model.newState());
      input.add(i == 37 ? mine : tokens(100 + i, 1 + i % 13));
    }
    model.ingest(batch, input);
    final float[][] out = new float[64][CONFIG.vocabSize()];
    model.logits(batch, out);
    assertThat(batch.get(37)).isEqualTo(alone);
    assertThat(out[37]).containsExactly(aloneLogits);

    // batched decode: one step for all 64 vs the one conversation alone
    final int[] next = tokens(2, 64);
    model.step(batch, next, out);
    final float[][] single = new float[1][CONFIG.vocabSize()];
    model.step(List.of(alone), new int[] {next[37]}, single);
    assertThat(batch.get(37)).isEqualTo(alone);
    assertThat(out[37]).containsExactly(single[0]);
  }

  @ParameterizedTest
  @MethodSource("variants")
  void shouldGiveTheSameBitsWhateverTheChunking(final KernelKind kind, final WeightPrecision p) {
    final FinchModel model = model(kind, p, 1, 16);
    final int[] all = tokens(3, 40);
    final FinchState whole = model.newState();
    model.ingest(List.of(whole), List.of(all));
    final float[] expected = logits(model, whole);
    for (final int chunk : new int[] {1, 2, 3, 7, 16, 17, 40}) {
      final FinchState state = model.newState();
      for (int i = 0; i < all.length; i += chunk) {
        model.ingest(
            List.of(state), List.of(Arrays.copyOfRange(all, i, Math.min(all.length, i + chunk))));
      }
      assertThat(state).as("chunks of %d", chunk).isEqualTo(whole);
      assertThat(logits(model, state)).as("chunks of %d", chunk).containsExactly(expected);
    }
    // token by token through step() (decode path)
    final FinchState stepped = model.newState();
    final float[][] out = new float[1][CONFIG.vocabSize()];
    for (final int token : all) {
      model.step(List.of(stepped), new int[] {token}, out);
    }
    assertThat(stepped).isEqualTo(whole);
    assertThat(out[0]).containsExactly(expected);
  }

  @ParameterizedTest
  @MethodSource("variants")
  void shouldGiveTheSameBitsWhateverThePassSizeAndThreads(
      final KernelKind kind, final WeightPrecision p) {
    final int[] a = tokens(4, 23);
    final int[] b = tokens(5, 5);
    FinchState reference = null;
    float[] referenceLogits = null;
    for (final int threads : new int[] {1, 2}) {
      for (final int rows : new int[] {1, 4, 64}) {
        final FinchModel model = model(kind, p, threads, rows);
        final FinchState state = model.newState();
        final FinchState other = model.newState();
        model.ingest(List.of(state, other), List.of(a, b));
        final float[] logits = logits(model, state);
        if (reference == null) {
          reference = state;
          referenceLogits = logits;
        }
        assertThat(state).as("%d threads, %d rows per pass", threads, rows).isEqualTo(reference);
        assertThat(logits)
            .as("%d threads, %d rows per pass", threads, rows)
            .containsExactly(referenceLogits);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("variants")
  void shouldGiveBf16WeightsTheBitsOfFp32WhenTheCheckpointIsBf16Exact(
      final KernelKind kind, final WeightPrecision ignored) {
    final MemoryCheckpoint rounded = RandomFinch.checkpointRoundedToBf16(CONFIG, 22);
    final LoadOptions options = LoadOptions.defaults().withKernels(kind);
    final FinchModel fp32 = FinchModel.load(rounded, options);
    final FinchModel bf16 = FinchModel.load(rounded, options.withPrecision(WeightPrecision.BF16));
    final int[] input = tokens(6, 12);
    final FinchState s32 = fp32.newState();
    final FinchState s16 = bf16.newState();
    fp32.ingest(List.of(s32), List.of(input));
    bf16.ingest(List.of(s16), List.of(input));
    assertThat(s16).isEqualTo(s32);
    assertThat(logits(bf16, s16)).containsExactly(logits(fp32, s32));
    assertThat(fp32.info().id()).isEqualTo(bf16.info().id());
    assertThat(bf16.weights().bytes()).isLessThan(fp32.weights().bytes());
  }

  @ParameterizedTest
  @MethodSource("variants")
  void shouldGiveTheSameBitsWithEveryKernelAndVectorWidth(
      final KernelKind ignored, final WeightPrecision p) {
    // a state computed on one machine continues bit for bit on any other
    final int[] input = tokens(8, 20);
    final FinchModel scalar = model(KernelKind.SCALAR, p, 1, 64);
    final FinchState reference = scalar.newState();
    scalar.ingest(List.of(reference), List.of(input));
    final float[] expected = logits(scalar, reference);
    for (final KernelKind kind :
        new KernelKind[] {KernelKind.VECTOR_128, KernelKind.VECTOR_256, KernelKind.VECTOR_512}) {
      final FinchModel vector = model(kind, p, 2, 64);
      final FinchState state = vector.newState();
      vector.ingest(List.of(state), List.of(input));
      assertThat(logits(vector, state)).as("%s %s", kind, p).containsExactly(expected);
      assertThat(state).as("%s %s", kind, p).isEqualTo(reference);
    }
  }
}
