package io.finchstream.gateway.conversation;

import io.finchstream.gateway.http.ApiError;
import io.finchstream.gateway.http.PeerSignature;
import io.finchstream.gateway.http.Responses;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Another gateway of the cluster asks this instance: {@value ConversationResolver#PEER_PATH}{@code
 * ?key=KEY} for the metadata of a conversation it owns (as {@link ApiConversation} JSON), {@value
 * ConversationResolver#PEER_MESSAGES_PATH}{@code ?key=KEY&from=&limit=} for its messages ({@link
 * ApiMessages}), {@value ConversationResolver#PEER_LIST_PATH}{@code ?key=PREFIX&after=&limit=} for
 * a page of the conversations it owns whose keys start with the prefix (a tenant's). Only signed
 * requests are answered ({@link PeerSignature}; 401 otherwise); 404 when there is no such
 * conversation, 503 when this instance no longer owns it.
 */
public final class PeerReads {

  private final ConversationResolver resolver;
  private final PeerSignature signature;
  private final ConversationListing listing;

  public PeerReads(
      final ConversationResolver resolver,
      final PeerSignature signature,
      final ConversationListing listing) {
    this.resolver = resolver;
    this.signature = signature;
    this.listing = listing;
  }

  /** {@code GET} {@value ConversationResolver#PEER_PATH}. */
  public void read(final RoutingContext ctx) {
    final String key = ctx.queryParams().get("key");
    final String after = ctx.request().getHeader(ConversationResolver.AFTER_HEADER);
    if (!signed(ctx, ConversationResolver.PEER_PATH, key, after)) {
      return;
    }
    resolver
        .resolveForPeer(key, ConversationResolver.parseAfter(after))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                ConversationRoutes.fail(ctx, ar.cause());
              } else if (ar.result().isEmpty()) {
                Responses.error(
                    ctx, ApiError.notFound("unknown_conversation", "no such conversation"));
              } else {
                Responses.json(ctx, 200, ar.result().get().toJson());
              }
            });
  }

  /** {@code GET} {@value ConversationResolver#PEER_MESSAGES_PATH}. */
  public void messages(final RoutingContext ctx) {
    final String key = ctx.queryParams().get("key");
    final String after = ctx.request().getHeader(ConversationResolver.AFTER_HEADER);
    if (!signed(ctx, ConversationResolver.PEER_MESSAGES_PATH, key, after)) {
      return;
    }
    final long from = ConversationRoutes.queryLong(ctx, "from", 0, Long.MAX_VALUE, 0);
    final int limit =
        (int)
            ConversationRoutes.queryLong(
                ctx, "limit", 1, ConversationRoutes.MAX_PAGE, ConversationRoutes.DEFAULT_PAGE);
    resolver
        .messagesForPeer(key, from, limit, ConversationResolver.parseAfter(after))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                ConversationRoutes.fail(ctx, ar.cause());
              } else if (ar.result().isEmpty()) {
                Responses.error(
                    ctx, ApiError.notFound("unknown_conversation", "no such conversation"));
              } else {
                Responses.json(ctx, 200, ar.result().get().toJson());
              }
            });
  }

  /**
   * {@code POST} {@value ConversationResolver#PEER_PREFIX_PATH}{@code ?key=ROOT} with {@code
   * {"digests": [hex...]}}: where in the tree this instance owns a resent history continues.
   */
  public void prefix(final RoutingContext ctx) {
    final String key = ctx.queryParams().get("key");
    final String body = ctx.body().asString();
    if (body == null
        || !signedRequest(
            ctx,
            "POST",
            ConversationResolver.PEER_PREFIX_PATH,
            key,
            ConversationResolver.bodyDigest(body))) {
      if (body == null) {
        Responses.error(ctx, ApiError.unauthorized("a signed request needs its body"));
      }
      return;
    }
    final List<byte[]> digests = new ArrayList<>();
    try {
      for (final Object hex : new JsonObject(body).getJsonArray("digests")) {
        digests.add(HexFormat.of().parseHex((String) hex));
      }
    } catch (final RuntimeException e) {
      Responses.error(ctx, ApiError.badRequest("invalid_parameter", "digests: " + e.getMessage()));
      return;
    }
    resolver
        .prefixForPeer(key, digests)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                ConversationRoutes.fail(ctx, ar.cause());
              } else {
                Responses.json(ctx, 200, ConversationResolver.prefixJson(ar.result()));
              }
            });
  }

  /** {@code GET} {@value ConversationResolver#PEER_LIST_PATH}: this instance's page only. */
  public void list(final RoutingContext ctx) {
    final String prefix = ctx.queryParams().get("key");
    if (!signed(ctx, ConversationResolver.PEER_LIST_PATH, prefix, null)) {
      return;
    }
    listing.listHere(ctx, prefix);
  }

  private boolean signed(
      final RoutingContext ctx, final String path, final String key, final String after) {
    return signedRequest(ctx, "GET", path, key, after);
  }

  private boolean signedRequest(
      final RoutingContext ctx,
      final String method,
      final String path,
      final String key,
      final String after) {
    if (key != null
        && signature.verify(
            ctx.request().getHeader(PeerSignature.HEADER),
            method,
            path,
            key,
            after == null ? "" : after)) {
      return true;
    }
    Responses.error(
        ctx,
        ApiError.unauthorized(
            "not a signed request of a gateway of this cluster (gateway.peer.secret)"));
    return false;
  }
}
