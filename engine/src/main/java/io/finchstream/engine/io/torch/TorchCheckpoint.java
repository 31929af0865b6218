package io.finchstream.engine.io.torch;

import io.finchstream.engine.io.CheckpointException;
import io.finchstream.engine.io.CheckpointTensor;
import io.finchstream.engine.io.LoadProgress;
import io.finchstream.engine.io.internal.DenseTensor;
import io.finchstream.engine.io.internal.IndexedCheckpoint;
import io.finchstream.engine.io.internal.MappedFile;
import io.finchstream.engine.io.internal.OpenState;
import io.finchstream.engine.io.internal.Shapes;
import io.finchstream.engine.io.internal.TensorIndex;
import io.finchstream.engine.io.torch.TorchPickle.StorageRef;
import io.finchstream.engine.io.torch.TorchPickle.TensorRef;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * A PyTorch {@code torch.save} checkpoint (finch-math §3.3): a state_dict of bf16, fp16 or fp32
 * tensors in a zip archive whose members are stored uncompressed. Tensors keep the names and shapes
 * of the state_dict (the official RWKV layout is already canonical). Each tensor's bytes are
 * memory-mapped from its storage at the storage offset; strides must be C-contiguous. The archive
 * root directory name is whatever the file uses.
 */
public final class TorchCheckpoint extends IndexedCheckpoint {

  private static final int MAX_PICKLE_BYTES = 256 << 20;
  private static final String RESAVE =
      "save it again with torch.save(model.state_dict(), path) (tensors .contiguous(), dtype"
          + " bfloat16, float16 or float32)";
  private static final String PHASE_MAP = "pth: mapping storages";
  private static final String PHASE_VERIFY = "pth: verifying storages (CRC-32)";

  private TorchCheckpoint(final Path path, final TensorIndex tensors, final OpenState open) {
    super(path, "pth", tensors, open);
  }

  /** Opens a .pth file without checksum verification or progress reports. */
  public static TorchCheckpoint open(final Path file) {
    return open(file, LoadProgress.NONE, false);
  }

  /**
   * Opens a .pth file.
   *
   * @param progress receives the bytes of storage mapped (or, with {@code verify}, read and
   *     checked) so far out of all storage bytes
   * @param verify whether to read every storage once and check its zip CRC-32 (reads the whole
   *     file; catches corrupt downloads)
   * @throws CheckpointException naming the file, the problem and a fix
   */
  public static TorchCheckpoint open(
      final Path file, final LoadProgress progress, final boolean verify) {
    try (MappedFile in = MappedFile.open(file)) {
      final ZipIndex zip = ZipIndex.read(in);
      final String root = root(file, zip);
      checkByteOrder(in, zip, root);
      final Map<?, ?> stateDict = stateDict(in, zip, root);
      final Map<String, Storage> storages = new HashMap<>();
      final OpenState open = new OpenState(file);
      final TensorIndex.Builder index = TensorIndex.builder(file);
      final long total = storageBytes(zip, root);
      long done = 0;
      progress.update(verify ? PHASE_VERIFY : PHASE_MAP, 0, total);
      for (final Map.Entry<?, ?> e : stateDict.entrySet()) {
        final String name = String.valueOf(e.getKey());
        final TensorRef ref = tensorRef(file, name, e.getValue());
        Storage storage = storages.get(ref.storage().key());
        if (storage == null) {
          storage = storage(in, zip, root, name, ref.storage(), verify);
          storages.put(ref.storage().key(), storage);
          done += storage.bytes;
          progress.update(verify ? PHASE_VERIFY : PHASE_MAP, Math.min(done, total), total);
        }
        index.add(tensor(in, name, ref, storage, open));
      }
      progress.update(verify ? PHASE_VERIFY : PHASE_MAP, total, total);
      return new TorchCheckpoint(file, index.build(), open);
    }
  }

