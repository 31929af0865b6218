package io.finchstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.engine.tokenizer.TokenizerTestData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizeCommandTest {

  @TempDir Path dir;

  private static String vocab() {
    return TokenizerTestData.worldVocab().toString();
  }

  @Test
  void shouldPrintTheIdsAsOneJsonArrayOnTheLastLine() {
    final CliRun run =
        CliRun.of("tokenize", "--vocab", vocab(), "--text", "The Eiffel tower is in the city of");
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.lastLine())
        .isEqualTo("[6699, 304, 25740, 109, 39990, 4600, 4596, 22590, 30449, 4706]");
  }

  @Test
  void shouldTokenizeATextFileByItsRawBytes() throws IOException {
    final Path text = dir.resolve("prompt.txt");
    Files.write(text, "User: hi\n\nAssistant:".getBytes(StandardCharsets.UTF_8));
    final CliRun run = CliRun.of("tokenize", "--vocab", vocab(), "--text-file", text.toString());
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.lastLine()).isEqualTo("[24281, 59, 4571, 261, 5585, 41693, 59]");
    Files.write(text, new byte[] {(byte) 0x80, 'A'}); // not UTF-8: still byte-exact
    assertThat(CliRun.of("tokenize", "--vocab", vocab(), "--text-file", text.toString()).lastLine())
        .isEqualTo("[129, 66]");
  }

  @Test
  void shouldPrintAnEmptyArrayForEmptyText() {
    assertThat(CliRun.of("tokenize", "--vocab", vocab(), "--text", "").lastLine()).isEqualTo("[]");
  }

  @Test
  void shouldFailWithOneLineForAMissingVocab() {
    final Path missing = dir.resolve("missing-vocab.txt");
    final CliRun run = CliRun.of("tokenize", "--vocab", missing.toString(), "--text", "hi");
    assertThat(run.exit()).isNotZero();
    assertThat(run.out()).isEmpty();
    assertThat(run.err().strip())
        .doesNotContain("\n")
        .contains(missing.toString())
        .contains("not found");
  }

  @Test
  void shouldFailWithOneLineForAMalformedVocab() throws IOException {
    final Path bad = dir.resolve("bad-vocab.txt");
    Files.writeString(bad, "1 '\\x00' 1\n2 oops\n");
    final CliRun run = CliRun.of("tokenize", "--vocab", bad.toString(), "--text", "hi");
    assertThat(run.exit()).isNotZero();
    assertThat(run.err().strip()).doesNotContain("\n").contains(bad + ":2:");
  }

  @Test
  void shouldFailForAMissingTextFile() {
    final Path missing = dir.resolve("nope.txt");
    final CliRun run = CliRun.of("tokenize", "--vocab", vocab(), "--text-file", missing.toString());
    assertThat(run.exit()).isNotZero();
    assertThat(run.err().strip()).doesNotContain("\n").contains(missing + ": text file not found");
  }

  @Test
  void shouldRequireExactlyOneTextSource() {
    assertThat(CliRun.of("tokenize", "--vocab", "v.txt").exit()).isEqualTo(2);
    assertThat(CliRun.of("tokenize", "--vocab", "v.txt", "--text", "a", "--text-file", "f").exit())
        .isEqualTo(2);
  }
}
