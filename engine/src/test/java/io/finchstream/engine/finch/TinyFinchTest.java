package io.finchstream.engine.finch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finchstream.engine.EngineException;
import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.Models;
import io.finchstream.engine.WeightPrecision;
import io.finchstream.engine.kernels.KernelKind;
import io.finchstream.engine.testing.SharedData;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The real trained tiny RWKV-6 models of rwkv.cpp against its expected logits (finch-math §5.3):
 * zero state, tokens 34, 105, 110 ("in), token by token and as one sequence.
 */
class TinyFinchTest {

  private static final int[] PROMPT = {34, 105, 110};

  static Stream<Arguments> exactVariants() {
    return Stream.of("tiny-rwkv-6v0-1m-FP32.bin", "tiny-rwkv-6v0-1m-FP16.bin")
        .flatMap(
            f ->
                Stream.of(
                        KernelKind.SCALAR,
                        KernelKind.VECTOR_128,
                        KernelKind.VECTOR_256,
                        KernelKind.VECTOR_512)
                    .map(k -> Arguments.of(f, k)));
  }

  private static FinchModel load(
      final String file, final KernelKind kind, final WeightPrecision precision) {
    final Path path = SharedData.require(file);
    final LanguageModel model =
        Models.load(
            path, LoadOptions.defaults().withKernels(kind).withPrecision(precision).withThreads(2));
    assertThat(model).isInstanceOf(FinchModel.class);
    return (FinchModel) model;
  }

  private static double maxAbs(final float[] a, final float[] b) {
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs((double) a[i] - b[i]));
    }
    return max;
  }

  private static int argmax(final float[] a) {
    int best = 0;
    for (int i = 1; i < a.length; i++) {
      best = a[i] > a[best] ? i : best;
    }
    return best;
  }

  private static float sum(final float[][] rows) {
    double s = 0;
    for (final float[] row : rows) {
      for (final float v : row) {
        s += v;
      }
    }
    return (float) s;
  }

  @ParameterizedTest
  @MethodSource("exactVariants")
  void shouldReproduceTheExpectedLogitsTokenByToken(final String file, final KernelKind kind) {
    final float[] expected =
        SharedData.readFloats(SharedData.require("expected-logits-6v0-1m.bin"));
    final FinchModel model = load(file, kind, WeightPrecision.FP32);
    assertThat(model.weights().config()).isEqualTo(new FinchConfig(12, 64, 8, 8, 224, 32, 64, 256));
    final FinchState state = model.newState();
    final float[][] out = new float[1][256];
    // intermediate anchors (finch-math §5.3, from the validated re-implementation)
    final float[][] anchors = {{7.44962f, -2.65932f, -3.34034f}, {7.32084f, -3.12600f, -2.74180f}};
    for (int i = 0; i < PROMPT.length; i++) {
      model.step(List.of(state), new int[] {PROMPT[i]}, out);
      if (i < anchors.length) {
        assertThat(new float[] {out[0][0], out[0][116], out[0][32]})
            .as("after %d token(s)", i + 1)
            .containsExactly(anchors[i], Offset.offset(1e-4f));
      }
    }
    assertThat(maxAbs(out[0], expected)).isLessThanOrEqualTo(1e-4);
    assertThat(argmax(out[0])).isZero();
    assertThat(sum(state.att_x)).isCloseTo(0.551655f, Offset.offset(1e-4f));
    assertThat(sum(state.ffn_x)).isCloseTo(-3.438052f, Offset.offset(1e-4f));
    assertThat(sum(state.wkv)).isCloseTo(7.330040f, Offset.offset(1e-4f));
  }

  @ParameterizedTest
  @MethodSource("exactVariants")
  void shouldReproduceTheExpectedLogitsAsOneSequence(final String file, final KernelKind kind) {
    final float[] expected =
        SharedData.readFloats(SharedData.require("expected-logits-6v0-1m.bin"));
    final FinchModel model = load(file, kind, WeightPrecision.FP32);
    final FinchState state = model.newState();
    model.ingest(List.of(state), List.of(PROMPT));
    final float[][] out = new float[1][256];
    model.logits(List.of(state), out);
    assertThat(maxAbs(out[0], expected)).isLessThanOrEqualTo(1e-4);
  }

  @ParameterizedTest
  @MethodSource("exactVariants")
  void shouldGiveTheSameBitsWithBf16Weights(final String file, final KernelKind kind) {
    // The tiny model's weights are bf16-exact (like every official checkpoint), so bf16 in memory
    // loses nothing: same bits as fp32.
    final float[] expected =
        SharedData.readFloats(SharedData.require("expected-logits-6v0-1m.bin"));
    final FinchModel bf16 = load(file, kind, WeightPrecision.BF16);
    final FinchModel fp32 = load(file, kind, WeightPrecision.FP32);
    final float[][] out = new float[1][256];
    final float[][] reference = new float[1][256];
    final FinchState state = bf16.newState();
    final FinchState state32 = fp32.newState();
    bf16.ingest(List.of(state), List.of(PROMPT));
    fp32.ingest(List.of(state32), List.of(PROMPT));
    bf16.logits(List.of(state), out);
    fp32.logits(List.of(state32), reference);
    assertThat(out[0]).containsExactly(reference[0]);
    assertThat(maxAbs(out[0], expected)).isLessThanOrEqualTo(1e-4);
    assertThat(bf16.weights().bytes()).isLessThan(fp32.weights().bytes() * 6 / 10);
  }

  @ParameterizedTest
  @MethodSource("exactVariants")
  void shouldKeepTheTop1AndLogitsWithin01WithInt8Weights(final String file, final KernelKind kind) {
    // issue 16: int8 weights (quantized at load) against fp32, after the reference tokens
    final FinchModel int8 = load(file, kind, WeightPrecision.INT8);
    final FinchModel fp32 = load(file, kind, WeightPrecision.FP32);
    assertThat(int8.info().weightPrecision()).isEqualTo("int8");
    final float[][] out = new float[1][256];
    final float[][] reference = new float[1][256];
    final FinchState state = int8.newState();
    final FinchState state32 = fp32.newState();
    for (final int token : PROMPT) {
      int8.step(List.of(state), new int[] {token}, out);
      fp32.step(List.of(state32), new int[] {token}, reference);
      assertThat(argmax(out[0])).isEqualTo(argmax(reference[0]));
      assertThat(maxAbs(out[0], reference[0])).isLessThanOrEqualTo(0.1);
    }
    assertThat(int8.weights().bytes()).isLessThan(fp32.weights().bytes() * 45 / 100);
  }

  @ParameterizedTest
  @MethodSource("quantizedVariants")
  void shouldMatchTheQ51ModelWithinItsQuantisationError(
      final KernelKind kind, final WeightPrecision precision) {
    final float[] expected =
        SharedData.readFloats(SharedData.require("expected-logits-6v0-3m.bin"));
    final FinchModel model = load("tiny-rwkv-6v0-3m-Q5_1.bin", kind, precision);
    assertThat(model.weights().config().heads()).isEqualTo(16);
    final FinchState state = model.newState();
    final float[][] out = new float[1][256];
    for (final int token : PROMPT) {
      model.step(List.of(state), new int[] {token}, out);
    }
    assertThat(maxAbs(out[0], expected)).isLessThan(0.15);
    assertThat(argmax(out[0])).isEqualTo(argmax(expected)).isZero();
  }

  static Stream<Arguments> quantizedVariants() {
    return Stream.of(
            KernelKind.SCALAR, KernelKind.VECTOR_128, KernelKind.VECTOR_256, KernelKind.VECTOR_512)
        .flatMap(k -> Stream.of(WeightPrecision.values()).map(p -> Arguments.of(k, p)));
  }

  @Test
  void shouldFingerprintTheWeightsWhateverTheInMemoryPrecision() {
    final FinchModel fp32 =
        load("tiny-rwkv-6v0-1m-FP32.bin", KernelKind.AUTO, WeightPrecision.FP32);
    final FinchModel bf16 =
        load("tiny-rwkv-6v0-1m-FP32.bin", KernelKind.AUTO, WeightPrecision.BF16);
    final FinchModel other =
        load("tiny-rwkv-6v0-3m-Q5_1.bin", KernelKind.AUTO, WeightPrecision.FP32);
    assertThat(bf16.info().id()).isEqualTo(fp32.info().id());
    assertThat(other.info().id()).isNotEqualTo(fp32.info().id());
    assertThat(fp32.info().details()).containsEntry("checkpoint format", "ggml");
    // a state of one model is refused by the other
    final byte[] bytes = fp32.newState().recurrentBytes();
    assertThat(bf16.restoreState(bytes, List.of())).isEqualTo(bf16.newState());
    assertThatThrownBy(() -> other.restoreState(bytes, List.of()))
        .isInstanceOf(EngineException.class);
  }
}
