package io.finchstream.gateway.conversation;

import io.finchstream.gateway.ConversationLookup;
import io.finchstream.gateway.GatewayServices;
import io.finchstream.gateway.http.ApiError;
import io.finchstream.gateway.http.Responses;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
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
 * {@code GET /v1/conversations?after=&limit=}: the conversations of every instance, in id order
 * (UTF-8 bytes), a page at a time. Each instance lists the conversations of the partitions it owns;
 * the gateway that is asked scatters the question to the others ({@code application.server} of each
 * instance, marked as forwarded so they answer for themselves only) and merges the answers. A peer
 * that cannot answer makes the listing fail (503) rather than silently miss its conversations.
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
    final String after = Optional.ofNullable(ctx.request().getParam("after")).orElse("");
    if (!after.isEmpty()) {
      ConversationIds.require(after, "after");
    }
    final int limit =
        (int)
            ConversationRoutes.queryLong(
                ctx, "limit", 1, ConversationRoutes.MAX_PAGE, ConversationRoutes.DEFAULT_PAGE);
    final boolean forwarded =
        ctx.request().headers().contains(ConversationResolver.FORWARDED_HEADER);
    services
        .vertx()
        .executeBlocking(
            () ->
                new Local(
                    services.ports().directory().listLocal(after, limit + 1),
                    forwarded ? List.of() : services.ports().directory().peers()),
            false)
        .compose(
            local -> {
              final List<Future<List<ApiConversation>>> parts = new ArrayList<>();
              parts.add(
                  Future.succeededFuture(
                      local.conversations().stream()
                          .map(c -> ApiConversation.of(c.id(), c.meta(), c.generating()))
                          .toList()));
              for (final String peer : local.peers()) {
                parts.add(askPeer(peer, after, limit + 1, ctx));
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
                return;
              }
              final List<ApiConversation> merged = ar.result();
              final List<ApiConversation> page = merged.subList(0, Math.min(limit, merged.size()));
              final JsonArray data = new JsonArray();
              page.forEach(c -> data.add(c.toJson()));
              Responses.json(
                  ctx,
                  200,
                  new JsonObject()
                      .put("object", "list")
                      .put("data", data)
                      .put("has_more", merged.size() > limit)
                      .put("next_after", page.isEmpty() ? null : page.get(page.size() - 1).id()));
            });
  }

  private record Local(List<ConversationLookup.Listed> conversations, List<String> peers) {}

  private Future<List<ApiConversation>> askPeer(
      final String hostPort, final String after, final int limit, final RoutingContext ctx) {
    final int colon = hostPort.lastIndexOf(':');
    if (colon <= 0) {
      return Future.failedFuture(
          ApiError.internal("bad peer address '" + hostPort + "' (application.server)")
              .exception());
    }
    final RequestOptions options =
        new RequestOptions()
            .setMethod(HttpMethod.GET)
            .setHost(hostPort.substring(0, colon).replace("[", "").replace("]", ""))
            .setPort(Integer.parseInt(hostPort.substring(colon + 1)))
            .setURI(
                "/v1/conversations?limit="
                    + limit
                    + "&after="
                    + URLEncoder.encode(after, StandardCharsets.UTF_8))
            .setTimeout(services.requestTimeoutMs())
            .putHeader(ConversationResolver.FORWARDED_HEADER, "1");
    final String auth = ctx.request().getHeader("Authorization");
    if (auth != null) {
      options.putHeader("Authorization", auth);
    }
    return services
        .resolver()
        .getJson(options, hostPort)
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
