package io.finchstream.processors.event;

import com.google.protobuf.InvalidProtocolBufferException;
import io.finchstream.engine.sampling.Choices;
import io.finchstream.engine.sampling.InvalidParameterException;
import io.finchstream.engine.sampling.SamplingParams;
import io.finchstream.engine.structured.SchemaException;
import io.finchstream.engine.structured.TokenGrammar;
import io.finchstream.engine.tokenizer.Tokenizer;
import io.finchstream.processors.FinchstreamConfig;
import io.finchstream.proto.v1.AppendText;
import io.finchstream.proto.v1.AppendTokens;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.ErrorCode;
import io.finchstream.proto.v1.EventOrigin;
import io.finchstream.proto.v1.Fork;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.ReserveFork;
import io.finchstream.proto.v1.ResponseFormat;
import io.finchstream.proto.v1.Role;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.Map;

/**
 * Checks an input record and turns it into a {@link Command}, or says precisely why it cannot be
 * processed. Pure: the same bytes always give the same result (deferred events are validated again
 * when they are applied). Stateless checks only; checks that need the conversation's state (Fork of
 * an unknown conversation, duplicate request ids) happen when the command is applied.
 */
public final class EventValidator {

  /** Major schema version this reader understands. */
  public static final int SCHEMA_VERSION = 1;

  /** Longest conversation id (record key), in UTF-8 bytes. */
  public static final int MAX_CONVERSATION_ID_BYTES = 1024;

  /** Longest request id, in UTF-8 bytes. */
  public static final int MAX_REQUEST_ID_BYTES = 256;

  /** The configured limits. */
  public record Limits(
      int maxTextBytes,
      int maxAppendTokens,
      int maxGenerateTokens,
      int defaultGenerateTokens,
      int maxStopSequences) {

    /** The limits of a configuration. */
    public static Limits from(final FinchstreamConfig config) {
      return new Limits(
          config.getInt(FinchstreamConfig.MAX_TEXT_BYTES_CONFIG),
          config.getInt(FinchstreamConfig.MAX_APPEND_TOKENS_CONFIG),
          config.getInt(FinchstreamConfig.MAX_GENERATE_TOKENS_CONFIG),
          config.getInt(FinchstreamConfig.DEFAULT_GENERATE_TOKENS_CONFIG),
          config.getInt(FinchstreamConfig.MAX_STOP_SEQUENCES_CONFIG));
    }
  }

  /** The outcome: exactly one of accepted or rejected. */
  public sealed interface Result {}

  /** The event is valid. */
  public record Accepted(Inbound inbound) implements Result {}

  /** The event cannot be processed. */
  public record Rejected(Rejection rejection) implements Result {}

  private final Tokenizer tokenizer;
  private final int vocabSize;
  private final Limits limits;

  public EventValidator(final Tokenizer tokenizer, final int vocabSize, final Limits limits) {
    this.tokenizer = tokenizer;
    this.vocabSize = vocabSize;
    this.limits = limits;
  }

  /** Validates the record {@code key}/{@code value} that came from {@code origin}. */
  public Result validate(final byte[] key, final byte[] value, final EventOrigin origin) {
    final String conversation;
    try {
      conversation = conversationId(key);
    } catch (final Invalid e) {
      return new Rejected(new Rejection(ErrorCode.INVALID_KEY, e.getMessage(), null, "", ""));
    }
    if (value == null) {
      return new Rejected(
          new Rejection(
              ErrorCode.MALFORMED_EVENT, "the record has no value", conversation, "", ""));
    }
    final ConversationEvent event;
    try {
      event = ConversationEvent.parseFrom(value);
    } catch (final InvalidProtocolBufferException e) {
      return new Rejected(
          new Rejection(
              ErrorCode.MALFORMED_EVENT,
              value.length + " bytes are not a ConversationEvent: " + e.getMessage(),
              conversation,
              "",
              ""));
    }
    final String requestId =
        event.hasGenerate() ? event.getGenerate().getRequestId() : event.getEventId();
    final String replyTo = event.hasGenerate() ? event.getGenerate().getReplyTo() : "";
    try {
      final Command command = command(conversation, event);
      return new Accepted(
          new Inbound(conversation, event.getEventId(), command, origin, key, value));
    } catch (final Invalid e) {
      return new Rejected(new Rejection(e.code, e.getMessage(), conversation, requestId, replyTo));
    }
  }

