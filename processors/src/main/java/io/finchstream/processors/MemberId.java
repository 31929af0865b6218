package io.finchstream.processors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;

/**
 * This instance's stable id: made once and kept in the state directory, so that it survives
 * restarts and crashes and differs between instances (each has its own state directory). It is the
 * instance's member id in the consumer group (static membership, {@code group.instance.id}) and its
 * gateway's id (the {@code reply_to} of its generations, so that the replies of a generation that
 * outlived a restart still come back to it).
 */
public final class MemberId {

  /** The file under the state directory. */
  public static final String FILE = "finchstream-member.id";

  private MemberId() {}

  /** The id kept under {@code stateDir}, made on first use. */
  public static String of(final Path stateDir) {
    final Path file = stateDir.resolve(FILE);
    try {
      if (!Files.exists(file)) {
        Files.createDirectories(stateDir);
        final Path tmp = Files.createTempFile(stateDir, FILE, ".tmp");
        Files.writeString(tmp, "finchstream-" + UUID.randomUUID() + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
      }
      final String id = Files.readString(file, StandardCharsets.UTF_8).strip();
      if (id.isEmpty()) {
        throw new IllegalStateException(
            file + " is empty: delete it, a new member id is made at the next start");
      }
      return id;
    } catch (final IOException e) {
      throw new UncheckedIOException("cannot keep the member id in " + file, e);
    }
  }
}
