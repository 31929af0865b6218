package io.finchstream.app;

import io.finchstream.gateway.GatewayConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The gateway's command-line options ({@code up}, {@code serve}). Everything else comes from the
 * same properties file ({@code --config}), environment ({@code FINCHSTREAM_GATEWAY_*}) and {@code
 * --set gateway.*} as the processors' settings; docs/GATEWAY.md lists every key.
 */
final class GatewayOptions {

  @Option(
      names = "--port",
      paramLabel = "PORT",
      description =
          "HTTP port of the gateway (chat page, API, health, metrics); 0: any free port. Default: 8080.")
  Integer port;

  @Option(
      names = "--host",
      paramLabel = "ADDRESS",
      description = "Interface the gateway binds to (0.0.0.0: all). Default: localhost.")
  String host;

  /**
   * The gateway's configuration: file, environment, {@code --set gateway.*}, then these options and
   * {@code bootstrap}.
   */
  GatewayConfig config(
      final Path configFile, final Map<String, String> settings, final String bootstrap) {
    final Map<String, Object> overrides = new HashMap<>();
    settings.forEach(
        (k, v) -> {
          if (k.startsWith("gateway.")) {
            overrides.put(k, v);
          }
        });
    overrides.put(GatewayConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    if (port != null) {
      overrides.put(GatewayConfig.PORT_CONFIG, port);
    }
    if (host != null) {
      overrides.put(GatewayConfig.HOST_CONFIG, host);
    }
    return GatewayLauncher.config(configFile, overrides);
  }
}
