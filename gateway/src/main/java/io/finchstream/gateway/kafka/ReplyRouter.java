package io.finchstream.gateway.kafka;

import io.finchstream.proto.v1.Reply;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands each reply of a generation to whoever waits for it, on that waiter's own Vert.x context.
 * Waiters register (conversation id, request id) before the Generate is written, so no reply is
 * missed. {@link #dispatch} is called by the reply consumer thread and never blocks: a slow client
 * delays only its own context's queue, never the consumer or other clients.
 */
public final class ReplyRouter {

  private record Key(String conversationId, String requestId) {}

  private record Waiter(Context context, Handler<Reply> handler) {}

  private final Map<Key, Waiter> waiters = new ConcurrentHashMap<>();
  private final AtomicLong unrouted = new AtomicLong();
  private final UnclaimedReplies unclaimed;

  /**
   * @param unclaimed told about every reply nobody waits for
   */
  public ReplyRouter(final UnclaimedReplies unclaimed) {
    this.unclaimed = unclaimed;
  }

  /**
   * Delivers the replies of generation {@code requestId} of {@code conversationId} to {@code
   * handler}, on {@code context}, until the returned registration is closed.
   *
   * @throws IllegalStateException if someone already waits for that generation
   */
  public AutoCloseable register(
      final String conversationId,
      final String requestId,
      final Context context,
      final Handler<Reply> handler) {
    final Key key = new Key(conversationId, requestId);
    if (waiters.putIfAbsent(key, new Waiter(context, handler)) != null) {
      throw new IllegalStateException("already waiting for " + conversationId + "/" + requestId);
    }
    return () -> waiters.remove(key);
  }

  /**
   * Routes one reply (called on the consumer thread). Replies nobody waits for are counted and
   * handed to the {@link UnclaimedReplies}.
   */
  public void dispatch(final Reply reply) {
    final Waiter waiter = waiters.get(new Key(reply.getConversationId(), reply.getRequestId()));
    if (waiter == null) {
      unrouted.incrementAndGet();
      unclaimed.unclaimed(reply);
      return;
    }
    waiter.context().runOnContext(v -> waiter.handler().handle(reply));
  }

  /** Replies addressed to this gateway that nobody waited for (the client had gone, say). */
  public long unrouted() {
    return unrouted.get();
  }
}
