package io.finchstream.engine.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finchstream.engine.io.Fixtures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The committed GoldFinch fixtures ({@code fixtures/goldfinch/}, written by {@code
 * tools/make_goldfinch_fixtures.py}): random checkpoints in the official .pth layout (fp32 and bf16)
 * and the float64 expectations of {@code tools/goldfinch_ref.py} for one token sequence.
 */
public final class GoldFinchFixtures {

  /** The fp32 model: 2 Finch-C2 + 2 GOLD blocks, C = 64, head size 32. */
  public static final String FP32 = "goldfinch-l4-c64-fp32";

  /** The bf16 model: 4 Finch-C2 + 2 GOLD blocks, C = 64, head size 64. */
  public static final String BF16 = "goldfinch-l6-c64-bf16";

  private GoldFinchFixtures() {}

  /** The checkpoint file of a fixture model. */
  public static Path checkpoint(final String model) {
    return Fixtures.file("goldfinch/" + model + ".pth");
  }

  /** {@code fixtures.json}. */
  public static JsonNode meta() {
    try {
      return new ObjectMapper().readTree(Files.readString(Fixtures.file("goldfinch/fixtures.json")));
    } catch (final IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The entry of a model in {@code fixtures.json}. */
  public static JsonNode model(final String model) {
    for (final JsonNode m : meta().get("models")) {
      if (m.get("checkpoint").asText().equals(model + ".pth")) {
        return m;
      }
    }
    throw new IllegalStateException("fixtures.json has no model " + model);
  }

  /** The token sequence of the expectations. */
  public static int[] tokens() {
    final JsonNode tokens = meta().get("tokens");
    final int[] out = new int[tokens.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = tokens.get(i).asInt();
    }
    return out;
  }

  /** Expected logits {@code [position][V]}: row t after tokens 0..t (float64 rounded to float32). */
  public static float[][] logits(final String model) {
    final JsonNode m = model(model);
    return matrix(m.get("logits").asText(), m.get("logits_shape"));
  }

  /** Expected logits of the fp32 model with RoPE θ = 10000. */
  public static float[][] ropeLogits() {
    final JsonNode m = model(FP32);
    return matrix(m.get("rope").get("logits").asText(), m.get("logits_shape"));
  }

  /** Expected compressed keys {@code [position][R]}. */
  public static float[][] compressedKeys(final String model) {
    final JsonNode m = model(model);
    return matrix(m.get("c").asText(), m.get("c_shape"));
  }

  /** The fixture tolerance on logits (max abs error against float64). */
  public static double tolerance() {
    return meta().get("tolerance_max_abs_logit").asDouble();
  }

  private static float[][] matrix(final String file, final JsonNode shape) {
    final int rows = shape.get(0).asInt();
    final int cols = shape.get(1).asInt();
    try {
      final byte[] raw = Files.readAllBytes(Fixtures.file("goldfinch/" + file));
      if (raw.length != rows * cols * 4) {
        throw new IllegalStateException(file + " has " + raw.length + " bytes, fixtures.json says ["
            + rows + ", " + cols + "] float32; regenerate with tools/make_goldfinch_fixtures.py");
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
}
