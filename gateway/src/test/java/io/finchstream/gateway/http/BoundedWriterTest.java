package io.finchstream.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BoundedWriterTest {

  /** A connection whose write queue is full or not, as the test says. */
  private static final class FakeSink implements BoundedWriter.Sink {
    final List<String> written = new ArrayList<>();
    boolean full;
    Runnable drained;

    @Override
    public void write(final String frame) {
      written.add(frame);
    }

    @Override
    public boolean writeQueueFull() {
      return full;
    }

    @Override
    public void onDrain(final Runnable drained) {
      this.drained = drained;
    }

    void drain() {
      full = false;
      final Runnable r = drained;
      drained = null;
      r.run();
    }
  }

  @Test
  void shouldWriteAtOnceWhileTheConnectionTakesIt() {
    final FakeSink sink = new FakeSink();
    final BoundedWriter writer =
        new BoundedWriter(
            sink,
            10,
            () -> {
              throw new AssertionError("no overflow");
            });
    assertThat(writer.offer("a")).isTrue();
    assertThat(writer.offer("b")).isTrue();
    assertThat(sink.written).containsExactly("a", "b");
    assertThat(writer.heldBytes()).isZero();
  }

  @Test
  void shouldHoldFramesInOrderWhileFullAndWriteThemOnDrain() {
    final FakeSink sink = new FakeSink();
    final BoundedWriter writer =
        new BoundedWriter(
            sink,
            10,
            () -> {
              throw new AssertionError("no overflow");
            });
    sink.full = true;
    writer.offer("ab");
    writer.offer("cd");
    assertThat(sink.written).isEmpty();
    assertThat(writer.heldBytes()).isEqualTo(4);
    final boolean[] flushed = new boolean[1];
    writer.whenFlushed(() -> flushed[0] = true);
    assertThat(flushed[0]).isFalse();
    sink.drain();
    assertThat(sink.written).containsExactly("ab", "cd");
    assertThat(flushed[0]).isTrue();
    writer.offer("ef");
    assertThat(sink.written).containsExactly("ab", "cd", "ef");
  }

  @Test
  void shouldGiveUpOnAClientThatFallsTooFarBehind() {
    final FakeSink sink = new FakeSink();
    final int[] overflows = new int[1];
    final BoundedWriter writer = new BoundedWriter(sink, 5, () -> overflows[0]++);
    sink.full = true;
    assertThat(writer.offer("abc")).isTrue();
    assertThat(writer.offer("def")).isFalse();
    assertThat(overflows[0]).isEqualTo(1);
    assertThat(writer.heldBytes()).as("held frames are dropped").isZero();
    assertThat(writer.offer("g")).isFalse();
    assertThat(overflows[0]).isEqualTo(1);
  }

  @Test
  void shouldCountBytesNotCharacters() {
    final FakeSink sink = new FakeSink();
    final int[] overflows = new int[1];
    final BoundedWriter writer = new BoundedWriter(sink, 5, () -> overflows[0]++);
    sink.full = true;
    writer.offer("ééé"); // 6 bytes in UTF-8
    assertThat(overflows[0]).isEqualTo(1);
  }
}