  /** The directory holding {@code data.pkl}: the archive's root, whatever its name. */
  private static String root(final Path file, final ZipIndex zip) {
    final List<String> pickles =
        zip.entries().keySet().stream()
            .filter(n -> n.equals("data.pkl") || n.endsWith("/data.pkl"))
            .filter(n -> n.indexOf('/') == n.lastIndexOf('/'))
            .toList();
    if (pickles.size() != 1) {
      throw new CheckpointException(
          file,
          "is a zip archive but not a torch.save checkpoint ("
              + (pickles.isEmpty() ? "no" : pickles.size())
              + " <root>/data.pkl entries); "
              + RESAVE);
    }
    final String pkl = pickles.get(0);
    return pkl.substring(0, pkl.length() - "data.pkl".length());
  }

  private static void checkByteOrder(final MappedFile in, final ZipIndex zip, final String root) {
    final ZipIndex.Entry e = zip.entries().get(root + "byteorder");
    if (e != null && e.size() < 16) {
      final String order = text(in, zip, e).trim();
      if (!order.equals("little")) {
        throw new CheckpointException(
            in.path(),
            "storages are "
                + order
                + "-endian; only"
                + " little-endian files are supported, "
                + RESAVE
                + " on a little-endian machine");
      }
    }
  }

  private static Map<?, ?> stateDict(final MappedFile in, final ZipIndex zip, final String root) {
    final ZipIndex.Entry e = zip.entries().get(root + "data.pkl");
    if (e.size() > MAX_PICKLE_BYTES) {
      throw new CheckpointException(
          in.path(),
          "data.pkl is "
              + e.size()
              + " bytes, too large for"
              + " a state_dict of tensors; "
              + RESAVE);
    }
    final Object top;
    try {
      top = TorchPickle.load(bytes(in, zip, e));
    } catch (final TorchPickle.UnsupportedGlobal ex) {
      throw new CheckpointException(
          in.path(),
          "data.pkl refers to "
              + ex.getMessage()
              + ", which a state_dict of tensors never needs, so this is not a plain state_dict; "
              + RESAVE,
          ex);
    } catch (final IOException | RuntimeException ex) {
      throw new CheckpointException(
          in.path(),
          "data.pkl cannot be read as a state_dict (" + ex.getMessage() + "); " + RESAVE,
          ex);
    }
    if (!(top instanceof Map<?, ?> map)) {
      throw new CheckpointException(
          in.path(),
          "data.pkl holds a Python "
              + TorchPickle.describe(top)
              + ", not a state_dict (a dict of tensors); "
              + RESAVE);
    }
    return map;
  }

  private static TensorRef tensorRef(final Path file, final String name, final Object value) {
    if (!(value instanceof TensorRef ref)) {
      throw new CheckpointException(
          file,
          "state_dict entry "
              + name
              + " is a Python "
              + TorchPickle.describe(value)
              + ", not a tensor, so this is not a plain state_dict"
              + " (a training checkpoint?); "
              + RESAVE);
    }
    if (ref.storage().type().dtype() == null) {
      throw new CheckpointException(
          file,
          "tensor "
              + name
              + " uses torch."
              + ref.storage().type().name()
              + ", an unsupported storage type (only BFloat16Storage,"
              + " HalfStorage, FloatStorage); convert it with .bfloat16() or .float() and "
              + RESAVE);
    }
    return ref;
  }

  /** A storage's entry, its data offset and element width; checked (and CRC-verified). */
  private record Storage(String key, long dataAt, long bytes, int width) {}

