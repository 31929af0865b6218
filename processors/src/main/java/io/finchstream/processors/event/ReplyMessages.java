package io.finchstream.processors.event;

import com.google.protobuf.ByteString;
import io.finchstream.engine.sampling.TokenLogprob;
import io.finchstream.proto.v1.Error;
import io.finchstream.proto.v1.ErrorCode;
import io.finchstream.proto.v1.FinishReason;
import io.finchstream.proto.v1.GenerationDone;
import io.finchstream.proto.v1.LiveToken;
import io.finchstream.proto.v1.Reply;
import io.finchstream.proto.v1.TokenChunk;
import io.finchstream.proto.v1.TokenLogprobs;
import io.finchstream.proto.v1.Usage;
import java.util.List;

/** Builders of the messages on {@code finchstream.replies} and {@code finchstream.tokens}. */
public final class ReplyMessages {

  /** Schema version written into every reply. */
  public static final int SCHEMA_VERSION = 1;

  private ReplyMessages() {}

  /** A piece of a streamed reply. */
  public static Reply chunk(
      final String conversation,
      final String requestId,
      final String replyTo,
      final int index,
      final int[] tokens,
      final String text) {
    return chunk(conversation, requestId, replyTo, index, tokens, List.of(), text);
  }

  /**
   * A piece of a streamed reply with the log probabilities of its tokens ({@code logprobs}: one per
   * token, or empty when the request did not ask for them).
   */
  public static Reply chunk(
      final String conversation,
      final String requestId,
      final String replyTo,
      final int index,
      final int[] tokens,
      final List<io.finchstream.engine.sampling.TokenLogprobs> logprobs,
      final String text) {
    final TokenChunk.Builder chunk = TokenChunk.newBuilder().setIndex(index).setText(text);
    for (final int t : tokens) {
      chunk.addTokenIds(t);
    }
    for (final io.finchstream.engine.sampling.TokenLogprobs lp : logprobs) {
      final TokenLogprobs.Builder entry =
          TokenLogprobs.newBuilder().setChosen(logprob(lp.chosen()));
      for (final TokenLogprob top : lp.top()) {
        entry.addTop(logprob(top));
      }
      chunk.addLogprobs(entry);
    }
    return base(conversation, requestId, replyTo).setChunk(chunk).build();
  }

  private static io.finchstream.proto.v1.TokenLogprob logprob(final TokenLogprob lp) {
    return io.finchstream.proto.v1.TokenLogprob.newBuilder()
        .setTokenId(lp.token())
        .setLogprob(lp.logprob())
        .setBytes(ByteString.copyFrom(lp.bytes()))
        .build();
  }

  /** The last message of a generation. */
  public static Reply done(
      final String conversation,
      final String requestId,
      final String replyTo,
      final FinishReason reason,
      final int promptTokens,
      final int completionTokens,
      final long conversationTokens,
      final String text) {
    final Usage usage =
        Usage.newBuilder()
            .setPromptTokens(promptTokens)
            .setCompletionTokens(completionTokens)
            .setConversationTokens(conversationTokens)
            .build();
    return base(conversation, requestId, replyTo)
        .setDone(GenerationDone.newBuilder().setFinishReason(reason).setUsage(usage).setText(text))
        .build();
  }

  /**
   * One draw of a generation for {@code finchstream.tokens} (events.proto {@code LiveToken}).
   *
   * @param index the draw's index (tokens generated before it)
   * @param token the token it appended, or -1 for a final stop token
   * @param text the text that became final with it
   * @param textOffset code points of reply text before {@code text}
   * @param sampledAtMicros when it was sampled, epoch microseconds
   */
  public static LiveToken live(
      final String conversation,
      final String requestId,
      final String replyTo,
      final int index,
      final int token,
      final String text,
      final int textOffset,
      final long sampledAtMicros) {
    final LiveToken.Builder b =
        LiveToken.newBuilder()
            .setSchemaVersion(SCHEMA_VERSION)
            .setConversationId(conversation)
            .setRequestId(requestId)
            .setReplyTo(replyTo)
            .setIndex(index)
            .setText(text)
            .setTextOffset(textOffset)
            .setSampledAtUs(sampledAtMicros);
    if (token >= 0) {
      b.setTokenId(token);
    }
    return b.build();
  }

  /** An error about an event or a request. */
  public static Reply error(
      final String conversation,
      final String requestId,
      final String replyTo,
      final ErrorCode code,
      final String message) {
    return base(conversation, requestId, replyTo)
        .setError(Error.newBuilder().setCode(code).setMessage(message))
        .build();
  }

  private static Reply.Builder base(
      final String conversation, final String requestId, final String replyTo) {
    return Reply.newBuilder()
        .setSchemaVersion(SCHEMA_VERSION)
        .setConversationId(conversation)
        .setRequestId(requestId == null ? "" : requestId)
        .setReplyTo(replyTo == null ? "" : replyTo);
  }
}
