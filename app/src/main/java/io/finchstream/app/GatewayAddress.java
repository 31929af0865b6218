package io.finchstream.app;

import io.finchstream.gateway.GatewayConfig;
import io.finchstream.processors.FinchstreamConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.util.Set;

/**
 * Where an instance's gateway listens and the address other instances reach it at, decided before
 * anything starts: Kafka Streams needs {@code application.server} when it is created, so that reads
 * and generations routed from other instances' gateways arrive here from the first rebalance on
 * (issue 14, item 6). Unless configured, {@code application.server} is the gateway's own {@code
 * host:port}; with port 0 a free port is chosen first; when the gateway binds every interface, the
 * machine's host name is advertised.
 *
 * @param gateway the gateway's configuration, with the port it will listen on
 * @param processors the processors' configuration, with the {@code application.server} to advertise
 */
record GatewayAddress(GatewayConfig gateway, FinchstreamConfig processors) {

  private static final Set<String> EVERY_INTERFACE = Set.of("0.0.0.0", "::", "[::]", "*");

  /** The gateway's port (a free one for 0) and the processors' {@code application.server}. */
  static GatewayAddress resolve(final FinchstreamConfig processors, final GatewayConfig gateway) {
    final String host = gateway.getString(GatewayConfig.HOST_CONFIG);
    final int configuredPort = gateway.getInt(GatewayConfig.PORT_CONFIG);
    final int port = configuredPort == 0 ? freePort(host) : configuredPort;
    final GatewayConfig listening =
        configuredPort == 0 ? gateway.with(GatewayConfig.PORT_CONFIG, port) : gateway;
    if (!processors.getString(FinchstreamConfig.APPLICATION_SERVER_CONFIG).isBlank()) {
      return new GatewayAddress(listening, processors);
    }
    return new GatewayAddress(
        listening,
        processors.with(
            FinchstreamConfig.APPLICATION_SERVER_CONFIG, hostForOthers(host) + ":" + port));
  }

  /** What {@code application.server} is. */
  String advertised() {
    return processors.getString(FinchstreamConfig.APPLICATION_SERVER_CONFIG);
  }

  private static String hostForOthers(final String bound) {
    if (!EVERY_INTERFACE.contains(bound)) {
      return bound.contains(":") && !bound.startsWith("[") ? "[" + bound + "]" : bound;
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (final UnknownHostException e) {
      throw new IllegalStateException(
          "the gateway binds every interface and this machine's host name does not resolve ("
              + e.getMessage()
              + "): give the address other instances reach it at with --application-server",
          e);
    }
  }

  private static int freePort(final String host) {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(
          EVERY_INTERFACE.contains(host)
              ? new InetSocketAddress(0)
              : new InetSocketAddress(host, 0));
      return s.getLocalPort();
    } catch (final IOException e) {
      throw new UncheckedIOException("no free port on " + host + " for the gateway", e);
    }
  }
}
