package io.finchstream.engine.finch;

import io.finchstream.engine.ModelState;
import io.finchstream.engine.StatePrecision;
import io.finchstream.engine.TokenCache;
import io.finchstream.engine.state.FloatRows;
import java.util.Arrays;

/**
 * The recurrent state of one Finch conversation (finch-math §2.6): per layer the last LN1 output
 * (att shift), the last LN2 output (ffn shift) and the WKV matrices S[H][N][N] (i = key, j =
 * value), plus the residual stream after the last block for the last token, so that logits can be
 * computed later without re-running it. Fixed size whatever the conversation length. Not
 * thread-safe.
 */
public final class FinchState implements ModelState {

  final FinchConfig config;
  final String modelId;
  long position;
  final float[][] att_x; // [L][C] LN1 output of the previous token (§2.2)
  final float[][] ffn_x; // [L][C] LN2 output of the previous token (§2.5)
  final float[][] wkv; // [L][H·N·N] S[h][i][j]
  final float[] last_x; // [C] residual stream after the last block, before ln_out (zeros at start)

  FinchState(final FinchConfig config, final String modelId) {
    this.config = config;
    this.modelId = modelId;
    final int l = config.layers();
    final int c = config.dim();
    this.att_x = new float[l][c];
    this.ffn_x = new float[l][c];
    this.wkv = new float[l][c * config.headSize()];
    this.last_x = new float[c];
  }

  private FinchState(final FinchState other) {
    this.config = other.config;
    this.modelId = other.modelId;
    this.position = other.position;
    this.att_x = FloatRows.copy(other.att_x);
    this.ffn_x = FloatRows.copy(other.ffn_x);
    this.wkv = FloatRows.copy(other.wkv);
    this.last_x = other.last_x.clone();
  }

  @Override
  public long position() {
    return position;
  }

  @Override
  public FinchState copy() {
    return new FinchState(this);
  }

  @Override
  public byte[] recurrentBytes(final StatePrecision precision) {
    return FinchStateCodec.encode(this, precision);
  }

  @Override
  public TokenCache cache() {
    return TokenCache.EMPTY;
  }

  @Override
  public long memoryBytes() {
    final long floats = (long) config.layers() * config.stateFloatsPerLayer() + config.dim();
    return 4 * floats + 16L * (3L * config.layers() + 8);
  }

  /** The sizes of the model this state belongs to. */
  public FinchConfig config() {
    return config;
  }

  /** The id of the model this state belongs to. */
  public String modelId() {
    return modelId;
  }

  /** Bitwise equality: same model, position and every float bit. */
  @Override
  public boolean equals(final Object o) {
    return o instanceof FinchState s
        && position == s.position
        && config.equals(s.config)
        && modelId.equals(s.modelId)
        && Arrays.deepEquals(att_x, s.att_x)
        && Arrays.deepEquals(ffn_x, s.ffn_x)
        && Arrays.deepEquals(wkv, s.wkv)
        && Arrays.equals(last_x, s.last_x);
  }

  @Override
  public int hashCode() {
    int h = Long.hashCode(position);
    h = 31 * h + Arrays.deepHashCode(att_x);
    h = 31 * h + Arrays.deepHashCode(ffn_x);
    h = 31 * h + Arrays.deepHashCode(wkv);
    return 31 * h + Arrays.hashCode(last_x);
  }

  @Override
  public String toString() {
    return "FinchState[position=" + position + ", " + config + "]";
  }
}
