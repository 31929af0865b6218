package io.finchstream.processors.conversation;

import io.finchstream.proto.v1.SnapshotRef;
import java.util.ArrayList;
import java.util.List;

/**
 * Which snapshots of a conversation are kept (a pure function of their positions and the
 * conversation's end): the newest always (it bounds the replay after a crash); those of the last
 * {@code recentTurns} checkpoints; and of the older turn snapshots, the oldest in each distance
 * band {@code [2^j, 2^(j+1)) x spacingTokens} behind the end for {@code j < olderSnapshots} (band 0
 * also covers distances below {@code spacingTokens}). A periodic (mid-message) snapshot is dropped
 * once a newer one exists.
 *
 * <p>So a conversation keeps at most {@code 1 + recentTurns + olderSnapshots} snapshots, the oldest
 * at most {@code spacingTokens x 2^olderSnapshots} tokens behind the end (or {@code recentTurns}
 * turns back, if that is further), and the token log back to it.
 *
 * @param recentTurns checkpoints at the end of the conversation that always have a snapshot
 * @param olderSnapshots distance bands for older turn snapshots
 * @param spacingTokens width of the first band
 */
public record RetentionPolicy(int recentTurns, int olderSnapshots, long spacingTokens) {

  public RetentionPolicy {
    if (recentTurns < 0 || olderSnapshots < 0 || spacingTokens < 1) {
      throw new IllegalArgumentException(
          "bad retention policy " + recentTurns + "/" + olderSnapshots + "/" + spacingTokens);
    }
  }

  /**
   * Whether the checkpoint after message {@code messagesAt} wants a snapshot when the conversation
   * has {@code messages} messages: it is one of the last {@link #recentTurns}.
   */
  boolean wantsTurn(final long messagesAt, final long messages) {
    return messagesAt > messages - recentTurns;
  }

  /**
   * The snapshots to keep of {@code all} (ascending positions, the last one the newest) for a
   * conversation of {@code messages} messages that ends at token {@code end}.
   */
  List<SnapshotRef> retain(final List<SnapshotRef> all, final long end, final long messages) {
    final List<SnapshotRef> kept = new ArrayList<>(all.size());
    final boolean[] bandTaken = new boolean[olderSnapshots];
    for (int i = 0; i < all.size(); i++) {
      final SnapshotRef s = all.get(i);
      if (i == all.size() - 1 || (s.getTurn() && wantsTurn(s.getMessages(), messages))) {
        kept.add(s);
      } else if (s.getTurn()) {
        final int band = band(end - s.getPosition());
        if (band < olderSnapshots && !bandTaken[band]) {
          bandTaken[band] = true;
          kept.add(s);
        }
      }
    }
    return kept;
  }

  /** The distance band of a snapshot {@code distance} tokens behind the end. */
  int band(final long distance) {
    final long units = Math.max(1, distance / spacingTokens);
    return 63 - Long.numberOfLeadingZeros(units);
  }
}
