package io.finchstream.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PythonLiteralTest {

  private static byte[] utf8(final String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void shouldEncodeStrLiteralsAsUtf8InBothQuoteStyles() {
    assertThat(PythonLiteral.toBytes("'abc'")).isEqualTo(utf8("abc"));
    assertThat(PythonLiteral.toBytes("\"it's\"")).isEqualTo(utf8("it's"));
    assertThat(PythonLiteral.toBytes("' \"'")).isEqualTo(utf8(" \""));
    assertThat(PythonLiteral.toBytes("'блабла 以下'")).isEqualTo(utf8("блабла 以下"));
    assertThat(PythonLiteral.toBytes("'👍🏽'"))
        .containsExactly(0xF0, 0x9F, 0x91, 0x8D, 0xF0, 0x9F, 0x8F, 0xBD);
  }

  @Test
  void shouldTreatHexEscapeInStrAsCodePoint() {
    assertThat(PythonLiteral.toBytes("'\\xa0'")).containsExactly(0xC2, 0xA0);
    assertThat(PythonLiteral.toBytes("'\\x00'")).containsExactly(0x00);
    assertThat(PythonLiteral.toBytes("'\\x7f\\x80'")).containsExactly(0x7F, 0xC2, 0x80);
  }

  @Test
  void shouldTreatHexEscapeInBytesAsRawByte() {
    assertThat(PythonLiteral.toBytes("b'\\x80'")).containsExactly(0x80);
    assertThat(PythonLiteral.toBytes("b'\\xf0\\x9f'")).containsExactly(0xF0, 0x9F);
    assertThat(PythonLiteral.toBytes("b\"a'\\xff\"")).containsExactly('a', '\'', 0xFF);
  }

  @Test
  void shouldDecodeEveryEscapeOfTheVocab() {
    assertThat(PythonLiteral.toBytes("'\\\\\\'\\n\\r\\t\\\"'")).isEqualTo(utf8("\\'\n\r\t\""));
    assertThat(PythonLiteral.toBytes("'\\u2002\\u200b'")).isEqualTo(utf8("\u2002\u200b"));
    assertThat(PythonLiteral.toBytes("'\\U0001F600'")).isEqualTo(utf8("😀"));
    assertThat(PythonLiteral.toBytes("b'\\t\\n\\\\'")).containsExactly('\t', '\n', '\\');
  }

  @Test
  void shouldRejectWhatPythonWouldNotEncode() {
    assertThatThrownBy(() -> PythonLiteral.toBytes("'\\ud83d'"))
        .hasMessageContaining("not a Unicode scalar value");
    assertThatThrownBy(() -> PythonLiteral.toBytes("'\ud83d'"))
        .hasMessageContaining("unpaired surrogate");
    assertThatThrownBy(() -> PythonLiteral.toBytes("b'é'")).hasMessageContaining("non-ASCII");
    assertThatThrownBy(() -> PythonLiteral.toBytes("b'\\u2002'"))
        .hasMessageContaining("unsupported escape \\u");
  }

  @Test
  void shouldRejectMalformedLiterals() {
    assertThatThrownBy(() -> PythonLiteral.toBytes("abc")).hasMessageContaining("no opening quote");
    assertThatThrownBy(() -> PythonLiteral.toBytes("'abc\""))
        .hasMessageContaining("does not end with");
    assertThatThrownBy(() -> PythonLiteral.toBytes("'a'b'")).hasMessageContaining("unescaped '");
    assertThatThrownBy(() -> PythonLiteral.toBytes("'a\\'")).hasMessageContaining("lone backslash");
    assertThatThrownBy(() -> PythonLiteral.toBytes("'\\q'"))
        .hasMessageContaining("unsupported escape \\q");
    assertThatThrownBy(() -> PythonLiteral.toBytes("'\\x4'"))
        .hasMessageContaining("truncated hex escape");
    assertThatThrownBy(() -> PythonLiteral.toBytes("'\\xzz'"))
        .hasMessageContaining("bad hex digit");
    assertThatThrownBy(() -> PythonLiteral.toBytes("'"))
        .hasMessageContaining("not a Python string literal");
  }
}
