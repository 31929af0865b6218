package io.finchstream.gateway;

import io.finchstream.gateway.conversation.ChatSocket;
import io.finchstream.gateway.conversation.ConversationListing;
import io.finchstream.gateway.conversation.ConversationResolver;
import io.finchstream.gateway.conversation.ConversationRoutes;
import io.finchstream.gateway.conversation.PeerReads;
import io.finchstream.gateway.http.AccessLog;
import io.finchstream.gateway.http.ApiKeyAuth;
import io.finchstream.gateway.http.Failures;
import io.finchstream.gateway.http.HostCheck;
import io.finchstream.gateway.http.InternalHeaders;
import io.finchstream.gateway.http.JsonContent;
import io.finchstream.gateway.http.OriginCheck;
import io.finchstream.gateway.openai.ChatCompletions;
import io.finchstream.gateway.openai.Completions;
import io.finchstream.gateway.openai.ResponsesApi;
import io.finchstream.gateway.ops.HealthRoutes;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.CorsHandler;
import io.vertx.ext.web.handler.PlatformHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.ext.web.handler.TimeoutHandler;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP server of one event loop: the route table, then {@code listen}. Several instances share
 * the port (one per event loop); everything they share lives in {@link GatewayServices}.
 */
public final class GatewayVerticle extends VerticleBase {

  private final GatewayServices services;
  private final int port;
  private HttpServer server;

  /**
   * @param port the port to listen on; negative values share one random port between instances
   */
  public GatewayVerticle(final GatewayServices services, final int port) {
    this.services = services;
    this.port = port;
  }

  @Override
  public Future<?> start() {
    final GatewayConfig config = services.config();
    final long bodyLimit = config.getLong(GatewayConfig.BODY_LIMIT_CONFIG);
    final Handler<RoutingContext> timeout = TimeoutHandler.create(services.requestTimeoutMs(), 504);
    final ConversationRoutes conversations = new ConversationRoutes(services);
    final ConversationListing listing = new ConversationListing(services);
    final ChatSocket socket = new ChatSocket(services);
    final ChatCompletions openai = new ChatCompletions(services);
    final Completions completions = new Completions(services);
    final ResponsesApi responses = new ResponsesApi(services);
    final HealthRoutes health = new HealthRoutes(services);
    final Failures failures = new Failures(bodyLimit);
    final Router router = Router.router(vertx);

    router.route().handler(new AccessLog(services.ports().metrics()));
    router.route().failureHandler(failures);
    router.errorHandler(404, failures);
    router.errorHandler(405, failures);
    router.errorHandler(500, failures);

    on(router, HttpMethod.GET, "/health/live", health::live);
    on(router, HttpMethod.GET, "/health/ready", health::ready);

    final PeerReads peers = new PeerReads(services.resolver(), services.peerSignature(), listing);
    on(router, HttpMethod.GET, ConversationResolver.PEER_PATH, timeout, peers::read);
    on(router, HttpMethod.GET, ConversationResolver.PEER_MESSAGES_PATH, timeout, peers::messages);
    on(router, HttpMethod.GET, ConversationResolver.PEER_LIST_PATH, timeout, peers::list);
    router
        .post(ConversationResolver.PEER_PREFIX_PATH)
        .handler(BodyHandler.create(false).setBodyLimit(bodyLimit));
    on(router, HttpMethod.POST, ConversationResolver.PEER_PREFIX_PATH, timeout, peers::prefix);

    // Probes and signed peers (above) answer to any Host; everything else only to known names, and
    // the API only to pages of this server or of gateway.cors.origins.
    router
        .route()
        .handler(
            new HostCheck(
                config.getList(GatewayConfig.ALLOWED_HOSTS_CONFIG), !config.apiKeys().isEmpty()));
    on(router, HttpMethod.GET, "/metrics", health::metrics);
    final List<String> origins = config.getList(GatewayConfig.CORS_ORIGINS_CONFIG);
    router
        .route("/v1/*")
        .handler(new OriginCheck(origins, cors(origins)))
        .handler(new InternalHeaders())
        .handler(new ApiKeyAuth(config.apiKeys(), services.rateLimiter()))
        .handler(services.rateLimiter());
    router.post("/v1/*").handler(new JsonContent());
    router.post("/v1/*").handler(BodyHandler.create(false).setBodyLimit(bodyLimit));
    on(
        router,
        HttpMethod.POST,
        "/v1/conversations/:id/messages",
        timeout,
        conversations::appendMessage);
    on(router, HttpMethod.POST, "/v1/conversations/:id/generate", conversations::generate);
    on(router, HttpMethod.GET, "/v1/conversations/:id", timeout, conversations::get);
    on(router, HttpMethod.POST, "/v1/conversations/:id/fork", timeout, conversations::fork);
    on(router, HttpMethod.POST, "/v1/conversations/:id/rewind", timeout, conversations::rewind);
    on(router, HttpMethod.GET, "/v1/conversations/:id/messages", timeout, conversations::messages);
    on(router, HttpMethod.GET, "/v1/conversations", timeout, listing::list);
    on(router, HttpMethod.DELETE, "/v1/conversations/:id", timeout, conversations::delete);
    on(router, HttpMethod.GET, "/v1/conversations/:id/ws", socket::upgrade);
    on(router, HttpMethod.POST, "/v1/chat/completions", openai::chatCompletions);
    on(router, HttpMethod.POST, "/v1/completions", completions::completions);
    on(router, HttpMethod.POST, "/v1/responses", responses::create);
    on(router, HttpMethod.GET, "/v1/responses/:id", timeout, responses::get);
    on(router, HttpMethod.DELETE, "/v1/responses/:id", timeout, responses::delete);
    on(router, HttpMethod.GET, "/v1/models", timeout, openai::models);
    on(router, HttpMethod.GET, "/v1/models/:model", timeout, openai::model);

    router
        .get("/*")
        .handler(
            ctx -> {
              ctx.put(AccessLog.ROUTE_KEY, "/ (chat page)");
              ctx.response()
                  .putHeader("X-Content-Type-Options", "nosniff")
                  .putHeader(
                      "Content-Security-Policy",
                      "default-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'");
              ctx.next();
            })
        .handler(StaticHandler.create("webroot").setIndexPage("index.html"));

    final HttpServerOptions options =
        new HttpServerOptions()
            .setHost(config.getString(GatewayConfig.HOST_CONFIG))
            .setIdleTimeout((int) config.getLong(GatewayConfig.IDLE_TIMEOUT_CONFIG).longValue())
            .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
            .setMaxWebSocketMessageSize((int) Math.min(Integer.MAX_VALUE, bodyLimit))
            .setMaxWebSocketFrameSize((int) Math.min(Integer.MAX_VALUE, bodyLimit));
    server =
        vertx
            .createHttpServer(options)
            .connectionHandler(this::countConnection)
            .requestHandler(router);
    return server.listen(port);
  }

