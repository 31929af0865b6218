package io.finchstream.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finchstream.engine.EngineException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ByteTokenizerTest {

  private final Tokenizer tokenizer = ByteTokenizer.INSTANCE;

  @Test
  void shouldEncodeTheTinyModelPromptAsItsBytes() {
    assertThat(tokenizer.encode("\"in")).containsExactly(34, 105, 110); // finch-math.md §5.3
  }

  @Test
  void shouldRoundTripUtf8Text() {
    final String text = "Съешь 以下 👍🏽 ok";
    final int[] ids = tokenizer.encode(text);
    assertThat(ids).hasSize(text.getBytes(StandardCharsets.UTF_8).length);
    assertThat(tokenizer.decode(ids)).isEqualTo(text);
  }

  @Test
  void shouldTreatZeroAsEndOfTextWhenDecoding() {
    assertThat(tokenizer.vocabSize()).isEqualTo(256);
    assertThat(tokenizer.decodeBytes(new int[] {104, 0, 105})).containsExactly('h', 'i');
    assertThat(tokenizer.encodeBytes(new byte[] {0, (byte) 0xFF})).containsExactly(0, 255);
  }

  @Test
  void shouldRejectIdsOutsideTheVocabulary() {
    assertThatThrownBy(() -> tokenizer.decode(new int[] {256}))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("token id 256 is outside the vocabulary (valid ids are 0..255)");
    assertThatThrownBy(() -> tokenizer.tokenBytes(-1)).isInstanceOf(EngineException.class);
  }
}
