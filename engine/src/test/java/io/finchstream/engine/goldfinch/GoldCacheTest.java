package io.finchstream.engine.goldfinch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finchstream.engine.EngineException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class GoldCacheTest {

  private static final int R = 3;
  private static final int A = 4;
  private static final int G = 2;
  private static final int BLOCK = 5;

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

  @Test
  void shouldAppendAcrossBlocksAndReadBack() {
    final GoldCache cache = new GoldCache(R, A, G, BLOCK);
    fill(cache, 0, 3);
    fill(cache, 3, 9); // crosses two block boundaries
    assertThat(cache.size()).isEqualTo(12);
    assertThat(cache.blockCount()).isEqualTo(3);
    assertThat(cache.keyChunks(0).length).isEqualTo(3);
    assertThat(cache.block(2)).hasSize(GoldCache.HEADER_BYTES + 2 * cache.entryBytes());
    final float[] c = new float[R];
    final float[] kD = new float[A];
    for (int p = 0; p < 12; p++) {
      assertThat(cache.token(p)).isEqualTo(1000 + p);
      cache.compressedKey(p, c, 0);
      assertThat(c[2]).isEqualTo(p + 0.2f);
      cache.decompressedKey(p, kD, 0);
      assertThat(kD[1]).isEqualTo(-p - 0.1f);
      assertThat(cache.keyChunks(1)[p / BLOCK][(p % BLOCK) * A + 3]).isEqualTo(100 + p + 0.03f);
      assertThat(cache.valueChunks(0)[p / BLOCK][(p % BLOCK) * A]).isEqualTo(-p);
    }
  }

  @Test
  void shouldRoundTripCanonicalBlocks() {
    final GoldCache cache = new GoldCache(R, A, G, BLOCK);
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
    final GoldCache cache = new GoldCache(R, A, G, BLOCK);
    fill(cache, 0, 7);
    final byte[] first = cache.block(0);
    fill(cache, 7, 6);
    assertThat(cache.block(0)).isEqualTo(first);
  }

  @Test
  void shouldForkIndependently() {
    final GoldCache cache = new GoldCache(R, A, G, BLOCK);
    fill(cache, 0, 7);
    final GoldCache fork = cache.copy();
    fill(fork, 7, 5);
    fill(cache, 7, 1);
    assertThat(cache.size()).isEqualTo(8);
    assertThat(fork.size()).isEqualTo(12);
    assertThat(cache.block(1)).isNotEqualTo(fork.block(1));
    assertThat(cache.block(0)).isEqualTo(fork.block(0));
    final GoldCache again = new GoldCache(R, A, G, BLOCK);
    fill(again, 0, 8);
    assertThat(cache.block(1)).isEqualTo(again.block(1));
  }

  @Test
  void shouldRejectCorruptOrForeignBlocks() {
    final GoldCache cache = new GoldCache(R, A, G, BLOCK);
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
