package io.finchstream.engine.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finchstream.engine.io.ggml.GgmlCheckpoint;
import io.finchstream.engine.testing.SharedData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Format recognition by content, whatever the file is called. */
class CheckpointsTest {

  @TempDir Path tmp;

  @Test
  void shouldOpenGgmlByContentWhateverTheExtension() throws IOException {
    final Path renamed =
        Files.copy(
            SharedData.require("tiny-rwkv-6v0-1m-FP32.bin"), tmp.resolve("model.safetensors"));
    try (Checkpoint ckpt = Checkpoints.open(renamed, LoadProgress.NONE)) {
      assertThat(ckpt).isInstanceOf(GgmlCheckpoint.class);
      assertThat(ckpt.format()).isEqualTo("ggml");
      assertThat(ckpt.path()).isEqualTo(renamed);
      assertThat(ckpt.names()).hasSize(342);
    }
  }

  @Test
  void shouldRecogniseFormatsFromTheirFirstBytes() throws IOException {
    assertThat(Checkpoints.sniff(write("a", new byte[] {0x66, 0x6d, 0x67, 0x67, 101, 0, 0, 0})))
        .isEqualTo(Checkpoints.Format.GGML);
    assertThat(Checkpoints.sniff(write("b", new byte[] {'P', 'K', 3, 4, 0, 0})))
        .isEqualTo(Checkpoints.Format.PTH);
    final byte[] st = "\2\0\0\0\0\0\0\0{}".getBytes(StandardCharsets.ISO_8859_1);
    assertThat(Checkpoints.sniff(write("c", st))).isEqualTo(Checkpoints.Format.SAFETENSORS);
    assertThat(Checkpoints.sniff(write("d", "GGUF\3\0\0\0".getBytes(StandardCharsets.US_ASCII))))
        .isEqualTo(Checkpoints.Format.GGUF);
    assertThat(Checkpoints.sniff(write("e", new byte[] {(byte) 0x80, 2, (byte) 0x8a, 10})))
        .isEqualTo(Checkpoints.Format.LEGACY_PICKLE);
    final byte[] tooLong = "\u00ff\0\0\0\0\0\0\0{}".getBytes(StandardCharsets.ISO_8859_1);
    assertThat(Checkpoints.sniff(write("f", tooLong))).isEqualTo(Checkpoints.Format.UNKNOWN);
  }

  @Test
  void shouldListTheSupportedFormatsForUnknownContent() throws IOException {
    final byte[] noise = new byte[4096];
    new Random(3).nextBytes(noise);
    noise[0] = 1;
    final Path file = write("noise.pth", noise);
    assertThatThrownBy(() -> Checkpoints.open(file, LoadProgress.NONE))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("not a recognised checkpoint")
        .hasMessageContaining("supported formats: official RWKV .pth")
        .hasMessageContaining("safetensors")
        .hasMessageContaining("rwkv.cpp ggml");
  }

  @Test
  void shouldExplainEmptyMissingAndDirectoryPaths() throws IOException {
    final Path empty = write("empty.bin", new byte[0]);
    assertThatThrownBy(() -> Checkpoints.open(empty, LoadProgress.NONE))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining(empty.toString())
        .hasMessageContaining("the file is empty");
    final Path missing = tmp.resolve("nope.pth");
    assertThatThrownBy(() -> Checkpoints.open(missing, LoadProgress.NONE))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining(missing.toString())
        .hasMessageContaining("no such file");
    assertThatThrownBy(() -> Checkpoints.open(tmp, LoadProgress.NONE))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("is a directory");
  }

  @Test
  void shouldPointGgufAndLegacyPickleUsersToAFix() throws IOException {
    final Path gguf = write("m.gguf", "GGUF\3\0\0\0\0\0\0\0".getBytes(StandardCharsets.US_ASCII));
    assertThatThrownBy(() -> Checkpoints.open(gguf, LoadProgress.NONE))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining(gguf.toString())
        .hasMessageContaining("GGUF")
        .hasMessageContaining("use the original .pth or safetensors");
    final Path legacy = write("old.pth", new byte[] {(byte) 0x80, 2, (byte) 0x8a, 10, 0, 0});
    assertThatThrownBy(() -> Checkpoints.open(legacy, LoadProgress.NONE))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining(legacy.toString())
        .hasMessageContaining("torch.save(torch.load(f), out)");
  }

  private Path write(final String name, final byte[] bytes) throws IOException {
    return Files.write(tmp.resolve(name), bytes);
  }
}
