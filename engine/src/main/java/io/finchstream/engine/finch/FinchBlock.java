package io.finchstream.engine.finch;

import io.finchstream.engine.rwkv.ChannelMix;
import io.finchstream.engine.rwkv.Norm;

/**
 * One block {@code blocks.i}: {@code x += att(ln1(x)); x += ffn(ln2(x))} (finch-math §2.1).
 *
 * @param ln1 pre-norm of the TimeMix
 * @param ln2 pre-norm of the ChannelMix
 * @param att TimeMix weights
 * @param ffn ChannelMix weights
 */
public record FinchBlock(Norm ln1, Norm ln2, TimeMix att, ChannelMix ffn) {}
