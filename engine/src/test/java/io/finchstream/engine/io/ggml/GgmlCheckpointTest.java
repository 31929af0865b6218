package io.finchstream.engine.io.ggml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finchstream.engine.WeightPrecision;
import io.finchstream.engine.io.CheckpointException;
import io.finchstream.engine.io.CheckpointTensor;
import io.finchstream.engine.io.DType;
import io.finchstream.engine.io.LoadProgress;
import io.finchstream.engine.rwkv.WeightReader;
import io.finchstream.engine.tensor.Matrix;
import io.finchstream.engine.tensor.Q8Matrix;
import io.finchstream.engine.testing.SharedData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The rwkv.cpp reader on the real tiny models of finch-math §5.1 and on hand-made files. Expected
 * values come from an independent NumPy parse of the same files (finch-math §5.2 layout), indexed
 * in the canonical .pth shape.
 */
class GgmlCheckpointTest {

  private static final String FP32 = "tiny-rwkv-6v0-1m-FP32.bin";
  private static final String FP16 = "tiny-rwkv-6v0-1m-FP16.bin";
  private static final String Q5_1 = "tiny-rwkv-6v0-3m-Q5_1.bin";

  @TempDir Path tmp;

  @Test
  void shouldIndexFp32FileUnderCanonicalNamesAndShapes() {
    try (GgmlCheckpoint ckpt = GgmlCheckpoint.open(SharedData.require(FP32))) {
      assertThat(ckpt.format()).isEqualTo("ggml");
      assertThat(ckpt.names()).hasSize(342);
      assertThat(List.copyOf(ckpt.names()).subList(0, 8))
          .containsExactly(
              "emb.weight",
              "blocks.0.ln1.weight",
              "blocks.0.ln1.bias",
              "blocks.0.ln2.weight",
              "blocks.0.ln2.bias",
              "blocks.0.ln0.weight",
              "blocks.0.ln0.bias",
              "blocks.0.att.time_maa_x");
      assertThat(List.copyOf(ckpt.names()).get(341)).isEqualTo("head.weight");
      assertThat(new int[] {ckpt.nVocab(), ckpt.nEmbed(), ckpt.nLayer()})
          .containsExactly(256, 64, 12);
      assertShape(ckpt.tensor("emb.weight"), 256, 64);
      assertShape(ckpt.tensor("blocks.0.ln1.weight"), 64);
      assertShape(ckpt.tensor("blocks.0.att.time_maa_x"), 1, 1, 64);
      assertShape(ckpt.tensor("blocks.0.att.time_maa_g"), 1, 1, 64);
      assertShape(ckpt.tensor("blocks.0.att.time_maa_w1"), 64, 160);
      assertShape(ckpt.tensor("blocks.0.att.time_maa_w2"), 5, 32, 64);
      assertShape(ckpt.tensor("blocks.0.att.time_decay"), 1, 1, 64);
      assertShape(ckpt.tensor("blocks.0.att.time_decay_w1"), 64, 64);
      assertShape(ckpt.tensor("blocks.0.att.time_decay_w2"), 64, 64);
      assertShape(ckpt.tensor("blocks.0.att.time_faaaa"), 8, 8);
      assertShape(ckpt.tensor("blocks.0.att.receptance.weight"), 64, 64);
      assertShape(ckpt.tensor("blocks.0.att.ln_x.bias"), 64);
      assertShape(ckpt.tensor("blocks.0.ffn.time_maa_k"), 1, 1, 64);
      assertShape(ckpt.tensor("blocks.11.ffn.key.weight"), 224, 64);
      assertShape(ckpt.tensor("blocks.11.ffn.value.weight"), 64, 224);
      assertShape(ckpt.tensor("head.weight"), 256, 64);
      assertThat(ckpt.names())
          .allSatisfy(n -> assertThat(ckpt.tensor(n).storedType()).isEqualTo(DType.F32));
    }
  }

