package io.finchstream.engine.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The committed fixtures of {@code engine/src/test/resources/fixtures/} (written by {@code
 * tools/make_finch_fixtures.py}, see {@code tools/README.md}): a tiny random Finch model as bf16
 * and fp32 {@code .pth} and as a Hugging Face-named safetensors twin, float64 reference logits, and
 * malformed {@code .pth} files.
 */
public final class Fixtures {

  private Fixtures() {}

  /**
   * A fixture file by its path under {@code fixtures/}, e.g. {@code finch-tiny/finch-tiny.json}.
   */
  public static Path file(final String relative) {
    final URL url = Fixtures.class.getResource("/fixtures/" + relative);
    if (url == null) {
      throw new IllegalStateException(
          "missing test fixture fixtures/"
              + relative
              + "; regenerate with /usr/bin/python3 tools/make_finch_fixtures.py");
    }
    try {
      if (!"jar".equals(url.getProtocol())) {
        return Path.of(url.toURI());
      }
      // used from another module through the engine test-jar: copy out once
      final String name = relative.substring(relative.lastIndexOf('/') + 1);
      final Path copy = Files.createTempDirectory("finchstream-fixture").resolve(name);
      try (InputStream in = url.openStream()) {
        Files.copy(in, copy);
      }
      copy.toFile().deleteOnExit();
      copy.getParent().toFile().deleteOnExit();
      return copy;
    } catch (final URISyntaxException e) {
      throw new IllegalStateException(e);
    } catch (final IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A JSON fixture file, parsed. */
  public static JsonNode json(final String relative) {
    try {
      return new ObjectMapper().readTree(Files.readString(file(relative)));
    } catch (final IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A JSON array of integers (e.g. token ids). */
  public static int[] ints(final JsonNode array) {
    final int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asInt();
    }
    return out;
  }

  /**
   * A raw little-endian float32 fixture {@code [rows][cols]}, its shape {@code [rows, cols]} from
   * the fixture's JSON metadata.
   *
   * @throws IllegalStateException when the file size does not match the shape
   */
  public static float[][] floatMatrix(final String relative, final JsonNode shape) {
    final int rows = shape.get(0).asInt();
    final int cols = shape.get(1).asInt();
    try {
      final byte[] raw = Files.readAllBytes(file(relative));
      if (raw.length != rows * cols * 4) {
        throw new IllegalStateException(
            "fixtures/"
                + relative
                + " has "
                + raw.length
                + " bytes, its metadata"
                + " says ["
                + rows
                + ", "
                + cols
                + "] float32; regenerate the fixtures (tools/README.md)");
      }
      final ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
      final float[][] out = new float[rows][cols];
      for (final float[] row : out) {
        b.asFloatBuffer().get(row);
        b.position(b.position() + 4 * cols);
      }
      return out;
    } catch (final IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The token sequence of the reference logits (finch-tiny.json {@code tokens}). */
  public static int[] finchTinyTokens() {
    return ints(finchTinyMeta().get("tokens"));
  }

  /**
   * The float64 reference logits rounded to float32, {@code [position][vocab]}: row t holds the
   * logits after feeding tokens 0..t one at a time from a zero state.
   */
  public static float[][] finchTinyLogits() {
    return floatMatrix(
        "finch-tiny/finch-tiny-logits.f32", finchTinyMeta().get("logits").get("shape"));
  }

  /** {@code finch-tiny/finch-tiny.json}: dimensions, tokens, logits shape, tensor checksums. */
  public static JsonNode finchTinyMeta() {
    return json("finch-tiny/finch-tiny.json");
  }
}
