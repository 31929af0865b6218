package io.finchstream.gateway.conversation;

import io.finchstream.gateway.http.ApiError;
import io.finchstream.proto.TenantKeys;
import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.Error;
import io.finchstream.proto.v1.Refusal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HexFormat;
import java.util.List;

/**
 * A conversation's metadata as the API shows it ({@code GET /v1/conversations/{id}}), and as
 * gateways pass it to each other when the conversation is owned by another instance. Built from the
 * stored {@code ConversationMeta}. Ids are as the conversation's tenant names them ({@link
 * TenantKeys#id}): the tenant never shows.
 *
 * @param id the conversation's id within its tenant
 * @param forkedFrom the id (within the same tenant) of the conversation it was forked from, or ""
 * @param messageDigest hex of {@code ConversationMeta.message_digest} ("" for the empty history)
 * @param firstMessage the oldest message the conversation keeps a record of (older ones end before
 *     its oldest snapshot: it cannot be rewound or forked to right after them)
 * @param lastRequestId request id of the latest Generate accepted (the running one while {@code
 *     generating})
 * @param lastPartition partition of the last event applied (-1 if none)
 * @param lastOffset offset of the last event applied (-1 if none)
 * @param refused the latest events refused after their 202 ({@code ConversationMeta.refusals}),
 *     oldest first
 */
public record ApiConversation(
    String id,
    String model,
    long tokens,
    long messages,
    String messageDigest,
    long firstMessage,
    String lastRequestId,
    String forkedFrom,
    long createdAtMs,
    long updatedAtMs,
    long eventsApplied,
    long generationsFinished,
    boolean generating,
    int lastPartition,
    long lastOffset,
    List<Refused> refused) {

  /**
   * An event the processors refused after the gateway's 202 (a race its checks could not see), as
   * the client that wrote it reads it back: the {@code event_id} and offset its 202 returned, and
   * the error it would have got had it been refused at once.
   */
  public record Refused(
      String eventId,
      int partition,
      long offset,
      int status,
      String type,
      String code,
      String message,
      long refusedAtMs) {

    static Refused of(final Refusal r) {
      final ApiError error =
          ReplyErrors.toApiError(
              Error.newBuilder().setCode(r.getCode()).setMessage(r.getMessage()).build());
      return new Refused(
          r.getEventId(),
          r.getOrigin().getPartition(),
          r.getOrigin().getOffset(),
          error.status(),
          error.type(),
          error.code(),
          error.message(),
          r.getRefusedAtMs());
    }

    JsonObject toJson() {
      return new JsonObject()
          .put("event_id", eventId)
          .put("partition", partition)
          .put("offset", offset)
          .put("status", status)
          .put("type", type)
          .put("code", code)
          .put("message", message)
          .put("refused_at_ms", refusedAtMs);
    }

    static Refused fromJson(final JsonObject json) {
      return new Refused(
          json.getString("event_id", ""),
          json.getInteger("partition", -1),
          json.getLong("offset", -1L),
          json.getInteger("status", 500),
          json.getString("type", ""),
          json.getString("code", ""),
          json.getString("message", ""),
          json.getLong("refused_at_ms", 0L));
    }
  }

  /** The conversation of Kafka key {@code key}, as its tenant sees it. */
  public static ApiConversation of(
      final String key, final ConversationMeta meta, final boolean generating) {
    final boolean hasLast = !meta.getLastTopic().isEmpty();
    return new ApiConversation(
        TenantKeys.id(key),
        meta.getModelId(),
        meta.getTokens(),
        meta.getMessages(),
        HexFormat.of().formatHex(meta.getMessageDigest().toByteArray()),
        meta.getFirstMessage(),
        meta.getLastRequestId(),
        TenantKeys.id(meta.getForkedFrom()),
        meta.getCreatedAtMs(),
        meta.getUpdatedAtMs(),
        meta.getEventsApplied(),
        meta.getGenerationsFinished(),
        generating,
        hasLast ? meta.getLastPartition() : -1,
        hasLast ? meta.getLastOffset() : -1,
        meta.getRefusalsList().stream().map(Refused::of).toList());
  }

  /**
   * Whether the conversation can be rewound or forked right after its first {@code n} messages: the
   * start, the end, or a message the conversation still keeps a record of (the owner makes the
   * final check).
   */
  public boolean reachable(final long n) {
    return n == 0 || n == messages || (n <= messages && n - 1 >= firstMessage);
  }

  /** Whether the event at {@code partition}:{@code offset} of the events topic has been applied. */
  public boolean applied(final int partition, final long offset) {
    return lastPartition == partition && lastOffset >= offset;
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id)
        .put("object", "conversation")
        .put("model", model)
        .put("tokens", tokens)
        .put("messages", messages)
        .put("message_digest", messageDigest)
        .put("first_message", firstMessage)
        .put("last_request_id", lastRequestId)
        .put("forked_from", forkedFrom.isEmpty() ? null : forkedFrom)
        .put("created_at_ms", createdAtMs)
        .put("updated_at_ms", updatedAtMs)
        .put("events_applied", eventsApplied)
        .put("generations_finished", generationsFinished)
        .put("generating", generating)
        .put(
            "last_event",
            lastPartition < 0
                ? null
                : new JsonObject().put("partition", lastPartition).put("offset", lastOffset))
        .put("refused", new JsonArray(refused.stream().map(Refused::toJson).toList()));
  }

  public static ApiConversation fromJson(final JsonObject json) {
    final JsonObject last = json.getJsonObject("last_event");
    final String forked = json.getString("forked_from");
    final JsonArray refused = json.getJsonArray("refused");
    return new ApiConversation(
        json.getString("id"),
        json.getString("model", ""),
        json.getLong("tokens", 0L),
        json.getLong("messages", 0L),
        json.getString("message_digest", ""),
        json.getLong("first_message", 0L),
        json.getString("last_request_id", ""),
        forked == null ? "" : forked,
        json.getLong("created_at_ms", 0L),
        json.getLong("updated_at_ms", 0L),
        json.getLong("events_applied", 0L),
        json.getLong("generations_finished", 0L),
        json.getBoolean("generating", false),
        last == null ? -1 : last.getInteger("partition"),
        last == null ? -1 : last.getLong("offset"),
        refused == null
            ? List.of()
            : refused.stream().map(o -> Refused.fromJson((JsonObject) o)).toList());
  }
}
