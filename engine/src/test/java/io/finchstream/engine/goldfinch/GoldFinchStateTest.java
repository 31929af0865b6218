package io.finchstream.engine.goldfinch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.finchstream.engine.EngineException;
import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.StatePrecision;
import io.finchstream.engine.finch.FinchModel;
import io.finchstream.engine.testing.RandomFinch;
import io.finchstream.engine.testing.RandomGoldFinch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class GoldFinchStateTest {

  private static final GoldFinchConfig CONFIG = RandomGoldFinch.small();
  private static final int BLOCK = 4;
  private static final GoldFinchModel MODEL =
      RandomGoldFinch.model(CONFIG, 5, LoadOptions.defaults(), BLOCK);
  private static final int[] PROMPT = {1, 2, 3, 4, 5, 49, 0, 17, 33, 8, 21};

  private static GoldFinchState ingested(final int... tokens) {
    final GoldFinchState state = MODEL.newState();
    MODEL.ingest(List.of(state), List.of(tokens));
    return state;
  }

  private static float[] next(final GoldFinchState state, final int token) {
    final float[][] out = new float[1][CONFIG.vocab()];
    MODEL.step(List.of(state), new int[] {token}, out);
    return out[0];
  }

  private static List<byte[]> blocks(final GoldFinchState state) {
    final List<byte[]> out = new ArrayList<>();
    for (int b = 0; b < state.cache().blockCount(); b++) {
      out.add(state.cache().block(b));
    }
    return out;
  }

  private static GoldFinchState roundTrip(final GoldFinchState state) {
    return MODEL.restoreState(state.recurrentBytes(), blocks(state));
  }

  @Test
  void shouldStartEmptyWithAnEmptyCache() {
    final GoldFinchState state = MODEL.newState();
    assertThat(state.position()).isZero();
    assertThat(state.cache().size()).isZero();
    assertThat(state.goldCurrent()).isTrue();
    assertThat(state.recurrentBytes()).hasSize((int) MODEL.info().recurrentStateBytes());
    assertThat(state).isEqualTo(MODEL.newState()).hasSameHashCodeAs(MODEL.newState());
  }

  @Test
  void shouldRoundTripAStaleStateBitExactlyIncludingTheDerivedCache() {
    final GoldFinchState state = ingested(PROMPT);
    assertThat(state.goldCurrent()).isFalse();
    final GoldFinchState restored = roundTrip(state);
    assertThat(restored).isEqualTo(state); // recurrent part and canonical cache
    assertThat(restored.recurrentBytes()).isEqualTo(state.recurrentBytes());
    assertThat(next(restored, 9)).isEqualTo(next(state, 9));
    assertThat(restored).isEqualTo(state);
  }

  @Test
  void shouldRestoreWithoutTheDerivedCacheAndRebuildItWhenAttentionNeedsIt() {
    final GoldFinchState state = ingested(PROMPT);
    final GoldFinchState restored = roundTrip(state);
    assertThat(restored.cache().hasDerived()).isFalse();
    assertThat(restored.derivedBytes()).isZero();
    MODEL.ingest(List.of(restored, state), List.of(new int[] {6, 7}, new int[] {6, 7}));
    assertThat(restored.cache().hasDerived()).isFalse(); // ingesting needs none of it
    assertThat(next(restored, 9)).isEqualTo(next(state, 9));
    assertThat(restored.cache().hasDerived()).isTrue();
    assertThat(restored.derivedBytes()).isEqualTo(state.derivedBytes());
  }

  @Test
  void shouldGoBackToAnEarlierPositionWithTheLaterStatesCacheCutThere() {
    // at every cut: inside a block, at a block boundary, at the start and at the very end
    for (final int at : new int[] {7, 8, 0, PROMPT.length}) {
      final GoldFinchState earlier = ingested(Arrays.copyOf(PROMPT, at));
      final byte[] recurrent = earlier.recurrentBytes();
      final GoldFinchState later = earlier.copy();
      MODEL.ingest(List.of(later), List.of(Arrays.copyOfRange(PROMPT, at, PROMPT.length)));
      next(later, 12); // attention ran: the later state has its derived keys and values
      final long laterDerived = later.derivedBytes();

      final GoldFinchState back = MODEL.restoreState(recurrent, later);
      final GoldFinchState fromBlocks = MODEL.restoreState(recurrent, blocks(earlier));
      assertThat(back).as("cut at %d", at).isEqualTo(fromBlocks).isEqualTo(earlier);
      assertThat(back.cache().size()).isEqualTo(at);
      assertThat(back.cache().hasDerived())
          .as("the derived part is kept, not rebuilt")
          .isEqualTo(at > 0 || later.cache().hasDerived());
      assertThat(later.derivedBytes()).as("the later state is untouched").isEqualTo(laterDerived);
      // on with another history: the same bits as the state that never went further
      for (final int token : new int[] {40, 41, 42}) {
        final float[] expected = next(earlier, token);
        assertThat(next(back, token)).as("cut at %d, then %d", at, token).isEqualTo(expected);
        assertThat(next(fromBlocks, token)).isEqualTo(expected);
      }
      assertThat(later.cache().size()).isEqualTo(PROMPT.length + 1);
    }
    final GoldFinchState shorter = ingested(1, 2);
    assertThatThrownBy(() -> MODEL.restoreState(ingested(PROMPT).recurrentBytes(), shorter))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("holds only 2 entries");
  }

  @Test
  void shouldCountDropAndRebuildTheDerivedCacheWithTheSameBits() {
    final GoldFinchState state = ingested(PROMPT);
    next(state, 3);
    final GoldFinchState kept = state.copy();
    final long memory = state.memoryBytes();
    final long derived = state.derivedBytes();
    // G = 2 layers × (k, v) × A = 32 bf16 values per token, chunks of 4 positions
    assertThat(derived).isEqualTo(2L * 2 * 32 * 2 * (PROMPT.length + 1));
    assertThat(state.dropDerived()).isEqualTo(derived);
    assertThat(state.memoryBytes()).isEqualTo(memory - derived);
    assertThat(state).isEqualTo(kept);
    // ingest without it (canonical entries only), then generate: rebuilt, same bits
    MODEL.ingest(List.of(state, kept), List.of(new int[] {8, 9, 10}, new int[] {8, 9, 10}));
    assertThat(state.derivedBytes()).isZero();
    assertThat(next(state, 4)).isEqualTo(next(kept, 4));
    assertThat(next(state, 5)).isEqualTo(next(kept, 5));
    assertThat(state.derivedBytes()).isEqualTo(kept.derivedBytes());
    assertThat(state.memoryBytes()).isEqualTo(kept.memoryBytes());
  }

  @Test
  void shouldRoundTripACurrentStateAndContinueIdentically() {
    final GoldFinchState state = ingested(PROMPT);
    next(state, 7);
    assertThat(state.goldCurrent()).isTrue();
    final GoldFinchState restored = roundTrip(state);
    assertThat(restored).isEqualTo(state);
    final float[][] a = new float[1][CONFIG.vocab()];
    final float[][] b = new float[1][CONFIG.vocab()];
    MODEL.logits(List.of(state), a);
    MODEL.logits(List.of(restored), b);
    assertThat(b[0]).isEqualTo(a[0]);
    MODEL.ingest(
        List.of(state, restored),
        List.of(new int[] {3, 4, 5, 6, 7, 8}, new int[] {3, 4, 5, 6, 7, 8}));
    assertThat(next(restored, 11)).isEqualTo(next(state, 11));
  }

  @Test
  void shouldAppendCacheBlocksWithoutRewritingFullOnes() {
    final GoldFinchState state = ingested(PROMPT); // 11 tokens: blocks of 4, 4, 3
    assertThat(state.cache().blockCount()).isEqualTo(3);
    final List<byte[]> before = blocks(state);
    assertThat(before.get(0)).hasSize(GoldCache.HEADER_BYTES + BLOCK * state.cache().entryBytes());
    next(state, 12);
    MODEL.ingest(List.of(state), List.of(new int[] {1, 2, 3, 4, 5}));
    final List<byte[]> after = blocks(state);
    assertThat(after).hasSize(5);
    assertThat(after.get(0)).isEqualTo(before.get(0));
    assertThat(after.get(1)).isEqualTo(before.get(1));
    assertThat(state.cache().entryBytes()).isEqualTo(MODEL.info().cacheBytesPerToken());
  }

  @Test
  void shouldForkIndependently() {
    final GoldFinchState state = ingested(PROMPT);
    final GoldFinchState fork = state.copy();
    assertThat(fork).isEqualTo(state).isNotSameAs(state);
    final float[] forkNext = next(fork, 30);
    MODEL.ingest(List.of(fork), List.of(new int[] {1, 1, 1, 1, 1, 1}));
    final float[] stateNext = next(state, 31);
    final GoldFinchState fresh = ingested(PROMPT);
    assertThat(stateNext).isEqualTo(next(fresh, 31));
    assertThat(state).isEqualTo(fresh);
    final GoldFinchState freshFork = ingested(PROMPT);
    assertThat(forkNext).isEqualTo(next(freshFork, 30));
    assertThat(fork.position()).isEqualTo(PROMPT.length + 7);
  }

  @Test
  void shouldRoundTheWkvMatricesOnlyInBf16Form() {
    final GoldFinchState state = ingested(PROMPT);
    final byte[] bf16 = state.recurrentBytes(StatePrecision.BF16);
    assertThat(bf16.length).isLessThan(state.recurrentBytes().length);
    final GoldFinchState restored = MODEL.restoreState(bf16, blocks(state));
    assertThat(restored.position()).isEqualTo(state.position());
    assertThat(restored.cache()).isEqualTo(state.cache());
    final float[] exact = next(state.copy(), 9);
    final float[] approx = next(restored, 9);
    for (int i = 0; i < exact.length; i++) {
      assertThat(approx[i]).isCloseTo(exact[i], within(0.05f));
    }
  }

  @Test
  void shouldRejectStatesOfOtherModelsAndMismatchedCaches() {
    final GoldFinchState state = ingested(PROMPT);
    final GoldFinchModel other = RandomGoldFinch.model(CONFIG, 6, LoadOptions.defaults(), BLOCK);
    assertThatThrownBy(() -> other.restoreState(state.recurrentBytes(), blocks(state)))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("another model");
    final List<byte[]> fewer = blocks(state).subList(0, 2);
    assertThatThrownBy(() -> MODEL.restoreState(state.recurrentBytes(), fewer))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("position 11")
        .hasMessageContaining("8 entries");
    final FinchModel finch = RandomFinch.model(RandomFinch.small(), 1, LoadOptions.defaults());
    final byte[] finchState = finch.newState().recurrentBytes();
    assertThatThrownBy(() -> MODEL.restoreState(finchState, List.of()))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("not a GoldFinch state");
    final byte[] truncated = Arrays.copyOf(state.recurrentBytes(), 200);
    assertThatThrownBy(() -> MODEL.restoreState(truncated, blocks(state)))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("truncated");
    assertThatThrownBy(() -> MODEL.ingest(List.of(finch.newState()), List.of(new int[] {1})))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("does not belong to this GoldFinch model");
  }

  @Test
  void shouldRejectBadTokensWithoutChangingAnyState() {
    final GoldFinchState a = ingested(PROMPT);
    final GoldFinchState b = ingested(PROMPT);
    final GoldFinchState before = a.copy();
    assertThatThrownBy(
            () -> MODEL.ingest(List.of(a, b), List.of(new int[] {1, 2}, new int[] {3, 50})))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("out of range");
    assertThat(a).isEqualTo(before);
    assertThat(b).isEqualTo(before);
    assertThatThrownBy(() -> MODEL.step(List.of(a), new int[] {1}, new float[][] {new float[3]}))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("vocabulary size");
    assertThat(a).isEqualTo(before);
  }
}
