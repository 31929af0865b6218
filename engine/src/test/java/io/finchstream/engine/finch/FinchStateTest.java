package io.finchstream.engine.finch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finchstream.engine.EngineException;
import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.ModelState;
import io.finchstream.engine.StatePrecision;
import io.finchstream.engine.TokenCache;
import io.finchstream.engine.testing.RandomFinch;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class FinchStateTest {

  private static final FinchConfig CONFIG = RandomFinch.small();
  private static final FinchModel MODEL = RandomFinch.model(CONFIG, 31, LoadOptions.defaults());
  private static final int[] PROMPT = {1, 2, 3, 4, 5, 49, 0, 17};

  private static FinchState advanced(final int... tokens) {
    final FinchState state = MODEL.newState();
    MODEL.ingest(List.of(state), List.of(tokens));
    return state;
  }

  private static float[] next(final FinchState state, final int token) {
    final float[][] out = new float[1][CONFIG.vocabSize()];
    MODEL.step(List.of(state), new int[] {token}, out);
    return out[0];
  }

  @Test
  void shouldStartEmptyWithoutTokenCache() {
    final FinchState state = MODEL.newState();
    assertThat(state.position()).isZero();
    assertThat(state.cache()).isSameAs(TokenCache.EMPTY);
    assertThat(state.memoryBytes()).isGreaterThanOrEqualTo(MODEL.info().recurrentStateBytes() - 64);
    assertThat(state).isEqualTo(MODEL.newState()).hasSameHashCodeAs(MODEL.newState());
  }

  @Test
  void shouldRoundTripBitExactlyAndContinueIdentically() {
    final FinchState state = advanced(PROMPT);
    final byte[] bytes = state.recurrentBytes();
    assertThat(bytes).hasSize((int) MODEL.info().recurrentStateBytes());
    final FinchState restored = MODEL.restoreState(bytes, List.of());
    assertThat(restored).isEqualTo(state).hasSameHashCodeAs(state);
    assertThat(restored.position()).isEqualTo(PROMPT.length);
    assertThat(next(restored, 9)).containsExactly(next(state, 9));
    assertThat(restored).isEqualTo(state);
  }

  @Test
  void shouldRoundTheWkvMatricesOnlyInBf16Form() {
    final FinchState state = advanced(PROMPT);
    final byte[] bf16 = state.recurrentBytes(StatePrecision.BF16);
    assertThat(bf16.length).isLessThan(state.recurrentBytes().length);
    final FinchState restored = MODEL.restoreState(bf16, List.of());
    assertThat(restored.position()).isEqualTo(state.position());
    for (int l = 0; l < CONFIG.layers(); l++) {
      assertThat(restored.att_x[l]).containsExactly(state.att_x[l]);
      assertThat(restored.ffn_x[l]).containsExactly(state.ffn_x[l]);
      for (int i = 0; i < state.wkv[l].length; i++) {
        assertThat((double) restored.wkv[l][i])
            .isCloseTo(state.wkv[l][i], Offset.offset(Math.abs(state.wkv[l][i]) / 128 + 1e-30));
      }
    }
    final float[] exact = next(state, 9);
    final float[] rounded = next(restored, 9);
    for (int i = 0; i < exact.length; i++) {
      assertThat((double) rounded[i]).isCloseTo(exact[i], Offset.offset(0.05));
    }
  }

  @Test
  void shouldRejectAStateOfAnotherModel() {
    final FinchModel other = RandomFinch.model(CONFIG, 32, LoadOptions.defaults());
    final byte[] bytes = advanced(PROMPT).recurrentBytes();
    assertThatThrownBy(() -> other.restoreState(bytes, List.of()))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("another model");
    final FinchModel bigger =
        RandomFinch.model(FinchConfig.standard(3, 32, 8, 50), 31, LoadOptions.defaults());
    assertThatThrownBy(() -> bigger.restoreState(bytes, List.of()))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("another model")
        .hasMessageContaining("L=2");
    final FinchState foreign = other.newState();
    assertThatThrownBy(() -> MODEL.ingest(List.of(foreign), List.of(new int[] {1})))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("does not belong");
  }

  @Test
  void shouldRejectDamagedBytes() {
    final byte[] good = advanced(PROMPT).recurrentBytes();
    final byte[] magic = good.clone();
    magic[0] ^= 1;
    assertThatThrownBy(() -> MODEL.restoreState(magic, List.of()))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("magic");
    final byte[] version = good.clone();
    ByteBuffer.wrap(version).order(ByteOrder.LITTLE_ENDIAN).putShort(4, (short) 99);
    assertThatThrownBy(() -> MODEL.restoreState(version, List.of()))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("version 99");
    assertThatThrownBy(() -> MODEL.restoreState(Arrays.copyOf(good, good.length - 4), List.of()))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("truncated");
    assertThatThrownBy(() -> MODEL.restoreState(new byte[10], List.of()))
        .isInstanceOf(EngineException.class);
    assertThatThrownBy(() -> MODEL.restoreState(good, List.of(new byte[4])))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("no token cache");
  }

  @Test
  void shouldForkIndependently() {
    final FinchState original = advanced(PROMPT);
    final FinchState snapshot = original.copy();
    final ModelState fork = original.copy();
    assertThat(fork).isEqualTo(original).isNotSameAs(original);
    MODEL.ingest(List.of(fork), List.of(new int[] {5, 6, 7}));
    assertThat(original).isEqualTo(snapshot);
    assertThat(fork).isNotEqualTo(original);
    MODEL.ingest(List.of(original), List.of(new int[] {5, 6, 7}));
    assertThat(original).isEqualTo(fork);
  }

  @Test
  void shouldRejectBadTokensWithoutChangingAnyState() {
    final FinchState a = advanced(PROMPT);
    final FinchState b = advanced(3);
    final FinchState beforeA = a.copy();
    final FinchState beforeB = b.copy();
    for (final int bad : new int[] {CONFIG.vocabSize(), -1, Integer.MAX_VALUE}) {
      assertThatThrownBy(
              () -> MODEL.ingest(List.of(a, b), List.of(new int[] {1, 2}, new int[] {4, bad})))
          .isInstanceOf(EngineException.class)
          .hasMessageContaining("out of range")
          .hasMessageContaining(Integer.toString(bad));
      final float[][] out = new float[2][CONFIG.vocabSize()];
      assertThatThrownBy(() -> MODEL.step(List.of(a, b), new int[] {1, bad}, out))
          .isInstanceOf(EngineException.class);
      assertThat(a).isEqualTo(beforeA);
      assertThat(b).isEqualTo(beforeB);
    }
  }

  @Test
  void shouldRejectMisshapenCalls() {
    final FinchState a = MODEL.newState();
    assertThatThrownBy(() -> MODEL.ingest(List.of(a, a), List.of(new int[] {1}, new int[] {2})))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("twice");
    assertThatThrownBy(() -> MODEL.ingest(List.of(a), List.of()))
        .isInstanceOf(EngineException.class);
    assertThatThrownBy(() -> MODEL.logits(List.of(a), new float[][] {new float[3]}))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("vocabulary size");
    assertThat(a.position()).isZero();
  }

  @Test
  void shouldAcceptEmptyTokenListsAsNoOps() {
    final FinchState a = advanced(PROMPT);
    final FinchState before = a.copy();
    MODEL.ingest(List.of(a), List.of(new int[0]));
    MODEL.ingest(List.of(), List.of());
    assertThat(a).isEqualTo(before);
  }

  @Test
  void shouldRejectAStepWithShortOutputRowsBeforeChangingTheState() {
    final FinchState state = MODEL.newState();
    MODEL.ingest(List.of(state), List.of(new int[] {1, 2, 3}));
    final ModelState before = state.copy();
    assertThatThrownBy(
            () -> MODEL.step(List.of(state), new int[] {4}, new float[][] {new float[3]}))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("vocabulary size");
    assertThat(state).isEqualTo(before);
  }
}
