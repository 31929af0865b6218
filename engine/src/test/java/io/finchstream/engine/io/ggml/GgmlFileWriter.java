package io.finchstream.engine.io.ggml;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes small rwkv.cpp ggml files for tests, field by field, so any field can be wrong. */
final class GgmlFileWriter {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  GgmlFileWriter header(
      final int magic, final int version, final int nVocab, final int nEmbed, final int nLayer) {
    ints(magic, version, nVocab, nEmbed, nLayer, 0);
    return this;
  }

  /** A valid header for a model with that vocab and width. */
  GgmlFileWriter header(final int nVocab, final int nEmbed) {
    return header(GgmlCheckpoint.MAGIC, GgmlCheckpoint.VERSION, nVocab, nEmbed, 1);
  }

  /**
   * A tensor record.
   *
   * @param ne ggml dimensions (PyTorch shape reversed)
   */
  GgmlFileWriter tensor(final String key, final int type, final int[] ne, final byte[] data) {
    final byte[] k = key.getBytes(StandardCharsets.UTF_8);
    ints(ne.length, k.length, type);
    ints(ne);
    out.writeBytes(k);
    out.writeBytes(data);
    return this;
  }

  /** An FP32 tensor record of these values. */
  GgmlFileWriter f32(final String key, final int[] ne, final float... values) {
    final ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (final float v : values) {
      b.putFloat(v);
    }
    return tensor(key, 0, ne, b.array());
  }

  /** The minimal RWKV-6 content the reader insists on: an embedding and one time_maa vector. */
  GgmlFileWriter minimalV6(final int nVocab, final int nEmbed) {
    f32("emb.weight", new int[] {nEmbed, nVocab}, new float[nVocab * nEmbed]);
    return f32("blocks.0.att.time_maa_x", new int[] {nEmbed}, new float[nEmbed]);
  }

  GgmlFileWriter ints(final int... values) {
    final ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (final int v : values) {
      b.putInt(v);
    }
    out.writeBytes(b.array());
    return this;
  }

  Path write(final Path file) throws IOException {
    Files.write(file, out.toByteArray());
    return file;
  }
}
