package io.finchstream.processors.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.junit.jupiter.api.Test;

class StoreKeyTest {

  @Test
  void shouldRoundTripConversationIndexAndPart() {
    final Bytes key = StoreKey.of("conv-ü", 1234567890123L, 42);
    assertThat(StoreKey.conversation(key)).isEqualTo("conv-ü");
    assertThat(StoreKey.index(key)).isEqualTo(1234567890123L);
    assertThat(StoreKey.part(key)).isEqualTo(42);
    assertThat(StoreKey.index(StoreKey.of("c", 7))).isEqualTo(7);
  }

  @Test
  void shouldOrderKeysByConversationThenIndexNumerically() {
    final List<Bytes> keys =
        new ArrayList<>(
            List.of(
                StoreKey.of("a", 256),
                StoreKey.of("a", 1),
                StoreKey.of("a", 255),
                StoreKey.of("a", 1L << 40),
                StoreKey.of("a", 0)));
    keys.sort(Bytes::compareTo);
    assertThat(keys.stream().map(StoreKey::index)).containsExactly(0L, 1L, 255L, 256L, 1L << 40);
  }

  @Test
  void shouldNotLetOneConversationsPrefixCoverAnotherWithALongerId() {
    final Bytes prefix = StoreKey.prefix("ab");
    final Bytes other = StoreKey.of("abc", 0);
    final Bytes own = StoreKey.of("ab", Long.MAX_VALUE, Integer.MAX_VALUE);
    assertThat(startsWith(own, prefix)).isTrue();
    assertThat(startsWith(other, prefix)).isFalse();
  }

  @Test
  void shouldRejectNegativeIndices() {
    assertThatThrownBy(() -> StoreKey.of("a", -1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> StoreKey.of("a", 0, -1)).isInstanceOf(IllegalArgumentException.class);
  }

  private static boolean startsWith(final Bytes key, final Bytes prefix) {
    final byte[] k = key.get();
    final byte[] p = prefix.get();
    if (k.length < p.length) {
      return false;
    }
    for (int i = 0; i < p.length; i++) {
      if (k[i] != p[i]) {
        return false;
      }
    }
    return true;
  }
}
