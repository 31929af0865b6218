package io.finchstream.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.engine.testing.SharedData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Streaming decoding: chunks never split a character, nothing is lost, and the concatenation equals
 * whole-sequence decoding. Oracles: the JDK's UTF-8 decoder (wherever it follows the Unicode
 * substitution practice, i.e. no encoded surrogates ED A0..BF) and vectors from Python's {@code
 * bytes.decode('utf-8', 'replace')}.
 */
class StreamingDecoderTest {

  private static List<String> streamTokens(final Tokenizer tokenizer, final int[] ids) {
    final StreamingDecoder decoder = new StreamingDecoder(tokenizer);
    final List<String> chunks = new ArrayList<>();
    for (final int id : ids) {
      chunks.add(decoder.push(id));
    }
    chunks.add(decoder.finish());
    return chunks;
  }

  private static void assertWellFormed(final List<String> chunks) {
    for (final String chunk : chunks) {
      for (int i = 0; i < chunk.length(); i++) {
        final char c = chunk.charAt(i);
        if (Character.isHighSurrogate(c)) {
          assertThat(i + 1 < chunk.length() && Character.isLowSurrogate(chunk.charAt(i + 1)))
              .as("chunk %s splits a surrogate pair", chunk)
              .isTrue();
          i++;
        } else {
          assertThat(Character.isLowSurrogate(c))
              .as("chunk %s starts inside a surrogate pair", chunk)
              .isFalse();
        }
      }
    }
  }

  /**
   * The JDK replaces ED A0..BF xx as one unit rather than per maximal subpart; elsewhere it is an
   * oracle.
   */
  private static boolean jdkIsAnOracleFor(final byte[] bytes) {
    for (int i = 0; i + 1 < bytes.length; i++) {
      if ((bytes[i] & 0xFF) == 0xED
          && (bytes[i + 1] & 0xFF) >= 0xA0
          && (bytes[i + 1] & 0xFF) <= 0xBF) {
        return false;
      }
    }
    return true;
  }

  @Test
  void shouldReplaceEachMaximalSubpartLikePython() {
    // "hex → number of U+FFFD" from Python: bytes.fromhex(h).decode('utf-8', 'replace')
    final String[][] vectors = {
      {"eda080", "3"},
      {"eda0", "2"},
      {"eddf", "2"},
      {"90bf9fc2eda0eddf", "8"},
      {"e080", "2"},
      {"f4908080", "4"},
      {"f09f", "1"},
      {"c0af", "2"},
      {"eda0eddf", "4"}
    };
    for (final String[] v : vectors) {
      final String decoded = Utf8Decoder.decode(HexFormat.of().parseHex(v[0]));
      assertThat(decoded).as(v[0]).isEqualTo("\uFFFD".repeat(Integer.parseInt(v[1])));
    }
    assertThat(Utf8Decoder.decode(HexFormat.of().parseHex("edbfbf41")))
        .isEqualTo("\uFFFD\uFFFD\uFFFDA");
  }

  @Test
  void shouldHoldBackAnEmojiSplitAcrossBytesTokens() {
    final WorldTokenizer tokenizer = TokenizerTestData.worldTokenizer();
    final int[] ids =
        tokenizer.encode("a👍🏽b"); // 👍 is token 28333; 🏽 is bytes tokens 3319 (F0 9F), 144, 190
    final StreamingDecoder decoder = new StreamingDecoder(tokenizer);
    final StringBuilder all = new StringBuilder();
    for (final int id : ids) {
      final String chunk = decoder.push(id);
      if (id == 3319) {
        assertThat(chunk).isEmpty();
        assertThat(decoder.pendingBytes()).isEqualTo(2);
      }
      all.append(chunk);
    }
    all.append(decoder.finish());
    assertThat(all.toString()).isEqualTo("a👍🏽b");
    assertThat(decoder.pendingBytes()).isZero();
  }

