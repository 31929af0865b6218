package io.finchstream.engine.rwkv;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Supplier;

/**
 * Activation buffers of a model, borrowed by one call at a time and kept for the next: concurrent
 * calls each get their own, and a model allocates at most as many as it ever ran calls at once.
 *
 * @param <T> the scratch type of a model
 */
public final class ScratchPool<T> {

  private final Supplier<T> factory;
  private final ConcurrentLinkedQueue<T> idle = new ConcurrentLinkedQueue<>();

  public ScratchPool(final Supplier<T> factory) {
    this.factory = factory;
  }

  /** An idle scratch, or a new one; give it back with {@link #release}. */
  public T borrow() {
    final T pooled = idle.poll();
    return pooled != null ? pooled : factory.get();
  }

  /** Returns a borrowed scratch for the next call. */
  public void release(final T scratch) {
    idle.add(scratch);
  }
}
