package io.finchstream.engine.state;

import io.finchstream.engine.EngineException;
import io.finchstream.engine.StatePrecision;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * The header every serialized recurrent state starts with, little-endian:
 *
 * <pre>
 *  0  int    magic (four ASCII letters, e.g. "FNST")
 *  4  short  version
 *  6  byte   WKV precision: 0 = fp32, 1 = bf16
 *  7  byte   0 (reserved)
 *  8  byte[32] model id (SHA-256 of the weights, see ModelInfo.id)
 * 40  int[dims] the model's sizes, in the order of {@code dimNames}
 * </pre>
 *
 * <p>The architecture's body follows. {@link #reader} refuses, with an {@link EngineException} that
 * says what is wrong, bytes of another architecture, version, model or length.
 *
 * @param architecture name in messages, e.g. "Finch"
 * @param magic the first int32 (little-endian)
 * @param version the only version this engine reads and writes
 * @param headerBytes the architecture's fixed-size prefix (this header and what follows it before
 *     the first vector): shorter input is refused before anything is read
 * @param dimNames the names of the sizes stored after the model id, e.g. L, C, H, N
 */
public record StateFormat(
    String architecture, int magic, short version, int headerBytes, List<String> dimNames) {

  private static final int ID_BYTES = 32;

  /** Immutable copy of the names. */
  public StateFormat {
    dimNames = List.copyOf(dimNames);
  }

  /** Bytes per WKV matrix element at that precision. */
  public static int wkvBytes(final StatePrecision precision) {
    return precision == StatePrecision.BF16 ? 2 : 4;
  }

  /**
   * A writer of {@code size} bytes that has written the header.
   *
   * @param modelId 64 hex digits
   * @param dims the model's sizes, as many as {@code dimNames}
   */
  public StateWriter writer(
      final long size, final StatePrecision precision, final String modelId, final int[] dims) {
    final byte[] bytes = new byte[Math.toIntExact(size)];
    final ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    buf.putInt(magic)
        .putShort(version)
        .put((byte) (precision == StatePrecision.BF16 ? 1 : 0))
        .put((byte) 0);
    buf.put(HexFormat.of().parseHex(modelId));
    for (final int d : dims) {
      buf.putInt(d);
    }
    return new StateWriter(bytes, buf, precision);
  }

  /**
   * A reader positioned after the header, once the header says the bytes are a state of this format
   * and of the model {@code (modelId, dims)}, and their length is {@code size} of the stored
   * precision.
   *
   * @throws EngineException when the bytes are too short, of another architecture, version or
   *     model, have an unknown precision code or the wrong length
   */
  public StateReader reader(
      final byte[] bytes,
      final String modelId,
      final int[] dims,
      final ToLongFunction<StatePrecision> size) {
    if (bytes == null || bytes.length < headerBytes) {
      throw new EngineException(
          "not a "
              + architecture
              + " state: "
              + (bytes == null ? "null" : bytes.length + " bytes")
              + ", less than the "
              + headerBytes
              + "-byte header; the stored state is damaged");
    }
    final ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    final int stored = buf.getInt();
    if (stored != magic) {
      throw new EngineException(
          String.format(
              "not a %s state: magic 0x%08X, expected 0x%08X (\"%s\"); the bytes belong to another"
                  + " architecture or are damaged",
              architecture, stored, magic, tag()));
    }
    final short storedVersion = buf.getShort();
    if (storedVersion != version) {
      throw new EngineException(
          architecture
              + " state version "
              + storedVersion
              + " is not supported (this"
              + " engine reads "
              + version
              + "); restart the conversation or use the engine version that wrote it");
    }
    final byte code = buf.get();
    if (code != 0 && code != 1) {
      throw new EngineException(
          architecture + " state has unknown WKV precision code " + code + "; damaged");
    }
    final StatePrecision precision = code == 1 ? StatePrecision.BF16 : StatePrecision.FP32;
    buf.get();
    final byte[] id = new byte[ID_BYTES];
    buf.get(id);
    final int[] storedDims = new int[dims.length];
    boolean same = true;
    for (int i = 0; i < storedDims.length; i++) {
      storedDims[i] = buf.getInt();
      same &= storedDims[i] == dims[i];
    }
    if (!same) {
      throw new EngineException(
          "the state belongs to another model: it has "
              + describe(storedDims)
              + ", this model has "
              + describe(dims)
              + "; load the model the conversation was started with");
    }
    final String stateId = HexFormat.of().formatHex(id);
    if (!stateId.equals(modelId)) {
      throw new EngineException(
          "the state belongs to another model (weights id "
              + stateId
              + "), not to this one ("
              + modelId
              + "); load the model the conversation was started with");
    }
    final long expected = size.applyAsLong(precision);
    if (bytes.length != expected) {
      throw new EngineException(
          architecture
              + " state is "
              + bytes.length
              + " bytes, expected "
              + expected
              + " for this model; the stored state is truncated or damaged");
    }
    return new StateReader(buf, precision);
  }

  /** The magic as the four ASCII letters of its little-endian bytes, e.g. "FNST". */
  private String tag() {
    final byte[] letters =
        ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(magic).array();
    return new String(letters, StandardCharsets.US_ASCII);
  }

  /** {@code L=2 C=64 H=1 N=64}. */
  private String describe(final int[] dims) {
    final StringBuilder sb = new StringBuilder();
    for (int i = 0; i < dims.length; i++) {
      sb.append(i == 0 ? "" : " ").append(dimNames.get(i)).append('=').append(dims[i]);
    }
    return sb.toString();
  }
}
