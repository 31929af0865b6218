package io.finchstream.engine.io.safetensors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finchstream.engine.io.CheckpointException;
import io.finchstream.engine.io.DType;
import io.finchstream.engine.io.LoadProgress;
import io.finchstream.engine.io.internal.DenseTensor;
import io.finchstream.engine.io.internal.IndexedCheckpoint;
import io.finchstream.engine.io.internal.MappedFile;
import io.finchstream.engine.io.internal.OpenState;
import io.finchstream.engine.io.internal.Shapes;
import io.finchstream.engine.io.internal.TensorIndex;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors checkpoint, memory-mapped: {@code u64 header length N}, N bytes of JSON ({@code
 * name -> {dtype, shape, data_offsets: [begin, end)}} plus optional {@code __metadata__}), then the
 * data, which the offsets must cover exactly, without gaps or overlaps. F32, F16 and BF16 tensors
 * are supported. Hugging Face RWKV-6 names ({@code rwkv.blocks.0.attention...}) are presented under
 * canonical names ({@link HfNames}); shapes are the same in both layouts.
 */
public final class SafetensorsCheckpoint extends IndexedCheckpoint {

  private static final long MAX_HEADER_BYTES = 100L << 20;
  private static final String METADATA = "__metadata__";
  private static final String REWRITE =
      "write the file again (e.g. safetensors.torch.save_file or 'finchstream model convert')";
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private final Map<String, String> metadata;
  private final boolean hfNames;

  private SafetensorsCheckpoint(
      final Path path,
      final TensorIndex tensors,
      final Map<String, String> metadata,
      final boolean hfNames,
      final OpenState open) {
    super(path, "safetensors", tensors, open);
    this.metadata = metadata;
    this.hfNames = hfNames;
  }

  /** Opens a safetensors file without progress reports. */
  public static SafetensorsCheckpoint open(final Path file) {
    return open(file, LoadProgress.NONE);
  }

  /**
   * Opens a safetensors file, validating the header and mapping each tensor.
   *
   * @throws CheckpointException naming the file, the problem and a fix
   */
  public static SafetensorsCheckpoint open(final Path file, final LoadProgress progress) {
    try (MappedFile in = MappedFile.open(file)) {
      final ByteBuffer lenBytes = in.read(0, 8);
      if (lenBytes.remaining() < 8) {
        throw new CheckpointException(
            file, "file is truncated: shorter than the 8-byte header" + " length; " + REWRITE);
      }
      final long headerLen = lenBytes.getLong(0);
      if (headerLen < 2 || headerLen > MAX_HEADER_BYTES || headerLen > in.size() - 8) {
        throw new CheckpointException(
            file,
            "header length "
                + headerLen
                + " does not fit the"
                + " file of "
                + in.size()
                + " bytes (truncated or not safetensors); "
                + REWRITE);
      }
      final JsonNode header = parseHeader(in, (int) headerLen);
      final long dataStart = 8 + headerLen;
      final List<Entry> entries = entries(file, header);
      checkCoverage(file, entries, in.size() - dataStart);
      final Map<String, String> metadata = metadata(file, header.get(METADATA));
      final boolean hf = HfNames.isHf(entries.stream().map(Entry::name).toList());
      final OpenState open = new OpenState(file);
      final TensorIndex.Builder index = TensorIndex.builder(file);
      final long total = in.size() - dataStart;
      long done = 0;
      for (final Entry e : entries) {
        progress.update("safetensors: mapping tensors", done, total);
        final String name = hf ? HfNames.canonical(e.name) : e.name;
        final ByteBuffer data = in.map(dataStart + e.begin, e.end - e.begin);
        index.add(new DenseTensor(name, e.shape, e.dtype, data, open));
        done += e.end - e.begin;
      }
      progress.update("safetensors: mapping tensors", total, total);
      return new SafetensorsCheckpoint(file, index.build(), metadata, hf, open);
    }
  }

  /** One header entry, in header order. */
  @SuppressWarnings("ArrayRecordComponent") // a parsed header entry; never compared or hashed
  private record Entry(String name, DType dtype, long[] shape, long begin, long end) {}

  private static JsonNode parseHeader(final MappedFile in, final int len) {
    final ByteBuffer bytes = in.read(8, len);
    final String text = StandardCharsets.UTF_8.decode(bytes).toString();
    final JsonNode node;
    try {
      node = JSON.readTree(text);
    } catch (final JsonProcessingException e) {
      throw new CheckpointException(
          in.path(), "header is not valid JSON (" + e.getOriginalMessage() + "); " + REWRITE, e);
    }
    if (node == null || !node.isObject()) {
      throw new CheckpointException(in.path(), "header is not a JSON object; " + REWRITE);
    }
    return node;
  }

