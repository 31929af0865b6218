package io.finchstream.gateway.ops;

import io.finchstream.gateway.GatewayServices;
import io.finchstream.gateway.ReadinessProbe;
import io.finchstream.gateway.http.Responses;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code /health/live} (the process serves HTTP) and {@code /health/ready} (it can do useful work:
 * Kafka answers, the reply consumer reads every partition, and the service's own checks pass, such
 * as Kafka Streams RUNNING). 200 when healthy, 503 otherwise, with every check in the body.
 */
public final class HealthRoutes {

  private final GatewayServices services;

  public HealthRoutes(final GatewayServices services) {
    this.services = services;
  }

  public void live(final RoutingContext ctx) {
    Responses.json(ctx, 200, new JsonObject().put("status", "UP"));
  }

  public void ready(final RoutingContext ctx) {
    services
        .vertx()
        .executeBlocking(this::checks, false)
        .onComplete(
            ar -> {
              final List<ReadinessProbe.Check> checks =
                  ar.succeeded()
                      ? ar.result()
                      : List.of(
                          new ReadinessProbe.Check("probe", false, String.valueOf(ar.cause())));
              final boolean up = checks.stream().allMatch(ReadinessProbe.Check::ok);
              final JsonArray list = new JsonArray();
              checks.forEach(
                  c ->
                      list.add(
                          new JsonObject()
                              .put("name", c.name())
                              .put("ok", c.ok())
                              .put("detail", c.detail())));
              Responses.json(
                  ctx,
                  up ? 200 : 503,
                  new JsonObject().put("status", up ? "UP" : "DOWN").put("checks", list));
            });
  }

  private List<ReadinessProbe.Check> checks() {
    final List<ReadinessProbe.Check> checks = new ArrayList<>();
    final String kafka = services.kafka().problem();
    checks.add(
        new ReadinessProbe.Check("kafka", kafka.isEmpty(), kafka.isEmpty() ? "reachable" : kafka));
    final String replies = services.listener().problem();
    checks.add(
        new ReadinessProbe.Check(
            "replies", replies.isEmpty(), replies.isEmpty() ? "reading every partition" : replies));
    try {
      checks.addAll(services.ports().readiness().checks());
    } catch (final RuntimeException e) {
      checks.add(new ReadinessProbe.Check("service", false, "readiness probe failed: " + e));
    }
    return checks;
  }

  public void metrics(final RoutingContext ctx) {
    services
        .vertx()
        .executeBlocking(() -> services.ports().metrics().scrape(), false)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                ctx.fail(ar.cause());
                return;
              }
              ctx.response()
                  .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                  .end(ar.result());
            });
  }
}
