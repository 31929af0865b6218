package io.finchstream.gateway;

/**
 * The model this service runs, as the API shows it ({@code GET /v1/models}) and as far as the
 * gateway validates input against it: names and sizes only (the loaded model itself lives in the
 * processors, {@code io.finchstream.processors.LoadedModel}).
 *
 * @param id the name clients use in requests and {@code GET /v1/models} lists (the model file's
 *     name without its extension)
 * @param fingerprint the model's content fingerprint ({@code ModelInfo.id}); requests may name the
 *     model by it too
 * @param vocabularySize token ids must be below this
 * @param createdEpochSeconds when the model file was made or loaded (OpenAI's {@code created})
 * @param description what the model is, for people (the chat page shows it; {@code GET /v1/models}
 *     lists it as {@code description}); empty when there is nothing to say
 */
public record ApiModel(
    String id,
    String fingerprint,
    int vocabularySize,
    long createdEpochSeconds,
    String description) {

  /** A model without a description. */
  public ApiModel(
      final String id,
      final String fingerprint,
      final int vocabularySize,
      final long createdEpochSeconds) {
    this(id, fingerprint, vocabularySize, createdEpochSeconds, "");
  }

  public ApiModel {
    if (description == null) {
      throw new IllegalArgumentException("description must not be null (use \"\" for none)");
    }
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("a served model needs an id");
    }
    if (fingerprint == null || fingerprint.isBlank()) {
      throw new IllegalArgumentException("a served model needs a fingerprint");
    }
    if (vocabularySize <= 0) {
      throw new IllegalArgumentException("vocabularySize must be positive, got " + vocabularySize);
    }
  }

  /** Whether a request naming {@code model} means this model (its id or its fingerprint). */
  public boolean answersTo(final String model) {
    return id.equals(model) || fingerprint.equals(model);
  }
}
