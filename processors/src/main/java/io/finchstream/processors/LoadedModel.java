package io.finchstream.processors;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.ModelInfo;
import io.finchstream.engine.tokenizer.Tokenizer;

/**
 * The model a service instance serves, loaded in memory, with the tokenizer of its vocabulary: what
 * the processors compute with. (The gateway's description of the same model, as its API shows it,
 * is {@code io.finchstream.gateway.ApiModel}.) Shared by all stream tasks and threads (both are
 * immutable and thread-safe).
 *
 * @param model the loaded model
 * @param tokenizer text ⇄ ids for the model's vocabulary
 * @param label how to describe the model to people (file name; "random" models say so)
 */
public record LoadedModel(LanguageModel model, Tokenizer tokenizer, String label) {

  public LoadedModel {
    if (tokenizer.vocabSize() != model.info().vocabSize()) {
      throw new IllegalArgumentException(
          "tokenizer vocabulary "
              + tokenizer.vocabSize()
              + " does not match the model's "
              + model.info().vocabSize());
    }
  }

  /** The model's facts. */
  public ModelInfo info() {
    return model.info();
  }
}
