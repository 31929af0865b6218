package io.finchstream.engine.goldfinch;

import io.finchstream.engine.EngineException;
import io.finchstream.engine.StatePrecision;
import io.finchstream.engine.tensor.Bf16;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The durable recurrent part of a {@link GoldFinchState}, little-endian, version 1 (the cache is
 * stored separately, as {@link GoldCache} blocks):
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

  static final int MAGIC = 0x54534647;
  static final short VERSION = 1;
  static final int HEADER_BYTES = 80;
  private static final int ID_BYTES = 32;

  private GoldFinchStateCodec() {}

  /** Serialized size of a state of that model at that precision. */
  static long size(final GoldFinchConfig config, final StatePrecision precision) {
    final long c = config.dim();
    final long s = c * config.headSize();
    final long finch = config.finchLayers() * (8 * c + s * (precision == StatePrecision.BF16 ? 2 : 4));
    return HEADER_BYTES + 4 * c * (1 + config.boundaryVectors() + 2L * config.goldLayers()) + finch;
  }

  static byte[] encode(final GoldFinchState state, final StatePrecision precision) {
    final GoldFinchConfig c = state.config;
    final ByteBuffer buf =
        ByteBuffer.allocate(Math.toIntExact(size(c, precision))).order(ByteOrder.LITTLE_ENDIAN);
    buf.putInt(MAGIC).putShort(VERSION).put((byte) (precision == StatePrecision.BF16 ? 1 : 0)).put((byte) 0);
    buf.put(HexFormat.of().parseHex(state.modelId));
    for (final int d : dims(c)) {
      buf.putInt(d);
    }
    buf.putLong(state.position).putLong(state.goldPosition);
    putFloats(buf, state.last_x);
    for (final float[] b : state.boundary) {
      putFloats(buf, b);
    }
    for (int g = 0; g < c.goldLayers(); g++) {
      putFloats(buf, state.gold_att_x[g]);
      putFloats(buf, state.gold_ffn_x[g]);
    }
    for (int l = 0; l < c.finchLayers(); l++) {
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
   * Rebuilds the recurrent part into {@code state} (a new state of the model, whose cache the caller
   * restores from the blocks).
   *
   * @throws EngineException when the bytes are not a GoldFinch state, of another version or model
   */
  static void decodeInto(final byte[] bytes, final GoldFinchState state) {
    final GoldFinchConfig config = state.config;
    if (bytes == null || bytes.length < HEADER_BYTES) {
      throw new EngineException("not a GoldFinch state: " + (bytes == null ? "null" : bytes.length + " bytes")
          + ", less than the " + HEADER_BYTES + "-byte header; the stored state is damaged");
    }
    final ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    final int magic = buf.getInt();
    if (magic != MAGIC) {
      throw new EngineException(String.format(
          "not a GoldFinch state: magic 0x%08X, expected 0x%08X (\"GFST\"); the bytes belong to another"
              + " architecture or are damaged", magic, MAGIC));
    }
    final short version = buf.getShort();
    if (version != VERSION) {
      throw new EngineException("GoldFinch state version " + version + " is not supported (this engine reads "
          + VERSION + "); restart the conversation or use the engine version that wrote it");
    }
    final byte precisionByte = buf.get();
    if (precisionByte != 0 && precisionByte != 1) {
      throw new EngineException("GoldFinch state has unknown WKV precision code " + precisionByte + "; damaged");
    }
    final StatePrecision precision = precisionByte == 1 ? StatePrecision.BF16 : StatePrecision.FP32;
    buf.get();
    final byte[] id = new byte[ID_BYTES];
    buf.get(id);
    final int[] stored = new int[6];
    for (int i = 0; i < stored.length; i++) {
      stored[i] = buf.getInt();
    }
    if (!Arrays.equals(stored, dims(config))) {
      throw new EngineException("the state belongs to another model: it has (L_F, G, C, H, N, R) = "
          + Arrays.toString(stored) + ", this model has " + Arrays.toString(dims(config))
          + "; load the model the conversation was started with");
    }
    final String stateId = HexFormat.of().formatHex(id);
    if (!stateId.equals(state.modelId)) {
      throw new EngineException("the state belongs to another model (weights id " + stateId
          + "), not to this one (" + state.modelId + "); load the model the conversation was started with");
    }
    if (bytes.length != size(config, precision)) {
      throw new EngineException("GoldFinch state is " + bytes.length + " bytes, expected "
          + size(config, precision) + " for this model; the stored state is truncated or damaged");
    }
    state.position = buf.getLong();
    state.goldPosition = buf.getLong();
    if (state.position < 0 || state.goldPosition < 0 || state.goldPosition > state.position) {
      throw new EngineException("GoldFinch state has positions " + state.position + "/" + state.goldPosition
          + "; damaged");
    }
    getFloats(buf, state.last_x);
    for (final float[] b : state.boundary) {
      getFloats(buf, b);
    }
    for (int g = 0; g < config.goldLayers(); g++) {
      getFloats(buf, state.gold_att_x[g]);
      getFloats(buf, state.gold_ffn_x[g]);
    }
    for (int l = 0; l < config.finchLayers(); l++) {
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
  }

  private static int[] dims(final GoldFinchConfig c) {
    return new int[] {c.finchLayers(), c.goldLayers(), c.dim(), c.heads(), c.headSize(), c.compressed()};
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
