package io.finchstream.gateway.conversation;

import io.finchstream.gateway.http.ApiError;
import io.finchstream.gateway.http.PeerSignature;
import io.finchstream.gateway.http.Responses;
import io.vertx.ext.web.RoutingContext;

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
    if (key != null
        && signature.verify(
            ctx.request().getHeader(PeerSignature.HEADER),
            "GET",
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
