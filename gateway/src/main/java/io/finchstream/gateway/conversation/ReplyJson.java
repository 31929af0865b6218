package io.finchstream.gateway.conversation;

import io.finchstream.proto.v1.FinishReason;
import io.finchstream.proto.v1.GenerationDone;
import io.finchstream.proto.v1.TokenChunk;
import io.finchstream.proto.v1.Usage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Locale;

/** The native API's JSON for replies: token chunks and the done summary. */
public final class ReplyJson {

  private ReplyJson() {}

  /** {@code stop}, {@code length}, {@code end_of_text} or {@code cancelled}. */
  public static String finishReason(final FinishReason reason) {
    return reason == FinishReason.FINISH_REASON_UNSPECIFIED || reason == FinishReason.UNRECOGNIZED
        ? "unknown"
        : reason.name().substring("FINISH_REASON_".length()).toLowerCase(Locale.ROOT);
  }

  public static JsonObject chunk(final TokenChunk chunk) {
    return new JsonObject()
        .put("index", chunk.getIndex())
        .put("text", chunk.getText())
        .put(
            "token_ids",
            new JsonArray(
                chunk.getTokenIdsList().stream()
                    .map(Integer::longValue)
                    .map(Object.class::cast)
                    .toList()));
  }

  public static JsonObject usage(final Usage usage) {
    return new JsonObject()
        .put("prompt_tokens", usage.getPromptTokens())
        .put("completion_tokens", usage.getCompletionTokens())
        .put("conversation_tokens", usage.getConversationTokens());
  }

  public static JsonObject done(
      final String conversationId, final String requestId, final GenerationDone done) {
    return new JsonObject()
        .put("conversation_id", conversationId)
        .put("request_id", requestId)
        .put("text", done.getText())
        .put("finish_reason", finishReason(done.getFinishReason()))
        .put("usage", usage(done.getUsage()));
  }
}
