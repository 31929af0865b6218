package io.finchstream.gateway.conversation;

import io.finchstream.gateway.http.ApiError;
import io.finchstream.gateway.http.PeerSignature;
import io.finchstream.gateway.http.Responses;
import io.vertx.ext.web.RoutingContext;

/**
 * {@value ConversationResolver#PEER_PATH}{@code ?key=KEY}: another gateway of the cluster asks for
 * the metadata of a conversation this instance owns. Only signed requests are answered ({@link
 * PeerSignature}; 401 otherwise); the answer is the conversation as {@link ApiConversation} JSON,
 * 404 when there is none, 503 when this instance no longer owns it.
 */
public final class PeerReads {

  private final ConversationResolver resolver;
  private final PeerSignature signature;

  public PeerReads(final ConversationResolver resolver, final PeerSignature signature) {
    this.resolver = resolver;
    this.signature = signature;
  }

  /** {@code GET} {@value ConversationResolver#PEER_PATH}. */
  public void read(final RoutingContext ctx) {
    final String key = ctx.queryParams().get("key");
    final String after = ctx.request().getHeader(ConversationResolver.AFTER_HEADER);
    if (key == null
        || !signature.verify(
            ctx.request().getHeader(PeerSignature.HEADER),
            "GET",
            ConversationResolver.PEER_PATH,
            key,
            after == null ? "" : after)) {
      Responses.error(
          ctx,
          ApiError.unauthorized(
              "not a signed request of a gateway of this cluster (gateway.peer.secret)"));
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
}
