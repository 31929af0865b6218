package io.finchstream.processors.testing;

import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.Models;
import io.finchstream.engine.finch.FinchConfig;
import io.finchstream.engine.goldfinch.GoldFinchConfig;
import io.finchstream.engine.testing.RandomFinch;
import io.finchstream.engine.testing.RandomGoldFinch;
import io.finchstream.engine.testing.SharedData;
import io.finchstream.engine.tokenizer.ByteTokenizer;
import io.finchstream.processors.LoadedModel;
import java.nio.file.Path;

/**
 * Real models for processor tests. The trained tiny RWKV-6 of rwkv.cpp's tests (C=64, L=12,
 * byte-level vocabulary of 256, ~1M parameters) is fast enough for hundreds of tokens per test and
 * produces real (Shakespeare-like) text; tests that need it skip loudly when the shared data is
 * absent.
 */
public final class TestModels {

  /** File name of the tiny model in the shared data folder. */
  public static final String TINY_FINCH = "tiny-rwkv-6v0-1m-FP32.bin";

  private static LoadedModel tiny;
  private static LoadedModel random;
  private static LoadedModel medium;
  private static LoadedModel goldfinch;

  private TestModels() {}

  /** The tiny Finch model with the byte tokenizer, loaded once per JVM (1 compute thread). */
  public static synchronized LoadedModel tinyFinch() {
    final Path file = SharedData.require(TINY_FINCH);
    if (tiny == null) {
      tiny =
          new LoadedModel(
              Models.load(file, LoadOptions.defaults().withThreads(1)),
              ByteTokenizer.INSTANCE,
              file.getFileName().toString());
    }
    return tiny;
  }

  /**
   * A random-weight Finch model with the byte vocabulary (L=2, C=64, head size 16): real engine
   * code with weights from a seeded generator. Used where the trained tiny model does not fit: that
   * one predicts end-of-text (token 0) first after almost any prompt, so generations end at once; a
   * random model samples long, varied replies.
   */
  public static synchronized LoadedModel randomFinch() {
    if (random == null) {
      random =
          new LoadedModel(
              RandomFinch.model(
                  FinchConfig.standard(2, 64, 16, ByteTokenizer.VOCAB_SIZE),
                  20_260_101L,
                  LoadOptions.defaults().withThreads(1)),
              ByteTokenizer.INSTANCE,
              "random Finch L2 C64 (seed 20260101, not a language model)");
    }
    return random;
  }

  /**
   * A model by name, for child JVMs: {@code tiny} (the trained tiny model), {@code random} ({@link
   * #randomFinch}), {@code random-medium} (random L4 C256, slower: ~30x the work per token).
   */
  public static LoadedModel byName(final String name) {
    return switch (name) {
      case "tiny" -> tinyFinch();
      case "random" -> randomFinch();
      case "random-medium" -> randomMedium();
      case "random-goldfinch" -> randomGoldFinch();
      default -> throw new IllegalArgumentException("unknown test model " + name);
    };
  }

  /**
   * A random-weight GoldFinch model with the byte vocabulary (L=6: 4 Finch-C2 + 2 GOLD blocks,
   * C=64, head size 16) and cache blocks of 16 entries, so that short conversations span several
   * blocks.
   */
  public static synchronized LoadedModel randomGoldFinch() {
    if (goldfinch == null) {
      goldfinch =
          new LoadedModel(
              RandomGoldFinch.model(
                  GoldFinchConfig.standard(6, 64, 16, ByteTokenizer.VOCAB_SIZE),
                  20_260_103L,
                  LoadOptions.defaults().withThreads(1),
                  16),
              ByteTokenizer.INSTANCE,
              "random GoldFinch L6 C64 (seed 20260103, cache blocks of 16, not a language model)");
    }
    return goldfinch;
  }

  /** Random-weight Finch, L=4, C=256, head size 64, byte vocabulary. */
  public static synchronized LoadedModel randomMedium() {
    if (medium == null) {
      medium =
          new LoadedModel(
              RandomFinch.model(
                  FinchConfig.standard(4, 256, 64, ByteTokenizer.VOCAB_SIZE),
                  20_260_102L,
                  LoadOptions.defaults().withThreads(1)),
              ByteTokenizer.INSTANCE,
              "random Finch L4 C256 (seed 20260102, not a language model)");
    }
    return medium;
  }

  /** The tiny model's path (skips the test when it is absent). */
  public static Path tinyFinchPath() {
    return SharedData.require(TINY_FINCH);
  }
}
