package io.finchstream.gateway.kafka;

import io.finchstream.proto.v1.LiveToken;
import io.finchstream.proto.v1.Reply;
import io.vertx.core.Context;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands each reply and live token of a generation to whoever waits for it, on that waiter's own
 * Vert.x context. Waiters register (conversation id, request id) before the Generate is written, so
 * nothing is missed. {@link #dispatch} and {@link #dispatchLive} are called by the reply consumer
 * thread and never block: a slow client delays only its own context's queue, never the consumer or
 * other clients.
 */
public final class ReplyRouter {

  /** Receives a generation's replies and live tokens, on the context it registered with. */
  public interface Receiver {
    /** A committed reply (chunk, done, error), in offset order. */
    void onReply(Reply reply);

    /** A live token (not committed yet; may repeat or be missing). */
    void onLive(LiveToken token);
  }

  private record Key(String conversationId, String requestId) {}

  private record Waiter(Context context, Receiver receiver) {}

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
   * Delivers the replies and live tokens of generation {@code requestId} of {@code conversationId}
   * to {@code receiver}, on {@code context}, until the returned registration is closed.
   *
   * @throws IllegalStateException if someone already waits for that generation
   */
  public AutoCloseable register(
      final String conversationId,
      final String requestId,
      final Context context,
      final Receiver receiver) {
    final Key key = new Key(conversationId, requestId);
    if (waiters.putIfAbsent(key, new Waiter(context, receiver)) != null) {
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
    waiter.context().runOnContext(v -> waiter.receiver().onReply(reply));
  }

  /**
   * Routes one live token (called on the consumer thread); dropped when nobody waits for it (a
   * repeat after the reply ended, say).
   */
  public void dispatchLive(final LiveToken token) {
    final Waiter waiter = waiters.get(new Key(token.getConversationId(), token.getRequestId()));
    if (waiter != null) {
      waiter.context().runOnContext(v -> waiter.receiver().onLive(token));
    }
  }

  /** Replies addressed to this gateway that nobody waited for (the client had gone, say). */
  public long unrouted() {
    return unrouted.get();
  }
}
