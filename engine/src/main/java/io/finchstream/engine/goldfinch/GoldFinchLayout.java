package io.finchstream.engine.goldfinch;

import io.finchstream.engine.rwkv.ChannelMix;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The canonical tensors of a GoldFinch checkpoint: names and shapes of the released {@code .pth}
 * state dict (goldfinch-math §6.3), in the reference module order (emb, blocks, ln_out, head, the
 * two compression matrices). The loader checks a checkpoint against this list and the random-model
 * writer produces exactly it.
 */
public final class GoldFinchLayout {

  private GoldFinchLayout() {}

  /** Every tensor name → shape. */
  public static Map<String, long[]> tensors(final GoldFinchConfig config) {
    final long c = config.dim();
    final long v = config.vocab();
    final Map<String, long[]> out = new LinkedHashMap<>();
    out.put("emb.weight", new long[] {v, c});
    for (int i = 0; i < config.layers(); i++) {
      final String b = "blocks." + i + ".";
      norm(out, b + "ln1", c);
      norm(out, b + "ln2", c);
      if (i == 0) {
        norm(out, b + "ln0", c);
      }
      if (i < config.finchLayers()) {
        finchC2(out, b + "att.", config);
      } else {
        gold(out, b + "att.", config);
      }
      ChannelMix.layout(out, b + "ffn.", c, config.ffn());
    }
    norm(out, "ln_out", c);
    out.put("head.weight", new long[] {v, c});
    out.put("w_kv_cache_a.weight", new long[] {config.compressed(), c});
    out.put("w_kv_cache_b.weight", new long[] {c, c + config.compressed()});
    return out;
  }

  /**
   * Finch-C2 time mix (goldfinch-math §2.1): no gate, a second value LoRA, LoRA order r,k,v,w,v2.
   */
  private static void finchC2(
      final Map<String, long[]> out, final String a, final GoldFinchConfig config) {
    final long c = config.dim();
    for (final String mix : new String[] {"x", "r", "k", "v", "w", "v2"}) {
      out.put(a + "time_maa_" + mix, new long[] {1, 1, c});
    }
    out.put(a + "time_maa_w1", new long[] {c, 5L * config.mixRank()});
    out.put(a + "time_maa_w2", new long[] {5, config.mixRank(), c});
    out.put(a + "time_decay", new long[] {1, 1, c});
    out.put(a + "time_decay_w1", new long[] {c, config.decayRank()});
    out.put(a + "time_decay_w2", new long[] {config.decayRank(), c});
    out.put(a + "time_value2_w1", new long[] {c, config.value2Rank()});
    out.put(a + "time_value2_w2", new long[] {config.value2Rank(), c});
    out.put(a + "time_faaaa", new long[] {config.heads(), config.headSize()});
    for (final String linear : new String[] {"receptance", "key", "value", "output"}) {
      out.put(a + linear + ".weight", new long[] {c, c});
    }
    norm(out, a + "ln_x", c);
  }

  /**
   * GOLD time mix (goldfinch-math §4): query, key/value rebuilt from the cache, four LayerNorms.
   */
  private static void gold(
      final Map<String, long[]> out, final String a, final GoldFinchConfig config) {
    final long c = config.dim();
    for (final String mix : new String[] {"x", "q", "v_cache", "k", "v"}) {
      out.put(a + "time_maa_" + mix, new long[] {1, 1, c});
    }
    out.put(a + "time_maa_q_w1", new long[] {c, config.queryRank()});
    out.put(a + "time_maa_q_w2", new long[] {config.queryRank(), c});
    out.put(a + "time_maa_kv_w1", new long[] {c, 2L * config.kvMixRank()});
    out.put(a + "time_maa_kv_w2", new long[] {2, config.kvMixRank(), c});
    out.put(a + "time_key_w1", new long[] {c, config.kvRank()});
    out.put(a + "time_key_w2", new long[] {config.kvRank(), c});
    out.put(a + "time_value_w1", new long[] {c, config.kvRank()});
    out.put(a + "time_value_w2", new long[] {config.kvRank(), c});
    out.put(a + "query.weight", new long[] {c, c});
    out.put(a + "output.weight", new long[] {c, c});
    for (final String ln : new String[] {"ln_q", "ln_k", "ln_v", "ln_x"}) {
      norm(out, a + ln, c);
    }
  }

  private static void norm(final Map<String, long[]> out, final String prefix, final long c) {
    out.put(prefix + ".weight", new long[] {c});
    out.put(prefix + ".bias", new long[] {c});
  }
}
