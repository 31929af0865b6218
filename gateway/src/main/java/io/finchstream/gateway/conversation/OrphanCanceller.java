package io.finchstream.gateway.conversation;

import io.finchstream.gateway.kafka.EventPublisher;
import io.finchstream.gateway.kafka.Events;
import io.finchstream.gateway.kafka.UnclaimedReplies;
import io.finchstream.proto.v1.Reply;
import io.vertx.core.Context;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cancels generations that stream to this gateway while nobody here waits for them (reliability
 * audit S3-3): a generation the processors resumed after a crash or a move, whose client was
 * connected to this gateway before it restarted (gateway ids are stable across restarts, so its
 * replies still come here). Without this it would run to max_tokens and append a reply no client
 * saw. Each generation is cancelled once: the request ids cancelled lately are remembered (the last
 * {@value #REMEMBERED}), so its further chunks cost nothing.
 *
 * <p>A generation whose waiter has just gone (a client disconnect, a reply timeout) is cancelled by
 * its own request already; a second cancel of it changes nothing.
 */
public final class OrphanCanceller implements UnclaimedReplies {

  private static final Logger LOG = LoggerFactory.getLogger(OrphanCanceller.class);

  /** How many cancelled request ids are remembered. */
  static final int REMEMBERED = 10_000;

  private final EventPublisher publisher;
  private final Context context;
  private final Map<String, Boolean> cancelled =
      new LinkedHashMap<>(16, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(final Map.Entry<String, Boolean> eldest) {
          return size() > REMEMBERED;
        }
      };

  /**
   * @param context where the writes complete (any context of the gateway's Vert.x)
   */
  public OrphanCanceller(final EventPublisher publisher, final Context context) {
    this.publisher = publisher;
    this.context = context;
  }

  @Override
  public void unclaimed(final Reply reply) {
    if (!reply.hasChunk()) {
      return; // a generation that ended needs no cancel
    }
    final String key = reply.getConversationId() + '\u0000' + reply.getRequestId();
    synchronized (cancelled) {
      if (cancelled.putIfAbsent(key, Boolean.TRUE) != null) {
        return;
      }
    }
    LOG.info(
        "generation {} of {} streams here but nobody waits for it (its client left before a"
            + " restart or a move): cancelling it",
        reply.getRequestId(),
        reply.getConversationId());
    publisher
        .publish(context, reply.getConversationId(), Events.cancel(reply.getRequestId(), 0))
        .onFailure(
            e ->
                LOG.warn(
                    "cancelling the orphaned generation {} failed: {}",
                    reply.getRequestId(),
                    e.getMessage()));
  }
}