  private Command command(final String conversation, final ConversationEvent event) throws Invalid {
    if (event.getSchemaVersion() > SCHEMA_VERSION) {
      throw new Invalid(
          ErrorCode.UNSUPPORTED_SCHEMA_VERSION,
          "schema_version "
              + event.getSchemaVersion()
              + " is newer than this reader's "
              + SCHEMA_VERSION);
    }
    return switch (event.getEventCase()) {
      case APPEND_TEXT -> appendText(event.getAppendText());
      case APPEND_TOKENS -> appendTokens(event.getAppendTokens());
      case GENERATE -> generate(event.getGenerate());
      case FORK -> fork(conversation, event.getFork());
      case REWIND -> new Command.Rewind(event.getRewind().getToMessage());
      case RESERVE_FORK -> reserveFork(conversation, event.getReserveFork());
      case RESET -> new Command.Reset();
      case DELETE -> new Command.Delete();
      case CANCEL -> {
        if (event.getCancel().getRequestId().isEmpty()) {
          throw new Invalid(ErrorCode.INVALID_PARAMETERS, "cancel.request_id is empty");
        }
        yield new Command.Cancel(
            event.getCancel().getRequestId(), event.getCancel().getShownTokens());
      }
      case EVENT_NOT_SET ->
          throw new Invalid(
              ErrorCode.UNKNOWN_EVENT_TYPE,
              event.getUnknownFields().asMap().isEmpty()
                  ? "the event sets none of the known event types"
                  : "the event's type is unknown to this version (fields "
                      + event.getUnknownFields().asMap().keySet()
                      + ")");
    };
  }

  private Command appendText(final AppendText append) throws Invalid {
    checkTextSize("append_text.text", append.getTextBytes().size());
    if (append.getRole() == Role.UNRECOGNIZED) {
      throw new Invalid(
          ErrorCode.INVALID_PARAMETERS,
          "append_text.role " + append.getRoleValue() + " is unknown");
    }
    final int[] tokens = tokenizer.encode(ChatFormat.render(append.getRole(), append.getText()));
    checkTokenCount("append_text", tokens.length);
    return new Command.Append(tokens, append.getRole(), append.getText());
  }

  private Command appendTokens(final AppendTokens append) throws Invalid {
    checkTokenCount("append_tokens.ids", append.getIdsCount());
    final int[] ids = new int[append.getIdsCount()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = checkTokenId("append_tokens.ids", i, append.getIds(i));
    }
    return new Command.Append(ids, null, null);
  }

