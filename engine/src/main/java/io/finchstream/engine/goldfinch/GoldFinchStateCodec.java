package io.finchstream.engine.goldfinch;

import io.finchstream.engine.EngineException;
import io.finchstream.engine.StatePrecision;
import io.finchstream.engine.state.StateFormat;
import io.finchstream.engine.state.StateReader;
import io.finchstream.engine.state.StateWriter;
import java.util.List;

/**
 * The durable recurrent part of a {@link GoldFinchState}, little-endian, version 1 (header: {@link
 * StateFormat}; the cache is stored separately, as {@link GoldCache} blocks):
 *
 * <pre>
 *  0  int    magic 0x54534647 ("GFST")
 *  4  short  version (1)
 *  6  byte   WKV precision: 0 = fp32, 1 = bf16
 *  7  byte   0 (reserved)
 *  8  byte[32] model id (ModelInfo.id)
 * 40  int    L_F, int G, int C, int H, int N, int R
 * 64  long   position, long goldPosition
 * 80  float[C] last_x; float[2G+1][C] boundary hF (index p mod 2G+1);
 *     per GOLD block: float[C] query shift, float[C] ffn shift;
 *     per Finch-C2 block: float[C] att shift, float[C] ffn shift, S[H·N·N] (fp32 or bf16)
 * </pre>
 */
final class GoldFinchStateCodec {

  static final StateFormat FORMAT =
      new StateFormat(
          "GoldFinch", 0x54534647, (short) 1, 80, List.of("L_F", "G", "C", "H", "N", "R"));

  private GoldFinchStateCodec() {}

  /** Serialized size of a state of that model at that precision. */
  static long size(final GoldFinchConfig config, final StatePrecision precision) {
    final long c = config.dim();
    final long s = c * config.headSize();
    final long finch = config.finchLayers() * (8 * c + s * StateFormat.wkvBytes(precision));
    return FORMAT.headerBytes()
        + 4 * c * (1 + config.boundaryVectors() + 2L * config.goldLayers())
        + finch;
  }

  static byte[] encode(final GoldFinchState state, final StatePrecision precision) {
    final GoldFinchConfig c = state.config;
    final StateWriter out = FORMAT.writer(size(c, precision), precision, state.modelId, dims(c));
    out.putLong(state.position).putLong(state.goldPosition);
    out.floats(state.last_x);
    for (final float[] b : state.boundary) {
      out.floats(b);
    }
    for (int g = 0; g < c.goldLayers(); g++) {
      out.floats(state.gold_att_x[g]).floats(state.gold_ffn_x[g]);
    }
    for (int l = 0; l < c.finchLayers(); l++) {
      out.floats(state.att_x[l]).floats(state.ffn_x[l]).wkv(state.wkv[l]);
    }
    return out.bytes();
  }

  /**
   * Rebuilds the recurrent part into {@code state} (a new state of the model, whose cache the
   * caller restores from the blocks).
   *
   * @throws EngineException when the bytes are not a GoldFinch state, of another version or model
   */
  static void decodeInto(final byte[] bytes, final GoldFinchState state) {
    final GoldFinchConfig config = state.config;
    final StateReader in = FORMAT.reader(bytes, state.modelId, dims(config), p -> size(config, p));
    state.position = in.getLong();
    state.goldPosition = in.getLong();
    if (state.position < 0 || state.goldPosition < 0 || state.goldPosition > state.position) {
      throw new EngineException(
          "GoldFinch state has positions "
              + state.position
              + "/"
              + state.goldPosition
              + "; damaged");
    }
    in.floats(state.last_x);
    for (final float[] b : state.boundary) {
      in.floats(b);
    }
    for (int g = 0; g < config.goldLayers(); g++) {
      in.floats(state.gold_att_x[g]);
      in.floats(state.gold_ffn_x[g]);
    }
    for (int l = 0; l < config.finchLayers(); l++) {
      in.floats(state.att_x[l]);
      in.floats(state.ffn_x[l]);
      in.wkv(state.wkv[l]);
    }
  }

  private static int[] dims(final GoldFinchConfig c) {
    return new int[] {
      c.finchLayers(), c.goldLayers(), c.dim(), c.heads(), c.headSize(), c.compressed()
    };
  }
}
