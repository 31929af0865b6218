package io.finchstream.engine.io.ggml;

import io.finchstream.engine.io.CheckpointException;
import io.finchstream.engine.io.CheckpointTensor;
import io.finchstream.engine.io.LoadProgress;
import io.finchstream.engine.io.internal.DenseTensor;
import io.finchstream.engine.io.internal.IndexedCheckpoint;
import io.finchstream.engine.io.internal.MappedFile;
import io.finchstream.engine.io.internal.OpenState;
import io.finchstream.engine.io.internal.Shapes;
import io.finchstream.engine.io.internal.TensorIndex;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * An rwkv.cpp ggml checkpoint (finch-math §5.2), memory-mapped, with every tensor under its
 * canonical {@code .pth} name and shape (see {@link GgmlLayout}). Supports FP32, FP16, Q5_1 and
 * Q8_0 tensors of RWKV-6 (Finch) files of format version 101.
 *
 * <pre>
 * header (24 bytes): int32 magic 0x67676d66, version 101, n_vocab, n_embed, n_layer, data_type
 * until EOF:         int32 n_dims, key_len, data_type; int32 ne[n_dims] (reversed shape);
 *                    key (UTF-8); data (FP32 4·n | FP16 2·n | Q5_1 n/32·24 | Q8_0 n/32·34 bytes)
 * </pre>
 */
public final class GgmlCheckpoint extends IndexedCheckpoint {

  /** {@code 'ggmf'} as a little-endian int32: bytes 66 6d 67 67. */
  public static final int MAGIC = 0x67676d66;

  /** The only file version with today's quantization layouts. */
  public static final int VERSION = 101;

  private static final int HEADER_BYTES = 24;
  private static final int MAX_DIMS = 3;
  private static final int MAX_KEY_BYTES = 1024;
  private static final String RECONVERT =
      "convert the RWKV-6 .pth again with rwkv.cpp's python/convert_pytorch_to_ggml.py"
          + " (and quantize.py for Q5_1/Q8_0)";

  private final int nVocab;
  private final int nEmbed;
  private final int nLayer;

  private GgmlCheckpoint(
      final Path path, final int[] header, final TensorIndex tensors, final OpenState open) {
    super(path, "ggml", tensors, open);
    this.nVocab = header[2];
    this.nEmbed = header[3];
    this.nLayer = header[4];
  }

  /** Opens a ggml file without progress reports. */
  public static GgmlCheckpoint open(final Path file) {
    return open(file, LoadProgress.NONE);
  }

  /**
   * Opens and indexes a ggml file; data is mapped, not read.
   *
   * @throws CheckpointException naming the file, the problem and a fix when the file is not a
   *     complete RWKV-6 rwkv.cpp file this reader supports
   */
  public static GgmlCheckpoint open(final Path file, final LoadProgress progress) {
    try (MappedFile in = MappedFile.open(file)) {
      final int[] header = readHeader(in);
      final OpenState open = new OpenState(file);
      final TensorIndex.Builder tensors = TensorIndex.builder(file);
      long pos = HEADER_BYTES;
      while (pos < in.size()) {
        progress.update("ggml: indexing tensors", pos, in.size());
        pos = readTensor(in, pos, open, tensors);
      }
      progress.update("ggml: indexing tensors", in.size(), in.size());
      final TensorIndex index = tensors.build();
      checkContents(file, header, index);
      return new GgmlCheckpoint(file, header, index, open);
    }
  }

  private static int[] readHeader(final MappedFile in) {
    final ByteBuffer b = in.read(0, HEADER_BYTES);
    if (b.remaining() >= 4 && b.getInt(0) != MAGIC) {
      throw new CheckpointException(
          in.path(),
          String.format(
              "not an rwkv.cpp ggml file (magic 0x%08x, expected 0x%08x); open it with"
                  + " Checkpoints.open, which recognises the format from the content",
              b.getInt(0), MAGIC));
    }
    if (b.remaining() < HEADER_BYTES) {
      throw truncated(in, "in the 24-byte file header");
    }
    final int[] h = new int[6];
    for (int i = 0; i < h.length; i++) {
      h[i] = b.getInt(4 * i);
    }
    if (h[1] != VERSION) {
      throw new CheckpointException(
          in.path(),
          "rwkv.cpp file version "
              + h[1]
              + " is not supported (only "
              + VERSION
              + ", used for every RWKV-6 file); "
              + RECONVERT);
    }
    if (h[2] <= 0 || h[3] <= 0 || h[4] <= 0) {
      throw new CheckpointException(
          in.path(),
          "header has nonsensical sizes n_vocab="
              + h[2]
              + ", n_embed="
              + h[3]
              + ", n_layer="
              + h[4]
              + "; the file is corrupt, "
              + RECONVERT);
    }
    return h;
  }

