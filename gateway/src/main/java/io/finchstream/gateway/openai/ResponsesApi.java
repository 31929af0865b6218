package io.finchstream.gateway.openai;

import com.google.protobuf.ByteString;
import io.finchstream.gateway.ApiModel;
import io.finchstream.gateway.GatewayServices;
import io.finchstream.gateway.StoredMessage;
import io.finchstream.gateway.conversation.Admission;
import io.finchstream.gateway.conversation.ApiMessages;
import io.finchstream.gateway.conversation.ChatTurns;
import io.finchstream.gateway.conversation.GenerateParams;
import io.finchstream.gateway.conversation.GenerationCall;
import io.finchstream.gateway.http.ApiError;
import io.finchstream.gateway.http.ApiException;
import io.finchstream.gateway.http.ApiKeyAuth;
import io.finchstream.gateway.http.JsonBodies;
import io.finchstream.gateway.http.Responses;
import io.finchstream.gateway.http.SseStream;
import io.finchstream.gateway.kafka.Events;
import io.finchstream.gateway.kafka.Written;
import io.finchstream.gateway.ops.ClientApi;
import io.finchstream.proto.MessageHistory;
import io.finchstream.proto.TenantKeys;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.FinishReason;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.GenerationDone;
import io.finchstream.proto.v1.Role;
import io.finchstream.proto.v1.TokenChunk;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * OpenAI's Responses API on conversation trees: {@code POST /v1/responses}, {@code GET
 * /v1/responses/{id}}, {@code DELETE /v1/responses/{id}}.
 *
 * <p>A stored response is a turn checkpoint: its id names the conversation, the message index of
 * the reply and the digest of the history it answered ({@code resp_<n>_<16 hex>_<conversation>}, in
 * the caller's tenant). {@code previous_response_id} continues from that checkpoint in O(new
 * tokens): in the same conversation when the response is its end and no request runs on it, else in
 * a new branch of the same tree forked at that turn, so two requests that continue one response
 * branch instead of interfering. Without it a response starts a new tree ({@code resp-<random>}).
 */
public final class ResponsesApi {

  /** The fields of a request that are implemented. */
  private static final Set<String> FIELDS =
      Set.of(
          "model",
          "input",
          "instructions",
          "previous_response_id",
          "store",
          "stream",
          "max_output_tokens",
          "temperature",
          "top_p");

  private static final Pattern ID = Pattern.compile("resp_(\\d{1,18})_([0-9a-f]{16})_(.+)");
  private static final SecureRandom RANDOM = new SecureRandom();

  private final GatewayServices services;

  public ResponsesApi(final GatewayServices services) {
    this.services = services;
  }

  /** Where a response id points. */
  private record Location(String conversationId, long replyIndex, String historyDigest) {
    String responseId() {
      return "resp_" + replyIndex + "_" + historyDigest + "_" + conversationId;
    }

    static Location parse(final String responseId) {
      final Matcher m = ID.matcher(responseId == null ? "" : responseId);
      if (!m.matches() || m.group(3).indexOf('/') >= 0) {
        return null;
      }
      return new Location(m.group(3), Long.parseLong(m.group(1)), m.group(2));
    }
  }

  /** The checkpoint a stored response stands for, as its owner holds it now. */
  private record Stored(
      String key,
      Location location,
      StoredMessage reply,
      long conversationMessages,
      boolean busy) {}

  private static ApiException notFound(final String responseId) {
    return new ApiError(
            404,
            "invalid_request_error",
            "response_not_found",
            "no response with id '" + responseId + "' is stored",
            "previous_response_id")
        .exception();
  }

