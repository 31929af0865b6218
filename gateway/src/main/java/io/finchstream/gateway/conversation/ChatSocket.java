package io.finchstream.gateway.conversation;

import io.finchstream.gateway.GatewayServices;
import io.finchstream.gateway.http.ApiError;
import io.finchstream.gateway.http.ApiException;
import io.finchstream.gateway.http.ApiKeyAuth;
import io.finchstream.gateway.http.BoundedWriter;
import io.finchstream.gateway.http.JsonBodies;
import io.finchstream.gateway.http.RateLimiter;
import io.finchstream.gateway.kafka.Events;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.GenerationDone;
import io.finchstream.proto.v1.Role;
import io.finchstream.proto.v1.TokenChunk;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * {@code /v1/conversations/{id}/ws}: two-way chat over a WebSocket. The client sends JSON text
 * frames, each with a {@code type}:
 *
 * <ul>
 *   <li>{@code {"type":"chat","text":"..."}}: appends a user message and generates the assistant's
 *       reply (sampling fields as in {@code /generate} may be added);
 *   <li>{@code {"type":"message","text":"...","role":"user"}} or {@code
 *       {"type":"message","tokens":[...]}}: appends only; answered with {@code
 *       {"type":"accepted",...}};
 *   <li>{@code {"type":"generate", ...}}: generates from the current state, like {@code /generate};
 *   <li>{@code {"type":"cancel"}}: cancels the running generation.
 * </ul>
 *
 * The server answers with {@code {"type":"token","index","text","token_ids"}} frames, one {@code
 * {"type":"done",...}} per generation, and {@code {"type":"error","error":{...}}} for a bad frame
 * (the socket stays open). One generation runs at a time per socket; closing the socket cancels it.
 */
public final class ChatSocket {

  private static final Set<String> GENERATE_FIELDS = fields("type", "prefix");
  private static final Set<String> CHAT_FIELDS = fields("type", "text");

  private final GatewayServices services;

  public ChatSocket(final GatewayServices services) {
    this.services = services;
  }

  private static Set<String> fields(final String... extra) {
    final HashSet<String> all = new HashSet<>(GenerateParams.FIELDS);
    all.addAll(List.of(extra));
    return Set.copyOf(all);
  }

  /** Upgrades the request and runs a session on the socket. */
  public void upgrade(final RoutingContext ctx) {
    final String id = ConversationIds.require(ctx.pathParam("id"), "id");
    // The key's (or the address's) bucket, shared with its HTTP requests and other sockets.
    final String caller = RateLimiter.caller(ctx);
    ctx.request()
        .toWebSocket()
        .onSuccess(ws -> new Session(ws, id, ApiKeyAuth.conversationKey(ctx, id), caller).start())
        .onFailure(ctx::fail);
  }

  private final class Session {
    private final ServerWebSocket ws;
    private final String id;
    private final String key;
    private final String caller;
    private final BoundedWriter writer;
    private GenerationCall current;
    private long lastHeard = System.nanoTime();
    private final long idleNanos = TimeUnit.MILLISECONDS.toNanos(services.idleTimeoutMs());

    /**
     * @param id the conversation as the client names it
     * @param key its Kafka key (in the caller's tenant)
     */
    Session(final ServerWebSocket ws, final String id, final String key, final String caller) {
      this.ws = ws;
      this.id = id;
      this.key = key;
      this.caller = caller;
      this.writer =
          new BoundedWriter(
              new BoundedWriter.Sink() {
                @Override
                public void write(final String frame) {
                  ws.writeTextMessage(frame);
                }

                @Override
                public boolean writeQueueFull() {
                  return ws.writeQueueFull();
                }

                @Override
                public void onDrain(final Runnable drained) {
                  ws.drainHandler(v -> drained.run());
                }
              },
              services.streamBufferBytes(),
              this::tooSlow);
    }

    void start() {
      ws.textMessageHandler(this::onText);
      ws.binaryMessageHandler(
          b -> send(error(ApiError.badRequest("binary_frame", "send JSON text frames"))));
      // Pings keep a chat open through proxies; the server itself closes a socket on which the
      // client has said nothing for the idle timeout while no generation runs.
      final long pings =
          services
              .vertx()
              .setPeriodic(
                  services.heartbeatMs(),
                  id -> {
                    if (ws.isClosed()) {
                      return;
                    }
                    final boolean generating = current != null && !current.finished();
                    if (!generating && System.nanoTime() - lastHeard > idleNanos) {
                      ws.close(
                          (short) 1001, "idle: no message for " + services.idleTimeoutMs() + " ms");
                    } else {
                      ws.writePing(Buffer.buffer());
                    }
                  });
      ws.closeHandler(
          v -> {
            services.vertx().cancelTimer(pings);
            if (current != null) {
              current.cancel();
            }
          });
    }

