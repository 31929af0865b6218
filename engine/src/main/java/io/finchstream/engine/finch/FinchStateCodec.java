package io.finchstream.engine.finch;

import io.finchstream.engine.EngineException;
import io.finchstream.engine.StatePrecision;
import io.finchstream.engine.tensor.Bf16;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The durable form of a {@link FinchState}, little-endian, version 1:
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

  static final int MAGIC = 0x54534E46;
  static final short VERSION = 1;
  static final int HEADER_BYTES = 64;
  private static final int ID_BYTES = 32;

  private FinchStateCodec() {}

  /** Serialized size of a state of that model at that precision. */
  static long size(final FinchConfig config, final StatePrecision precision) {
    final long s = (long) config.dim() * config.headSize();
    final long perLayer = 8L * config.dim() + s * (precision == StatePrecision.BF16 ? 2 : 4);
    return HEADER_BYTES + 4L * config.dim() + config.layers() * perLayer;
  }

  static byte[] encode(final FinchState state, final StatePrecision precision) {
    final FinchConfig c = state.config;
    final ByteBuffer buf =
        ByteBuffer.allocate(Math.toIntExact(size(c, precision))).order(ByteOrder.LITTLE_ENDIAN);
    buf.putInt(MAGIC).putShort(VERSION).put((byte) (precision == StatePrecision.BF16 ? 1 : 0)).put((byte) 0);
    buf.put(HexFormat.of().parseHex(state.modelId));
    buf.putInt(c.layers()).putInt(c.dim()).putInt(c.heads()).putInt(c.headSize());
    buf.putLong(state.position);
    putFloats(buf, state.last_x);
    for (int l = 0; l < c.layers(); l++) {
      putFloats(buf, state.att_x[l]);
      putFloats(buf, state.ffn_x[l]);
      if (precision == StatePrecision.BF16) {
        for (final float v : state.wkv[l]) {
          buf.putShort(Bf16.fromFloat(v));
        }
      } else {
        putFloats(buf, state.wkv[l]);
      }
    }
    return buf.array();
  }

  /**
   * Rebuilds a state of the model {@code (config, modelId)}.
   *
   * @throws EngineException when the bytes are not a Finch state, of another version, or of another model
   */
  static FinchState decode(final byte[] bytes, final FinchConfig config, final String modelId) {
    if (bytes == null || bytes.length < HEADER_BYTES) {
      throw new EngineException("not a Finch state: " + (bytes == null ? "null" : bytes.length + " bytes")
          + ", less than the " + HEADER_BYTES + "-byte header; the stored state is damaged");
    }
    final ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    final int magic = buf.getInt();
    if (magic != MAGIC) {
      throw new EngineException(String.format(
          "not a Finch state: magic 0x%08X, expected 0x%08X (\"FNST\"); the bytes belong to another"
              + " architecture or are damaged", magic, MAGIC));
    }
    final short version = buf.getShort();
    if (version != VERSION) {
      throw new EngineException("Finch state version " + version + " is not supported (this engine reads "
          + VERSION + "); restart the conversation or use the engine version that wrote it");
    }
    final byte precisionByte = buf.get();
    if (precisionByte != 0 && precisionByte != 1) {
      throw new EngineException("Finch state has unknown WKV precision code " + precisionByte + "; damaged");
    }
    final StatePrecision precision = precisionByte == 1 ? StatePrecision.BF16 : StatePrecision.FP32;
    buf.get();
    final byte[] id = new byte[ID_BYTES];
    buf.get(id);
    final int[] dims = {buf.getInt(), buf.getInt(), buf.getInt(), buf.getInt()};
    final int[] ours = {config.layers(), config.dim(), config.heads(), config.headSize()};
    if (!Arrays.equals(dims, ours)) {
      throw new EngineException("the state belongs to another model: it has L=" + dims[0] + " C=" + dims[1]
          + " H=" + dims[2] + " N=" + dims[3] + ", this model has L=" + ours[0] + " C=" + ours[1] + " H="
          + ours[2] + " N=" + ours[3] + "; load the model the conversation was started with");
    }
    final String stateId = HexFormat.of().formatHex(id);
    if (!stateId.equals(modelId)) {
      throw new EngineException("the state belongs to another model (weights id " + stateId
          + "), not to this one (" + modelId + "); load the model the conversation was started with");
    }
    if (bytes.length != size(config, precision)) {
      throw new EngineException("Finch state is " + bytes.length + " bytes, expected "
          + size(config, precision) + " for this model; the stored state is truncated or damaged");
    }
    final FinchState state = new FinchState(config, modelId);
    state.position = buf.getLong();
    if (state.position < 0) {
      throw new EngineException("Finch state has negative position " + state.position + "; damaged");
    }
    getFloats(buf, state.last_x);
    for (int l = 0; l < config.layers(); l++) {
      getFloats(buf, state.att_x[l]);
      getFloats(buf, state.ffn_x[l]);
      if (precision == StatePrecision.BF16) {
        final float[] s = state.wkv[l];
        for (int i = 0; i < s.length; i++) {
          s[i] = Bf16.toFloat(buf.getShort());
        }
      } else {
        getFloats(buf, state.wkv[l]);
      }
    }
    return state;
  }

  private static void putFloats(final ByteBuffer buf, final float[] values) {
    buf.asFloatBuffer().put(values);
    buf.position(buf.position() + 4 * values.length);
  }

  private static void getFloats(final ByteBuffer buf, final float[] values) {
    buf.asFloatBuffer().get(values);
    buf.position(buf.position() + 4 * values.length);
  }
}