  /**
   * The stored response {@code responseId} of the caller's tenant, or a failed future (404) when it
   * is not (any more) there: its reply must still be an assistant message after the history whose
   * digest the id names.
   */
  private Future<Stored> find(final RoutingContext ctx, final String responseId) {
    final Location at = Location.parse(responseId);
    if (at == null || at.replyIndex() < 1) {
      return Future.failedFuture(notFound(responseId));
    }
    final String key;
    try {
      key = ApiKeyAuth.conversationKey(ctx, at.conversationId());
    } catch (final IllegalArgumentException e) {
      return Future.failedFuture(notFound(responseId));
    }
    return services
        .resolver()
        .messages(key, at.replyIndex() - 1, 2)
        .compose(
            found -> {
              if (found.isEmpty()) {
                return Future.failedFuture(notFound(responseId));
              }
              final ApiMessages m = found.get();
              StoredMessage before = null;
              StoredMessage reply = null;
              for (final StoredMessage s : m.messages()) {
                if (s.index() == at.replyIndex() - 1) {
                  before = s;
                } else if (s.index() == at.replyIndex()) {
                  reply = s;
                }
              }
              if (before == null
                  || reply == null
                  || !reply.role().equals("assistant")
                  || !reply.reachable()
                  || !before.digestHex().startsWith(at.historyDigest())) {
                return Future.failedFuture(notFound(responseId));
              }
              return Future.succeededFuture(
                  new Stored(
                      key,
                      at,
                      reply,
                      m.conversation().messages(),
                      m.conversation().generating() || services.busyConversations().contains(key)));
            });
  }