  private Command generate(final Generate g) throws Invalid {
    final int requestIdBytes = g.getRequestIdBytes().size();
    if (requestIdBytes == 0 || requestIdBytes > MAX_REQUEST_ID_BYTES) {
      throw new Invalid(
          ErrorCode.INVALID_PARAMETERS,
          "generate.request_id must be 1.."
              + MAX_REQUEST_ID_BYTES
              + " bytes, got "
              + requestIdBytes);
    }
    checkTextSize("generate.prefix_text", g.getPrefixTextBytes().size());
    if (Integer.toUnsignedLong(g.getMaxTokens()) > limits.maxGenerateTokens()) {
      throw new Invalid(
          ErrorCode.INVALID_PARAMETERS,
          "generate.max_tokens "
              + Integer.toUnsignedLong(g.getMaxTokens())
              + " is above the limit "
              + limits.maxGenerateTokens()
              + " (max.generate.tokens)");
    }
    final int stops = g.getStopCount() + g.getStopTokenIdsCount();
    if (stops > limits.maxStopSequences()) {
      throw new Invalid(
          ErrorCode.INVALID_PARAMETERS,
          "generate has "
              + stops
              + " stop strings and ids, more than "
              + limits.maxStopSequences()
              + " (max.stop.sequences)");
    }
    final io.finchstream.proto.v1.SamplingParams s = g.getSampling();
    if (s.getTopK() < 0) {
      throw new Invalid(
          ErrorCode.INVALID_PARAMETERS,
          "sampling.top_k " + Integer.toUnsignedLong(s.getTopK()) + " is too large");
    }
    for (int i = 0; i < g.getStopTokenIdsCount(); i++) {
      checkTokenId("generate.stop_token_ids", i, g.getStopTokenIds(i));
    }
    if (Integer.toUnsignedLong(g.getChoice()) >= Choices.MAX_CHOICES) {
      throw new Invalid(
          ErrorCode.INVALID_PARAMETERS,
          "generate.choice must be below "
              + Choices.MAX_CHOICES
              + ", got "
              + Integer.toUnsignedLong(g.getChoice()));
    }
    final SamplingParams.Builder params =
        samplingParams(
            g,
            g.getMaxTokens() == 0 ? limits.defaultGenerateTokens() : g.getMaxTokens(),
            Choices.seed(s.hasSeed() ? s.getSeed() : seedOf(g.getRequestId()), g.getChoice()));
    final SamplingParams resolved;
    try {
      resolved = params.build().validate(vocabSize);
    } catch (final InvalidParameterException e) {
      throw new Invalid(ErrorCode.INVALID_PARAMETERS, e.getMessage());
    }
    checkResponseFormat(g, resolved);
    final int[] prefix = tokenizer.encode(g.getPrefixText());
    checkTokenCount("generate.prefix_text", prefix.length);
    return new Command.StartGeneration(g, prefix, resolved);
  }

  /**
   * Compiles the response format (cached, {@link ResponseFormats}) and checks that {@code
   * max_tokens} leaves room for its shortest valid output.
   */
  private void checkResponseFormat(final Generate g, final SamplingParams params) throws Invalid {
    final TokenGrammar grammar;
    try {
      grammar = ResponseFormats.grammar(tokenizer, g);
    } catch (final SchemaException e) {
      throw new Invalid(
          ErrorCode.INVALID_PARAMETERS,
          (g.getResponseFormat().getType() == ResponseFormat.Type.TYPE_TOOL_CALL
                  ? "tools: "
                  : "response_format.json_schema.schema: ")
              + e.getMessage());
    } catch (final IllegalArgumentException e) {
      throw new Invalid(ErrorCode.INVALID_PARAMETERS, e.getMessage());
    }
    if (grammar != null && grammar.grammar().minBytes() > params.maxTokens()) {
      throw new Invalid(
          ErrorCode.INVALID_PARAMETERS,
          "max_tokens must be >= "
              + grammar.grammar().minBytes()
              + " for this response_format (the tokens of its shortest valid output), got "
              + params.maxTokens());
    }
  }

  private static Command reserveFork(final String conversation, final ReserveFork reserve)
      throws Invalid {
    final String source = reserve.getSourceConversationId();
    final int bytes = source.getBytes(StandardCharsets.UTF_8).length;
    if (bytes == 0 || bytes > MAX_CONVERSATION_ID_BYTES || source.equals(conversation)) {
      throw new Invalid(
          ErrorCode.INVALID_PARAMETERS,
          "reserve_fork.source_conversation_id must be another conversation's id (1.."
              + MAX_CONVERSATION_ID_BYTES
              + " bytes)");
    }
    if (reserve.getForkEventId().isEmpty()) {
      throw new Invalid(ErrorCode.INVALID_PARAMETERS, "reserve_fork.fork_event_id is empty");
    }
    return new Command.ReserveFork(source, reserve.getForkEventId());
  }

  private static Command fork(final String conversation, final Fork fork) throws Invalid {
    final String target = fork.getNewConversationId();
    final int bytes = target.getBytes(StandardCharsets.UTF_8).length;
    if (bytes == 0 || bytes > MAX_CONVERSATION_ID_BYTES) {
      throw new Invalid(
          ErrorCode.INVALID_PARAMETERS,
          "fork.new_conversation_id must be 1.."
              + MAX_CONVERSATION_ID_BYTES
              + " bytes, got "
              + bytes);
    }
    if (target.equals(conversation)) {
      throw new Invalid(
          ErrorCode.INVALID_PARAMETERS, "fork.new_conversation_id is this conversation's own id");
    }
    return new Command.Fork(target, fork.hasAtMessage() ? fork.getAtMessage() : null);
  }

