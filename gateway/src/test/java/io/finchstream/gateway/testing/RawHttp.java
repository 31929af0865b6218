package io.finchstream.gateway.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 written by hand over a socket, for requests that ordinary clients refuse to make or
 * rewrite: a forged {@code Host}, an {@code Origin} a browser on another site would send, a
 * WebSocket upgrade whose answer matters more than the socket. Each call opens a connection, sends
 * one request with {@code Connection: close} and reads the status line, the head and (for
 * non-upgrade answers) the body until the server closes.
 */
public final class RawHttp {

  /** A status, the head's fields (lower-case names) and the body. */
  public record Answer(int status, Map<String, String> headers, String body) {}

  private final int port;

  public RawHttp(final int port) {
    this.port = port;
  }

  /**
   * Sends {@code method path} with {@code headers} (a {@code Host} among them replaces the default
   * {@code localhost:port}) and {@code body} (may be null).
   */
  public Answer send(
      final String method,
      final String path,
      final Map<String, String> headers,
      final String body) {
    final Map<String, String> head = new LinkedHashMap<>();
    head.put("Host", "localhost:" + port);
    head.putAll(headers);
    head.put("Connection", headers.containsKey("Upgrade") ? "Upgrade" : "close");
    final byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
    if (body != null) {
      head.put("Content-Length", Integer.toString(content.length));
    }
    final StringBuilder request = new StringBuilder(method + " " + path + " HTTP/1.1\r\n");
    head.forEach((k, v) -> request.append(k).append(": ").append(v).append("\r\n"));
    request.append("\r\n");
    try (Socket socket = new Socket("localhost", port)) {
      socket.setSoTimeout(30_000);
      final OutputStream out = socket.getOutputStream();
      out.write(request.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.write(content);
      out.flush();
      return read(socket.getInputStream());
    } catch (final IOException e) {
      throw new IllegalStateException(method + " " + path + " failed", e);
    }
  }

  /** A WebSocket upgrade of {@code path} with {@code headers}: 101 when the server accepts it. */
  public Answer upgrade(final String path, final Map<String, String> headers) {
    final Map<String, String> head = new LinkedHashMap<>();
    head.put("Upgrade", "websocket");
    head.put("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
    head.put("Sec-WebSocket-Version", "13");
    head.putAll(headers);
    return send("GET", path, head, null);
  }

  private static Answer read(final InputStream in) throws IOException {
    final String statusLine = line(in);
    final int status = Integer.parseInt(statusLine.split(" ", -1)[1]);
    final Map<String, String> headers = new LinkedHashMap<>();
    for (String line = line(in); !line.isEmpty(); line = line(in)) {
      final int colon = line.indexOf(':');
      headers.put(
          line.substring(0, colon).strip().toLowerCase(Locale.ROOT),
          line.substring(colon + 1).strip());
    }
    if (status == 101) {
      return new Answer(status, headers, "");
    }
    final ByteArrayOutputStream body = new ByteArrayOutputStream();
    final String length = headers.get("content-length");
    if (length != null) {
      body.write(in.readNBytes(Integer.parseInt(length)));
    } else {
      in.transferTo(body);
    }
    return new Answer(status, headers, body.toString(StandardCharsets.UTF_8));
  }

  private static String line(final InputStream in) throws IOException {
    final ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) {
        throw new IOException("connection closed in the head");
      }
      if (b != '\r') {
        line.write(b);
      }
    }
    return line.toString(StandardCharsets.ISO_8859_1);
  }
}