  @Test
  @SuppressWarnings("FloatingPointLiteralPrecision") // the values as NumPy prints them
  void shouldReadFp32ValuesInCanonicalLayout() {
    try (GgmlCheckpoint ckpt = GgmlCheckpoint.open(SharedData.require(FP32))) {
      // value at canonical index, from NumPy (converter transforms undone by transposing)
      assertAt(ckpt, "emb.weight", 8.821487426757812e-05f, 3, 5);
      assertAt(ckpt, "blocks.0.att.time_maa_w1", -0.034423828125f, 7, 100);
      assertAt(ckpt, "blocks.0.att.time_maa_w1", -0.004119873046875f, 63, 159);
      assertAt(ckpt, "blocks.0.att.time_maa_w2", -0.040771484375f, 3, 5, 17);
      assertAt(ckpt, "blocks.0.att.time_maa_w2", 0.10888671875f, 4, 31, 63);
      assertAt(ckpt, "blocks.0.att.time_maa_w2", -0.07373046875f, 1, 0, 1);
      assertAt(ckpt, "blocks.11.att.time_decay", -3.359375f, 0, 0, 45);
      assertAt(ckpt, "blocks.2.att.time_faaaa", 0.083984375f, 3, 6);
      assertAt(ckpt, "blocks.1.att.time_decay_w1", 0.00799560546875f, 10, 50);
      assertAt(ckpt, "blocks.1.att.time_decay_w1", 0.0081787109375f, 50, 10);
      assertAt(ckpt, "blocks.1.att.time_decay_w2", 0.0218505859375f, 50, 10);
      assertAt(ckpt, "blocks.1.att.time_decay_w2", 0.03466796875f, 10, 50);
      assertAt(ckpt, "blocks.5.ffn.value.weight", -0.051025390625f, 9, 200);
      assertAt(ckpt, "head.weight", 0.216796875f, 255, 63);
      assertAt(ckpt, "blocks.4.att.key.weight", 0.0252685546875f, 1, 33);
      assertAt(ckpt, "blocks.3.ffn.time_maa_r", 0.9375f, 0, 0, 2);
    }
  }

  /**
   * The FP16 file is the FP32 file with its matrices rounded to IEEE half: equal values except a
   * few hundred tiny ones (below 2^-14, fp16 subnormals) that differ by the rounding.
   */
  @Test
  void shouldReadFp16FileAsTheFp32ValuesRoundedToHalf() {
    try (GgmlCheckpoint f32 = GgmlCheckpoint.open(SharedData.require(FP32));
        GgmlCheckpoint f16 = GgmlCheckpoint.open(SharedData.require(FP16))) {
      assertThat(f16.names()).containsExactlyElementsOf(f32.names());
      int rounded = 0;
      for (final String name : f32.names()) {
        assertThat(f16.tensor(name).shape()).as(name).isEqualTo(f32.tensor(name).shape());
        final float[] full = f32.tensor(name).toFloats();
        final float[] half = f16.tensor(name).toFloats();
        final boolean isHalf = f16.tensor(name).storedType() == DType.F16;
        for (int i = 0; i < full.length; i++) {
          final float want = isHalf ? Float.float16ToFloat(Float.floatToFloat16(full[i])) : full[i];
          if (half[i] != want) {
            throw new AssertionError(name + "[" + i + "] = " + half[i] + ", expected " + want);
          }
          rounded += half[i] != full[i] ? 1 : 0;
        }
      }
      assertThat(rounded).as("values changed by rounding (NumPy count)").isEqualTo(603);
      assertThat(f16.tensor("emb.weight").storedType()).isEqualTo(DType.F16);
      assertThat(f16.tensor("blocks.3.att.gate.weight").storedType()).isEqualTo(DType.F16);
      assertThat(f16.tensor("blocks.3.att.time_maa_w1").storedType()).isEqualTo(DType.F32);
    }
  }