    private void onText(final String text) {
      lastHeard = System.nanoTime();
      try {
        final JsonObject frame;
        try {
          frame = new JsonObject(text);
        } catch (final DecodeException e) {
          throw ApiError.malformedJson(e.getMessage()).exception();
        }
        if (services.rateLimiter().acquire(caller) > 0) {
          throw ApiError.rateLimited("rate limit exceeded (gateway.rate.limit.*); slow down")
              .exception();
        }
        final String type = frame.getValue("type") instanceof String s ? s : "";
        switch (type) {
          case "message" -> message(frame);
          case "chat" -> chat(frame);
          case "generate" -> generate(frame);
          case "cancel" -> cancel();
          default ->
              throw ApiError.invalidParameter(
                      "type", "'type' must be chat, message, generate or cancel")
                  .exception();
        }
      } catch (final ApiException e) {
        send(error(e.error()));
      }
    }

    private void message(final JsonObject frame) {
      frame.remove("type");
      final ConversationEvent event =
          MessageEvents.read(frame, services.ports().model(), services.ports().limits());
      final Context context = Vertx.currentContext();
      services
          .admission()
          .admit(key, List.of(Admission.item(event, event.hasAppendText() ? "text" : "tokens")))
          .compose(v -> services.publisher().publish(context, key, event))
          .onComplete(
              ar -> {
                if (ar.failed()) {
                  send(error(ApiError.of(ar.cause())));
                } else {
                  send(
                      new JsonObject()
                          .put("type", "accepted")
                          .put("event_id", ar.result().eventId())
                          .put("partition", ar.result().partition())
                          .put("offset", ar.result().offset()));
                }
              });
    }

    private void chat(final JsonObject frame) {
      requireIdle();
      JsonBodies.onlyFields(frame, CHAT_FIELDS);
      final String text = JsonBodies.string(frame, "text");
      if (text == null) {
        throw ApiError.invalidParameter("text", "a chat frame needs 'text'").exception();
      }
      MessageEvents.checkText(text, "text", services.ports().limits());
      final Generate.Builder generate =
          GenerateParams.read(
                  frame,
                  services.ports().model(),
                  services.ports().limits(),
                  10,
                  ChatTurns.TURN_STOPS)
              .setPrefixText(ChatTurns.ASSISTANT_PREFIX);
      run(List.of(Admission.item(Events.appendText(Role.ROLE_USER, text), "text")), generate);
    }

    private void generate(final JsonObject frame) {
      requireIdle();
      JsonBodies.onlyFields(frame, GENERATE_FIELDS);
      final Generate.Builder generate =
          GenerateParams.read(
              frame, services.ports().model(), services.ports().limits(), 10, List.of());
      final String prefix = JsonBodies.string(frame, "prefix");
      if (prefix != null) {
        MessageEvents.checkText(prefix, "prefix", services.ports().limits());
        generate.setPrefixText(prefix);
      }
      run(List.of(), generate);
    }

    private void cancel() {
      if (current != null && !current.finished()) {
        current.cancel();
        send(new JsonObject().put("type", "cancelled").put("request_id", current.requestId()));
      }
    }

    private void requireIdle() {
      if (current != null && !current.finished()) {
        throw ApiError.conflict(
                "generation_running",
                "a generation is running on this socket; wait for its done frame or cancel it")
            .exception();
      }
    }

    private void run(final List<Admission.Item> before, final Generate.Builder generate) {
      final GenerationCall[] call = new GenerationCall[1];
      call[0] =
          GenerationCall.start(
              services,
              key,
              before,
              generate,
              new GenerationCall.Listener() {
                @Override
                public void onChunk(final TokenChunk chunk) {
                  send(ReplyJson.chunk(chunk).put("type", "token"));
                }

                @Override
                public void onDone(final GenerationDone done) {
                  send(ReplyJson.done(id, call[0].requestId(), done).put("type", "done"));
                }

                @Override
                public void onError(final ApiError e) {
                  send(error(e));
                }
              });
      current = call[0];
    }

    private JsonObject error(final ApiError e) {
      return e.toJson().put("type", "error").put("status", e.status());
    }

    private void send(final JsonObject frame) {
      if (!ws.isClosed()) {
        writer.offer(frame.encode());
      }
    }

    private void tooSlow() {
      if (current != null) {
        current.cancel();
      }
      ws.close(
          (short) 1008,
          "client too slow: more than " + services.streamBufferBytes() + " bytes waiting");
    }
  }
}
