package io.finchstream.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finchstream.engine.EngineException;
import io.finchstream.engine.testing.SharedData;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The World tokenizer against published vectors (finch-math.md §4.2), vectors from an independent
 * Python implementation (ast.literal_eval + brute-force longest match), and a brute-force Java
 * oracle.
 */
class WorldTokenizerTest {

  private static WorldTokenizer tokenizer() {
    return TokenizerTestData.worldTokenizer();
  }

  @Test
  void shouldEncodeTheEiffelTowerVectorFromRwkvLm() {
    assertThat(tokenizer().encode("The Eiffel tower is in the city of"))
        .containsExactly(6699, 304, 25740, 109, 39990, 4600, 4596, 22590, 30449, 4706);
  }

  @Test
  void shouldEncodeTheRwkvCppTestVectorWithSpecialTokensAsPlainText() {
    assertThat(tokenizer().encode("I'll 'd test блабла 以下は、]) -> <|endoftext|><|padding|> int"))
        .containsExactly(
            74, 5229, 274, 101, 32223, 5092, 27980, 2795, 27980, 33, 10399, 10258, 10139, 10079,
            1682, 3463, 295, 125, 25258, 7588, 2318, 125, 790, 125, 49520, 125, 63, 21888);
  }

  @Test
  void shouldEncodeTheExtraVectors() {
    assertThat(tokenizer().encode("\n\n")).containsExactly(261);
    assertThat(tokenizer().encode("\nElon Musk has")).containsExactly(11, 994, 2098, 29435, 21800);
    assertThat(tokenizer().encode("Hello world")).containsExactly(33155, 40213);
    assertThat(tokenizer().encode("User: hi\n\nAssistant:"))
        .containsExactly(24281, 59, 4571, 261, 5585, 41693, 59);
  }

  @Test
  void shouldMatchPythonOnEmojiAndOtherScripts() {
    // expected ids from the independent Python implementation (see class Javadoc)
    assertThat(tokenizer().encode("👩\u200d👩\u200d👧\u200d👦"))
        .containsExactly(
            3319, 146, 170, 9810, 3319, 146, 170, 9810, 3319, 146, 168, 9810, 3319, 146, 167);
    assertThat(tokenizer().encode("👍🏽")).containsExactly(28333, 3319, 144, 190);
    assertThat(tokenizer().encode("🇺🇦")).containsExactly(3319, 136, 187, 3319, 136, 167);
    assertThat(tokenizer().encode("مرحبا بالعالم"))
        .containsExactly(2949, 2934, 2930, 2925, 2924, 48211, 2942, 28211, 2949);
    assertThat(tokenizer().encode("Привет, мир"))
        .containsExactly(27858, 27950, 27930, 45, 32732, 2810);
    assertThat(tokenizer().encode("你好，世界")).containsExactly(10464, 11685, 19137, 10267, 14610);
  }

  @Test
  void shouldReadStrHexEscapesAsCodePointsAndBytesHexEscapesAsRawBytes() {
    assertThat(tokenizer().tokenBytes(2430)).containsExactly(0xC2, 0xA0); // '\xa0' is U+00A0
    assertThat(tokenizer().tokenBytes(129)).containsExactly(0x80); // b'\x80'
    assertThat(tokenizer().tokenBytes(3319)).containsExactly(0xF0, 0x9F); // b'\xf0\x9f'
    assertThat(tokenizer().tokenBytes(3320)).containsExactly('\t', '\t', '\t');
  }

  @Test
  void shouldMapEverySingleByteToIdPlusOne() {
    for (int b = 0; b < 256; b++) {
      assertThat(tokenizer().encodeBytes(new byte[] {(byte) b}))
          .as("byte %d", b)
          .containsExactly(b + 1);
    }
  }

  @Test
  void shouldEncodeEveryTokenAsItself() {
    // a token's own bytes are always their own longest match
    for (int id = 1; id <= 65_529; id++) {
      assertThat(tokenizer().encodeBytes(tokenizer().tokenBytes(id)))
          .as("id %d", id)
          .containsExactly(id);
    }
  }

