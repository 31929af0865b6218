package io.finchstream.engine.finch;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.WeightPrecision;
import io.finchstream.engine.io.MemoryCheckpoint;
import io.finchstream.engine.kernels.KernelKind;
import io.finchstream.engine.testing.RandomFinch;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The engine against the naive double-precision {@link ReferenceFinch} on random models. */
class FinchModelReferenceTest {

  private static final int[] TOKENS = {3, 96, 0, 41, 41, 7, 88, 12, 60, 1, 95, 33};

  private static double maxAbs(final float[] actual, final double[] expected) {
    double max = 0;
    for (int i = 0; i < expected.length; i++) {
      max = Math.max(max, Math.abs(actual[i] - expected[i]));
    }
    return max;
  }

  @ParameterizedTest
  @EnumSource(
      value = KernelKind.class,
      names = {"SCALAR", "VECTOR"})
  void shouldMatchTheReferenceTokenByToken(final KernelKind kind) {
    // H=4, N=16, F=224, D_MIX=32, D_DECAY=64: every size distinct
    final FinchConfig config = FinchConfig.standard(3, 64, 16, 97);
    final MemoryCheckpoint checkpoint = RandomFinch.checkpoint(config, 7);
    final FinchModel model =
        FinchModel.load(checkpoint, LoadOptions.defaults().withKernels(kind).withThreads(2));
    final ReferenceFinch reference = new ReferenceFinch(checkpoint);
    final FinchState state = model.newState();
    final float[][] out = new float[1][config.vocabSize()];
    for (final int token : TOKENS) {
      model.step(List.of(state), new int[] {token}, out);
      final double[] expected = reference.forward(token);
      assertThat(maxAbs(out[0], expected)).as("after token %d", token).isLessThan(2e-4);
    }
    assertThat(state.position()).isEqualTo(TOKENS.length);
  }

  @ParameterizedTest
  @EnumSource(
      value = KernelKind.class,
      names = {"SCALAR", "VECTOR"})
  void shouldMatchTheReferenceInSequenceMode(final KernelKind kind) {
    final FinchConfig config = FinchConfig.standard(2, 64, 8, 97);
    final MemoryCheckpoint checkpoint = RandomFinch.checkpoint(config, 8);
    final FinchModel model = FinchModel.load(checkpoint, LoadOptions.defaults().withKernels(kind));
    final ReferenceFinch reference = new ReferenceFinch(checkpoint);
    double[] expected = null;
    for (final int token : TOKENS) {
      expected = reference.forward(token);
    }
    final FinchState state = model.newState();
    model.ingest(List.of(state), List.of(TOKENS));
    final float[][] out = new float[1][config.vocabSize()];
    model.logits(List.of(state), out);
    assertThat(maxAbs(out[0], expected)).isLessThan(2e-4);
  }

  @ParameterizedTest
  @EnumSource(
      value = KernelKind.class,
      names = {"SCALAR", "VECTOR"})
  void shouldStayCloseToTheReferenceWithBf16Weights(final KernelKind kind) {
    final FinchConfig config = FinchConfig.standard(2, 64, 16, 97);
    final MemoryCheckpoint checkpoint = RandomFinch.checkpoint(config, 9);
    final FinchModel model =
        FinchModel.load(
            checkpoint,
            LoadOptions.defaults().withKernels(kind).withPrecision(WeightPrecision.BF16));
    assertThat(model.info().weightPrecision()).isEqualTo("bf16");
    final ReferenceFinch reference = new ReferenceFinch(checkpoint);
    final FinchState state = model.newState();
    final float[][] out = new float[1][config.vocabSize()];
    double worst = 0;
    for (final int token : TOKENS) {
      model.step(List.of(state), new int[] {token}, out);
      worst = Math.max(worst, maxAbs(out[0], reference.forward(token)));
    }
    // the random weights are not bf16-exact: rounding them costs ~2^-9 relative per weight
    assertThat(worst).isLessThan(0.1).isGreaterThan(0);
  }
}
