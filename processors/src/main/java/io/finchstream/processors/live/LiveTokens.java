package io.finchstream.processors.live;

import io.finchstream.proto.v1.LiveToken;

/**
 * Where decode rounds publish each draw as soon as it is sampled ({@code finchstream.tokens}),
 * before the transaction that stores it commits. A draw published here may belong to a transaction
 * that later aborts; the next owner of the generation draws it again, identically (draws are a pure
 * function of state, seed and index), so readers may show it at once (docs/PROCESSORS.md).
 *
 * <p>Implementations are called on decode threads: they must return quickly and never throw. A draw
 * that cannot be published is only late: the committed replies carry it.
 */
public interface LiveTokens {

  /** Publishes nothing (live tokens off). */
  LiveTokens OFF =
      new LiveTokens() {
        @Override
        public void publish(final String conversation, final LiveToken token) {
          // off
        }

        @Override
        public boolean enabled() {
          return false;
        }
      };

  /** Publishes one draw of a generation of {@code conversation} (its Kafka key). */
  void publish(String conversation, LiveToken token);

  /** Whether draws are published at all (callers may skip building them when not). */
  boolean enabled();
}