  @Test
  void shouldDecodeEveryBytesLiteralTokenWithoutLosingBytes() {
    final WorldTokenizer tokenizer = TokenizerTestData.worldTokenizer();
    final Random random = new Random(7);
    for (int round = 0; round < 2000; round++) {
      // ids 129..3319 are the bytes literals: fragments of multi-byte characters, alone invalid
      // UTF-8
      final int[] ids = new int[1 + random.nextInt(8)];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = 129 + random.nextInt(3319 - 129 + 1);
      }
      final List<String> chunks = streamTokens(tokenizer, ids);
      assertWellFormed(chunks);
      final byte[] bytes = tokenizer.decodeBytes(ids);
      assertThat(String.join("", chunks)).isEqualTo(tokenizer.decode(ids));
      if (jdkIsAnOracleFor(bytes)) {
        assertThat(String.join("", chunks)).isEqualTo(new String(bytes, StandardCharsets.UTF_8));
      }
    }
  }

  @Test
  void shouldReassembleCharactersSplitOverBytesTokensExactly() {
    final WorldTokenizer tokenizer = TokenizerTestData.worldTokenizer();
    final String text = "👩\u200d👩\u200d👧\u200d👦 🇺🇦 𝕏 👍🏿 以下は 🧑\u200d🤝\u200d🧑";
    final int[] ids = tokenizer.encode(text);
    assertThat(Arrays.stream(ids).anyMatch(id -> id >= 129 && id <= 3319))
        .as("bytes-literal tokens involved")
        .isTrue();
    final List<String> chunks = streamTokens(tokenizer, ids);
    assertWellFormed(chunks);
    assertThat(String.join("", chunks)).isEqualTo(text);
  }

  @Test
  void shouldMatchWholeDecodingForRandomTokenSequences() {
    final WorldTokenizer tokenizer = TokenizerTestData.worldTokenizer();
    final Random random = new Random(11);
    for (int round = 0; round < 2000; round++) {
      final int[] ids = new int[random.nextInt(30)];
      for (int i = 0; i < ids.length; i++) {
        ids[i] =
            random.nextInt(4) == 0
                ? 129 + random.nextInt(3191)
                : random.nextInt(WorldTokenizer.VOCAB_SIZE);
      }
      final List<String> chunks = streamTokens(tokenizer, ids);
      assertWellFormed(chunks);
      assertThat(String.join("", chunks)).as("round %d", round).isEqualTo(tokenizer.decode(ids));
    }
  }

  @Test
  void shouldMatchTheJdkDecoderOnRandomBytesSplitAnywhere() {
    final Random random = new Random(3);
    final int[] interesting = {
      0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1,
      0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF
    };
    for (int round = 0; round < 20_000; round++) {
      final byte[] bytes = new byte[random.nextInt(12)];
      for (int i = 0; i < bytes.length; i++) {
        bytes[i] = (byte) interesting[random.nextInt(interesting.length)];
      }
      final StreamingDecoder decoder = new StreamingDecoder(ByteTokenizer.INSTANCE);
      final List<String> chunks = new ArrayList<>();
      int at = 0;
      while (at < bytes.length) {
        final int n = 1 + random.nextInt(bytes.length - at);
        final byte[] piece = new byte[n];
        System.arraycopy(bytes, at, piece, 0, n);
        chunks.add(decoder.pushBytes(piece));
        at += n;
      }
      chunks.add(decoder.finish());
      assertWellFormed(chunks);
      final String joined = String.join("", chunks);
      assertThat(joined)
          .as("bytes %s", HexFormat.of().formatHex(bytes))
          .isEqualTo(Utf8Decoder.decode(bytes));
      if (jdkIsAnOracleFor(bytes)) {
        assertThat(joined)
            .as("bytes %s", HexFormat.of().formatHex(bytes))
            .isEqualTo(new String(bytes, StandardCharsets.UTF_8));
      }
    }
  }

  @Test
  void shouldEmitReplacementOnlyOnceItIsCertain() {
    final StreamingDecoder decoder = new StreamingDecoder(ByteTokenizer.INSTANCE);
    assertThat(decoder.pushBytes(new byte[] {(byte) 0xE2, (byte) 0x82}))
        .isEmpty(); // could still be €
    assertThat(decoder.pendingBytes()).isEqualTo(2);
    assertThat(decoder.pushBytes(new byte[] {'x'})).isEqualTo("\uFFFDx"); // now it cannot
    assertThat(decoder.pushBytes(new byte[] {(byte) 0xFF}))
        .isEqualTo("\uFFFD"); // never valid: at once
    assertThat(decoder.pushBytes(new byte[] {(byte) 0xF0, (byte) 0x9F})).isEmpty();
    assertThat(decoder.finish()).isEqualTo("\uFFFD");
    assertThat(decoder.push(0)).isEmpty(); // end of text decodes to nothing
  }

  @Test
  void shouldStreamTinyShakespeareExactly() throws Exception {
    final WorldTokenizer tokenizer = TokenizerTestData.worldTokenizer();
    final byte[] text = Files.readAllBytes(SharedData.require("tinyshakespeare.txt"));
    final int[] ids = tokenizer.encodeBytes(text);
    final List<String> chunks = streamTokens(tokenizer, ids);
    assertThat(String.join("", chunks)).isEqualTo(new String(text, StandardCharsets.UTF_8));
  }
}
