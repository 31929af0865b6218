package io.finchstream.engine.goldfinch;

import io.finchstream.engine.ModelInfo;
import io.finchstream.engine.StatePrecision;
import io.finchstream.engine.kernels.AttentionKernels;
import io.finchstream.engine.kernels.Kernels;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The {@link ModelInfo} of a GoldFinch model: sizes, layer split and cache arithmetic for {@code
 * inspect}.
 */
final class GoldFinchInfo {

  private GoldFinchInfo() {}

  static ModelInfo of(
      final GoldFinchWeights weights,
      final String id,
      final String format,
      final Kernels kernels,
      final AttentionKernels attention,
      final int cacheBlock,
      final StatePrecision cachePrecision) {
    final GoldFinchConfig c = weights.config();
    final CacheCost cost = CacheCost.of(c);
    final Map<String, String> d = new LinkedHashMap<>();
    d.put(
        "layer split",
        c.finchLayers() + " Finch-C2 + " + c.goldLayers() + " GOLD (from the checkpoint keys)");
    d.put("heads (H)", Integer.toString(c.heads()));
    d.put("head size (N)", Integer.toString(c.headSize()));
    d.put("ffn dim (F)", Integer.toString(c.ffn()));
    d.put("compressed key width (R)", Integer.toString(c.compressed()));
    d.put(
        "LoRA ranks",
        "mix "
            + c.mixRank()
            + ", decay "
            + c.decayRank()
            + ", value2 "
            + c.value2Rank()
            + ", query "
            + c.queryRank()
            + ", kv-mix "
            + c.kvMixRank()
            + ", key/value (DVL) "
            + c.kvRank());
    d.put(
        "positional encoding",
        c.ropeTheta() == 0 ? "none" : String.format(Locale.ROOT, "RoPE theta %.0f", c.ropeTheta()));
    d.put("GOLD window for streaming prefill", c.window() + " tokens (2G, seeded query shift)");
    d.put("checkpoint format", format);
    d.put("weight bytes in memory", Long.toString(weights.bytes()));
    d.put(
        "cache bytes/token (as stored)",
        cost.canonicalBytesPerToken() + " (int32 token id + " + c.compressed() + " fp32 c_t)");
    d.put(
        "cache bytes/token (derived, memory)",
        cost.derivedBytesPerToken(cachePrecision == StatePrecision.FP32 ? 4 : 2)
            + " ("
            + cachePrecision.name().toLowerCase(Locale.ROOT)
            + " k, v of "
            + c.goldLayers()
            + " GOLD layers; evictable, rebuilt from the stored cache)");
    d.put(
        "transformer KV cache bytes/token",
        cost.transformerKvBytesPerToken(4)
            + " fp32, "
            + cost.transformerKvBytesPerToken(2)
            + " bf16 (2·L·C values)");
    d.put(
        "cache ratio vs transformer KV cache",
        String.format(
            Locale.ROOT,
            "%.1fx as stored (fp32 vs fp32); %.1fx in the paper's accounting (bf16 c_t + 2×16-bit token index"
                + " = %d B vs %d B bf16)",
            cost.ratioAsStored(),
            cost.paperRatio(),
            cost.paperBytesPerToken(),
            cost.transformerKvBytesPerToken(2)));
    d.put("cache block", cacheBlock + " entries");
    d.put(
        "state bytes (fp32 WKV)", Long.toString(GoldFinchStateCodec.size(c, StatePrecision.FP32)));
    d.put(
        "kernels",
        kernels.name()
            + " / attention "
            + attention.name()
            + " on "
            + kernels.threads()
            + " thread(s)");
    return new ModelInfo(
        "goldfinch",
        id,
        c.vocab(),
        c.layers(),
        c.dim(),
        weights.parameters(),
        weights.precision().label(),
        GoldFinchStateCodec.size(c, StatePrecision.FP32),
        cost.canonicalBytesPerToken(),
        cost.canonicalBytesPerToken()
            + cost.derivedBytesPerToken(cachePrecision == StatePrecision.FP32 ? 4 : 2),
        d);
  }
}
