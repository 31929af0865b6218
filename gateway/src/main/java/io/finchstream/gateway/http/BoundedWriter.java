package io.finchstream.gateway.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;

/**
 * Writes frames to a connection without ever blocking or buffering without bound. While the
 * connection's write queue is full, frames wait here; once they pass {@code limitBytes} the writer
 * gives up on this client ({@code onOverflow}) instead of holding more memory. One slow client thus
 * costs a bounded amount of memory and never delays anybody else.
 *
 * <p>Not thread-safe: use it on the connection's context only.
 */
public final class BoundedWriter {

  /** The connection side. */
  public interface Sink {
    /** Writes one frame. */
    void write(String frame);

    /** Whether the connection's write queue is full. */
    boolean writeQueueFull();

    /** Calls {@code drained} once the write queue has room again. */
    void onDrain(Runnable drained);
  }

  private final Sink sink;
  private final long limitBytes;
  private final Runnable onOverflow;
  private final ArrayDeque<String> held = new ArrayDeque<>();
  private long heldBytes;
  private boolean overflowed;
  private boolean drainArmed;
  private Runnable whenFlushed;

  public BoundedWriter(final Sink sink, final long limitBytes, final Runnable onOverflow) {
    this.sink = sink;
    this.limitBytes = limitBytes;
    this.onOverflow = onOverflow;
  }

  /** Writes {@code frame} now, or holds it until the connection drains. False once overflowed. */
  public boolean offer(final String frame) {
    if (overflowed) {
      return false;
    }
    if (held.isEmpty() && !sink.writeQueueFull()) {
      sink.write(frame);
      return true;
    }
    held.add(frame);
    heldBytes += frame.getBytes(StandardCharsets.UTF_8).length;
    if (heldBytes > limitBytes) {
      overflowed = true;
      held.clear();
      heldBytes = 0;
      onOverflow.run();
      return false;
    }
    armDrain();
    return true;
  }

  /** Runs {@code action} once every held frame is written (at once if none is held). */
  public void whenFlushed(final Runnable action) {
    if (held.isEmpty()) {
      action.run();
    } else {
      whenFlushed = action;
    }
  }

  /** Bytes waiting for the connection. */
  public long heldBytes() {
    return heldBytes;
  }

  private void armDrain() {
    if (!drainArmed) {
      drainArmed = true;
      sink.onDrain(this::drain);
    }
  }

  private void drain() {
    drainArmed = false;
    while (!held.isEmpty() && !sink.writeQueueFull()) {
      final String frame = held.poll();
      heldBytes -= frame.getBytes(StandardCharsets.UTF_8).length;
      sink.write(frame);
    }
    if (!held.isEmpty()) {
      armDrain();
    } else if (whenFlushed != null) {
      final Runnable action = whenFlushed;
      whenFlushed = null;
      action.run();
    }
  }
}
