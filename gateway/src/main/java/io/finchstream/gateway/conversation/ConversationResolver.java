package io.finchstream.gateway.conversation;

import io.finchstream.gateway.ConversationDirectory;
import io.finchstream.gateway.ConversationLookup;
import io.finchstream.gateway.http.ApiError;
import io.finchstream.gateway.http.ApiException;
import io.finchstream.gateway.http.PeerSignature;
import io.finchstream.gateway.kafka.WriteTracker;
import io.finchstream.gateway.kafka.Written;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Finds a conversation's metadata (or its messages) wherever it lives: through the {@link
 * ConversationDirectory} when this instance owns it, or by asking the owning instance's gateway
 * ({@value #PEER_PATH}, signed with the cluster's {@link PeerSignature}; never with the client's
 * credentials).
 *
 * <p>Reads see the reader's own writes: when this gateway (or the forwarding one) wrote an event to
 * the conversation, the lookup is repeated until the metadata shows that event applied (or, for a
 * Delete, the conversation gone), for at most {@code readYourWritesMs}. A conversation still
 * unknown then (its first event accepted but not applied: the owning task was fenced or moved and
 * replays its input) is a 503 {@code write_pending}, never a 404 that would say it is lost.
 *
 * <p>While a conversation's partition has no owner that can answer (a rebalance, a restore, an
 * instance that stopped or died and whose partitions move to others) the lookup is repeated for at
 * most {@code failoverWaitMs}, so that a client sees a slower answer instead of a 503. A gateway
 * answering a forwarded read never waits for that itself: it answers 503 at once and the forwarding
 * gateway looks again.
 *
 * <p>Conversations are named by their Kafka key throughout (the tenant's namespace included).
 */
public final class ConversationResolver {

  /** The route a gateway asks another for a conversation it owns ({@link PeerReads}). */
  public static final String PEER_PATH = "/internal/v1/conversation";

  /** The route a gateway asks another for the messages of a conversation it owns. */
  public static final String PEER_MESSAGES_PATH = "/internal/v1/messages";

  /** The route a gateway asks another for a page of the conversations it owns. */
  public static final String PEER_LIST_PATH = "/internal/v1/conversations";

  /**
   * The route a gateway asks another where in a tree it owns a resent history continues (POST: the
   * digests are the body; the signature covers their SHA-256).
   */
  public static final String PEER_PREFIX_PATH = "/internal/v1/prefix";

  /** Header of a forwarded read: the event it must see, {@code partition:offset:deletes}. */
  public static final String AFTER_HEADER = "X-Finchstream-After";

  private static final Logger LOG = LoggerFactory.getLogger(ConversationResolver.class);
  private static final long RETRY_MS = 20;
  private static final long OWNER_RETRY_MS = 100;

  /** Errors of a forwarded read after which the owner may have changed: look again. */
  private static final Set<String> OWNER_CHANGES =
      Set.of("peer_unreachable", "conversation_unavailable");

  private final Vertx vertx;
  private final ConversationDirectory directory;
  private final WriteTracker tracker;
  private final HttpClient peers;
  private final PeerSignature signature;
  private final long readYourWritesMs;
  private final long failoverWaitMs;
  private final long requestTimeoutMs;

  public ConversationResolver(
      final Vertx vertx,
      final ConversationDirectory directory,
      final WriteTracker tracker,
      final HttpClient peers,
      final PeerSignature signature,
      final long readYourWritesMs,
      final long failoverWaitMs,
      final long requestTimeoutMs) {
    this.vertx = vertx;
    this.directory = directory;
    this.tracker = tracker;
    this.peers = peers;
    this.signature = signature;
    this.readYourWritesMs = readYourWritesMs;
    this.failoverWaitMs = failoverWaitMs;
    this.requestTimeoutMs = requestTimeoutMs;
  }

  /**
   * The metadata of conversation {@code key}, asking the owning instance if need be; empty when no
   * such conversation exists. Fails with an {@code ApiException} (503) when no instance can answer.
   */
  public Future<Optional<ApiConversation>> resolve(final String key) {
    return lookUp(metadata(key), tracker.lastWrite(key), false);
  }

  /**
   * As {@link #resolve}, for a read another gateway forwarded here: never forwarded again, and
   * waiting for {@code after} (the forwarding gateway's last write, may be null) to be applied.
   */
  public Future<Optional<ApiConversation>> resolveForPeer(final String key, final Written after) {
    final Written mine = tracker.lastWrite(key);
    return lookUp(metadata(key), mine != null ? mine : after, true);
  }

  /**
   * The messages {@code [from, from + limit)} of conversation {@code key} (from its owner, wherever
   * it lives), or empty when no such conversation exists; as {@link #resolve} otherwise.
   */
  public Future<Optional<ApiMessages>> messages(
      final String key, final long from, final int limit) {
    return lookUp(messagesOf(key, from, limit), tracker.lastWrite(key), false);
  }

  /** As {@link #messages}, for a read another gateway forwarded here. */
  public Future<Optional<ApiMessages>> messagesForPeer(
      final String key, final long from, final int limit, final Written after) {
    final Written mine = tracker.lastWrite(key);
    return lookUp(messagesOf(key, from, limit), mine != null ? mine : after, true);
  }

  /**
   * Where in the tree of {@code rootKey} a resent history continues ({@code digests.get(i)}: its
   * running digest after message {@code i}): the conversations that can go on right after the
   * longest prefix any of them holds (empty when none does, or the tree does not exist), from the
   * tree's one owner wherever it lives.
   */
  public Future<List<ConversationLookup.PrefixCandidate>> prefix(
      final String rootKey, final List<byte[]> digests) {
    return lookUp(prefixOf(rootKey, digests), null, false).map(found -> found.orElse(List.of()));
  }

  /** As {@link #prefix}, for a question another gateway forwarded here. */
  public Future<List<ConversationLookup.PrefixCandidate>> prefixForPeer(
      final String rootKey, final List<byte[]> digests) {
    return lookUp(prefixOf(rootKey, digests), null, true).map(found -> found.orElse(List.of()));
  }

  /** The JSON of a prefix answer (what {@link #PEER_PREFIX_PATH} answers). */
  public static JsonObject prefixJson(final List<ConversationLookup.PrefixCandidate> candidates) {
    final JsonArray out = new JsonArray();
    for (final ConversationLookup.PrefixCandidate c : candidates) {
      out.add(
          new JsonObject()
              .put("key", c.key())
              .put("messages", c.messages())
              .put("position", c.position())
              .put("conversation_messages", c.conversationMessages())
              .put("generating", c.generating()));
    }
    return new JsonObject().put("candidates", out);
  }

  /** The body of a prefix question: the digests in hex. */
  public static JsonObject prefixQuestion(final List<byte[]> digests) {
    final JsonArray hex = new JsonArray();
    for (final byte[] d : digests) {
      hex.add(HexFormat.of().formatHex(d));
    }
    return new JsonObject().put("digests", hex);
  }

  private static List<ConversationLookup.PrefixCandidate> prefixFromJson(final JsonObject json) {
    final List<ConversationLookup.PrefixCandidate> out = new ArrayList<>();
    for (final Object o : json.getJsonArray("candidates", new JsonArray())) {
      final JsonObject c = (JsonObject) o;
      out.add(
          new ConversationLookup.PrefixCandidate(
              c.getString("key"),
              c.getLong("messages"),
              c.getLong("position"),
              c.getLong("conversation_messages"),
              c.getBoolean("generating")));
    }
    return out;
  }

  private Query<List<ConversationLookup.PrefixCandidate>> prefixOf(
      final String rootKey, final List<byte[]> digests) {
    return new Query<>(
        rootKey,
        () -> directory.prefix(rootKey, digests),
        PEER_PREFIX_PATH,
        "",
        ConversationResolver::prefixFromJson,
        lookup -> lookup instanceof ConversationLookup.Prefix p ? p.candidates() : null,
        c -> null,
        prefixQuestion(digests).encode());
  }

  /**
   * One kind of question about a conversation: how the local directory answers it, where a peer
   * answers it, and how to read either answer.
   *
   * @param key the conversation's Kafka key
   * @param local the directory question (blocking)
   * @param peerPath the path a peer answers it at (signed), {@code peerQuery} its extra parameters
   * @param fromPeer the peer's JSON answer
   * @param fromLookup the local answer, or null when the lookup says something else (not found...)
   * @param conversation the conversation an answer is about (for read-your-writes)
   * @param peerBody the body of a POST to the peer, or null for a GET
   */
  private record Query<T>(
      String key,
      Callable<ConversationLookup> local,
      String peerPath,
      String peerQuery,
      Function<JsonObject, T> fromPeer,
      Function<ConversationLookup, T> fromLookup,
      Function<T, ApiConversation> conversation,
      String peerBody) {

    Query(
        final String key,
        final Callable<ConversationLookup> local,
        final String peerPath,
        final String peerQuery,
        final Function<JsonObject, T> fromPeer,
        final Function<ConversationLookup, T> fromLookup,
        final Function<T, ApiConversation> conversation) {
      this(key, local, peerPath, peerQuery, fromPeer, fromLookup, conversation, null);
    }
  }

  private Query<ApiConversation> metadata(final String key) {
    return new Query<>(
        key,
        () -> directory.lookup(key),
        PEER_PATH,
        "",
        ApiConversation::fromJson,
        lookup ->
            lookup instanceof ConversationLookup.Found f
                ? ApiConversation.of(key, f.meta(), f.generating())
                : null,
        c -> c);
  }

  private Query<ApiMessages> messagesOf(final String key, final long from, final int limit) {
    return new Query<>(
        key,
        () -> directory.messages(key, from, limit),
        PEER_MESSAGES_PATH,
        "&from=" + from + "&limit=" + limit,
        ApiMessages::fromJson,
        lookup ->
            lookup instanceof ConversationLookup.Messages m
                ? new ApiMessages(ApiConversation.of(key, m.meta(), m.generating()), m.messages())
                : null,
        ApiMessages::conversation);
  }

  /**
   * One question in flight: it waits for {@code expect} until {@code writeDeadline}, and for an
   * owner that can answer (a partition that moves, restores or fails over) until {@code
   * ownerDeadline}.
   */
  private record Attempt<T>(
      Query<T> query,
      Written expect,
      long writeDeadline,
      long ownerDeadline,
      boolean forwarded,
      Promise<Optional<T>> promise) {}

  private <T> Future<Optional<T>> lookUp(
      final Query<T> query, final Written expect, final boolean forwarded) {
    final Promise<Optional<T>> promise = Promise.promise();
    final long now = System.nanoTime();
    attempt(
        new Attempt<>(
            query,
            expect,
            now + readYourWritesMs * 1_000_000,
            now + failoverWaitMs * 1_000_000,
            forwarded,
            promise));
    return promise.future();
  }

  private <T> void attempt(final Attempt<T> a) {
    final String key = a.query().key();
    vertx
        .executeBlocking(a.query().local(), false)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                LOG.warn("looking conversation {} up failed", key, ar.cause());
                a.promise()
                    .fail(
                        ApiError.unavailable(
                                "directory_failed",
                                "cannot look the conversation up right now; retry shortly")
                            .exception());
                return;
              }
              final long now = System.nanoTime();
              final boolean late = now > a.writeDeadline();
              final Written expect = a.expect();
              final T local = a.query().fromLookup().apply(ar.result());
              if (local != null) {
                final ApiConversation info = a.query().conversation().apply(local);
                final boolean fresh =
                    expect == null
                        || (!expect.deletes() && info.applied(expect.partition(), expect.offset()));
                if (fresh || late) {
                  a.promise().complete(Optional.of(local));
                } else {
                  retry(a);
                }
                return;
              }
              switch (ar.result()) {
                case ConversationLookup.NotFound notFound -> {
                  if (expect == null || expect.deletes()) {
                    a.promise().complete(Optional.empty());
                  } else if (!late) {
                    retry(a);
                  } else {
                    // This gateway answered 2xx for a write that the owner has not applied yet
                    // (its task was fenced or moved and is replaying its input): a 404 would say
                    // the accepted write is lost. The client retries instead.
                    LOG.info(
                        "conversation {}: write at {} not applied after {} ms",
                        key,
                        formatAfter(expect),
                        readYourWritesMs);
                    a.promise().fail(notApplied());
                  }
                }
                case ConversationLookup.Elsewhere elsewhere -> {
                  if (a.forwarded()) {
                    // The forwarding gateway looks again: it decides how long to wait.
                    a.promise().fail(moving());
                  } else {
                    askPeer(elsewhere.hostPort(), a)
                        .onSuccess(a.promise()::complete)
                        .onFailure(
                            e -> {
                              if (ownerMayChange(e) && System.nanoTime() < a.ownerDeadline()) {
                                retry(a, OWNER_RETRY_MS);
                              } else {
                                LOG.warn(
                                    "reading conversation {} from its owner {} failed: {}",
                                    key,
                                    elsewhere.hostPort(),
                                    e.getMessage());
                                a.promise().fail(e);
                              }
                            });
                  }
                }
                case ConversationLookup.Unavailable unavailable -> {
                  if (a.forwarded()) {
                    a.promise().fail(moving());
                  } else if (now > a.ownerDeadline()) {
                    LOG.info("conversation {} unavailable: {}", key, unavailable.reason());
                    a.promise()
                        .fail(
                            ApiError.unavailable(
                                    "conversation_unavailable",
                                    "no instance can answer for this conversation right now (its"
                                        + " partition is moving or restoring); retry shortly")
                                .exception());
                  } else {
                    retry(a, OWNER_RETRY_MS);
                  }
                }
                default ->
                    a.promise().fail(ApiError.internal("unexpected directory answer").exception());
              }
            });
  }

  private static ApiException notApplied() {
    return ApiError.unavailable(
            "write_pending",
            "a write this gateway accepted for the conversation is not applied yet (its partition"
                + " is moving or recovering); retry shortly")
        .exception();
  }

  private static ApiException moving() {
    return ApiError.unavailable(
            "conversation_moving",
            "the conversation's owner is changing (a rebalance); retry shortly")
        .exception();
  }

  /**
   * Whether a failed forwarded read may succeed when asked again: the owner was unreachable (it
   * stopped or died) or answered that it cannot answer now (its partition moves); the directory
   * then names the new owner once the group has settled.
   */
  private static boolean ownerMayChange(final Throwable e) {
    return e instanceof ApiException a
        && a.error().status() == 503
        && OWNER_CHANGES.contains(a.error().code());
  }

  private <T> void retry(final Attempt<T> a) {
    retry(a, RETRY_MS);
  }

  private <T> void retry(final Attempt<T> a, final long delayMs) {
    vertx.setTimer(delayMs, t -> attempt(a));
  }

  private <T> Future<Optional<T>> askPeer(final String hostPort, final Attempt<T> a) {
    final String key = a.query().key();
    final String after = a.expect() == null ? "" : formatAfter(a.expect());
    final String path = a.query().peerPath();
    final String query =
        "?key=" + URLEncoder.encode(key, StandardCharsets.UTF_8) + a.query().peerQuery();
    final Future<Optional<JsonObject>> answer =
        a.query().peerBody() == null
            ? getPeerJson(hostPort, path, query, key, after)
            : peerJson(hostPort, HttpMethod.POST, path, query, key, "", a.query().peerBody());
    return answer.map(json -> json.map(a.query().fromPeer()));
  }

  /** The SHA-256 (hex) of a POST body to a peer: what its signature covers besides the path. */
  public static String bodyDigest(final String body) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(body.getBytes(StandardCharsets.UTF_8)));
    } catch (final NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime provides SHA-256", e);
    }
  }

  /**
   * GETs a signed internal {@code path} of the gateway at {@code hostPort} ({@code signedKey} is
   * what the signature covers besides the path): the body of a 200, empty for a 404, an {@code
   * ApiException} (503) for anything else.
   */
  public Future<Optional<JsonObject>> getPeerJson(
      final String hostPort,
      final String path,
      final String query,
      final String signedKey,
      final String after) {
    return peerJson(hostPort, HttpMethod.GET, path, query, signedKey, after, null);
  }

  /**
   * As {@link #getPeerJson}, with {@code method} and, for a POST, {@code body} (JSON; the signature
   * covers its SHA-256 in place of {@code after}).
   */
  private Future<Optional<JsonObject>> peerJson(
      final String hostPort,
      final HttpMethod method,
      final String path,
      final String query,
      final String signedKey,
      final String after,
      final String requestBody) {
    final int colon = hostPort.lastIndexOf(':');
    final int port;
    try {
      port = Integer.parseInt(hostPort.substring(colon + 1));
    } catch (final RuntimeException e) {
      LOG.error("bad peer address '{}' (application.server of the owning instance)", hostPort);
      return Future.failedFuture(
          ApiError.unavailable(
                  "peer_unreachable",
                  "the instance that owns the conversation advertises no usable address; retry"
                      + " shortly")
              .exception());
    }
    final String host = hostPort.substring(0, Math.max(0, colon)).replace("[", "").replace("]", "");
    final RequestOptions options =
        new RequestOptions()
            .setMethod(method)
            .setHost(host)
            .setPort(port)
            .setURI(path + query)
            .setTimeout(requestTimeoutMs)
            .putHeader(
                PeerSignature.HEADER,
                signature.sign(
                    method.name(),
                    path,
                    signedKey,
                    requestBody == null ? after : bodyDigest(requestBody)));
    if (!after.isEmpty()) {
      options.putHeader(AFTER_HEADER, after);
    }
    if (requestBody != null) {
      options.putHeader("Content-Type", "application/json");
    }
    return peers
        .request(options)
        .compose(req -> requestBody == null ? req.send() : req.send(requestBody))
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
                          throw peerFailed(hostPort, resp.statusCode(), body.toString());
                        }))
        .recover(
            e -> {
              if (e instanceof ApiException) {
                return Future.failedFuture(e);
              }
              LOG.debug(
                  "cannot reach the gateway at {} for {}: {}", hostPort, signedKey, e.toString());
              return Future.failedFuture(
                  ApiError.unavailable(
                          "peer_unreachable",
                          "cannot reach the instance that owns the conversation; retry shortly")
                      .exception());
            });
  }

  private static ApiException peerFailed(
      final String hostPort, final int status, final String body) {
    LOG.atLevel(status == 503 ? Level.DEBUG : Level.WARN)
        .log(
            "the gateway at {} answered a forwarded read with {}: {}",
            hostPort,
            status,
            body.length() > 500 ? body.substring(0, 500) + "..." : body);
    if (status == 401) {
      return ApiError.unavailable(
              "peer_unauthorized",
              "the instance that owns the conversation does not accept this instance's signature:"
                  + " every instance of the cluster must have the same gateway.peer.secret")
          .exception();
    }
    if (status == 503) {
      return ApiError.unavailable(
              "conversation_unavailable",
              "the instance that owns the conversation cannot answer right now; retry shortly")
          .exception();
    }
    return ApiError.unavailable(
            "peer_failed",
            "the instance that owns the conversation answered " + status + "; retry shortly")
        .exception();
  }

  /** {@code partition:offset:deletes} of {@code w}. */
  static String formatAfter(final Written w) {
    return w.partition() + ":" + w.offset() + ":" + (w.deletes() ? 1 : 0);
  }

  /** The write an {@link #AFTER_HEADER} names, or null when absent or malformed. */
  static Written parseAfter(final String header) {
    if (header == null || header.isEmpty()) {
      return null;
    }
    final String[] parts = header.split(":", -1);
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