  @Test
  @SuppressWarnings("FloatingPointLiteralPrecision") // the values as NumPy prints them
  void shouldDequantizeQ5_1File() {
    try (GgmlCheckpoint ckpt = GgmlCheckpoint.open(SharedData.require(Q5_1))) {
      assertThat(ckpt.names()).hasSize(342);
      assertShape(ckpt.tensor("emb.weight"), 256, 128);
      assertShape(ckpt.tensor("blocks.0.att.time_maa_w1"), 128, 160);
      assertShape(ckpt.tensor("blocks.0.att.time_maa_w2"), 5, 32, 128);
      assertShape(ckpt.tensor("blocks.0.att.time_decay"), 1, 1, 128);
      assertShape(ckpt.tensor("blocks.0.att.time_faaaa"), 16, 8);
      assertShape(ckpt.tensor("blocks.0.att.time_decay_w1"), 128, 64);
      assertShape(ckpt.tensor("blocks.0.att.time_decay_w2"), 64, 128);
      assertShape(ckpt.tensor("blocks.0.ffn.key.weight"), 448, 128);
      assertThat(ckpt.tensor("blocks.0.att.time_maa_w1").storedType()).isEqualTo(DType.Q5_1);
      assertThat(ckpt.tensor("blocks.0.att.time_maa_w2").storedType()).isEqualTo(DType.F32);
      assertThat(ckpt.tensor("blocks.0.ffn.value.weight").storedType()).isEqualTo(DType.Q5_1);
      assertAt(ckpt, "blocks.0.att.time_maa_w1", -0.02919769287109375f, 7, 100);
      assertAt(ckpt, "blocks.1.att.time_decay_w1", 0.00209808349609375f, 10, 50);
      assertAt(ckpt, "blocks.1.att.time_decay_w2", 0.010859489440917969f, 50, 10);
      assertAt(ckpt, "blocks.5.ffn.value.weight", -0.03092193603515625f, 9, 200);
      assertAt(ckpt, "blocks.4.att.key.weight", 0.03076171875f, 1, 33);
      assertAt(ckpt, "blocks.0.att.time_maa_w2", -0.048828125f, 3, 5, 17);
      assertAt(ckpt, "blocks.11.att.time_decay", -5.3125f, 0, 0, 45);
      assertAt(ckpt, "blocks.2.att.time_faaaa", 0.1435546875f, 3, 6);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"blocks.5.ffn.value.weight", "blocks.0.att.time_maa_w1"})
  void shouldReadAnyRangeLikeTheWholeTensor(final String name) {
    try (GgmlCheckpoint ckpt = GgmlCheckpoint.open(SharedData.require(Q5_1))) {
      final CheckpointTensor t = ckpt.tensor(name);
      final float[] all = t.toFloats();
      final float[] piece = new float[77];
      for (long from = 0; from + piece.length <= all.length; from += 1013) {
        t.readFloats(from, piece, 0, piece.length);
        assertThat(piece).isEqualTo(Arrays.copyOfRange(all, (int) from, (int) from + 77));
      }
      assertThatThrownBy(() -> t.readFloats(all.length - 3, piece, 0, 4))
          .isInstanceOf(IndexOutOfBoundsException.class);
    }
  }

