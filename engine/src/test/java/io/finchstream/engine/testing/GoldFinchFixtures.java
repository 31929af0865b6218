package io.finchstream.engine.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.finchstream.engine.io.Fixtures;
import java.nio.file.Path;

/**
 * The committed GoldFinch fixtures ({@code fixtures/goldfinch/}, written by {@code
 * tools/make_goldfinch_fixtures.py}): random checkpoints in the official .pth layout (fp32 and
 * bf16) and the float64 expectations of {@code tools/goldfinch_ref.py} for one token sequence.
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
    return Fixtures.json("goldfinch/fixtures.json");
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
    return Fixtures.ints(meta().get("tokens"));
  }

  /**
   * Expected logits {@code [position][V]}: row t after tokens 0..t (float64 rounded to float32).
   */
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
    return Fixtures.floatMatrix("goldfinch/" + file, shape);
  }
}
