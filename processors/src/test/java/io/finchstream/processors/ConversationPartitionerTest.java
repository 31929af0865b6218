package io.finchstream.processors;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.proto.ConversationKeys;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;

/**
 * A conversation lives where its tree's root does, and a plain id exactly where Kafka's default
 * partitioner puts it (so existing conversations do not move).
 */
class ConversationPartitionerTest {

  private static int kafkaDefault(final String key, final int partitions) {
    return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  @Test
  void shouldPartitionPlainIdsExactlyAsKafkasDefaultPartitioner() {
    final Random random = new Random(7);
    for (int i = 0; i < 20_000; i++) {
      final int length = random.nextInt(40);
      final StringBuilder id = new StringBuilder();
      for (int c = 0; c < length; c++) {
        id.appendCodePoint(
            random.nextInt(4) == 0 ? 0x80 + random.nextInt(0x3000) : 'a' + random.nextInt(26));
      }
      final int partitions = 1 + random.nextInt(64);
      assertThat(ConversationKeys.partition(id.toString(), partitions))
          .as("partition of %s among %d", id, partitions)
          .isEqualTo(kafkaDefault(id.toString(), partitions));
    }
  }

  @Test
  void shouldPutEveryBranchOfATreeWithItsRoot() {
    final ConversationPartitioner partitioner = new ConversationPartitioner();
    for (final String root : new String[] {"chat-1", "auto:tenant:0f3a", "é"}) {
      for (final String branch : new String[] {root + "~1", root + "~b~c", root + "~"}) {
        assertThat(ConversationKeys.root(branch)).isEqualTo(root);
        for (final int partitions : new int[] {1, 3, 6, 50}) {
          assertThat(partitioner.partitions("t", branch, null, null, partitions))
              .isEqualTo(Optional.of(Set.of(kafkaDefault(root, partitions))));
        }
      }
    }
  }
}