  private static Storage storage(
      final MappedFile in,
      final ZipIndex zip,
      final String root,
      final String tensor,
      final StorageRef ref,
      final boolean verify) {
    final ZipIndex.Entry e = zip.entries().get(root + "data/" + ref.key());
    if (e == null) {
      throw new CheckpointException(
          in.path(),
          "tensor "
              + tensor
              + " points at storage "
              + ref.key()
              + ", which the archive lacks (data/"
              + ref.key()
              + "); "
              + RESAVE);
    }
    if (e.method() != ZipIndex.STORED) {
      throw new CheckpointException(
          in.path(),
          "zip entry "
              + e.name()
              + " is compressed (method "
              + e.method()
              + "); torch.save stores entries uncompressed, so do not re-zip the file: "
              + RESAVE);
    }
    final int width = DenseTensor.bytesPerElement(ref.type().dtype());
    if (e.size() != ref.numel() * width) {
      throw new CheckpointException(
          in.path(),
          "storage "
              + ref.key()
              + " of tensor "
              + tensor
              + " holds "
              + e.size()
              + " bytes but the pickle says "
              + ref.numel()
              + " "
              + ref.type().name()
              + " elements ("
              + ref.numel() * width
              + " bytes); "
              + RESAVE);
    }
    final long at = zip.dataOffset(e);
    if (verify) {
      verifyCrc(in, e, at);
    }
    return new Storage(ref.key(), at, e.size(), width);
  }

  private static void verifyCrc(final MappedFile in, final ZipIndex.Entry e, final long at) {
    final CRC32 crc = new CRC32();
    final long chunk = 1L << 30;
    for (long done = 0; done < e.size(); done += chunk) {
      crc.update(in.map(at + done, Math.min(chunk, e.size() - done)));
    }
    if ((int) crc.getValue() != e.crc()) {
      throw new CheckpointException(
          in.path(),
          "zip entry "
              + e.name()
              + " fails its CRC-32 check;"
              + " the file is corrupt, download or save it again");
    }
  }

  private static CheckpointTensor tensor(
      final MappedFile in,
      final String name,
      final TensorRef ref,
      final Storage storage,
      final OpenState open) {
    final long[] size = ref.size();
    final long[] stride = ref.stride();
    long expected = 1;
    for (int d = size.length - 1; d >= 0; d--) {
      if (size[d] < 0 || stride.length != size.length || (size[d] != 1 && stride[d] != expected)) {
        throw new CheckpointException(
            in.path(),
            "tensor "
                + name
                + " of shape "
                + Shapes.str(size)
                + " has strides "
                + Shapes.str(stride)
                + ", which are not C-contiguous (a transposed"
                + " or sliced view); call .contiguous() on it and "
                + RESAVE);
      }
      expected *= size[d];
    }
    final long numel = Shapes.numel(size);
    final long storageNumel = storage.bytes / storage.width;
    if (ref.offset() < 0 || ref.offset() + numel > storageNumel) {
      throw new CheckpointException(
          in.path(),
          "tensor "
              + name
              + " ("
              + numel
              + " elements at"
              + " storage offset "
              + ref.offset()
              + ") runs past the end of its storage of "
              + storageNumel
              + " elements; "
              + RESAVE);
    }
    final ByteBuffer data =
        in.map(storage.dataAt + ref.offset() * storage.width, numel * storage.width);
    return new DenseTensor(name, size, ref.storage().type().dtype(), data, open);
  }

  private static long storageBytes(final ZipIndex zip, final String root) {
    return zip.entries().values().stream()
        .filter(e -> e.name().startsWith(root + "data/"))
        .mapToLong(ZipIndex.Entry::size)
        .sum();
  }

  private static byte[] bytes(final MappedFile in, final ZipIndex zip, final ZipIndex.Entry e) {
    if (e.method() != ZipIndex.STORED) {
      throw new CheckpointException(
          in.path(),
          "zip entry "
              + e.name()
              + " is compressed; torch.save"
              + " stores entries uncompressed, so do not re-zip the file: "
              + RESAVE);
    }
    final ByteBuffer b = in.read(zip.dataOffset(e), (int) e.size());
    final byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  private static String text(final MappedFile in, final ZipIndex zip, final ZipIndex.Entry e) {
    return new String(bytes(in, zip, e), StandardCharsets.UTF_8);
  }
}
