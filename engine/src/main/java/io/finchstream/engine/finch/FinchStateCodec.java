package io.finchstream.engine.finch;

import io.finchstream.engine.EngineException;
import io.finchstream.engine.StatePrecision;
import io.finchstream.engine.state.StateFormat;
import io.finchstream.engine.state.StateReader;
import io.finchstream.engine.state.StateWriter;
import java.util.List;

/**
 * The durable form of a {@link FinchState}, little-endian, version 1 (header: {@link StateFormat}):
 *
 * <pre>
 *  0  int    magic 0x54534E46 ("FNST")
 *  4  short  version (1)
 *  6  byte   WKV precision: 0 = fp32, 1 = bf16
 *  7  byte   0 (reserved)
 *  8  byte[32] model id (SHA-256 of the weights, see ModelInfo.id)
 * 40  int    L, int C, int H, int N
 * 56  long   position
 * 64  float[C] last_x, then per layer: float[C] att_x, float[C] ffn_x, S[H·N·N] (fp32 or bf16)
 * </pre>
 */
final class FinchStateCodec {

  static final StateFormat FORMAT =
      new StateFormat("Finch", 0x54534E46, (short) 1, 64, List.of("L", "C", "H", "N"));

  private FinchStateCodec() {}

  /** Serialized size of a state of that model at that precision. */
  static long size(final FinchConfig config, final StatePrecision precision) {
    final long s = (long) config.dim() * config.headSize();
    final long perLayer = 8L * config.dim() + s * StateFormat.wkvBytes(precision);
    return FORMAT.headerBytes() + 4L * config.dim() + config.layers() * perLayer;
  }

  static byte[] encode(final FinchState state, final StatePrecision precision) {
    final FinchConfig c = state.config;
    final StateWriter out = FORMAT.writer(size(c, precision), precision, state.modelId, dims(c));
    out.putLong(state.position);
    out.floats(state.last_x);
    for (int l = 0; l < c.layers(); l++) {
      out.floats(state.att_x[l]).floats(state.ffn_x[l]).wkv(state.wkv[l]);
    }
    return out.bytes();
  }

  /**
   * Rebuilds a state of the model {@code (config, modelId)}.
   *
   * @throws EngineException when the bytes are not a Finch state, of another version, or of another
   *     model
   */
  static FinchState decode(final byte[] bytes, final FinchConfig config, final String modelId) {
    final StateReader in = FORMAT.reader(bytes, modelId, dims(config), p -> size(config, p));
    final FinchState state = new FinchState(config, modelId);
    state.position = in.getLong();
    if (state.position < 0) {
      throw new EngineException(
          "Finch state has negative position " + state.position + "; damaged");
    }
    in.floats(state.last_x);
    for (int l = 0; l < config.layers(); l++) {
      in.floats(state.att_x[l]);
      in.floats(state.ffn_x[l]);
      in.wkv(state.wkv[l]);
    }
    return state;
  }

  private static int[] dims(final FinchConfig c) {
    return new int[] {c.layers(), c.dim(), c.heads(), c.headSize()};
  }
}