  /**
   * The sampling parameters of {@code g} with the effective {@code maxTokens} and {@code seed}
   * (defaults resolved by the caller), not validated. The same function rebuilds them when a
   * generation resumes after a restart.
   */
  public static SamplingParams.Builder samplingParams(
      final Generate g, final int maxTokens, final long seed) {
    final io.finchstream.proto.v1.SamplingParams s = g.getSampling();
    final SamplingParams.Builder params = SamplingParams.builder();
    if (s.hasTemperature()) {
      params.temperature(s.getTemperature());
    }
    if (s.hasTopP()) {
      params.topP(s.getTopP());
    }
    params.topK(s.getTopK()).minP(s.getMinP());
    if (s.hasRepetitionPenalty()) {
      params.repetitionPenalty(s.getRepetitionPenalty());
    }
    params.presencePenalty(s.getPresencePenalty()).frequencyPenalty(s.getFrequencyPenalty());
    params.stopTokenIds(g.getStopTokenIdsList()).stopStrings(g.getStopList());
    final Map<Integer, Double> bias = new HashMap<>();
    s.getLogitBiasMap().forEach((id, b) -> bias.put(id, (double) b));
    params.logitBias(bias).logprobs(g.getLogprobs()).topLogprobs(g.getTopLogprobs());
    return params.maxTokens(maxTokens).seed(seed);
  }

  /**
   * The sampler seed of a Generate without one: the first 8 bytes (big-endian) of SHA-256 of the
   * request id's UTF-8 bytes, so retries of one request sample the same reply.
   */
  public static long seedOf(final String requestId) {
    try {
      final byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(requestId.getBytes(StandardCharsets.UTF_8));
      return ByteBuffer.wrap(digest).getLong();
    } catch (final NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  private void checkTextSize(final String field, final int bytes) throws Invalid {
    if (bytes > limits.maxTextBytes()) {
      throw new Invalid(
          ErrorCode.PAYLOAD_TOO_LARGE,
          field
              + " is "
              + bytes
              + " bytes, above the limit "
              + limits.maxTextBytes()
              + " (max.text.bytes)");
    }
  }

  private void checkTokenCount(final String field, final int tokens) throws Invalid {
    if (tokens > limits.maxAppendTokens()) {
      throw new Invalid(
          ErrorCode.PAYLOAD_TOO_LARGE,
          field
              + " has "
              + tokens
              + " tokens, above the limit "
              + limits.maxAppendTokens()
              + " (max.append.tokens)");
    }
  }

  private int checkTokenId(final String field, final int position, final int id) throws Invalid {
    final long unsigned = Integer.toUnsignedLong(id);
    if (unsigned >= vocabSize) {
      throw new Invalid(
          ErrorCode.TOKEN_OUT_OF_RANGE,
          field
              + ": token id "
              + unsigned
              + " >= vocabulary size "
              + vocabSize
              + " (position "
              + position
              + ")");
    }
    return id;
  }

  private static String conversationId(final byte[] key) throws Invalid {
    if (key == null) {
      throw new Invalid(ErrorCode.INVALID_KEY, "the record has no key (the conversation id)");
    }
    if (key.length == 0 || key.length > MAX_CONVERSATION_ID_BYTES) {
      throw new Invalid(
          ErrorCode.INVALID_KEY,
          "the key (conversation id) must be 1.."
              + MAX_CONVERSATION_ID_BYTES
              + " bytes, got "
              + key.length);
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(key))
          .toString();
    } catch (final CharacterCodingException e) {
      throw new Invalid(ErrorCode.INVALID_KEY, "the key (conversation id) is not valid UTF-8");
    }
  }

  /** A validation failure with its code (internal control flow). */
  private static final class Invalid extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient ErrorCode code;

    Invalid(final ErrorCode code, final String message) {
      super(message, null, false, false);
      this.code = code;
    }
  }
}
