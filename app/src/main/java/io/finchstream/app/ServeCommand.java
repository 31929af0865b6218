package io.finchstream.app;

import io.finchstream.gateway.GatewayConfig;
import io.finchstream.processors.FinchstreamConfig;
import io.finchstream.processors.FinchstreamService;
import io.finchstream.processors.LoadedModel;
import io.finchstream.proto.Topics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code finchstream serve}: the processors against an existing Kafka cluster, until Ctrl-C. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Run the Finchstream processors against an existing Kafka cluster, serving one model, until",
      "interrupted. Start several (same --set application.id) to spread conversations over them."
    })
final class ServeCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin ServiceOptions service;

  @Option(
      names = "--bootstrap-servers",
      required = true,
      paramLabel = "HOST:PORT",
      description = "Kafka brokers.")
  String bootstrapServers;

  @Option(
      names = "--model",
      paramLabel = "FILE",
      description = "Model checkpoint to serve (or model.path in the configuration).")
  Path model;

  @Mixin GatewayOptions gateway;

  @Option(
      names = "--insecure",
      description =
          "Serve without API keys (gateway.api.keys). Only behind something that authenticates.")
  boolean insecure;

  @Option(
      names = "--state-dir",
      paramLabel = "DIR",
      defaultValue = ".finchstream/state",
      description =
          "Local state stores (unique per instance on a host). Default: ${DEFAULT-VALUE}.")
  Path stateDir;

  @Override
  public Integer call() throws Exception {
    final PrintWriter err = spec.commandLine().getErr();
    final Map<String, Object> fixed = new HashMap<>();
    fixed.put(FinchstreamConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    fixed.put(FinchstreamConfig.STATE_DIR_CONFIG, stateDir.toString());
    if (model != null) {
      fixed.put(FinchstreamConfig.MODEL_PATH_CONFIG, model.toString());
    }
    final FinchstreamConfig config = service.config(fixed);
    final String path = config.getString(FinchstreamConfig.MODEL_PATH_CONFIG);
    if (path.isBlank()) {
      throw new ParameterException(
          spec.commandLine(),
          "no model: give --model FILE (or model.path in --config / FINCHSTREAM_MODEL_PATH)");
    }
    final GatewayConfig gatewayConfig =
        gateway.config(service.configFile, service.settings, bootstrapServers);
    GatewayLauncher.requireKeysUnlessInsecure(gatewayConfig, insecure);
    if (gatewayConfig.getPassword(GatewayConfig.PEER_SECRET_CONFIG).value().isEmpty()) {
      err.println(
          "finchstream: WARNING: no "
              + GatewayConfig.PEER_SECRET_CONFIG
              + " (FINCHSTREAM_GATEWAY_PEER_SECRET): alone this instance serves every conversation,"
              + " but with others each must have the same secret, or reads of conversations another"
              + " instance owns fail with 503 peer_unauthorized");
      err.flush();
    }
    final LoadedModel served =
        ServedModels.load(
            Path.of(path), ServedModels.vocab(config), ModelLoading.options(config, err));
    return runUntilInterrupted(
        config,
        served,
        ServedModels.description(Path.of(path)),
        spec.commandLine().getOut(),
        err,
        null,
        null,
        gatewayConfig);
  }

  /**
   * Runs the service until the JVM is interrupted (Ctrl-C, SIGTERM) or {@code stop} counts down;
   * prints where to connect once it runs. On the way out it closes the service (leaving the group)
   * and then {@code alsoClose} (the embedded broker), and the shutdown hook waits for that.
   */
  @SuppressWarnings("try") // alsoClose is only there to be closed, after the service
  static int runUntilInterrupted(
      final FinchstreamConfig config,
      final LoadedModel served,
      final String description,
      final PrintWriter out,
      final PrintWriter err,
      final CountDownLatch stop,
      final AutoCloseable alsoClose,
      final GatewayConfig gatewayConfig)
      throws Exception {
    final CountDownLatch done = stop == null ? new CountDownLatch(1) : stop;
    final CountDownLatch closed = new CountDownLatch(1);
    final Thread hook =
        new Thread(
            () -> {
              done.countDown();
              try {
                closed.await(60, TimeUnit.SECONDS);
              } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "finchstream-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    final PrometheusMeterRegistry registry = GatewayLauncher.newRegistry();
    if (alsoClose instanceof EmbeddedKafka) {
      new BrokerMeters().bindTo(registry);
    }
    final GatewayAddress address = GatewayAddress.resolve(config, gatewayConfig);
    try (AutoCloseable last = alsoClose == null ? () -> {} : alsoClose;
        FinchstreamService service =
            new FinchstreamService(address.processors(), served, registry);
        // Listening before the service joins the group: other instances route this instance's
        // conversations to its gateway from the first assignment on. It reports not ready until
        // the processors run.
        GatewayLauncher gateway =
            GatewayLauncher.start(
                service, description, address.processors(), address.gateway(), registry)) {
      service.start();
      final long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (!service.awaitRunning(Duration.ofMillis(500)) && done.getCount() > 0) {
        if (System.nanoTime() > deadline) {
          err.println(
              "finchstream: the processors are not RUNNING after 2 minutes (state "
                  + service.state()
                  + "); still trying");
          err.flush();
          break;
        }
      }
      out.println(
          "finchstream processors running: model "
              + served.label()
              + " ("
              + served.info().architecture()
              + ", "
              + served.info().layers()
              + " layers, dim "
              + served.info().dim()
              + ", vocab "
              + served.info().vocabSize()
              + ")");
      out.println(
          "  Kafka:  "
              + config.getString(FinchstreamConfig.BOOTSTRAP_SERVERS_CONFIG)
              + "   (input "
              + Topics.EVENTS
              + ", replies "
              + Topics.REPLIES
              + ", dead letters "
              + Topics.DLQ
              + ")");
      out.println(
          "  try:    ./finchstream send --bootstrap-servers "
              + config.getString(FinchstreamConfig.BOOTSTRAP_SERVERS_CONFIG)
              + " --conversation demo --generate \"Hello\"");
      out.println(
          "          ./finchstream tail --bootstrap-servers "
              + config.getString(FinchstreamConfig.BOOTSTRAP_SERVERS_CONFIG));
      out.println(
          "  Gateway: "
              + gateway.url(address.gateway())
              + "   (chat page /, API /v1, OpenAI /v1/chat/completions, /health/ready, /metrics;"
              + " API keys "
              + (address.gateway().apiKeys().isEmpty() ? "off" : "required")
              + "; other instances reach it at "
              + address.advertised()
              + ")");
      out.println("           OpenAI model name: \"" + ServedModels.apiName(served) + "\"");
      if (!description.isEmpty()) {
        out.println("  Model:  " + description);
      }
      out.flush();
      done.await();
      out.println("finchstream: stopping");
      out.flush();
    } finally {
      closed.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (final IllegalStateException e) {
        // the JVM is already shutting down (the hook is running)
      }
    }
    return 0;
  }
}
