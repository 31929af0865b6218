package io.finchstream.processors.conversation;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.proto.v1.SnapshotRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Which snapshots a conversation keeps, and the bound that gives, over a long conversation. */
class RetentionPolicyTest {

  private static SnapshotRef turn(final long position, final long messages) {
    return SnapshotRef.newBuilder()
        .setPosition(position)
        .setMessages(messages)
        .setTurn(true)
        .build();
  }

  @Test
  void shouldKeepTheNewestTheRecentTurnsAndTheOldestPerBand() {
    final RetentionPolicy policy = new RetentionPolicy(2, 3, 10);
    final List<SnapshotRef> all =
        List.of(
            turn(5, 1),
            turn(12, 2),
            SnapshotRef.newBuilder().setPosition(20).build(), // mid-message
            turn(30, 3),
            turn(38, 4),
            turn(45, 5),
            turn(50, 6));
    // end 50, 6 messages: recent = messages 5 and 6; bands (distance / 10): [0,2) [2,4) [4,8)
    assertThat(policy.retain(all, 50, 6))
        .extracting(SnapshotRef::getPosition)
        .containsExactly(5L, 12L, 38L, 45L, 50L);
  }

  @Test
  void shouldBoundTheSnapshotsAndTheDistanceOfTheOldestOverALongConversation() {
    final int recent = 4;
    final int older = 8;
    final long spacing = 256;
    final RetentionPolicy policy = new RetentionPolicy(recent, older, spacing);
    final Random random = new Random(3);
    List<SnapshotRef> kept = new ArrayList<>();
    long position = 0;
    for (long messages = 1; messages <= 20_000; messages++) {
      position += 1 + random.nextInt(200);
      final List<SnapshotRef> all = new ArrayList<>(kept);
      all.add(turn(position, messages));
      kept = policy.retain(all, position, messages);
      assertThat(kept.size()).isLessThanOrEqualTo(1 + recent + older);
      assertThat(position - kept.get(0).getPosition())
          .as("the oldest snapshot after %d messages", messages)
          .isLessThan(spacing << (older + 1));
    }
    // the older snapshots are exponentially spaced: one per distance band at most
    final List<Integer> bands = new ArrayList<>();
    for (final SnapshotRef s : kept.subList(0, kept.size() - recent)) {
      bands.add(policy.band(position - s.getPosition()));
    }
    assertThat(bands).doesNotHaveDuplicates().hasSizeGreaterThanOrEqualTo(older / 2);
  }
}
