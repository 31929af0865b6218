package io.finchstream.engine.io.torch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.finchstream.engine.io.Checkpoint;
import io.finchstream.engine.io.CheckpointException;
import io.finchstream.engine.io.CheckpointTensor;
import io.finchstream.engine.io.Checkpoints;
import io.finchstream.engine.io.DType;
import io.finchstream.engine.io.Fixtures;
import io.finchstream.engine.io.safetensors.SafetensorsCheckpoint;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The .pth reader on torch-written fixtures. Expected names, shapes and values come from the
 * checksums the Python generator wrote beside them (finch-tiny.json), not from this reader.
 */
class TorchCheckpointTest {

  private static final String BF16 = "finch-tiny/finch-tiny-bf16.pth";
  private static final String FP32 = "finch-tiny/finch-tiny-fp32.pth";
  private static final String TWIN = "finch-tiny/finch-tiny-hf-bf16.safetensors";

  @TempDir Path tmp;

  @ParameterizedTest
  @CsvSource({"finch-tiny/finch-tiny-bf16.pth, BF16", "finch-tiny/finch-tiny-fp32.pth, F32"})
  void shouldLoadStateDictWithNamesShapesDtypesAndValuesOfTheGenerator(
      final String fixture, final DType dtype) {
    final JsonNode tensors = Fixtures.finchTinyMeta().get("tensors");
    try (TorchCheckpoint ckpt = TorchCheckpoint.open(Fixtures.file(fixture))) {
      assertThat(ckpt.format()).isEqualTo("pth");
      final List<String> expectedNames = new ArrayList<>();
      tensors.forEach(t -> expectedNames.add(t.get("name").asText()));
      assertThat(ckpt.names()).containsExactlyElementsOf(expectedNames);
      assertThat(expectedNames).hasSize(2 * 28 + 2 + 4); // blocks, ln0, emb/ln_out/head
      for (final JsonNode t : tensors) {
        final CheckpointTensor tensor = ckpt.tensor(t.get("name").asText());
        assertSameAsGenerator(tensor, t);
        assertThat(tensor.storedType()).as(tensor.name()).isEqualTo(dtype);
      }
    }
  }

  @Test
  void shouldPresentTheCanonicalShapesOfTheOfficialLayout() {
    try (TorchCheckpoint ckpt = TorchCheckpoint.open(Fixtures.file(BF16))) {
      assertThat(ckpt.tensor("emb.weight").shape()).containsExactly(256, 64);
      assertThat(ckpt.tensor("blocks.1.att.time_maa_x").shape()).containsExactly(1, 1, 64);
      assertThat(ckpt.tensor("blocks.1.att.time_maa_w1").shape()).containsExactly(64, 160);
      assertThat(ckpt.tensor("blocks.1.att.time_maa_w2").shape()).containsExactly(5, 32, 64);
      assertThat(ckpt.tensor("blocks.1.att.time_decay").shape()).containsExactly(1, 1, 64);
      assertThat(ckpt.tensor("blocks.1.att.time_decay_w1").shape()).containsExactly(64, 64);
      assertThat(ckpt.tensor("blocks.1.att.time_faaaa").shape()).containsExactly(4, 16);
      assertThat(ckpt.tensor("blocks.1.ffn.key.weight").shape()).containsExactly(224, 64);
      assertThat(ckpt.tensor("blocks.1.ffn.value.weight").shape()).containsExactly(64, 224);
      assertThat(ckpt.tensor("head.weight").shape()).containsExactly(256, 64);
    }
  }

  @Test
  void shouldAgreeExactlyAcrossBf16Fp32AndTheSafetensorsTwin() {
    try (TorchCheckpoint bf16 = TorchCheckpoint.open(Fixtures.file(BF16));
        TorchCheckpoint fp32 = TorchCheckpoint.open(Fixtures.file(FP32));
        SafetensorsCheckpoint twin = SafetensorsCheckpoint.open(Fixtures.file(TWIN))) {
      assertThat(twin.hfNames()).isTrue();
      assertThat(twin.names()).containsExactlyElementsOf(bf16.names());
      assertThat(fp32.names()).containsExactlyElementsOf(bf16.names());
      for (final String name : bf16.names()) {
        final float[] v = bf16.tensor(name).toFloats();
        assertThat(fp32.tensor(name).toFloats()).as(name).isEqualTo(v);
        assertThat(twin.tensor(name).toFloats()).as(name).isEqualTo(v);
        assertThat(twin.tensor(name).shape()).as(name).isEqualTo(bf16.tensor(name).shape());
      }
    }
  }