  /** {@code GET /v1/responses/{id}}. */
  public void get(final RoutingContext ctx) {
    final String id = ctx.pathParam("id");
    find(ctx, id)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                fail(ctx, ar.cause());
                return;
              }
              final Stored s = ar.result();
              Responses.json(
                  ctx, 200, response(id, "completed", s.reply().text(), null, null, null, 0));
            });
  }

  /**
   * {@code DELETE /v1/responses/{id}}: the reply and what followed it in its conversation are
   * dropped (a rewind to just before it); branches forked from it keep their copies.
   */
  public void delete(final RoutingContext ctx) {
    final String id = ctx.pathParam("id");
    find(ctx, id)
        .compose(
            s -> {
              if (s.busy()) {
                return Future.failedFuture(
                    ApiError.conflict(
                            "conversation_busy",
                            "the response's conversation is generating; retry once it has"
                                + " finished")
                        .exception());
              }
              final ConversationEvent rewind = Events.rewind(s.location().replyIndex());
              return services
                  .admission()
                  .admit(s.key(), List.of(Admission.item(rewind, "id")))
                  .compose(
                      v -> services.publisher().publish(Vertx.currentContext(), s.key(), rewind));
            })
        .onComplete(
            ar -> {
              if (ar.failed()) {
                fail(ctx, ar.cause());
              } else {
                Responses.json(
                    ctx,
                    200,
                    new JsonObject().put("id", id).put("object", "response").put("deleted", true));
              }
            });
  }

  /** A parsed request. */
  private record Request(
      List<ChatMessage> messages,
      String previous,
      boolean store,
      boolean stream,
      Generate.Builder generate,
      Double temperature,
      Double topP,
      Long maxOutputTokens,
      String instructions) {}

  private static Request read(
      final JsonObject body, final ApiModel model, final GatewayServices s) {
    for (final String field : body.fieldNames()) {
      if (!FIELDS.contains(field) && body.getValue(field) != null) {
        throw ApiError.invalidParameter(
                field,
                "'"
                    + field
                    + "' is not supported; implemented: "
                    + String.join(", ", FIELDS.stream().sorted().toList()))
            .exception();
      }
    }
    final String modelName = JsonBodies.string(body, "model");
    if (modelName == null) {
      throw ApiError.invalidParameter("model", "'model' is required").exception();
    }
    if (!model.answersTo(modelName)) {
      throw new ApiError(
              404,
              "invalid_request_error",
              "model_not_found",
              "the model '"
                  + modelName
                  + "' does not exist; this service serves '"
                  + model.id()
                  + "'",
              "model")
          .exception();
    }
    final List<ChatMessage> messages = new ArrayList<>();
    final String instructions = JsonBodies.string(body, "instructions");
    if (instructions != null) {
      messages.add(new ChatMessage(Role.ROLE_SYSTEM, instructions));
    }
    final Object input = body.getValue("input");
    if (input instanceof String text) {
      messages.add(new ChatMessage(Role.ROLE_USER, JsonBodies.wellFormed(text, "input")));
    } else if (input instanceof JsonArray items && !items.isEmpty()) {
      for (int i = 0; i < items.size(); i++) {
        messages.add(item(items.getValue(i), "input[" + i + "]"));
      }
    } else {
      throw ApiError.invalidParameter(
              "input", "'input' is required: a string or a non-empty array of message items")
          .exception();
    }
    final JsonObject sampling = new JsonObject();
    for (final String f : List.of("temperature", "top_p")) {
      if (body.getValue(f) != null) {
        sampling.put(f, body.getValue(f));
      }
    }
    if (body.getValue("max_output_tokens") != null) {
      sampling.put("max_tokens", body.getValue("max_output_tokens"));
    }
    final Generate.Builder generate;
    try {
      generate =
          GenerateParams.read(sampling, model, s.ports().limits(), 2, ChatTurns.TURN_STOPS)
              .setPrefixText(ChatTurns.ASSISTANT_PREFIX);
    } catch (final ApiException e) {
      if ("max_tokens".equals(e.error().param())) {
        throw ApiError.invalidParameter("max_output_tokens", e.error().message()).exception();
      }
      throw e;
    }
    return new Request(
        messages,
        JsonBodies.string(body, "previous_response_id"),
        JsonBodies.bool(body, "store", true),
        JsonBodies.bool(body, "stream", false),
        generate,
        JsonBodies.number(body, "temperature", 0, 2),
        JsonBodies.number(body, "top_p", 0, 1),
        JsonBodies.integer(body, "max_output_tokens", 1, Long.MAX_VALUE),
        instructions);
  }

  /** One input item: {@code {"role", "content"}} (string, or input_text / output_text parts). */
  private static ChatMessage item(final Object value, final String param) {
    if (!(value instanceof JsonObject item)) {
      throw ApiError.invalidParameter(param, "'" + param + "' must be a message object")
          .exception();
    }
    final Object type = item.getValue("type");
    if (type != null && !"message".equals(type)) {
      throw ApiError.invalidParameter(
              param + ".type", "only message items are supported, not '" + type + "'")
          .exception();
    }
    final String roleName = JsonBodies.string(item, "role");
    final Role role =
        switch (roleName == null ? "" : roleName) {
          case "user" -> Role.ROLE_USER;
          case "assistant" -> Role.ROLE_ASSISTANT;
          case "system", "developer" -> Role.ROLE_SYSTEM;
          default ->
              throw ApiError.invalidParameter(
                      param + ".role", "role must be user, assistant, system or developer")
                  .exception();
        };
    final Object content = item.getValue("content");
    if (content instanceof String text) {
      return new ChatMessage(role, JsonBodies.wellFormed(text, param + ".content"));
    }
    if (content instanceof JsonArray parts) {
      final StringBuilder text = new StringBuilder();
      for (int i = 0; i < parts.size(); i++) {
        final String p = param + ".content[" + i + "]";
        if (!(parts.getValue(i) instanceof JsonObject part)
            || !Set.of("input_text", "output_text").contains(part.getString("type", ""))) {
          throw ApiError.invalidParameter(p, "only input_text and output_text parts are supported")
              .exception();
        }
        final String t = JsonBodies.string(part, "text");
        text.append(t == null ? "" : t);
      }
      return new ChatMessage(role, text.toString());
    }
    throw ApiError.invalidParameter(param + ".content", "content must be a string or parts")
        .exception();
  }

  /** {@code POST /v1/responses}. */
  public void create(final RoutingContext ctx) {
    final Request request = read(JsonBodies.object(ctx), services.ports().model(), services);
    if (request.messages().size() > services.maxNewMessages()) {
      throw ApiError.tooLarge(
              "input",
              "at most "
                  + services.maxNewMessages()
                  + " items per request (gateway.max.new.messages)")
          .exception();
    }
    final Future<AutoReuse.Plan> plan;
    final Future<ByteString> history;
    if (request.previous() == null) {
      final byte[] b = new byte[8];
      RANDOM.nextBytes(b);
      final String id = "resp-" + HexFormat.of().formatHex(b);
      plan =
          Future.succeededFuture(
              new AutoReuse.Plan(ApiKeyAuth.conversationKey(ctx, id), null, 0, 0));
      history = Future.succeededFuture(ByteString.EMPTY);
    } else {
      final Future<Stored> previous = find(ctx, request.previous());
      plan =
          previous.map(
              s -> {
                final long n = s.location().replyIndex() + 1;
                if (s.conversationMessages() == n && !s.busy()) {
                  return new AutoReuse.Plan(s.key(), null, 0, s.reply().end());
                }
                return new AutoReuse.Plan(
                    ApiKeyAuth.conversationKey(
                        ctx, AutoReuse.newBranch(TenantKeys.id(s.key()).split("~", 2)[0])),
                    s.key(),
                    (int) n,
                    s.reply().end());
              });
      history =
          previous.map(s -> ByteString.copyFrom(HexFormat.of().parseHex(s.reply().digestHex())));
    }
    Future.all(plan, history)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                fail(ctx, ar.cause());
                return;
              }
              start(ctx, request, plan.result(), history.result());
            });
  }

  private void start(
      final RoutingContext ctx,
      final Request request,
      final AutoReuse.Plan plan,
      final ByteString historyBefore) {
    final String key = plan.targetKey();
    if (!services.busyConversations().add(key)) {
      Responses.error(
          ctx,
          ApiError.conflict(
              "conversation_busy", "the previous response is being continued; retry shortly"));
      return;
    }
    ByteString digest = historyBefore;
    final List<Admission.Item> before = new ArrayList<>();
    for (int i = 0; i < request.messages().size(); i++) {
      final ChatMessage m = request.messages().get(i);
      digest = MessageHistory.appendText(digest, m.role(), m.text());
      before.add(Admission.item(Events.appendText(m.role(), m.text()), "input"));
    }
    request.generate().setExpectMessageDigest(digest);
    final String historyHex = HexFormat.of().formatHex(digest.toByteArray()).substring(0, 16);
    final long base =
        request.previous() == null ? 0 : Location.parse(request.previous()).replyIndex() + 1;
    final Location at =
        new Location(TenantKeys.id(key), base + request.messages().size(), historyHex);
    final Future<Void> forked;
    if (plan.forkFrom() == null) {
      forked = Future.succeededFuture();
    } else {
      final ConversationEvent fork = Events.fork(key, plan.held());
      final Context context = Vertx.currentContext();
      forked =
          services
              .admission()
              .admit(plan.forkFrom(), List.of(Admission.item(fork, "previous_response_id")))
              .compose(v -> services.publisher().publish(context, plan.forkFrom(), fork))
              .mapEmpty();
    }
    forked.onComplete(
        ar -> {
          if (ar.failed()) {
            services.busyConversations().remove(key);
            fail(ctx, ar.cause());
            return;
          }
          new Exchange(ctx, request, key, at, plan.cachedTokens()).start(before);
        });
  }

  /** The id of a response's one output message. */
  private static String messageId(final String responseId) {
    return "msg_" + Integer.toHexString(responseId.hashCode());
  }

  private static void fail(final RoutingContext ctx, final Throwable cause) {
    if (cause instanceof ApiException api) {
      Responses.error(ctx, api.error());
    } else {
      ctx.fail(cause);
    }
  }

  /** A response object as OpenAI defines it. */
  private JsonObject response(
      final String id,
      final String status,
      final String text,
      final Request request,
      final JsonObject usage,
      final String previous,
      final long createdAt) {
    final JsonArray output = new JsonArray();
    if (text != null) {
      output.add(
          new JsonObject()
              .put("type", "message")
              .put("id", messageId(id))
              .put("status", "completed")
              .put("role", "assistant")
              .put(
                  "content",
                  new JsonArray()
                      .add(
                          new JsonObject()
                              .put("type", "output_text")
                              .put("text", text)
                              .put("annotations", new JsonArray()))));
    }
    final JsonObject r =
        new JsonObject()
            .put("id", id)
            .put("object", "response")
            .put("created_at", createdAt == 0 ? System.currentTimeMillis() / 1000 : createdAt)
            .put("status", status)
            .put("model", services.ports().model().id())
            .put("output", output)
            .put("parallel_tool_calls", false)
            .put("tool_choice", "none")
            .put("tools", new JsonArray())
            .putNull("error")
            .putNull("incomplete_details")
            .putNull("metadata")
            .put("previous_response_id", previous)
            .put("instructions", request == null ? null : request.instructions())
            .put("temperature", request == null ? null : request.temperature())
            .put("top_p", request == null ? null : request.topP())
            .put("max_output_tokens", request == null ? null : request.maxOutputTokens())
            .put("store", request == null || request.store());
    if (usage != null) {
      r.put("usage", usage);
    }
    return r;
  }

  /** One response being generated. */
  private final class Exchange implements GenerationCall.Listener {
    private final RoutingContext ctx;
    private final Request request;
    private final String key;
    private final Location at;
    private final long cached;
    private final long createdAt = System.currentTimeMillis() / 1000;
    private final StringBuilder text = new StringBuilder();
    private SseStream sse;
    private GenerationCall call;
    private int sequence;
    private boolean leading = true;
    private boolean ended;

    Exchange(
        final RoutingContext ctx,
        final Request request,
        final String key,
        final Location at,
        final long cached) {
      this.ctx = ctx;
      this.request = request;
      this.key = key;
      this.at = at;
      this.cached = cached;
    }

    void start(final List<Admission.Item> before) {
      if (request.stream()) {
        sse =
            new SseStream(
                services.vertx(),
                ctx.response(),
                services.heartbeatMs(),
                services.streamBufferBytes(),
                () -> {
                  call.cancel();
                  ctx.response().reset();
                });
      }
      call =
          GenerationCall.start(services, key, before, request.generate(), ClientApi.OPENAI, this);
      ctx.response()
          .closeHandler(
              v -> {
                if (sse != null) {
                  sse.abandon();
                }
                call.cancel();
                end();
              });
    }

    private void event(final String type, final JsonObject body) {
      sse.event(type, body.put("type", type).put("sequence_number", sequence++).encode());
    }

    @Override
    public void onAccepted(final Written written) {
      if (sse != null) {
        event(
            "response.created",
            new JsonObject()
                .put(
                    "response",
                    response(
                        at.responseId(),
                        "in_progress",
                        null,
                        request,
                        null,
                        request.previous(),
                        createdAt)));
      }
    }

    @Override
    public void onChunk(final TokenChunk chunk) {
      String delta = chunk.getText();
      if (leading) {
        delta = delta.stripLeading();
        if (delta.isEmpty()) {
          return;
        }
        leading = false;
      }
      if (delta.isEmpty()) {
        return;
      }
      text.append(delta);
      if (sse != null) {
        event(
            "response.output_text.delta",
            new JsonObject()
                .put("item_id", messageId(at.responseId()))
                .put("output_index", 0)
                .put("content_index", 0)
                .put("delta", delta)
                .put("logprobs", new JsonArray()));
      }
    }

    @Override
    public void onDone(final GenerationDone done) {
      final long output = done.getUsage().getCompletionTokens();
      final long input = Math.max(0, done.getUsage().getConversationTokens() - output);
      final JsonObject usage =
          new JsonObject()
              .put("input_tokens", input)
              .put(
                  "input_tokens_details",
                  new JsonObject().put("cached_tokens", Math.min(cached, input)))
              .put("output_tokens", output)
              .put("output_tokens_details", new JsonObject().put("reasoning_tokens", 0))
              .put("total_tokens", input + output);
      final String status =
          done.getFinishReason() == FinishReason.FINISH_REASON_LENGTH ? "incomplete" : "completed";
      final JsonObject body =
          response(
              at.responseId(),
              status,
              ChatTurns.replyText(done.getText()),
              request,
              usage,
              request.previous(),
              createdAt);
      if (status.equals("incomplete")) {
        body.put("incomplete_details", new JsonObject().put("reason", "max_output_tokens"));
      }
      if (sse == null) {
        Responses.json(ctx, 200, body);
      } else {
        event(
            status.equals("completed") ? "response.completed" : "response.incomplete",
            new JsonObject().put("response", body));
        sse.end();
      }
      end();
    }

    @Override
    public void onError(final ApiError error) {
      SseStream.fail(
          sse,
          ctx,
          error,
          s ->
              event(
                  "error",
                  new JsonObject()
                      .put("code", error.code())
                      .put("message", error.message())
                      .put("param", error.param())));
      end();
    }

    private void end() {
      if (ended) {
        return;
      }
      ended = true;
      services.busyConversations().remove(key);
      if (!request.store() && call != null && call.wrote()) {
        // not stored: the response's conversation (a new tree or a branch) goes with the answer
        if (request.previous() == null || !key.equals(previousKey())) {
          services.publisher().publish(Vertx.currentContext(), key, Events.delete());
        } else {
          services
              .publisher()
              .publish(
                  Vertx.currentContext(),
                  key,
                  Events.rewind(at.replyIndex() - request.messages().size()));
        }
      }
    }

    private String previousKey() {
      final Location p = Location.parse(request.previous());
      return p == null ? "" : ApiKeyAuth.conversationKey(ctx, p.conversationId());
    }
  }
}
