package io.finchstream.gateway.conversation;

import io.finchstream.gateway.ConversationDirectory;
import io.finchstream.gateway.ConversationLookup;
import io.finchstream.gateway.http.ApiError;
import io.finchstream.gateway.http.ApiException;
import io.finchstream.gateway.kafka.WriteTracker;
import io.finchstream.gateway.kafka.Written;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Function;

/**
 * Finds a conversation's metadata wherever it lives: through the {@link ConversationDirectory} when
 * this instance owns it, or by asking the owning instance's gateway ({@code GET
 * /v1/conversations/{id}}, marked as forwarded so that it is never forwarded again).
 *
 * <p>Reads see the reader's own writes: when this gateway (or the forwarding one) wrote an event to
 * the conversation, the lookup is repeated until the metadata shows that event applied (or, for a
 * Delete, the conversation gone), for at most {@code readYourWritesMs}.
 */
public final class ConversationResolver {

  /** Header marking a request one gateway forwarded to another. */
  public static final String FORWARDED_HEADER = "X-Finchstream-Forwarded";

  /** Header carrying the event a forwarded read must see: {@code partition:offset:deletes}. */
  public static final String AFTER_HEADER = "X-Finchstream-After";

  private static final long RETRY_MS = 20;

  private final Vertx vertx;
  private final ConversationDirectory directory;
  private final WriteTracker tracker;
  private final HttpClient peers;
  private final long readYourWritesMs;
  private final long requestTimeoutMs;

  public ConversationResolver(
      final Vertx vertx,
      final ConversationDirectory directory,
      final WriteTracker tracker,
      final HttpClient peers,
      final long readYourWritesMs,
      final long requestTimeoutMs) {
    this.vertx = vertx;
    this.directory = directory;
    this.tracker = tracker;
    this.peers = peers;
    this.readYourWritesMs = readYourWritesMs;
    this.requestTimeoutMs = requestTimeoutMs;
  }

  /**
   * The metadata of {@code id}, or empty when no such conversation exists; fails with an {@code
   * ApiException} (503) when no instance can answer.
   *
   * @param headers the client's request headers: its Authorization is passed on to a peer, and the
   *     forwarding headers are honoured
   */
  public Future<Optional<ApiConversation>> resolve(final String id, final MultiMap headers) {
    return ask(
        id,
        headers,
        new Query<>(
            () -> directory.lookup(id),
            "/v1/conversations/" + id,
            ApiConversation::fromJson,
            (lookup) ->
                lookup instanceof ConversationLookup.Found f
                    ? ApiConversation.of(id, f.meta(), f.generating())
                    : null,
            c -> c));
  }

  /**
   * The messages {@code [from, from + limit)} of {@code id} (from its owner, wherever it lives), or
   * empty when no such conversation exists; as {@link #resolve} otherwise.
   */
  public Future<Optional<ApiMessages>> messages(
      final String id, final long from, final int limit, final MultiMap headers) {
    return ask(
        id,
        headers,
        new Query<>(
            () -> directory.messages(id, from, limit),
            "/v1/conversations/" + id + "/messages?from=" + from + "&limit=" + limit,
            ApiMessages::fromJson,
            (lookup) ->
                lookup instanceof ConversationLookup.Messages m
                    ? new ApiMessages(
                        ApiConversation.of(id, m.meta(), m.generating()), m.messages())
                    : null,
            ApiMessages::conversation));
  }

  /**
   * One kind of question about a conversation: how to ask the local directory, which peer path
   * answers it, and how to read either answer.
   *
   * @param local the directory question (blocking)
   * @param peerUri the path a peer answers it at
   * @param fromPeer the peer's JSON answer
   * @param fromLookup the local answer, or null when the lookup says something else (not found...)
   * @param conversation the conversation an answer is about (for read-your-writes)
   */
  private record Query<T>(
      Callable<ConversationLookup> local,
      String peerUri,
      Function<JsonObject, T> fromPeer,
      Function<ConversationLookup, T> fromLookup,
      Function<T, ApiConversation> conversation) {}

  private <T> Future<Optional<T>> ask(
      final String id, final MultiMap headers, final Query<T> query) {
    final boolean forwarded = headers.contains(FORWARDED_HEADER);
    Written expect = tracker.lastWrite(id);
    if (expect == null && forwarded) {
      expect = parseAfter(headers.get(AFTER_HEADER));
    }
    final Promise<Optional<T>> promise = Promise.promise();
    attempt(
        new Attempt<>(
            query,
            expect,
            System.nanoTime() + readYourWritesMs * 1_000_000,
            headers,
            forwarded,
            promise));
    return promise.future();
  }

  /** One question in flight, asked again until fresh or late. */
  private record Attempt<T>(
      Query<T> query,
      Written expect,
      long deadline,
      MultiMap headers,
      boolean forwarded,
      Promise<Optional<T>> promise) {}

