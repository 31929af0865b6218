package io.finchstream.engine.goldfinch;

/**
 * Per-token cache arithmetic of a GoldFinch model against an equivalent full transformer, i.e. one
 * that caches a key and a value of width C in each of its L layers (goldfinch-math §3.2).
 *
 * <p>Two accountings: as {@link GoldCache} stores it (int32 token id + fp32 c_t, against an fp32
 * transformer KV cache) and the paper's (bf16 c_t plus the token index as two 16-bit entries,
 * against a bf16 KV cache), which gives the published 756× at L24/D2048 (2·24·2048 / (128 + 2)).
 *
 * @param layers L
 * @param dim C
 * @param compressed R
 * @param goldLayers G (for the derived in-memory cache)
 */
public record CacheCost(int layers, int dim, int compressed, int goldLayers) {

  /** Bytes of the token id in the canonical cache (int32), also the paper's two 16-bit entries. */
  public static final int TOKEN_ID_BYTES = 4;

  /** The cost of a configuration. */
  public static CacheCost of(final GoldFinchConfig config) {
    return new CacheCost(config.layers(), config.dim(), config.compressed(), config.goldLayers());
  }

  /** Canonical bytes per token as stored: int32 token id + R fp32 values. */
  public long canonicalBytesPerToken() {
    return TOKEN_ID_BYTES + 4L * compressed;
  }

  /** Derived in-memory bytes per token: each GOLD layer's k and v, of {@code bytesPerValue}. */
  public long derivedBytesPerToken(final int bytesPerValue) {
    return (long) bytesPerValue * dim * 2L * goldLayers;
  }

  /** A full transformer's KV cache per token: 2·L·C values of {@code bytesPerValue} bytes. */
  public long transformerKvBytesPerToken(final int bytesPerValue) {
    return 2L * layers * dim * bytesPerValue;
  }

  /** Ratio of an fp32 transformer KV cache to the canonical cache as stored. */
  public double ratioAsStored() {
    return (double) transformerKvBytesPerToken(4) / canonicalBytesPerToken();
  }

  /** The paper's bytes per token: bf16 c_t plus the token index as two 16-bit entries. */
  public long paperBytesPerToken() {
    return TOKEN_ID_BYTES + 2L * compressed;
  }

  /** The paper's ratio (both sides bf16): 2·L·C / (R + 2); 756.2 at L24/D2048. */
  public double paperRatio() {
    return (double) transformerKvBytesPerToken(2) / paperBytesPerToken();
  }
}