  @Test
  void shouldDecodeEndOfTextAndReservedIdsToNothingAndRejectOthers() {
    assertThat(tokenizer().vocabSize()).isEqualTo(65_536);
    assertThat(tokenizer().endOfText()).isZero();
    assertThat(tokenizer().decode(new int[] {33155, 0, 65_530, 65_535, 40213}))
        .isEqualTo("Hello world");
    assertThatThrownBy(() -> tokenizer().decode(new int[] {65_536}))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("65536")
        .hasMessageContaining("0..65535");
    assertThatThrownBy(() -> tokenizer().tokenBytes(-1)).isInstanceOf(EngineException.class);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "Hello, world! How are you today?",
        "Съешь же ещё этих мягких французских булок, да выпей чаю.",
        "我能吞下玻璃而不伤身体。日本語のテキストも、한국어도 괜찮아요.",
        "مرحبا بالعالم، كيف حالك اليوم؟ שלום עולם",
        "👩‍👩‍👧‍👦 👨🏿‍💻 👍🏻👍🏼👍🏽👍🏾👍🏿 🏳️‍🌈 🇺🇦🇯🇵 🧑‍🤝‍🧑",
        "tabs\tand\r\nnewlines\n\n\n  indented   \u0000 nul \u007f del \u00a0 nbsp \u200b zwsp",
        "<|endoftext|><|padding|> ]) -> e\u0301 (combining accent) ﬁ ligature 𝕏 math",
      })
  void shouldRoundTripMultilingualText(final String text) {
    final int[] ids = tokenizer().encode(text);
    assertThat(tokenizer().decode(ids)).isEqualTo(text);
    assertThat(ids).containsExactly(BruteForce.get().encode(text.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void shouldMatchBruteForceOnRandomBytes() {
    final Random random = new Random(42);
    for (int round = 0; round < 200; round++) {
      final byte[] bytes = randomMix(random, 1 + random.nextInt(400));
      final int[] ids = tokenizer().encodeBytes(bytes);
      assertThat(ids).as("round %d", round).containsExactly(BruteForce.get().encode(bytes));
      assertThat(tokenizer().decodeBytes(ids)).isEqualTo(bytes);
    }
  }

  @Test
  void shouldRoundTripTinyShakespeareAndMatchPython() throws Exception {
    final byte[] text = Files.readAllBytes(SharedData.require("tinyshakespeare.txt"));
    final int[] ids = tokenizer().encodeBytes(text);
    assertThat(tokenizer().decodeBytes(ids)).isEqualTo(text);
    // from the independent Python implementation: count, head, sum and sha256 of the comma-joined
    // ids
    assertThat(ids).hasSize(331_658);
    assertThat(Arrays.copyOf(ids, 16))
        .containsExactly(
            33106, 50075, 59, 11, 40327, 4858, 52570, 21273, 51816, 45, 31063, 4660, 39755, 47, 261,
            5559);
    assertThat(Arrays.stream(ids).asLongStream().sum()).isEqualTo(5_141_847_938L);
    final String joined =
        Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(","));
    assertThat(
            HexFormat.of()
                .formatHex(
                    MessageDigest.getInstance("SHA-256")
                        .digest(joined.getBytes(StandardCharsets.US_ASCII))))
        .isEqualTo("f636ba7f812c0c2e19c7330e48df9dbf1516d562b63874a4738ec943e7a56178");
  }

  /**
   * Text-like bytes: ASCII, multi-byte characters and raw noise, so long matches and fallbacks both
   * occur.
   */
  static byte[] randomMix(final Random random, final int pieces) {
    final String[] words = {
      "the ", "The", " and", "\n\n", "ing", "блабла", "以下", "👍🏽", "\u00a0", "   ", "é"
    };
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < pieces; i++) {
      switch (random.nextInt(4)) {
        case 0 ->
            out.writeBytes(words[random.nextInt(words.length)].getBytes(StandardCharsets.UTF_8));
        case 1 -> out.write(random.nextInt(256));
        case 2 -> out.write(' ' + random.nextInt(95));
        default ->
            out.writeBytes(
                Character.toString(0x400 + random.nextInt(0x1000))
                    .getBytes(StandardCharsets.UTF_8));
      }
    }
    return out.toByteArray();
  }

  /** Independent oracle: at each position try every length from 128 down to 1 in a hash map. */
  static final class BruteForce {
    private static BruteForce instance;
    private final Map<String, Integer> ids = new HashMap<>();

    private BruteForce(final Tokenizer tokenizer) {
      for (int id = 1; id <= 65_529; id++) {
        ids.put(new String(tokenizer.tokenBytes(id), StandardCharsets.ISO_8859_1), id);
      }
    }

    static synchronized BruteForce get() {
      if (instance == null) {
        instance = new BruteForce(TokenizerTestData.worldTokenizer());
      }
      return instance;
    }

    int[] encode(final byte[] bytes) {
      final String s = new String(bytes, StandardCharsets.ISO_8859_1);
      final int[] out = new int[bytes.length];
      int count = 0;
      int pos = 0;
      while (pos < s.length()) {
        for (int len = Math.min(128, s.length() - pos); len >= 1; len--) {
          final Integer id = ids.get(s.substring(pos, pos + len));
          if (id != null) {
            out[count++] = id;
            pos += len;
            break;
          }
        }
      }
      return Arrays.copyOf(out, count);
    }
  }
}
