package io.finchstream.engine.io.safetensors;

import java.util.Collection;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hugging Face RWKV-6 tensor names to the official {@code .pth} names (finch-math §3.4; the
 * converter {@code convert_rwkv6_checkpoint_to_hf.py} only renames):
 *
 * <pre>
 *   rwkv.embeddings.weight                 -> emb.weight
 *   rwkv.blocks.0.pre_ln.{weight,bias}     -> blocks.0.ln0.{weight,bias}
 *   rwkv.blocks.N.attention.X              -> blocks.N.att.X
 *   rwkv.blocks.N.feed_forward.X           -> blocks.N.ffn.X
 *   rwkv.blocks.N.X, rwkv.ln_out.X         -> blocks.N.X, ln_out.X
 *   head.weight                            -> head.weight
 * </pre>
 */
final class HfNames {

  private static final String PREFIX = "rwkv.";
  private static final Pattern BLOCK =
      Pattern.compile("blocks\\.(\\d+)\\.(pre_ln|attention|feed_forward)\\.(.+)");

  private HfNames() {}

  /** Whether the names are Hugging Face names (some start with {@code rwkv.}). */
  static boolean isHf(final Collection<String> names) {
    return names.stream().anyMatch(n -> n.startsWith(PREFIX));
  }

  /** The canonical name of a Hugging Face name. */
  static String canonical(final String hf) {
    final String name = hf.startsWith(PREFIX) ? hf.substring(PREFIX.length()) : hf;
    if (name.startsWith("embeddings.")) {
      return "emb." + name.substring("embeddings.".length());
    }
    final Matcher m = BLOCK.matcher(name);
    if (!m.matches()) {
      return name;
    }
    final String module =
        switch (m.group(2)) {
          case "pre_ln" -> "ln0";
          case "attention" -> "att";
          default -> "ffn";
        };
    return "blocks." + m.group(1) + "." + module + "." + m.group(3);
  }
}
