package io.finchstream.proto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.Role;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import org.junit.jupiter.api.Test;

class MessageHistoryTest {

  /** The definition in the class Javadoc, written out independently with a fresh MessageDigest. */
  private static byte[] expectedFold(final byte[] prev, final int kind, final byte[] content)
      throws Exception {
    final MessageDigest sha = MessageDigest.getInstance("SHA-256");
    sha.update(prev);
    sha.update(ByteBuffer.allocate(4).putInt(kind).array());
    sha.update(ByteBuffer.allocate(4).putInt(content.length).array());
    sha.update(content);
    return sha.digest();
  }

  @Test
  void shouldFoldChatMessagesAsDocumented() throws Exception {
    final byte[] d1 = expectedFold(new byte[32], 2, "hi there".getBytes(StandardCharsets.UTF_8));
    final byte[] d2 = expectedFold(d1, 3, "héllo".getBytes(StandardCharsets.UTF_8));
    final ByteString got =
        MessageHistory.digestOf(
            List.of(Role.ROLE_USER, Role.ROLE_ASSISTANT), List.of("  hi there\n", " héllo"));
    assertThat(got.toByteArray()).isEqualTo(d2);
  }

  @Test
  void shouldMatchBetweenMetaRecordingAndResentMessages() {
    final ConversationMeta.Builder meta = ConversationMeta.newBuilder();
    MessageHistory.recordText(meta, Role.ROLE_SYSTEM, "Be brief.");
    MessageHistory.recordText(meta, Role.ROLE_USER, "Hello");
    MessageHistory.recordReply(meta, " Hi! How can I help?");
    assertThat(meta.getMessages()).isEqualTo(3);
    assertThat(meta.getMessageDigest())
        .isEqualTo(
            MessageHistory.digestOf(
                List.of(Role.ROLE_SYSTEM, Role.ROLE_USER, Role.ROLE_ASSISTANT),
                List.of("Be brief.", "Hello", "Hi! How can I help?")));
  }

  @Test
  void shouldNeverMatchChatMessagesOnceRawContentIsIn() {
    final ByteString raw = MessageHistory.appendText(ByteString.EMPTY, Role.ROLE_RAW, "Hello");
    final ByteString tokens = MessageHistory.appendTokens(ByteString.EMPTY, List.of(72, 105));
    for (final Role role : List.of(Role.ROLE_USER, Role.ROLE_ASSISTANT, Role.ROLE_SYSTEM)) {
      assertThat(MessageHistory.appendText(ByteString.EMPTY, role, "Hello")).isNotEqualTo(raw);
      assertThat(MessageHistory.appendText(ByteString.EMPTY, role, "Hi")).isNotEqualTo(tokens);
    }
    assertThat(MessageHistory.appendText(ByteString.EMPTY, Role.ROLE_UNSPECIFIED, "Hello"))
        .isEqualTo(raw);
  }

  @Test
  void shouldDistinguishRolesAndOrder() {
    final ByteString ab =
        MessageHistory.digestOf(List.of(Role.ROLE_USER, Role.ROLE_ASSISTANT), List.of("a", "b"));
    final ByteString ba =
        MessageHistory.digestOf(List.of(Role.ROLE_ASSISTANT, Role.ROLE_USER), List.of("b", "a"));
    final ByteString joined = MessageHistory.digestOf(List.of(Role.ROLE_USER), List.of("ab"));
    assertThat(ab).isNotEqualTo(ba).isNotEqualTo(joined);
  }

  @Test
  void shouldClearToTheEmptyHistory() {
    final ConversationMeta.Builder meta = ConversationMeta.newBuilder();
    MessageHistory.recordTokens(meta, List.of(1, 2, 3));
    MessageHistory.clear(meta);
    assertThat(meta.getMessages()).isZero();
    assertThat(meta.getMessageDigest()).isEqualTo(ByteString.EMPTY);
    assertThat(MessageHistory.digestOf(List.of(), List.of())).isEqualTo(ByteString.EMPTY);
  }

  @Test
  void shouldRejectADigestOfTheWrongLength() {
    assertThatThrownBy(
            () -> MessageHistory.appendText(ByteString.copyFrom(new byte[5]), Role.ROLE_USER, "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("32 bytes");
  }
}