  private static List<Entry> entries(final Path file, final JsonNode header) {
    final List<Entry> out = new ArrayList<>();
    for (final Map.Entry<String, JsonNode> f : header.properties()) {
      if (!f.getKey().equals(METADATA)) {
        out.add(entry(file, f.getKey(), f.getValue()));
      }
    }
    return out;
  }

  private static Entry entry(final Path file, final String name, final JsonNode node) {
    final JsonNode dtype = node.get("dtype");
    final JsonNode shape = node.get("shape");
    final JsonNode offsets = node.get("data_offsets");
    if (dtype == null
        || !dtype.isTextual()
        || shape == null
        || !shape.isArray()
        || offsets == null
        || !offsets.isArray()
        || offsets.size() != 2) {
      throw bad(file, name, "needs \"dtype\", \"shape\" and two \"data_offsets\"");
    }
    final DType type =
        switch (dtype.asText()) {
          case "F32" -> DType.F32;
          case "F16" -> DType.F16;
          case "BF16" -> DType.BF16;
          default ->
              throw new CheckpointException(
                  file,
                  "tensor "
                      + name
                      + " has dtype "
                      + dtype.asText()
                      + ", which is unsupported;"
                      + " store it as F32, F16 or BF16");
        };
    final long[] dims = new long[shape.size()];
    for (int i = 0; i < dims.length; i++) {
      if (!shape.get(i).isIntegralNumber() || shape.get(i).asLong() < 0) {
        throw bad(file, name, "has a bad shape " + shape);
      }
      dims[i] = shape.get(i).asLong();
    }
    if (!offsets.get(0).isIntegralNumber() || !offsets.get(1).isIntegralNumber()) {
      throw bad(file, name, "has bad data_offsets " + offsets);
    }
    final long begin = offsets.get(0).asLong();
    final long end = offsets.get(1).asLong();
    final long want;
    try {
      want = Math.multiplyExact(Shapes.numel(dims), DenseTensor.bytesPerElement(type));
    } catch (final ArithmeticException e) {
      throw bad(file, name, "has an impossibly large shape " + shape);
    }
    if (begin < 0 || end < begin || end - begin != want) {
      throw bad(
          file,
          name,
          "has data_offsets "
              + offsets
              + " ("
              + (end - begin)
              + " bytes) but "
              + type
              + " "
              + Shapes.str(dims)
              + " needs "
              + want
              + " bytes");
    }
    return new Entry(name, type, dims, begin, end);
  }

  /** The offsets must tile {@code [0, dataBytes)} exactly: in range, contiguous, no overlap. */
  private static void checkCoverage(
      final Path file, final List<Entry> entries, final long dataBytes) {
    final List<Entry> sorted = new ArrayList<>(entries);
    sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
    long at = 0;
    for (final Entry e : sorted) {
      if (e.begin < at) {
        throw bad(
            file,
            e.name,
            "overlaps the previous tensor (data_offsets start at "
                + e.begin
                + ", previous data ends at "
                + at
                + ")");
      }
      if (e.begin > at) {
        throw bad(
            file,
            e.name,
            "leaves a gap: its data starts at "
                + e.begin
                + " but the previous"
                + " data ends at "
                + at);
      }
      at = e.end;
    }
    if (at > dataBytes) {
      throw new CheckpointException(
          file,
          "file is truncated: the header describes "
              + at
              + " bytes of tensor data but only "
              + dataBytes
              + " follow it; download or write it again");
    }
    if (at < dataBytes) {
      throw new CheckpointException(
          file,
          (dataBytes - at)
              + " bytes after the last tensor are not"
              + " described by the header; the file is corrupt, "
              + REWRITE);
    }
  }

  private static Map<String, String> metadata(final Path file, final JsonNode node) {
    if (node == null) {
      return Map.of();
    }
    if (!node.isObject()) {
      throw new CheckpointException(file, "__metadata__ is not a JSON object; " + REWRITE);
    }
    final Map<String, String> out = new LinkedHashMap<>();
    for (final Map.Entry<String, JsonNode> f : node.properties()) {
      if (!f.getValue().isTextual()) {
        throw new CheckpointException(
            file, "__metadata__ value of " + f.getKey() + " is not a string; " + REWRITE);
      }
      out.put(f.getKey(), f.getValue().asText());
    }
    return Collections.unmodifiableMap(out);
  }

  private static CheckpointException bad(final Path file, final String name, final String what) {
    return new CheckpointException(
        file, "header entry of tensor " + name + " " + what + "; " + REWRITE);
  }

  /** The {@code __metadata__} strings (empty when absent), in file order. */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** Whether the file used Hugging Face names (mapped to canonical ones). */
  public boolean hfNames() {
    return hfNames;
  }
}
