package io.finchstream.processors.testing;

import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.Models;
import io.finchstream.engine.testing.SharedData;
import io.finchstream.engine.tokenizer.ByteTokenizer;
import io.finchstream.processors.ServedModel;
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

  private static ServedModel tiny;

  private TestModels() {}

  /** The tiny Finch model with the byte tokenizer, loaded once per JVM (1 compute thread). */
  public static synchronized ServedModel tinyFinch() {
    final Path file = SharedData.require(TINY_FINCH);
    if (tiny == null) {
      tiny = new ServedModel(Models.load(file, LoadOptions.defaults().withThreads(1)), ByteTokenizer.INSTANCE, file.getFileName().toString());
    }
    return tiny;
  }

  /** The tiny model's path (skips the test when it is absent). */
  public static Path tinyFinchPath() {
    return SharedData.require(TINY_FINCH);
  }
}
