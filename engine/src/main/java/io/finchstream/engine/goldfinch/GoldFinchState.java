package io.finchstream.engine.goldfinch;

import io.finchstream.engine.ModelState;
import io.finchstream.engine.StatePrecision;
import io.finchstream.engine.state.FloatRows;
import java.util.Arrays;
import java.util.Objects;

/**
 * The state of one GoldFinch conversation (goldfinch-math §2.2, §4.2, §5.3). Not thread-safe.
 *
 * <ul>
 *   <li>Finch-C2 part, current after every ingested token: per block the last LN1 output ({@code
 *       att_x}), the last LN2 output ({@code ffn_x}) and the WKV matrices {@code S[H][N][N]}.
 *   <li>The cache ({@link GoldCache}): token id and c_t per token, plus derived kD and GOLD k, v.
 *   <li>The boundary window: hF (the residual after the last Finch-C2 block) of the last {@code
 *       2G+1} tokens, enough to run the GOLD stack over the last 2G tokens with its first query
 *       shift seeded from the token before (§5.2).
 *   <li>GOLD part, current only up to {@code goldPosition}: per GOLD block the query-shift LN1
 *       output and the ffn-shift LN2 output, and {@code last_x}, the residual after the last block
 *       for token {@code goldPosition − 1}. Ingesting tokens (path (b)) leaves it stale; {@code
 *       logits} brings it up to date by running the GOLD stack over the window.
 * </ul>
 */
public final class GoldFinchState implements ModelState {

  final GoldFinchConfig config;
  final String modelId;
  long position;
  long goldPosition;
  final float[][] att_x; // [L_F][C] Finch-C2 LN1 output of the previous token
  final float[][] ffn_x; // [L_F][C] Finch-C2 LN2 output of the previous token
  final float[][] wkv; // [L_F][H·N·N] S[h][j][i], j = key channel, i = value channel
  final float[][] gold_att_x; // [G][C] GOLD query shift: LN1 output of token goldPosition − 1
  final float[][] gold_ffn_x; // [G][C] GOLD ffn shift: LN2 output of token goldPosition − 1
  final float[] last_x; // [C] residual after the last block for token goldPosition − 1
  final float[][] boundary; // [2G+1][C] hF of position p at index p mod (2G+1)
  final GoldCache cache;

  GoldFinchState(final GoldFinchConfig config, final String modelId, final GoldCache cache) {
    this.config = config;
    this.modelId = modelId;
    final int c = config.dim();
    this.att_x = new float[config.finchLayers()][c];
    this.ffn_x = new float[config.finchLayers()][c];
    this.wkv = new float[config.finchLayers()][c * config.headSize()];
    this.gold_att_x = new float[config.goldLayers()][c];
    this.gold_ffn_x = new float[config.goldLayers()][c];
    this.last_x = new float[c];
    this.boundary = new float[config.boundaryVectors()][c];
    this.cache = cache;
  }

  private GoldFinchState(final GoldFinchState other) {
    this(other, other.cache.copy());
  }

  /** A copy of {@code other}'s recurrent part with {@code cache} (of the same position). */
  GoldFinchState(final GoldFinchState other, final GoldCache cache) {
    this.config = other.config;
    this.modelId = other.modelId;
    this.position = other.position;
    this.goldPosition = other.goldPosition;
    this.att_x = FloatRows.copy(other.att_x);
    this.ffn_x = FloatRows.copy(other.ffn_x);
    this.wkv = FloatRows.copy(other.wkv);
    this.gold_att_x = FloatRows.copy(other.gold_att_x);
    this.gold_ffn_x = FloatRows.copy(other.gold_ffn_x);
    this.last_x = other.last_x.clone();
    this.boundary = FloatRows.copy(other.boundary);
    this.cache = cache;
  }

  @Override
  public long position() {
    return position;
  }

  /** Whether the GOLD part describes every ingested token (logits need no GOLD window run). */
  public boolean goldCurrent() {
    return goldPosition == position;
  }

  @Override
  public GoldFinchState copy() {
    return new GoldFinchState(this);
  }

  @Override
  public byte[] recurrentBytes(final StatePrecision precision) {
    return GoldFinchStateCodec.encode(this, precision);
  }

  @Override
  public GoldCache cache() {
    return cache;
  }

  @Override
  public long derivedBytes() {
    return cache.derivedBytes();
  }

  @Override
  public long dropDerived() {
    return cache.dropDerived();
  }

  /** hF of {@code position} (one of the last 2G+1), row {@code [C]}. */
  float[] boundary(final long p) {
    return boundary[(int) (p % boundary.length)];
  }

  @Override
  public long memoryBytes() {
    final long c = config.dim();
    final long floats =
        config.finchLayers() * (2 * c + c * config.headSize())
            + config.goldLayers() * (2 * c)
            + c
            + (long) boundary.length * c;
    return 4 * floats + cache.memoryBytes();
  }

  /** The sizes of the model this state belongs to. */
  public GoldFinchConfig config() {
    return config;
  }

  /**
   * Equal when every number of the state and its cache is bit-identical and the model is the same.
   */
  @Override
  public boolean equals(final Object o) {
    return o instanceof GoldFinchState other
        && config.equals(other.config)
        && modelId.equals(other.modelId)
        && position == other.position
        && goldPosition == other.goldPosition
        && Arrays.deepEquals(att_x, other.att_x)
        && Arrays.deepEquals(ffn_x, other.ffn_x)
        && Arrays.deepEquals(wkv, other.wkv)
        && Arrays.deepEquals(gold_att_x, other.gold_att_x)
        && Arrays.deepEquals(gold_ffn_x, other.gold_ffn_x)
        && Arrays.equals(last_x, other.last_x)
        && Arrays.deepEquals(boundary, other.boundary)
        && cache.equals(other.cache);
  }

  @Override
  public int hashCode() {
    return Objects.hash(modelId, position, goldPosition, Arrays.hashCode(last_x), cache);
  }

  @Override
  public String toString() {
    return "GoldFinchState[position="
        + position
        + ", gold "
        + (goldCurrent() ? "current" : "stale at " + goldPosition)
        + ", cache "
        + cache.size()
        + " entries]";
  }
}
