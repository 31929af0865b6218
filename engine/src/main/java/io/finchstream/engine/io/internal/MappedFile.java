package io.finchstream.engine.io.internal;

import io.finchstream.engine.io.CheckpointException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A checkpoint file opened for reading: positional reads for headers and read-only, little-endian
 * memory maps of byte ranges for tensor data. Each mapped range must stay below 2 GiB (one tensor
 * or one storage); the file itself may be any size. A mapping stays valid after {@link #close()}
 * closes the channel; the pages are released when the buffers become unreachable.
 */
public final class MappedFile implements AutoCloseable {

  private final Path path;
  private final FileChannel channel;
  private final long size;

  private MappedFile(final Path path, final FileChannel channel, final long size) {
    this.path = path;
    this.channel = channel;
    this.size = size;
  }

  /**
   * Opens a regular file for reading.
   *
   * @throws CheckpointException when the file does not exist, is a directory or cannot be read
   */
  public static MappedFile open(final Path path) {
    if (Files.isDirectory(path)) {
      throw new CheckpointException(
          path, "is a directory, not a checkpoint file; pass the path of the file itself");
    }
    try {
      final FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
      return new MappedFile(path, channel, channel.size());
    } catch (final NoSuchFileException e) {
      throw new CheckpointException(path, "no such file; check the path", e);
    } catch (final IOException e) {
      throw new CheckpointException(path, "cannot be read (" + e + "); check permissions", e);
    }
  }

  /** The file. */
  public Path path() {
    return path;
  }

  /** Size in bytes. */
  public long size() {
    return size;
  }

  /**
   * Reads up to {@code length} bytes at {@code offset} (fewer at end of file) into a new
   * little-endian buffer positioned at 0 whose limit is the number of bytes read.
   */
  public ByteBuffer read(final long offset, final int length) {
    final ByteBuffer buf = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    try {
      long pos = offset;
      while (buf.hasRemaining()) {
        final int n = channel.read(buf, pos);
        if (n < 0) {
          break;
        }
        pos += n;
      }
    } catch (final IOException e) {
      throw new CheckpointException(path, "read failed at byte " + offset + " (" + e + ")", e);
    }
    buf.flip();
    return buf;
  }

  /**
   * Maps {@code [offset, offset + length)} read-only, little-endian.
   *
   * @throws CheckpointException when the range is outside the file or 2 GiB or larger
   */
  public ByteBuffer map(final long offset, final long length) {
    if (offset < 0 || length < 0 || offset + length > size) {
      throw new CheckpointException(
          path,
          "data range ["
              + offset
              + ", "
              + (offset + length)
              + ") lies outside the file of "
              + size
              + " bytes; the file is truncated or corrupt, download or convert it again");
    }
    if (length > Integer.MAX_VALUE - 8) {
      throw new CheckpointException(
          path,
          "a single tensor of "
              + length
              + " bytes is 2 GiB or larger, which this reader cannot map;"
              + " split the tensor or store it in a smaller dtype");
    }
    try {
      return channel
          .map(FileChannel.MapMode.READ_ONLY, offset, length)
          .order(ByteOrder.LITTLE_ENDIAN);
    } catch (final IOException e) {
      throw new CheckpointException(
          path, "cannot memory-map bytes at " + offset + " (" + e + ")", e);
    }
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (final IOException e) {
      throw new CheckpointException(path, "close failed (" + e + ")", e);
    }
  }
}
