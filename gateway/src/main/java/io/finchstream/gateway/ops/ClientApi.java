package io.finchstream.gateway.ops;

/** The API path a generation is streamed through; the {@code api} tag of the latency meters. */
public enum ClientApi {
  /** {@code POST /v1/conversations/{id}/generate}: SSE (or one JSON body). */
  NATIVE("native"),
  /** {@code /v1/conversations/{id}/ws}. */
  WEBSOCKET("websocket"),
  /** {@code POST /v1/chat/completions}. */
  OPENAI("openai"),
  /** {@code POST /v1/completions}. */
  OPENAI_COMPLETIONS("openai_completions");

  private final String tag;

  ClientApi(final String tag) {
    this.tag = tag;
  }

  /** The meter tag value. */
  public String tag() {
    return tag;
  }
}
