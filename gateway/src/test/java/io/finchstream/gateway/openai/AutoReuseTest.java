package io.finchstream.gateway.openai;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.gateway.ConversationLookup.PrefixCandidate;
import io.finchstream.proto.MessageHistory;
import io.finchstream.proto.v1.Role;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Where an automatic chat goes on, given what the tree's owner holds. */
class AutoReuseTest {

  private static final List<ChatMessage> CHAT =
      List.of(
          new ChatMessage(Role.ROLE_SYSTEM, "Be brief."),
          new ChatMessage(Role.ROLE_USER, "Hi"),
          new ChatMessage(Role.ROLE_ASSISTANT, "Hello"),
          new ChatMessage(Role.ROLE_USER, "How are you?"));

  @Test
  void shouldDigestLikeTheProcessorsAndRootAChatAtItsFirstUserMessage() {
    final List<byte[]> digests = AutoReuse.digests(CHAT);
    assertThat(digests).hasSize(4);
    assertThat(digests.get(3))
        .isEqualTo(
            MessageHistory.digestOf(
                    CHAT.stream().map(ChatMessage::role).toList(),
                    CHAT.stream().map(ChatMessage::text).toList())
                .toByteArray());
    final String root = AutoReuse.rootId("acme", CHAT, digests);
    assertThat(root).startsWith("auto-").hasSize(5 + 64);
    // every later turn of the chat has the same root; another tenant another
    assertThat(AutoReuse.rootId("acme", CHAT.subList(0, 2), digests.subList(0, 2))).isEqualTo(root);
    assertThat(AutoReuse.rootId("globex", CHAT, digests)).isNotEqualTo(root);
    final List<ChatMessage> otherFirst =
        List.of(
            new ChatMessage(Role.ROLE_SYSTEM, "Be brief."), new ChatMessage(Role.ROLE_USER, "Yo"));
    assertThat(AutoReuse.rootId("acme", otherFirst, AutoReuse.digests(otherFirst)))
        .isNotEqualTo(root);
    assertThat(AutoReuse.newBranch(root)).matches(root + "~[0-9a-f]{12}");
    assertThat(HexFormat.of().formatHex(digests.get(0))).hasSize(64);
  }

  @Test
  void shouldContinueAFreeConversationThatEndsAtThePrefix() {
    final AutoReuse.Plan plan =
        AutoReuse.choose(
            List.of(
                new PrefixCandidate("a~1", 3, 40, 5, false),
                new PrefixCandidate("a~2", 3, 40, 3, false)),
            Set.<String>of()::contains,
            "a~new");
    assertThat(plan).isEqualTo(new AutoReuse.Plan("a~2", null, 3, 40));
  }

  @Test
  void shouldForkWhenTheHolderGoesOnOrIsBusy() {
    // regenerate / edit: the holder has more messages
    assertThat(
            AutoReuse.choose(
                List.of(new PrefixCandidate("a~1", 3, 40, 4, false)),
                Set.<String>of()::contains,
                "a~new"))
        .isEqualTo(new AutoReuse.Plan("a~new", "a~1", 3, 40));
    // a concurrent request here on the holder
    assertThat(
            AutoReuse.choose(
                List.of(new PrefixCandidate("a~1", 3, 40, 3, false)),
                Set.of("a~1")::contains,
                "a~new"))
        .isEqualTo(new AutoReuse.Plan("a~new", "a~1", 3, 40));
    // nothing held: a new, empty branch
    assertThat(AutoReuse.choose(List.of(), Set.<String>of()::contains, "a~new"))
        .isEqualTo(new AutoReuse.Plan("a~new", null, 0, 0));
  }

  @Test
  void shouldWaitForAReplyStillBeingRecordedButNotForOneOfItsOwn() {
    final List<PrefixCandidate> finishing = List.of(new PrefixCandidate("a~1", 3, 40, 3, true));
    assertThat(AutoReuse.worthWaiting(finishing, Set.<String>of()::contains)).isTrue();
    assertThat(AutoReuse.worthWaiting(finishing, Set.of("a~1")::contains)).isFalse();
    assertThat(
            AutoReuse.worthWaiting(
                List.of(
                    new PrefixCandidate("a~1", 3, 40, 3, true),
                    new PrefixCandidate("a~2", 3, 40, 3, false)),
                Set.<String>of()::contains))
        .isFalse();
  }
}