  @Test
  void shouldHonourStorageOffsetsOfViewsSharingOneStorage() {
    // the fp32 fixture stores each block's ln1/ln2 weight and bias as four views of one storage
    final JsonNode tensors = Fixtures.finchTinyMeta().get("tensors");
    try (TorchCheckpoint ckpt = TorchCheckpoint.open(Fixtures.file(FP32))) {
      for (final JsonNode t : tensors) {
        if (t.get("name").asText().matches("blocks\\.\\d\\.ln[12]\\.(weight|bias)")) {
          assertSameAsGenerator(ckpt.tensor(t.get("name").asText()), t);
        }
      }
    }
  }

  @Test
  void shouldVerifyChecksumsAndReportProgressThroughCheckpointsOpen() throws IOException {
    final Path file = Fixtures.file(BF16);
    final List<long[]> updates = new ArrayList<>();
    try (Checkpoint ckpt =
        Checkpoints.open(
            file,
            (phase, done, total) -> {
              assertThat(phase).contains("CRC-32");
              updates.add(new long[] {done, total});
            })) {
      assertThat(ckpt).isInstanceOf(TorchCheckpoint.class);
    }
    final long total = storageBytes(file);
    assertThat(updates).hasSizeGreaterThan(60);
    assertThat(updates.get(updates.size() - 1)).containsExactly(total, total);
    for (int i = 1; i < updates.size(); i++) {
      assertThat(updates.get(i)[0]).isGreaterThanOrEqualTo(updates.get(i - 1)[0]);
    }
  }

  @Test
  void shouldDetectACorruptStorageByItsCrc() throws IOException {
    final byte[] bytes = Files.readAllBytes(Fixtures.file(BF16));
    final int at =
        indexOf(bytes, "finch-tiny-bf16/data/0".getBytes(StandardCharsets.UTF_8))
            + 200; // inside emb data
    bytes[at] ^= 0x10;
    final Path file = Files.write(tmp.resolve("flipped.pth"), bytes);
    assertThatThrownBy(() -> TorchCheckpoint.open(file, (p, d, t) -> {}, true))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("data/0 fails its CRC-32 check");
  }

  @Test
  void shouldFindTheArchiveRootWhateverItsName() throws IOException {
    final Path renamed =
        rewriteZip(Fixtures.file(BF16), tmp.resolve("x.bin"), "archive/", ZipEntry.STORED, 0);
    try (TorchCheckpoint a = TorchCheckpoint.open(renamed);
        TorchCheckpoint b = TorchCheckpoint.open(Fixtures.file(BF16))) {
      assertThat(a.names()).containsExactlyElementsOf(b.names());
      assertThat(a.tensor("head.weight").toFloats()).isEqualTo(b.tensor("head.weight").toFloats());
    }
  }

  @Test
  void shouldReadZip64Archives() throws IOException {
    // more than 65535 entries make the writer use the Zip64 end-of-central-directory records
    final Path big =
        rewriteZip(Fixtures.file(BF16), tmp.resolve("z64.pth"), "big/", ZipEntry.STORED, 66_000);
    final byte[] tail =
        Arrays.copyOfRange(
            Files.readAllBytes(big), (int) Files.size(big) - 98, (int) Files.size(big));
    assertThat(indexOf(tail, new byte[] {0x50, 0x4b, 0x06, 0x06})).as("Zip64 record").isZero();
    try (TorchCheckpoint a = TorchCheckpoint.open(big);
        TorchCheckpoint b = TorchCheckpoint.open(Fixtures.file(BF16))) {
      assertThat(a.names()).containsExactlyElementsOf(b.names());
      assertThat(a.tensor("emb.weight").toFloats()).isEqualTo(b.tensor("emb.weight").toFloats());
    }
  }

  @Test
  void shouldRejectCompressedArchives() throws IOException {
    final Path deflated =
        rewriteZip(Fixtures.file(BF16), tmp.resolve("z.pth"), "archive/", ZipEntry.DEFLATED, 0);
    assertThatThrownBy(() -> TorchCheckpoint.open(deflated))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining(deflated.toString())
        .hasMessageContaining("is compressed")
        .hasMessageContaining("torch.save");
  }