  @Test
  void shouldKeepQ8_0BlocksAsStoredForInt8Weights() throws IOException {
    // quants that quantizing again would change (largest |q| 100, not 127): kept as they are
    final ByteBuffer b = ByteBuffer.allocate(3 * 2 * 34).order(ByteOrder.LITTLE_ENDIAN);
    final float[] scales = {0.25f, -2f, 0.001f, 1.5f, 3e-6f, 7f};
    for (int blk = 0; blk < 6; blk++) {
      b.putShort(Float.floatToFloat16(scales[blk]));
      for (int j = 0; j < 32; j++) {
        b.put((byte) ((j * 7 + blk * 13) % 201 - 100));
      }
    }
    final Path file =
        new GgmlFileWriter()
            .header(4, 64)
            .minimalV6(4, 64)
            .tensor("blocks.0.ffn.key.weight", 9, new int[] {64, 3}, b.array())
            .write(tmp.resolve("q8-rows.bin"));
    try (GgmlCheckpoint ckpt = GgmlCheckpoint.open(file)) {
      final Matrix m =
          new WeightReader(ckpt, WeightPrecision.INT8, LoadProgress.NONE)
              .matrix("blocks.0.ffn.key.weight", 3, 64);
      assertThat(m).isInstanceOf(Q8Matrix.class);
      final float[] q = new float[64];
      final float[] d = new float[2];
      for (int r = 0; r < 3; r++) {
        ((Q8Matrix) m).quantsTo(r, q, 0);
        ((Q8Matrix) m).scalesTo(r, d, 0);
        for (int c = 0; c < 64; c++) {
          final int blk = 2 * r + c / 32;
          assertThat(q[c]).isEqualTo((float) (((c % 32) * 7 + blk * 13) % 201 - 100));
          assertThat(m.get(r, c))
              .isEqualTo(q[c] * Float.float16ToFloat(Float.floatToFloat16(scales[blk])));
        }
        assertThat(d[0]).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(scales[2 * r])));
      }
      // fp32 and bf16 readers dequantize as before
      assertThat(
              new WeightReader(ckpt, WeightPrecision.FP32, LoadProgress.NONE)
                  .matrix("blocks.0.ffn.key.weight", 3, 64)
                  .get(1, 40))
          .isEqualTo(m.get(1, 40));
    }
  }

  @Test
  void shouldDequantizeQ8_0Blocks() throws IOException {
    // two blocks: d = 0.25 with q = j - 16, d = -2 with q = 127 - 8j (fp16 0x3400 = 0.25, 0xC000 =
    // -2)
    final ByteBuffer b = ByteBuffer.allocate(2 * 34).order(ByteOrder.LITTLE_ENDIAN);
    b.putShort((short) 0x3400);
    for (int j = 0; j < 32; j++) {
      b.put((byte) (j - 16));
    }
    b.putShort((short) 0xC000);
    for (int j = 0; j < 32; j++) {
      b.put((byte) (127 - 8 * j));
    }
    final Path file =
        new GgmlFileWriter()
            .header(4, 32)
            .minimalV6(4, 32)
            .tensor("blocks.0.att.key.weight", 9, new int[] {32, 2}, b.array())
            .write(tmp.resolve("q8.bin"));
    try (GgmlCheckpoint ckpt = GgmlCheckpoint.open(file)) {
      final CheckpointTensor t = ckpt.tensor("blocks.0.att.key.weight");
      assertThat(t.storedType()).isEqualTo(DType.Q8_0);
      assertThat(t.shape()).containsExactly(2, 32);
      final float[] v = t.toFloats();
      for (int j = 0; j < 32; j++) {
        assertThat(v[j]).isEqualTo((j - 16) / 4f);
        assertThat(v[32 + j]).isEqualTo(-2f * (127 - 8 * j));
      }
    }
  }

  @Test
  void shouldDequantizeHandMadeQ5_1Block() throws IOException {
    // d = 0.5 (0x3800), m = -1 (0xBC00), qh bit j set for even j, qs[j] = j | (15 - j) << 4
    final ByteBuffer b = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
    b.putShort((short) 0x3800).putShort((short) 0xBC00).putInt(0x55555555);
    for (int j = 0; j < 16; j++) {
      b.put((byte) (j | (15 - j) << 4));
    }
    final Path file =
        new GgmlFileWriter()
            .header(4, 32)
            .minimalV6(4, 32)
            .tensor("blocks.0.att.key.weight", 8, new int[] {32, 1}, b.array())
            .write(tmp.resolve("q5.bin"));
    try (GgmlCheckpoint ckpt = GgmlCheckpoint.open(file)) {
      final float[] v = ckpt.tensor("blocks.0.att.key.weight").toFloats();
      for (int j = 0; j < 16; j++) {
        final int five = j % 2 == 0 ? 16 : 0;
        assertThat(v[j]).as("y[%d]", j).isEqualTo((j + five) * 0.5f - 1f);
        assertThat(v[j + 16]).as("y[%d]", j + 16).isEqualTo((15 - j + five) * 0.5f - 1f);
      }
    }
  }

  @ParameterizedTest
  @CsvSource({"2, Q4_0", "3, Q4_1", "7, Q5_0"})
  void shouldRejectUnsupportedQuantizationsWithAFix(final int code, final String type)
      throws IOException {
    final Path file =
        new GgmlFileWriter()
            .header(4, 32)
            .minimalV6(4, 32)
            .tensor("blocks.0.att.key.weight", code, new int[] {32, 1}, new byte[24])
            .write(tmp.resolve("q.bin"));
    assertThatThrownBy(() -> GgmlCheckpoint.open(file))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining(type + ", which is unsupported")
        .hasMessageContaining("re-convert with FP16, Q5_1 or Q8_0");
  }

  @ParameterizedTest
  @ValueSource(longs = {0, 3, 20, 24 + 7, 24 + 12 + 4 + 5, 2_000_000, 4_127_712})
  void shouldRejectTruncatedCopies(final long length) throws IOException {
    final Path file = truncatedCopy(SharedData.require(FP32), length);
    assertThatThrownBy(() -> GgmlCheckpoint.open(file))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("truncated")
        .hasMessageContaining("download or convert it again");
  }

  @Test
  void shouldRejectWrongMagic() throws IOException {
    final Path file =
        new GgmlFileWriter()
            .header(0x67676a74, GgmlCheckpoint.VERSION, 4, 32, 1)
            .minimalV6(4, 32)
            .write(tmp.resolve("ggjt.bin"));
    assertThatThrownBy(() -> GgmlCheckpoint.open(file))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("not an rwkv.cpp ggml file (magic 0x67676a74");
  }

  @ParameterizedTest
  @ValueSource(ints = {100, 102, -1})
  void shouldRejectOtherVersions(final int version) throws IOException {
    final Path file =
        new GgmlFileWriter()
            .header(GgmlCheckpoint.MAGIC, version, 4, 32, 1)
            .minimalV6(4, 32)
            .write(tmp.resolve("v.bin"));
    assertThatThrownBy(() -> GgmlCheckpoint.open(file))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("version " + version + " is not supported")
        .hasMessageContaining("convert_pytorch_to_ggml.py");
  }

  @Test
  void shouldRejectGarbage() throws IOException {
    final byte[] noise = new byte[5000];
    new Random(7).nextBytes(noise);
    final Path file = Files.write(tmp.resolve("noise.bin"), noise);
    assertThatThrownBy(() -> GgmlCheckpoint.open(file))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("not an rwkv.cpp ggml file");
  }

  @Test
  void shouldRejectGarbageAfterAValidHeader() throws IOException {
    final byte[] noise = new byte[5000];
    new Random(11).nextBytes(noise);
    final Path file = tmp.resolve("noise-after-header.bin");
    Files.write(file, concat(new GgmlFileWriter().header(4, 32).write(tmp.resolve("h")), noise));
    assertThatThrownBy(() -> GgmlCheckpoint.open(file))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("corrupt tensor record at byte 24");
  }

  @Test
  void shouldRejectNonsenseRecords() throws IOException {
    final List<Path> files = new ArrayList<>();
    files.add(
        new GgmlFileWriter()
            .header(4, 32)
            .minimalV6(4, 32)
            .ints(9, 3, 0)
            .write(tmp.resolve("dims.bin")));
    files.add(
        new GgmlFileWriter()
            .header(4, 32)
            .minimalV6(4, 32)
            .ints(1, -5, 0)
            .write(tmp.resolve("key.bin")));
    files.add(
        new GgmlFileWriter()
            .header(4, 32)
            .minimalV6(4, 32)
            .f32("x", new int[] {0})
            .write(tmp.resolve("ne.bin")));
    files.add(
        new GgmlFileWriter()
            .header(4, 32)
            .minimalV6(4, 32)
            .f32("emb.weight", new int[] {1}, 1f)
            .write(tmp.resolve("dup.bin")));
    files.add(
        new GgmlFileWriter()
            .header(4, 32)
            .minimalV6(4, 32)
            .tensor("blocks.0.att.key.weight", 99, new int[] {32}, new byte[128])
            .write(tmp.resolve("type.bin")));
    files.add(
        new GgmlFileWriter()
            .header(4, 32)
            .minimalV6(4, 32)
            .tensor("blocks.0.att.key.weight", 8, new int[] {16}, new byte[12])
            .write(tmp.resolve("block.bin")));
    for (final Path file : files) {
      assertThatThrownBy(() -> GgmlCheckpoint.open(file))
          .as(file.getFileName().toString())
          .isInstanceOf(CheckpointException.class)
          .hasMessageContaining(file.toString())
          .hasMessageContaining("convert");
    }
  }

  @Test
  void shouldRejectConverterShapesThatAreNotRwkv6() throws IOException {
    final Path file =
        new GgmlFileWriter()
            .header(4, 32)
            .minimalV6(4, 32)
            .f32("blocks.0.att.time_faaaa", new int[] {8, 4}, new float[32])
            .write(tmp.resolve("faaaa.bin"));
    assertThatThrownBy(() -> GgmlCheckpoint.open(file))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("time_faaaa is stored with shape [4, 8]")
        .hasMessageContaining("[H, N, 1]");
  }

  @Test
  void shouldRejectFilesThatAreNotRwkv6OrDisagreeWithTheirHeader() throws IOException {
    final Path v5 =
        new GgmlFileWriter()
            .header(4, 32)
            .f32("emb.weight", new int[] {32, 4}, new float[128])
            .write(tmp.resolve("v5.bin"));
    assertThatThrownBy(() -> GgmlCheckpoint.open(v5))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining(v5.toString())
        .hasMessageContaining("not an RWKV-6 (Finch) model");
    final Path mismatch =
        new GgmlFileWriter().header(8, 32).minimalV6(4, 32).write(tmp.resolve("mismatch.bin"));
    assertThatThrownBy(() -> GgmlCheckpoint.open(mismatch))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("header says n_vocab=8, n_embed=32 but emb.weight is [4, 32]");
  }

  @Test
  void shouldNameTheMissingTensorAndRefuseReadsAfterClose() {
    final GgmlCheckpoint ckpt = GgmlCheckpoint.open(SharedData.require(FP32));
    assertThatThrownBy(() -> ckpt.tensor("blocks.12.ln1.weight"))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining(ckpt.path().toString())
        .hasMessageContaining("has no tensor blocks.12.ln1.weight");
    final CheckpointTensor emb = ckpt.tensor("emb.weight");
    ckpt.close();
    assertThatThrownBy(emb::toFloats)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void shouldReportIndexingProgressUpToTheFileSize() throws IOException {
    final Path path = SharedData.require(FP32);
    final List<long[]> updates = new ArrayList<>();
    GgmlCheckpoint.open(path, (phase, done, total) -> updates.add(new long[] {done, total}))
        .close();
    assertThat(updates).hasSizeGreaterThan(300);
    assertThat(updates.get(updates.size() - 1)).containsExactly(Files.size(path), Files.size(path));
    for (int i = 1; i < updates.size(); i++) {
      assertThat(updates.get(i)[0]).isGreaterThanOrEqualTo(updates.get(i - 1)[0]);
    }
  }

  private Path truncatedCopy(final Path source, final long length) throws IOException {
    final byte[] all = Files.readAllBytes(source);
    return Files.write(tmp.resolve("cut-" + length + ".bin"), Arrays.copyOf(all, (int) length));
  }

  private static byte[] concat(final Path head, final byte[] tail) throws IOException {
    final byte[] a = Files.readAllBytes(head);
    final byte[] out = Arrays.copyOf(a, a.length + tail.length);
    System.arraycopy(tail, 0, out, a.length, tail.length);
    return out;
  }

  private static void assertShape(final CheckpointTensor t, final long... shape) {
    assertThat(t.shape()).as(t.name()).containsExactly(shape);
  }

  /** Asserts the value at a canonical multi-index (C order). */
  private static void assertAt(
      final GgmlCheckpoint ckpt, final String name, final float expected, final int... index) {
    final CheckpointTensor t = ckpt.tensor(name);
    final long[] shape = t.shape();
    long flat = 0;
    for (int d = 0; d < shape.length; d++) {
      flat = flat * shape[d] + index[d];
    }
    final float[] one = new float[1];
    t.readFloats(flat, one, 0, 1);
    assertThat(one[0]).as("%s%s", name, Arrays.toString(index)).isEqualTo(expected);
  }
}
