package io.finchstream.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finchstream.engine.EngineException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TokenizersTest {

  @Test
  void shouldPickBytesForVocab256() {
    assertThat(Tokenizers.forModel(256, null)).isSameAs(ByteTokenizer.INSTANCE);
  }

  @Test
  void shouldPickWorldForVocab65536() {
    final Tokenizer tokenizer = Tokenizers.forModel(65_536, TokenizerTestData.worldVocab());
    assertThat(tokenizer).isInstanceOf(WorldTokenizer.class);
    assertThat(tokenizer.encode("Hello world")).containsExactly(33155, 40213);
  }

  @Test
  void shouldAskForTheVocabFileOfAWorldModel() {
    assertThatThrownBy(() -> Tokenizers.forModel(65_536, null))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("rwkv_vocab_v20230424.txt");
  }

  @Test
  void shouldPassOnVocabLoadErrors() {
    final Path missing = Path.of("no/such/vocab.txt");
    assertThatThrownBy(() -> Tokenizers.forModel(65_536, missing))
        .isInstanceOf(VocabException.class)
        .hasMessageContaining(missing.toString());
  }

  @Test
  void shouldRejectAnUnknownVocabSize() {
    assertThatThrownBy(() -> Tokenizers.forModel(50_277, null))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("50277")
        .hasMessageContaining("256")
        .hasMessageContaining("65536");
  }
}