  /** Keeps at most gateway.max.connections open: one more is closed as it arrives. */
  private void countConnection(final HttpConnection connection) {
    if (services.openConnections().incrementAndGet() > services.maxConnections()) {
      services.openConnections().decrementAndGet();
      connection.close();
      return;
    }
    connection.closeHandler(v -> services.openConnections().decrementAndGet());
  }

  /** The port the server listens on (after start). */
  public int actualPort() {
    return server.actualPort();
  }

  @SafeVarargs
  private static void on(
      final Router router,
      final HttpMethod method,
      final String path,
      final Handler<RoutingContext>... handlers) {
    final var route = router.route(method, path);
    for (final Handler<RoutingContext> h : handlers) {
      if (h instanceof PlatformHandler) {
        route.handler(h); // Vert.x runs platform handlers (timeouts) before user handlers
      }
    }
    route.handler(
        ctx -> {
          ctx.put(AccessLog.ROUTE_KEY, path);
          ctx.next();
        });
    for (final Handler<RoutingContext> h : handlers) {
      if (!(h instanceof PlatformHandler)) {
        route.handler(h);
      }
    }
  }

  private static Optional<CorsHandler> cors(final List<String> origins) {
    if (origins.isEmpty()) {
      return Optional.empty();
    }
    final CorsHandler cors =
        CorsHandler.create()
            .allowedMethods(
                Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.DELETE, HttpMethod.OPTIONS))
            .allowedHeaders(
                Set.of("Authorization", "Content-Type", "X-Conversation-Id", "X-Request-Id"))
            .exposedHeaders(Set.of("X-Conversation-Id", "X-Request-Id", "X-Finchstream-Generation"))
            .maxAgeSeconds(600);
    if (!origins.contains("*")) {
      cors.addOrigins(origins);
    }
    return Optional.of(cors);
  }
}
