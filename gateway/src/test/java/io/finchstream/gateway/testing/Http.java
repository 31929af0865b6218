package io.finchstream.gateway.testing;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Blocking HTTP calls for tests (Vert.x WebClient, awaited on the test thread). */
public final class Http {

  /** A finished exchange. */
  public record Response(int status, MultiMap headers, String body) {
    public JsonObject json() {
      return new JsonObject(body);
    }

    /** The error code of a JSON error body. */
    public String errorCode() {
      return json().getJsonObject("error").getString("code");
    }

    /** The SSE frames of an event-stream body, in order. */
    public List<Sse> events() {
      return Sse.parse(body);
    }
  }

  /** One SSE frame: its event name ("message" when none) and data. */
  public record Sse(String event, String data) {
    public JsonObject json() {
      return new JsonObject(data);
    }

    static List<Sse> parse(final String body) {
      final List<Sse> out = new ArrayList<>();
      for (final String frame : body.split("\n\n", -1)) {
        String event = "message";
        final StringBuilder data = new StringBuilder();
        boolean any = false;
        for (final String line : frame.split("\n", -1)) {
          if (line.startsWith("event: ")) {
            event = line.substring(7);
          } else if (line.startsWith("data: ")) {
            data.append(data.length() > 0 ? "\n" : "").append(line.substring(6));
            any = true;
          }
        }
        if (any) {
          out.add(new Sse(event, data.toString()));
        }
      }
      return out;
    }
  }

  private final WebClient client;
  private final int port;

  public Http(final WebClient client, final int port) {
    this.client = client;
    this.port = port;
  }

  public Response get(final String path, final Map<String, String> headers) {
    return call(HttpMethod.GET, path, null, headers);
  }

  public Response get(final String path) {
    return get(path, Map.of());
  }

  public Response post(final String path, final String body) {
    return call(HttpMethod.POST, path, body, Map.of());
  }

  public Response delete(final String path) {
    return call(HttpMethod.DELETE, path, null, Map.of());
  }

  public Response call(
      final HttpMethod method,
      final String path,
      final String body,
      final Map<String, String> headers) {
    final HttpRequest<Buffer> request = client.request(method, port, "localhost", path);
    headers.forEach(request::putHeader);
    if (body != null && !headers.containsKey("Content-Type")) {
      request.putHeader("Content-Type", "application/json");
    }
    try {
      final HttpResponse<Buffer> r =
          (body == null ? request.send() : request.sendBuffer(Buffer.buffer(body)))
              .toCompletionStage()
              .toCompletableFuture()
              .get(60, TimeUnit.SECONDS);
      return new Response(
          r.statusCode(), r.headers(), r.bodyAsString() == null ? "" : r.bodyAsString());
    } catch (final Exception e) {
      throw new IllegalStateException(method + " " + path + " failed", e);
    }
  }
}
