package io.finchstream.gateway;

/**
 * The model this service runs, as the API shows it ({@code GET /v1/models}) and as far as the
 * gateway validates input against it.
 *
 * @param id the model id clients name in requests (e.g. {@code ModelInfo.id})
 * @param vocabularySize token ids must be below this
 * @param createdEpochSeconds when the model file was made or loaded (OpenAI's {@code created})
 */
public record ServedModel(String id, int vocabularySize, long createdEpochSeconds) {

  public ServedModel {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("a served model needs an id");
    }
    if (vocabularySize <= 0) {
      throw new IllegalArgumentException("vocabularySize must be positive, got " + vocabularySize);
    }
  }
}
