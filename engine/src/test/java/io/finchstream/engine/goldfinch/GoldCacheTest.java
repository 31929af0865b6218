package io.finchstream.engine.goldfinch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finchstream.engine.EngineException;
import io.finchstream.engine.StatePrecision;
import io.finchstream.engine.tensor.Bf16;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class GoldCacheTest {

  private static final int R = 3;
  private static final int A = 4;
  private static final int N = 2;
  private static final int G = 2;
  private static final int BLOCK = 5;

  private static GoldCache cache() {
    return new GoldCache(R, A, N, G, BLOCK, StatePrecision.FP32);
  }

  /** Appends n entries whose values encode (position, field, index) so mix-ups show. */
  private static void fill(final GoldCache cache, final int from, final int n) {
    final int[] tokens = new int[n];
    final float[] c = new float[n * R];
    final float[] kD = new float[n * A];
    final float[][] k = new float[G][n * A];
    final float[][] v = new float[G][n * A];
    for (int i = 0; i < n; i++) {
      final int p = from + i;
      tokens[i] = 1000 + p;
      for (int r = 0; r < R; r++) {
        c[i * R + r] = p + r / 10f;
      }
      for (int a = 0; a < A; a++) {
        kD[i * A + a] = -p - a / 10f;
        for (int g = 0; g < G; g++) {
          k[g][i * A + a] = 100 * g + p + a / 100f;
          v[g][i * A + a] = -100 * g - p - a / 100f;
        }
      }
    }
    cache.append(tokens, 0, n, c, kD, k, v);
  }

  /** GOLD layer g's key of a position, channel a, from the chunk arrays ([A][capacity]). */
  private static float key(final GoldCache cache, final int p, final int g, final int a) {
    final float[] chunk = cache.keyChunksF32(g)[p / BLOCK];
    return chunk[a * (chunk.length / A) + p % BLOCK];
  }

  /** GOLD layer g's value of a position, channel a, from the chunk arrays ([H][capacity][N]). */
  private static float value(final GoldCache cache, final int p, final int g, final int a) {
    final float[] chunk = cache.valueChunksF32(g)[p / BLOCK];
    return chunk[(a / N * (chunk.length / A) + p % BLOCK) * N + a % N];
  }

  @Test
  void shouldAppendAcrossBlocksAndReadBack() {
    final GoldCache cache = cache();
    fill(cache, 0, 3);
    fill(cache, 3, 9); // crosses two block boundaries
    assertThat(cache.size()).isEqualTo(12);
    assertThat(cache.blockCount()).isEqualTo(3);
    assertThat(cache.keyChunksF32(0).length).isEqualTo(3);
    assertThat(cache.block(2)).hasSize(GoldCache.HEADER_BYTES + 2 * cache.entryBytes());
    final float[] c = new float[R];
    for (int p = 0; p < 12; p++) {
      assertThat(cache.token(p)).isEqualTo(1000 + p);
      cache.compressedKey(p, c, 0);
      assertThat(c[2]).isEqualTo(p + 0.2f);
      for (int a = 0; a < A; a++) {
        assertThat(key(cache, p, 1, a)).isEqualTo(100 + p + a / 100f);
        assertThat(value(cache, p, 0, a)).isEqualTo(-p - a / 100f);
      }
    }
    assertThat(cache.lastDecompressedKey()[1]).isEqualTo(-11 - 0.1f);
  }

  @Test
  void shouldLayKeysOutChannelMajorAndValuesPositionMajorPerHead() {
    // the layouts the attention kernels read: keys [A][cap], values [H][cap][N]
    final GoldCache cache = cache();
    fill(cache, 0, 7);
    final float[] keys = cache.keyChunksF32(1)[1]; // positions 5, 6 of a chunk of capacity 16
    final float[] values = cache.valueChunksF32(1)[1];
    final int cap = keys.length / A;
    assertThat(keys[3 * cap + 1]).isEqualTo(100 + 6 + 0.03f);
    assertThat(values[(1 * cap + 1) * N + 1]).isEqualTo(-100 - 6 - 0.03f); // a = 3: head 1, i 1
  }

  @Test
  void shouldKeepBf16KeysAndValuesRoundedToNearestEven() {
    final GoldCache cache = new GoldCache(R, A, N, G, BLOCK, StatePrecision.BF16);
    fill(cache, 0, 12);
    for (int p = 0; p < 12; p++) {
      for (int a = 0; a < A; a++) {
        final short[] chunk = cache.keyChunksBf16(1)[p / BLOCK];
        assertThat(Bf16.toFloat(chunk[a * (chunk.length / A) + p % BLOCK]))
            .isEqualTo(Bf16.toFloat(Bf16.fromFloat(100 + p + a / 100f)));
      }
    }
    final GoldCache fp32 = cache();
    fill(fp32, 0, 12);
    assertThat(cache.derivedBytes()).isPositive().isEqualTo(fp32.derivedBytes() / 2);
  }

  @Test
  void shouldDropTheDerivedPartAndKeepTheCanonicalOne() {
    final GoldCache cache = cache();
    fill(cache, 0, 12);
    final GoldCache fork = cache.copy();
    final long memory = cache.memoryBytes();
    final long derived = cache.derivedBytes();
    assertThat(derived).isPositive();
    assertThat(cache.dropDerived()).isEqualTo(derived);
    assertThat(cache.hasDerived()).isFalse();
    assertThat(cache.derivedBytes()).isZero();
    assertThat(cache.memoryBytes()).isEqualTo(memory - derived);
    assertThat(cache).isEqualTo(fork); // canonical entries unchanged
    assertThatThrownBy(() -> cache.keyChunksF32(0)).isInstanceOf(IllegalStateException.class);
    // the fork shares the full chunks but keeps its derived part
    assertThat(fork.hasDerived()).isTrue();
    assertThat(key(fork, 3, 1, 0)).isEqualTo(103f);
    // appending to a cache without its derived part stores the canonical entries only
    fill(cache, 12, 4);
    assertThat(cache.size()).isEqualTo(16);
    assertThat(cache.derivedBytes()).isZero();
    assertThat(cache.token(15)).isEqualTo(1015);
  }

  @Test
  void shouldRoundTripCanonicalBlocks() {
    final GoldCache cache = cache();
    fill(cache, 0, 12);
    assertThat(cache.block(0)).hasSize(GoldCache.HEADER_BYTES + BLOCK * cache.entryBytes());
    final List<byte[]> blocks = new ArrayList<>();
    for (int b = 0; b < cache.blockCount(); b++) {
      blocks.add(cache.block(b));
    }
    final GoldCache.Canonical canonical = GoldCache.readBlocks(blocks, R, BLOCK);
    assertThat(canonical.tokens()).hasSize(12).startsWith(1000, 1001).endsWith(1011);
    assertThat(canonical.c()[11 * R + 1]).isEqualTo(11.1f);
  }

  @Test
  void shouldNotRewriteFullBlocksOnAppend() {
    final GoldCache cache = cache();
    fill(cache, 0, 7);
    final byte[] first = cache.block(0);
    fill(cache, 7, 6);
    assertThat(cache.block(0)).isEqualTo(first);
  }

  @Test
  void shouldForkIndependently() {
    final GoldCache cache = cache();
    fill(cache, 0, 7);
    final GoldCache fork = cache.copy();
    fill(fork, 7, 5);
    fill(cache, 7, 1);
    assertThat(cache.size()).isEqualTo(8);
    assertThat(fork.size()).isEqualTo(12);
    assertThat(cache.block(1)).isNotEqualTo(fork.block(1));
    assertThat(cache.block(0)).isEqualTo(fork.block(0));
    final GoldCache again = cache();
    fill(again, 0, 8);
    assertThat(cache.block(1)).isEqualTo(again.block(1));
  }

  @Test
  void shouldRejectCorruptOrForeignBlocks() {
    final GoldCache cache = cache();
    fill(cache, 0, 12);
    final byte[] b0 = cache.block(0);
    final byte[] b1 = cache.block(1);
    final byte[] b2 = cache.block(2);
    assertThatThrownBy(() -> GoldCache.readBlocks(List.of(b0, b2), R, BLOCK))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("out of order");
    assertThatThrownBy(() -> GoldCache.readBlocks(List.of(b0, b1, b2), R + 1, BLOCK))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("another model");
    assertThatThrownBy(() -> GoldCache.readBlocks(List.of(b2, b1), R, BLOCK))
        .isInstanceOf(EngineException.class);
    assertThatThrownBy(
            () -> GoldCache.readBlocks(List.of(Arrays.copyOf(b0, b0.length - 1)), R, BLOCK))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("truncated");
    final byte[] bad = b0.clone();
    bad[0] ^= 1;
    assertThatThrownBy(() -> GoldCache.readBlocks(List.of(bad), R, BLOCK))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("magic");
  }
}