  /** Reads one tensor record at {@code pos}, maps its data and returns the next record's offset. */
  private static long readTensor(
      final MappedFile in,
      final long pos,
      final OpenState open,
      final TensorIndex.Builder tensors) {
    final ByteBuffer rec = in.read(pos, 12);
    if (rec.remaining() < 12) {
      throw truncated(in, "in the tensor record at byte " + pos);
    }
    final int nDims = rec.getInt(0);
    final int keyLen = rec.getInt(4);
    final int code = rec.getInt(8);
    if (nDims < 1 || nDims > MAX_DIMS || keyLen < 1 || keyLen > MAX_KEY_BYTES) {
      throw nonsense(in, pos, "n_dims=" + nDims + ", key_len=" + keyLen);
    }
    final ByteBuffer dims = in.read(pos + 12, 4 * nDims);
    final ByteBuffer keyBytes = in.read(pos + 12 + 4L * nDims, keyLen);
    if (dims.remaining() < 4 * nDims || keyBytes.remaining() < keyLen) {
      throw truncated(in, "in the tensor record at byte " + pos);
    }
    final String key = decodeKey(in, pos, keyBytes);
    final long[] ne = new long[nDims];
    for (int i = 0; i < nDims; i++) {
      ne[i] = dims.getInt(4 * i);
      if (ne[i] < 1) {
        throw nonsense(in, pos, key + " has dimensions ne=" + Arrays.toString(ne));
      }
    }
    final GgmlType type = typeOf(in, key, code);
    final long numel = Shapes.numel(ne);
    if (ne[0] % type.blockSize != 0) {
      throw nonsense(
          in,
          pos,
          key
              + " is "
              + type
              + " but its row length "
              + ne[0]
              + " is not a multiple of "
              + type.blockSize);
    }
    final long dataAt = pos + 12 + 4L * nDims + keyLen;
    final long bytes = type.bytes(numel);
    if (dataAt + bytes > in.size()) {
      throw truncated(
          in, "inside the data of tensor " + key + " (needs bytes up to " + (dataAt + bytes) + ")");
    }
    if (tensors.has(key)) {
      throw nonsense(in, pos, "tensor " + key + " appears twice");
    }
    final long[] shape = Shapes.reversed(ne);
    final ByteBuffer data = in.map(dataAt, bytes);
    final CheckpointTensor stored =
        type.blockSize == 1
            ? new DenseTensor(key, shape, type.dtype, data, open)
            : new QuantizedTensor(key, shape, type, data, open);
    tensors.add(GgmlLayout.canonical(in.path(), stored));
    return dataAt + bytes;
  }

  private static GgmlType typeOf(final MappedFile in, final String key, final int code) {
    final GgmlType type = GgmlType.ofCode(code);
    if (type == null) {
      throw new CheckpointException(
          in.path(), "tensor " + key + " has unknown data_type " + code + "; " + RECONVERT);
    }
    if (type.dtype == null) {
      throw new CheckpointException(
          in.path(),
          "tensor "
              + key
              + " is "
              + type
              + ", which is unsupported; re-convert with FP16,"
              + " Q5_1 or Q8_0 (rwkv.cpp: python/quantize.py model-FP16.bin out.bin Q5_1)"
              + " or load the original .pth");
    }
    return type;
  }

  private static String decodeKey(final MappedFile in, final long pos, final ByteBuffer bytes) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(bytes)
          .toString();
    } catch (final CharacterCodingException e) {
      throw nonsense(in, pos, "the tensor name is not UTF-8");
    }
  }

  /** Whole-file checks: RWKV-6 content, header consistent with the embedding. */
  private static void checkContents(
      final Path file, final int[] header, final TensorIndex tensors) {
    if (tensors.names().stream().noneMatch(k -> k.contains(".time_maa_"))) {
      throw new CheckpointException(
          file,
          "has no time_maa_* tensors, so it is not an RWKV-6 (Finch) model ("
              + tensors.size()
              + " tensors); only RWKV-6 files are supported, "
              + RECONVERT);
    }
    final CheckpointTensor emb = tensors.find("emb.weight");
    if (emb == null) {
      throw new CheckpointException(file, "has no emb.weight tensor; " + RECONVERT);
    }
    if (!Arrays.equals(emb.shape(), new long[] {header[2], header[3]})) {
      throw new CheckpointException(
          file,
          "header says n_vocab="
              + header[2]
              + ", n_embed="
              + header[3]
              + " but emb.weight is "
              + Shapes.str(emb.shape())
              + "; the file is corrupt, "
              + RECONVERT);
    }
  }

  private static CheckpointException truncated(final MappedFile in, final String where) {
    return new CheckpointException(
        in.path(),
        "file is truncated: it ends (at "
            + in.size()
            + " bytes) "
            + where
            + "; download or convert it again");
  }

  private static CheckpointException nonsense(
      final MappedFile in, final long pos, final String what) {
    return new CheckpointException(
        in.path(), "corrupt tensor record at byte " + pos + ": " + what + "; " + RECONVERT);
  }

  /** {@code n_vocab} from the file header. */
  public int nVocab() {
    return nVocab;
  }

  /** {@code n_embed} (C) from the file header. */
  public int nEmbed() {
    return nEmbed;
  }

  /** {@code n_layer} from the file header. */
  public int nLayer() {
    return nLayer;
  }
}
