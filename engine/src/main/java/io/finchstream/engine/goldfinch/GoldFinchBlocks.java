package io.finchstream.engine.goldfinch;

import io.finchstream.engine.rwkv.ChannelMix;
import io.finchstream.engine.rwkv.Norm;

/**
 * The two block kinds of GoldFinch: {@code h += att(ln1(h)); h += ffn(ln2(h))} (goldfinch-math §1).
 */
public final class GoldFinchBlocks {

  private GoldFinchBlocks() {}

  /** A Finch-C2 block {@code blocks.i}, i &lt; L_F. */
  public record FinchC2Block(Norm ln1, Norm ln2, FinchC2TimeMix att, ChannelMix ffn) {}

  /** A GOLD block {@code blocks.i}, i ≥ L_F. */
  public record GoldBlock(Norm ln1, Norm ln2, GoldTimeMix att, ChannelMix ffn) {}
}
