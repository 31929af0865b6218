package io.finchstream.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finchstream.engine.EngineException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Strict loading of the vocab file: every error names the file and, where it applies, the line. */
class WorldVocabTest {

  @TempDir Path dir;

  private Path write(final String name, final byte[] content) throws IOException {
    final Path file = dir.resolve(name);
    Files.write(file, content);
    return file;
  }

  private Path write(final String name, final String content) throws IOException {
    return write(name, content.getBytes(StandardCharsets.UTF_8));
  }

  private static List<String> realLines() throws IOException {
    return new ArrayList<>(
        Files.readAllLines(TokenizerTestData.worldVocab(), StandardCharsets.UTF_8));
  }

  private Path writeLines(final String name, final List<String> lines) throws IOException {
    return write(name, String.join("\n", lines) + "\n");
  }

  @Test
  void shouldNameAMissingFile() {
    final Path missing = dir.resolve("nope/rwkv_vocab_v20230424.txt");
    assertThatThrownBy(() -> WorldTokenizer.load(missing))
        .isInstanceOf(VocabException.class)
        .isInstanceOf(EngineException.class)
        .hasMessageStartingWith(missing + ": ")
        .hasMessageContaining("not found");
  }

  @Test
  void shouldNameFileAndLineOfAMalformedLine() throws IOException {
    final Path file = write("v.txt", "1 '\\x00' 1\n2 'a'\n");
    assertThatThrownBy(() -> WorldTokenizer.load(file))
        .isInstanceOf(VocabException.class)
        .hasMessageStartingWith(file + ":2: malformed line");
  }

  @Test
  void shouldRejectAnEmptyLine() throws IOException {
    final Path file = write("v.txt", "1 '\\x00' 1\n\n3 'b' 1\n");
    assertThatThrownBy(() -> WorldTokenizer.load(file))
        .hasMessageStartingWith(file + ":2: malformed line");
  }

  @Test
  void shouldRejectIdsOutOfOrder() throws IOException {
    final Path file = write("v.txt", "1 '\\x00' 1\n3 '\\x01' 1\n");
    assertThatThrownBy(() -> WorldTokenizer.load(file))
        .hasMessageStartingWith(file + ":2: id 3 out of order, expected 2");
  }

  @Test
  void shouldRejectANonNumericId() throws IOException {
    final Path file = write("v.txt", "one '\\x00' 1\n");
    assertThatThrownBy(() -> WorldTokenizer.load(file))
        .hasMessageStartingWith(file + ":1: bad id 'one'");
  }

  @Test
  void shouldRejectAWrongByteLength() throws IOException {
    final Path file = write("v.txt", "1 '\\x00' 1\n2 '\\xa0' 1\n");
    assertThatThrownBy(() -> WorldTokenizer.load(file))
        .hasMessageStartingWith(file + ":2: id 2 decodes to 2 bytes but the line declares 1");
  }

  @Test
  void shouldRejectABadLiteral() throws IOException {
    final Path file = write("v.txt", "1 '\\x00' 1\n2 '\\q' 1\n");
    assertThatThrownBy(() -> WorldTokenizer.load(file))
        .hasMessageStartingWith(file + ":2: bad literal for id 2")
        .hasMessageContaining("unsupported escape \\q");
  }

  @Test
  void shouldRejectALineThatIsNotUtf8() throws IOException {
    final Path file =
        write("v.txt", new byte[] {'1', ' ', '\'', (byte) 0xC3, '\'', ' ', '1', '\n'});
    assertThatThrownBy(() -> WorldTokenizer.load(file))
        .hasMessageStartingWith(file + ":1: line is not valid UTF-8");
  }

  @Test
  void shouldRejectATruncatedFile() throws IOException {
    final Path file = write("v.txt", "1 '\\x00' 1\n2 '\\x01' 1\n3 '\\x02' 1\n");
    assertThatThrownBy(() -> WorldTokenizer.load(file))
        .hasMessageStartingWith(file + ": has 3 entries, expected 65529");
  }

  @Test
  void shouldRejectExtraEntries() throws IOException {
    final List<String> lines = realLines();
    lines.add("65530 '" + "z".repeat(29) + "' 29");
    final Path file = writeLines("v.txt", lines);
    assertThatThrownBy(() -> WorldTokenizer.load(file))
        .hasMessageStartingWith(file + ":65530: more than 65529 entries");
  }

  @Test
  void shouldRejectDuplicateTokens() throws IOException {
    final List<String> lines = realLines();
    lines.set(299, "300 '\\x00' 1"); // same bytes as id 1 (and lengths still match)
    final Path file = writeLines("v.txt", lines);
    assertThatThrownBy(() -> WorldTokenizer.load(file))
        .hasMessageStartingWith(file + ":300: id 300 has the same bytes as id 1");
  }

  @Test
  void shouldRejectAVocabWithoutEverySingleByte() throws IOException {
    final List<String> lines = realLines();
    lines.set(0, "1 '" + "z".repeat(42) + "' 42"); // byte 0x00 now has no token
    final Path file = writeLines("v.txt", lines);
    assertThatThrownBy(() -> WorldTokenizer.load(file))
        .hasMessageStartingWith(file + ": no token for the single byte 0x00");
  }

  @Test
  void shouldReadTheCrlfCopyExactlyLikeTheLfOne() throws IOException {
    final Path file = write("crlf.txt", String.join("\r\n", realLines()) + "\r\n");
    final WorldTokenizer crlf = WorldTokenizer.load(file);
    final WorldTokenizer lf = TokenizerTestData.worldTokenizer();
    for (int id = 0; id < lf.vocabSize(); id++) {
      assertThat(crlf.tokenBytes(id)).as("id %d", id).isEqualTo(lf.tokenBytes(id));
    }
    assertThat(crlf.encode("User: hi\n\nAssistant:"))
        .containsExactly(24281, 59, 4571, 261, 5585, 41693, 59);
  }
}
