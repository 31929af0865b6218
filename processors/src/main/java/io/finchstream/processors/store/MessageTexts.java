package io.finchstream.processors.store;

import com.google.protobuf.ByteString;
import io.finchstream.proto.v1.MessageText;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * How message texts are stored ({@link MessageText}): as they are when short, DEFLATE-compressed
 * when that saves a tenth, and cut (on a character boundary, marked truncated) when even that does
 * not fit one record.
 */
public final class MessageTexts {

  /** Texts at least this long are stored compressed (if that saves a tenth). */
  private static final int DEFLATE_FROM_BYTES = 512;

  private MessageTexts() {}

  /** {@code text} as stored: compressed when that pays, cut to {@code maxBytes} when too long. */
  public static MessageText encode(final String text, final int maxBytes) {
    final byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
    if (utf8.length < DEFLATE_FROM_BYTES) {
      return MessageText.newBuilder().setText(text).build();
    }
    final byte[] deflated = deflate(utf8);
    if (deflated.length <= maxBytes && deflated.length * 10L < utf8.length * 9L) {
      return MessageText.newBuilder().setDeflated(ByteString.copyFrom(deflated)).build();
    }
    if (utf8.length <= maxBytes) {
      return MessageText.newBuilder().setText(text).build();
    }
    int cut = maxBytes;
    while (cut > 0 && (utf8[cut] & 0xC0) == 0x80) {
      cut--; // never split a UTF-8 character
    }
    return MessageText.newBuilder()
        .setText(new String(utf8, 0, cut, StandardCharsets.UTF_8))
        .setTruncated(true)
        .build();
  }

  /** The text of a stored {@link MessageText}. */
  public static String decode(final MessageText text) {
    if (text.getContentCase() != MessageText.ContentCase.DEFLATED) {
      return text.getText();
    }
    final Inflater inflater = new Inflater();
    try {
      inflater.setInput(text.getDeflated().toByteArray());
      final ByteArrayOutputStream out = new ByteArrayOutputStream();
      final byte[] buf = new byte[16 * 1024];
      while (!inflater.finished()) {
        final int n = inflater.inflate(buf);
        if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
          break;
        }
        out.write(buf, 0, n);
      }
      return out.toString(StandardCharsets.UTF_8);
    } catch (final DataFormatException e) {
      throw new StoreCorruptedException(
          "a stored message text does not inflate: " + e.getMessage(), e);
    } finally {
      inflater.end();
    }
  }

  private static byte[] deflate(final byte[] data) {
    final Deflater deflater = new Deflater(Deflater.BEST_SPEED);
    try {
      deflater.setInput(data);
      deflater.finish();
      final ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 2 + 64);
      final byte[] buf = new byte[16 * 1024];
      while (!deflater.finished()) {
        out.write(buf, 0, deflater.deflate(buf));
      }
      return out.toByteArray();
    } finally {
      deflater.end();
    }
  }
}