  private <T> void attempt(final Attempt<T> a) {
    vertx
        .executeBlocking(a.query().local(), false)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                a.promise()
                    .fail(
                        ApiError.unavailable(
                                "directory_failed",
                                "cannot look the conversation up: " + ar.cause().getMessage())
                            .exception());
                return;
              }
              final boolean late = System.nanoTime() > a.deadline();
              final Written expect = a.expect();
              final T local = a.query().fromLookup().apply(ar.result());
              if (local != null) {
                final ApiConversation info = a.query().conversation().apply(local);
                final boolean fresh =
                    expect == null
                        || !expect.deletes() && info.applied(expect.partition(), expect.offset());
                if (fresh || late) {
                  a.promise().complete(Optional.of(local));
                } else {
                  retry(a);
                }
                return;
              }
              switch (ar.result()) {
                case ConversationLookup.NotFound notFound -> {
                  if (expect == null || expect.deletes() || late) {
                    a.promise().complete(Optional.empty());
                  } else {
                    retry(a);
                  }
                }
                case ConversationLookup.Elsewhere elsewhere -> {
                  if (a.forwarded()) {
                    a.promise()
                        .fail(
                            ApiError.unavailable(
                                    "conversation_moving",
                                    "the conversation's owner is changing (a rebalance); retry"
                                        + " shortly")
                                .exception());
                  } else {
                    askPeer(elsewhere.hostPort(), a).onComplete(a.promise());
                  }
                }
                case ConversationLookup.Unavailable unavailable -> {
                  if (late) {
                    a.promise()
                        .fail(
                            ApiError.unavailable(
                                    "conversation_unavailable",
                                    "no instance can answer for this conversation right now ("
                                        + unavailable.reason()
                                        + "); retry shortly")
                                .exception());
                  } else {
                    retry(a);
                  }
                }
                default ->
                    a.promise()
                        .fail(
                            ApiError.internal("unexpected directory answer " + ar.result())
                                .exception());
              }
            });
  }

  private <T> void retry(final Attempt<T> a) {
    vertx.setTimer(RETRY_MS, t -> attempt(a));
  }

  private <T> Future<Optional<T>> askPeer(final String hostPort, final Attempt<T> a) {
    final int colon = hostPort.lastIndexOf(':');
    if (colon <= 0) {
      return Future.failedFuture(
          ApiError.internal("bad peer address '" + hostPort + "' (application.server)")
              .exception());
    }
    final String host = hostPort.substring(0, colon).replace("[", "").replace("]", "");
    final int port = Integer.parseInt(hostPort.substring(colon + 1));
    final RequestOptions options =
        new RequestOptions()
            .setMethod(HttpMethod.GET)
            .setHost(host)
            .setPort(port)
            .setURI(a.query().peerUri())
            .setTimeout(requestTimeoutMs)
            .putHeader(FORWARDED_HEADER, "1");
    final String auth = a.headers().get("Authorization");
    if (auth != null) {
      options.putHeader("Authorization", auth);
    }
    final Written expect = a.expect();
    if (expect != null) {
      options.putHeader(
          AFTER_HEADER,
          expect.partition() + ":" + expect.offset() + ":" + (expect.deletes() ? 1 : 0));
    }
    return getJson(options, hostPort).map(json -> json.map(a.query().fromPeer()));
  }

  /**
   * GETs JSON from a peer gateway: the body of a 200, empty for a 404, an {@code ApiException}
   * (503) for anything else.
   */
  public Future<Optional<JsonObject>> getJson(final RequestOptions options, final String hostPort) {
    return peers
        .request(options)
        .compose(req -> req.send())
        .compose(
            resp ->
                resp.body()
                    .map(
                        body -> {
                          if (resp.statusCode() == 200) {
                            return Optional.of(new JsonObject(body));
                          }
                          if (resp.statusCode() == 404) {
                            return Optional.<JsonObject>empty();
                          }
                          throw ApiError.unavailable(
                                  "peer_failed",
                                  "the gateway that owns the conversation ("
                                      + hostPort
                                      + ") answered "
                                      + resp.statusCode()
                                      + ": "
                                      + body)
                              .exception();
                        }))
        .recover(
            e ->
                Future.failedFuture(
                    e instanceof ApiException
                        ? e
                        : ApiError.unavailable(
                                "peer_unreachable",
                                "cannot reach the gateway that owns the conversation ("
                                    + hostPort
                                    + "): "
                                    + e.getMessage())
                            .exception()));
  }

  private static Written parseAfter(final String header) {
    if (header == null) {
      return null;
    }
    final String[] parts = header.split(":");
    try {
      return new Written(
          "",
          Integer.parseInt(parts[0]),
          Long.parseLong(parts[1]),
          parts.length > 2 && parts[2].equals("1"));
    } catch (final RuntimeException e) {
      return null;
    }
  }
}
