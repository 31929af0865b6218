package io.finchstream.gateway.testing;

import java.util.function.BooleanSupplier;

/** Polls a condition until it holds, failing with {@code what} after the timeout. */
public final class Eventually {

  private Eventually() {}

  public static void until(
      final BooleanSupplier condition, final long timeoutMs, final String what) {
    final long deadline = System.nanoTime() + timeoutMs * 1_000_000;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeoutMs + " ms waiting for: " + what);
      }
      try {
        Thread.sleep(10);
      } catch (final InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for: " + what, e);
      }
    }
  }
}
