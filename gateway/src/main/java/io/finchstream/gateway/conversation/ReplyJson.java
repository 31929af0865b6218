package io.finchstream.gateway.conversation;

import io.finchstream.proto.v1.FinishReason;
import io.finchstream.proto.v1.GenerationDone;
import io.finchstream.proto.v1.TokenChunk;
import io.finchstream.proto.v1.TokenLogprob;
import io.finchstream.proto.v1.TokenLogprobs;
import io.finchstream.proto.v1.Usage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
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
    final JsonObject json =
        new JsonObject()
            .put("index", chunk.getIndex())
            .put("text", chunk.getText())
            .put(
                "token_ids",
                new JsonArray(
                    chunk.getTokenIdsList().stream()
                        .map(Integer::longValue)
                        .map(Object.class::cast)
                        .toList()));
    if (chunk.getLogprobsCount() > 0) {
      json.put("logprobs", logprobs(chunk, true));
    }
    return json;
  }

  /**
   * The log probabilities of a chunk's tokens as OpenAI's {@code logprobs.content} entries: {@code
   * {"token", "logprob", "bytes", "top_logprobs": [{"token", "logprob", "bytes"}]}}, with {@code
   * token_id} too when {@code withIds} (the native API).
   */
  public static JsonArray logprobs(final TokenChunk chunk, final boolean withIds) {
    final JsonArray out = new JsonArray();
    for (final TokenLogprobs lp : chunk.getLogprobsList()) {
      final JsonArray top = new JsonArray();
      for (final TokenLogprob t : lp.getTopList()) {
        top.add(logprob(t, withIds));
      }
      out.add(logprob(lp.getChosen(), withIds).put("top_logprobs", top));
    }
    return out;
  }

  private static JsonObject logprob(final TokenLogprob lp, final boolean withIds) {
    final byte[] bytes = lp.getBytes().toByteArray();
    final JsonArray byteList = new JsonArray();
    for (final byte b : bytes) {
      byteList.add(b & 0xFF);
    }
    final JsonObject json = new JsonObject();
    if (withIds) {
      json.put("token_id", Integer.toUnsignedLong(lp.getTokenId()));
    }
    return json.put("token", tokenText(bytes))
        .put("logprob", lp.getLogprob())
        .put("bytes", byteList);
  }

  /**
   * A token's text: its bytes as UTF-8 when they are well-formed, else (part of a character) {@code
   * bytes:\xNN...} as OpenAI writes such tokens.
   */
  static String tokenText(final byte[] bytes) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (final CharacterCodingException e) {
      final StringBuilder out = new StringBuilder("bytes:");
      for (final byte b : bytes) {
        out.append(String.format(Locale.ROOT, "\\x%02x", b & 0xFF));
      }
      return out.toString();
    }
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
