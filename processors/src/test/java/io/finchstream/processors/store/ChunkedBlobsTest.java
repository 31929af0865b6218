package io.finchstream.processors.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finchstream.processors.testing.RocksStores;
import io.finchstream.proto.v1.BlobPart;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChunkedBlobsTest {

  @TempDir Path dir;
  private RocksStores stores;
  private ProtoStore<BlobPart> parts;
  private ChunkedBlobs blobs;

  @BeforeEach
  void open() {
    stores = new RocksStores(dir);
    parts = new ProtoStore<>("snapshots", stores.open("snapshots"), BlobPart.parser());
    blobs = new ChunkedBlobs(parts, 1000);
  }

  @AfterEach
  void close() {
    stores.close();
  }

  @Test
  void shouldSplitIntoPartsNoLargerThanTheLimitAndReassembleExactly() {
    final byte[] data = random(4321, 1);
    assertThat(blobs.put("c", 0, 77, data)).isEqualTo(5);
    assertThat(blobs.parts("c", 0))
        .allSatisfy(p -> assertThat(p.getData().size()).isLessThanOrEqualTo(1000));
    final ChunkedBlobs.Blob back = blobs.get("c", 0);
    assertThat(back.version()).isEqualTo(77);
    assertThat(back.data()).isEqualTo(data);
  }

  @Test
  void shouldDeleteLeftoverPartsWhenAValueShrinks() {
    blobs.put("c", 0, 1, random(5000, 2));
    final byte[] small = random(10, 3);
    assertThat(blobs.put("c", 0, 2, small)).isEqualTo(1);
    assertThat(blobs.parts("c", 0)).hasSize(1);
    assertThat(blobs.get("c", 0).data()).isEqualTo(small);
  }

  @Test
  void shouldStoreAnEmptyValueAsOnePart() {
    blobs.put("c", 3, 0, new byte[0]);
    assertThat(blobs.get("c", 3).data()).isEmpty();
    assertThat(blobs.get("c", 4)).isNull();
  }

  @Test
  void shouldRefuseToReassembleMixedVersions() {
    blobs.put("c", 0, 1, random(2500, 4));
    parts.put(StoreKey.of("c", 0, 1), blobs.parts("c", 0).get(1).toBuilder().setVersion(9).build());
    assertThatThrownBy(() -> blobs.get("c", 0))
        .isInstanceOf(StoreCorruptedException.class)
        .hasMessageContaining("inconsistent");
  }

  @Test
  void shouldDeleteOneConversationOnly() {
    for (int block = 0; block < 4; block++) {
      blobs.put("c", block, block, random(1500, block));
    }
    blobs.put("c2", 0, 0, random(10, 9));
    blobs.deleteAll("c");
    for (int block = 0; block < 4; block++) {
      assertThat(blobs.get("c", block)).isNull();
    }
    assertThat(blobs.get("c2", 0)).isNotNull();
  }

  private static byte[] random(final int n, final long seed) {
    final byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }
}
