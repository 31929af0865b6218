package io.finchstream.engine.tokenizer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The token byte strings of {@code rwkv_vocab_v20230424.txt}, read and validated strictly
 * (finch-math.md §4.1).
 *
 * <p>Each line is {@code <id> <python literal> <byte length>}, split at the first and the last
 * space (the literal may contain spaces); a trailing {@code \r} is stripped so the CRLF copy reads
 * the same. Checks: ids are exactly 1..{@value #ENTRIES} in order, every literal parses and has the
 * byte length of the third column, no two ids share bytes, and all 256 single bytes are present (so
 * encoding never fails). Id 0 (end of text) is not in the file.
 */
final class WorldVocab {

  /** Entries in the file: ids 1..65529. */
  static final int ENTRIES = 65_529;

  /** Longest token in bytes (finch-math.md §4.1); a longer one is a corrupt file. */
  static final int MAX_TOKEN_BYTES = 128;

  private final byte[] flat; // all token bytes, id order
  private final int[]
      offsets; // (ENTRIES + 2): token id's bytes are flat[offsets[id] .. offsets[id + 1])

  private WorldVocab(final byte[] flat, final int[] offsets) {
    this.flat = flat;
    this.offsets = offsets;
  }

  /** Highest id in the file. */
  int lastId() {
    return offsets.length - 2;
  }

  int start(final int id) {
    return offsets[id];
  }

  int length(final int id) {
    return offsets[id + 1] - offsets[id];
  }

  /** Backing bytes (shared, never modified). */
  byte[] flat() {
    return flat;
  }

  /** Reads and validates the file. */
  static WorldVocab read(final Path file) {
    final byte[] content = readFile(file);
    final byte[] flat = new byte[content.length];
    final int[] offsets = new int[ENTRIES + 2];
    final CharsetDecoder utf8 =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    int size = 0;
    int id = 0;
    int lineStart = 0;
    while (lineStart < content.length) {
      int lineEnd = lineStart;
      while (lineEnd < content.length && content[lineEnd] != '\n') {
        lineEnd++;
      }
      final int lineNo = id + 1;
      if (lineNo > ENTRIES) {
        throw new VocabException(
            file, lineNo, "more than " + ENTRIES + " entries; is this rwkv_vocab_v20230424.txt?");
      }
      final byte[] token =
          parseLine(file, lineNo, decodeLine(file, lineNo, utf8, content, lineStart, lineEnd));
      System.arraycopy(token, 0, flat, size, token.length);
      size += token.length;
      id = lineNo;
      offsets[id + 1] = size;
      lineStart = lineEnd + 1;
    }
    if (id != ENTRIES) {
      throw new VocabException(
          file,
          "has "
              + id
              + " entries, expected "
              + ENTRIES
              + " (ids 1.."
              + ENTRIES
              + "); the file is truncated or not rwkv_vocab_v20230424.txt");
    }
    final WorldVocab vocab = new WorldVocab(Arrays.copyOf(flat, size), offsets);
    vocab.checkComplete(file);
    return vocab;
  }

  private static byte[] readFile(final Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (final NoSuchFileException e) {
      throw new VocabException(
          file, "vocab file not found; pass the path to rwkv_vocab_v20230424.txt", e);
    } catch (final AccessDeniedException e) {
      throw new VocabException(file, "vocab file is not readable (permission denied)", e);
    } catch (final IOException e) {
      throw new VocabException(file, "cannot read vocab file: " + e, e);
    }
  }

  private static String decodeLine(
      final Path file,
      final int lineNo,
      final CharsetDecoder utf8,
      final byte[] content,
      final int from,
      final int to) {
    final int end = to > from && content[to - 1] == '\r' ? to - 1 : to;
    try {
      final CharBuffer chars = utf8.reset().decode(ByteBuffer.wrap(content, from, end - from));
      return chars.toString();
    } catch (final CharacterCodingException e) {
      throw new VocabException(file, lineNo, "line is not valid UTF-8");
    }
  }

  /** One line {@code <id> <literal> <length>} → the token's bytes, checked. */
  private static byte[] parseLine(final Path file, final int lineNo, final String line) {
    final int first = line.indexOf(' ');
    final int last = line.lastIndexOf(' ');
    if (first <= 0 || last <= first + 1 || last == line.length() - 1) {
      throw new VocabException(
          file,
          lineNo,
          "malformed line, expected '<id> <python literal> <byte length>': " + clip(line));
    }
    final int id = parseNumber(file, lineNo, line.substring(0, first), "id");
    if (id != lineNo) {
      throw new VocabException(
          file,
          lineNo,
          "id "
              + id
              + " out of order, expected "
              + lineNo
              + " (ids must be 1.."
              + ENTRIES
              + " in order, one per line)");
    }
    final int declared = parseNumber(file, lineNo, line.substring(last + 1), "byte length");
    final byte[] token;
    try {
      token = PythonLiteral.toBytes(line.substring(first + 1, last));
    } catch (final IllegalArgumentException e) {
      throw new VocabException(file, lineNo, "bad literal for id " + id + ": " + e.getMessage());
    }
    if (token.length != declared) {
      throw new VocabException(
          file,
          lineNo,
          "id " + id + " decodes to " + token.length + " bytes but the line declares " + declared);
    }
    if (token.length == 0 || token.length > MAX_TOKEN_BYTES) {
      throw new VocabException(
          file,
          lineNo,
          "id " + id + " has " + token.length + " bytes; tokens must have 1.." + MAX_TOKEN_BYTES);
    }
    return token;
  }

  private static int parseNumber(
      final Path file, final int lineNo, final String digits, final String what) {
    if (digits.isEmpty()
        || digits.length() > 9
        || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new VocabException(
          file, lineNo, "bad " + what + " '" + clip(digits) + "', expected a decimal number");
    }
    return Integer.parseInt(digits);
  }

  /** No duplicate byte strings, and every single byte has a token. */
  private void checkComplete(final Path file) {
    final Map<ByteBuffer, Integer> seen = new HashMap<>(ENTRIES * 2);
    for (int id = 1; id <= lastId(); id++) {
      final Integer before = seen.put(ByteBuffer.wrap(flat, start(id), length(id)), id);
      if (before != null) {
        throw new VocabException(file, id, "id " + id + " has the same bytes as id " + before);
      }
    }
    for (int b = 0; b < 256; b++) {
      if (!seen.containsKey(ByteBuffer.wrap(new byte[] {(byte) b}))) {
        throw new VocabException(
            file,
            String.format(
                "no token for the single byte 0x%02X; every byte needs one so that any text can be encoded",
                b));
      }
    }
  }

  private static String clip(final String s) {
    return s.length() <= 80 ? s : s.substring(0, 77) + "...";
  }
}
