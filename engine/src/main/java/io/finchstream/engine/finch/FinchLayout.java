package io.finchstream.engine.finch;

import io.finchstream.engine.rwkv.ChannelMix;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The canonical tensors of a Finch checkpoint: names and shapes of the official {@code .pth} state
 * dict, in its order (finch-math §3.1). The loader checks a checkpoint against this list and the
 * random-model writer produces exactly it.
 */
public final class FinchLayout {

  private FinchLayout() {}

  /** Every tensor name → shape, in .pth order (28 per block, plus ln0 in block 0). */
  public static Map<String, long[]> tensors(final FinchConfig config) {
    final long c = config.dim();
    final long v = config.vocabSize();
    final Map<String, long[]> out = new LinkedHashMap<>();
    out.put("emb.weight", new long[] {v, c});
    for (int i = 0; i < config.layers(); i++) {
      final String b = "blocks." + i + ".";
      out.put(b + "ln1.weight", new long[] {c});
      out.put(b + "ln1.bias", new long[] {c});
      out.put(b + "ln2.weight", new long[] {c});
      out.put(b + "ln2.bias", new long[] {c});
      if (i == 0) {
        out.put(b + "ln0.weight", new long[] {c});
        out.put(b + "ln0.bias", new long[] {c});
      }
      attention(out, b + "att.", config);
      ChannelMix.layout(out, b + "ffn.", c, config.ffnDim());
    }
    out.put("ln_out.weight", new long[] {c});
    out.put("ln_out.bias", new long[] {c});
    out.put("head.weight", new long[] {v, c});
    return out;
  }

  private static void attention(
      final Map<String, long[]> out, final String a, final FinchConfig config) {
    final long c = config.dim();
    for (final String mix : new String[] {"x", "w", "k", "v", "r", "g"}) {
      out.put(a + "time_maa_" + mix, new long[] {1, 1, c});
    }
    out.put(a + "time_maa_w1", new long[] {c, (long) FinchConfig.MIX_BRANCHES * config.mixRank()});
    out.put(a + "time_maa_w2", new long[] {FinchConfig.MIX_BRANCHES, config.mixRank(), c});
    out.put(a + "time_decay", new long[] {1, 1, c});
    out.put(a + "time_decay_w1", new long[] {c, config.decayRank()});
    out.put(a + "time_decay_w2", new long[] {config.decayRank(), c});
    out.put(a + "time_faaaa", new long[] {config.heads(), config.headSize()});
    for (final String linear : new String[] {"receptance", "key", "value", "output", "gate"}) {
      out.put(a + linear + ".weight", new long[] {c, c});
    }
    out.put(a + "ln_x.weight", new long[] {c});
    out.put(a + "ln_x.bias", new long[] {c});
  }
}