  @ParameterizedTest
  @ValueSource(ints = {10, 1000, 200_000, 416_000})
  void shouldRejectTruncatedCopies(final int length) throws IOException {
    final byte[] all = Files.readAllBytes(Fixtures.file(BF16));
    final Path file = Files.write(tmp.resolve("cut" + length + ".pth"), Arrays.copyOf(all, length));
    assertThatThrownBy(() -> Checkpoints.open(file, (p, d, t) -> {}))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("truncated");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "noncontiguous.pth | emb.weight of shape [3, 4] has strides [1, 3], which are not"
            + " C-contiguous | .contiguous()",
        "int64-storage.pth | tensor step uses torch.LongStorage, an unsupported storage type"
            + " | .bfloat16() or .float()",
        "list-not-state-dict.pth | data.pkl holds a Python list, not a state_dict | torch.save(",
        "training-checkpoint.pth | state_dict entry model is a Python OrderedDict, not a tensor"
            + " | model.state_dict()",
        "foreign-global.pth | data.pkl refers to argparse.Namespace | model.state_dict()"
      })
  void shouldRejectMalformedFixturesWithOneClearError(
      final String fixture, final String problem, final String fix) {
    final Path file = Fixtures.file("pth-bad/" + fixture);
    assertThatThrownBy(() -> Checkpoints.open(file, (p, d, t) -> {}))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining(problem)
        .hasMessageContaining(fix);
  }

  @Test
  void shouldRejectAZipThatIsNotATorchCheckpoint() throws IOException {
    final Path file = tmp.resolve("plain.zip");
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
      zip.putNextEntry(new ZipEntry("readme.txt"));
      zip.write("hello".getBytes(StandardCharsets.UTF_8));
      zip.closeEntry();
    }
    assertThatThrownBy(() -> Checkpoints.open(file, (p, d, t) -> {}))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("not a torch.save checkpoint");
  }

  /** Values equal the generator's: every element via sums, the first four and the last exactly. */
  private static void assertSameAsGenerator(final CheckpointTensor tensor, final JsonNode t) {
    final String name = tensor.name();
    final long[] shape = new long[t.get("shape").size()];
    Arrays.setAll(shape, i -> t.get("shape").get(i).asLong());
    assertThat(tensor.shape()).as(name).containsExactly(shape);
    final float[] v = tensor.toFloats();
    double sum = 0;
    double sumSq = 0;
    for (final float x : v) {
      sum += x;
      sumSq += (double) x * x;
    }
    assertThat(sum).as(name + " sum").isCloseTo(t.get("sum").asDouble(), within(1e-9 * v.length));
    assertThat(sumSq)
        .as(name + " sum_sq")
        .isCloseTo(t.get("sum_sq").asDouble(), within(1e-9 * v.length));
    for (int i = 0; i < 4; i++) {
      assertThat((double) v[i])
          .as(name + "[" + i + "]")
          .isEqualTo(t.get("first").get(i).asDouble());
    }
    assertThat((double) v[v.length - 1]).as(name + " last").isEqualTo(t.get("last").asDouble());
  }

  private static long storageBytes(final Path file) throws IOException {
    try (ZipFile zip = new ZipFile(file.toFile())) {
      return zip.stream()
          .filter(e -> e.getName().contains("/data/"))
          .mapToLong(ZipEntry::getSize)
          .sum();
    }
  }

  /**
   * Copies a torch zip under another root directory name with the given compression method, adding
   * {@code padding} empty entries.
   */
  private static Path rewriteZip(
      final Path src, final Path dst, final String root, final int method, final int padding)
      throws IOException {
    try (ZipFile in = new ZipFile(src.toFile());
        OutputStream os = Files.newOutputStream(dst);
        ZipOutputStream out = new ZipOutputStream(os)) {
      for (final ZipEntry e : in.stream().toList()) {
        final byte[] data;
        try (InputStream is = in.getInputStream(e)) {
          data = is.readAllBytes();
        }
        final ZipEntry copy =
            new ZipEntry(root + e.getName().substring(e.getName().indexOf('/') + 1));
        copy.setMethod(method);
        if (method == ZipEntry.STORED) {
          final CRC32 crc = new CRC32();
          crc.update(data);
          copy.setSize(data.length);
          copy.setCompressedSize(data.length);
          copy.setCrc(crc.getValue());
        }
        out.putNextEntry(copy);
        out.write(data);
        out.closeEntry();
      }
      for (int i = 0; i < padding; i++) {
        final ZipEntry pad = new ZipEntry(root + "pad/" + i);
        pad.setMethod(ZipEntry.STORED);
        pad.setSize(0);
        pad.setCompressedSize(0);
        pad.setCrc(0);
        out.putNextEntry(pad);
        out.closeEntry();
      }
    }
    return dst;
  }

  private static int indexOf(final byte[] haystack, final byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new IllegalStateException("not found");
  }
}
