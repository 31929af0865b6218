package io.finchstream.gateway.conversation;

import io.finchstream.gateway.ConversationLookup;
import io.finchstream.gateway.GatewayServices;
import io.finchstream.gateway.http.ApiKeyAuth;
import io.finchstream.gateway.http.Responses;
import io.finchstream.proto.TenantKeys;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * {@code GET /v1/conversations?after=&limit=}: the caller's tenant's conversations on every
 * instance, in id order (UTF-8 bytes), a page at a time. Each instance lists the conversations of
 * the partitions it owns; the gateway that is asked scatters the question to the others ({@value
 * ConversationResolver#PEER_LIST_PATH}, signed) and merges the answers. A peer that cannot answer
 * makes the listing fail (503) rather than silently miss its conversations.
 */
public final class ConversationListing {

  private static final Comparator<String> UTF8_ORDER =
      (a, b) ->
          Arrays.compareUnsigned(
              a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

  private final GatewayServices services;

  public ConversationListing(final GatewayServices services) {
    this.services = services;
  }

  /** {@code GET /v1/conversations}. */
  public void list(final RoutingContext ctx) {
    final String prefix = TenantKeys.prefix(ApiKeyAuth.tenant(ctx));
    final Page page = page(ctx);
    services
        .vertx()
        .executeBlocking(
            () ->
                new Local(
                    services.ports().directory().listLocal(prefix, page.after(), page.limit() + 1),
                    services.ports().directory().peers()),
            false)
        .compose(
            local -> {
              final List<Future<List<ApiConversation>>> parts = new ArrayList<>();
              parts.add(Future.succeededFuture(shown(local.conversations())));
              for (final String peer : local.peers()) {
                parts.add(askPeer(peer, prefix, page));
              }
              return Future.all(parts)
                  .map(
                      all -> {
                        final List<ApiConversation> merged = new ArrayList<>();
                        for (int i = 0; i < all.size(); i++) {
                          merged.addAll(all.<List<ApiConversation>>resultAt(i));
                        }
                        merged.sort(Comparator.comparing(ApiConversation::id, UTF8_ORDER));
                        return merged;
                      });
            })
        .onComplete(
            ar -> {
              if (ar.failed()) {
                ConversationRoutes.fail(ctx, ar.cause());
              } else {
                Responses.json(ctx, 200, json(ar.result(), page.limit()));
              }
            });
  }

  /** A peer's question: this instance's conversations of namespace {@code prefix} only. */
  void listHere(final RoutingContext ctx, final String prefix) {
    final Page page = page(ctx);
    services
        .vertx()
        .executeBlocking(
            () -> services.ports().directory().listLocal(prefix, page.after(), page.limit() + 1),
            false)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                ConversationRoutes.fail(ctx, ar.cause());
              } else {
                Responses.json(ctx, 200, json(shown(ar.result()), page.limit()));
              }
            });
  }

  private record Page(String after, int limit) {}

  private record Local(List<ConversationLookup.Listed> conversations, List<String> peers) {}

  private static Page page(final RoutingContext ctx) {
    final String after = Optional.ofNullable(ctx.request().getParam("after")).orElse("");
    if (!after.isEmpty()) {
      ConversationIds.require(after, "after");
    }
    return new Page(
        after,
        (int)
            ConversationRoutes.queryLong(
                ctx, "limit", 1, ConversationRoutes.MAX_PAGE, ConversationRoutes.DEFAULT_PAGE));
  }

  private static List<ApiConversation> shown(final List<ConversationLookup.Listed> listed) {
    return listed.stream().map(c -> ApiConversation.of(c.id(), c.meta(), c.generating())).toList();
  }

  private static JsonObject json(final List<ApiConversation> merged, final int limit) {
    final List<ApiConversation> page = merged.subList(0, Math.min(limit, merged.size()));
    final JsonArray data = new JsonArray();
    page.forEach(c -> data.add(c.toJson()));
    return new JsonObject()
        .put("object", "list")
        .put("data", data)
        .put("has_more", merged.size() > limit)
        .put("next_after", page.isEmpty() ? null : page.get(page.size() - 1).id());
  }

  private Future<List<ApiConversation>> askPeer(
      final String hostPort, final String prefix, final Page page) {
    return services
        .resolver()
        .getPeerJson(
            hostPort,
            ConversationResolver.PEER_LIST_PATH,
            "?key="
                + URLEncoder.encode(prefix, StandardCharsets.UTF_8)
                + "&limit="
                + (page.limit() + 1)
                + "&after="
                + URLEncoder.encode(page.after(), StandardCharsets.UTF_8),
            prefix,
            "")
        .map(
            json -> {
              final List<ApiConversation> out = new ArrayList<>();
              final JsonArray data =
                  json.map(j -> j.getJsonArray("data", new JsonArray())).orElse(new JsonArray());
              for (int i = 0; i < data.size(); i++) {
                out.add(ApiConversation.fromJson(data.getJsonObject(i)));
              }
              return out;
            });
  }
}
