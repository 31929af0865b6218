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
    final boolean forwarded = headers.contains(FORWARDED_HEADER);
    Written expect = tracker.lastWrite(id);
    if (expect == null && forwarded) {
      expect = parseAfter(headers.get(AFTER_HEADER));
    }
    final Promise<Optional<ApiConversation>> promise = Promise.promise();
    attempt(
        id, expect, System.nanoTime() + readYourWritesMs * 1_000_000, headers, forwarded, promise);
    return promise.future();
  }

  private void attempt(
      final String id,
      final Written expect,
      final long deadline,
      final MultiMap headers,
      final boolean forwarded,
      final Promise<Optional<ApiConversation>> promise) {
    vertx
        .executeBlocking(() -> directory.lookup(id), false)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                promise.fail(
                    ApiError.unavailable(
                            "directory_failed",
                            "cannot look the conversation up: " + ar.cause().getMessage())
                        .exception());
                return;
              }
              final boolean late = System.nanoTime() > deadline;
              switch (ar.result()) {
                case ConversationLookup.Found found -> {
                  final ApiConversation info =
                      ApiConversation.of(id, found.meta(), found.generating());
                  final boolean fresh =
                      expect == null
                          || !expect.deletes() && info.applied(expect.partition(), expect.offset());
                  if (fresh || late) {
                    promise.complete(Optional.of(info));
                  } else {
                    retry(id, expect, deadline, headers, forwarded, promise);
                  }
                }
                case ConversationLookup.NotFound notFound -> {
                  if (expect == null || expect.deletes() || late) {
                    promise.complete(Optional.empty());
                  } else {
                    retry(id, expect, deadline, headers, forwarded, promise);
                  }
                }
                case ConversationLookup.Elsewhere elsewhere -> {
                  if (forwarded) {
                    promise.fail(
                        ApiError.unavailable(
                                "conversation_moving",
                                "the conversation's owner is changing (a rebalance); retry shortly")
                            .exception());
                  } else {
                    askPeer(elsewhere.hostPort(), id, expect, headers).onComplete(promise);
                  }
                }
                case ConversationLookup.Unavailable unavailable -> {
                  if (late) {
                    promise.fail(
                        ApiError.unavailable(
                                "conversation_unavailable",
                                "no instance can answer for this conversation right now ("
                                    + unavailable.reason()
                                    + "); retry shortly")
                            .exception());
                  } else {
                    retry(id, expect, deadline, headers, forwarded, promise);
                  }
                }
              }
            });
  }

  private void retry(
      final String id,
      final Written expect,
      final long deadline,
      final MultiMap headers,
      final boolean forwarded,
      final Promise<Optional<ApiConversation>> promise) {
    vertx.setTimer(RETRY_MS, t -> attempt(id, expect, deadline, headers, forwarded, promise));
  }

  private Future<Optional<ApiConversation>> askPeer(
      final String hostPort, final String id, final Written expect, final MultiMap headers) {
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
            .setURI("/v1/conversations/" + id)
            .setTimeout(requestTimeoutMs)
            .putHeader(FORWARDED_HEADER, "1");
    final String auth = headers.get("Authorization");
    if (auth != null) {
      options.putHeader("Authorization", auth);
    }
    if (expect != null) {
      options.putHeader(
          AFTER_HEADER,
          expect.partition() + ":" + expect.offset() + ":" + (expect.deletes() ? 1 : 0));
    }
    return peers
        .request(options)
        .compose(req -> req.send())
        .compose(
            resp ->
                resp.body()
                    .map(
                        body -> {
                          if (resp.statusCode() == 200) {
                            return Optional.of(ApiConversation.fromJson(new JsonObject(body)));
                          }
                          if (resp.statusCode() == 404) {
                            return Optional.<ApiConversation>empty();
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
