package io.finchstream.app;

import io.finchstream.gateway.GatewayConfig;
import io.finchstream.processors.FinchstreamConfig;
import io.finchstream.processors.LoadedModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code finchstream up}: everything on this machine in one process: a single-broker KRaft Kafka
 * (data under {@code --data-dir}), the topics, and the processors, with {@code --model} or, without
 * one, the bundled demo model: a small GoldFinch trained on Shakespeare, labelled as such.
 */
@Command(
    name = "up",
    mixinStandardHelpOptions = true,
    description = {
      "Start everything locally in one process: an embedded single-broker Kafka (KRaft, data under",
      "--data-dir), the topics and the processors. Without --model it serves the bundled demo model",
      "(goldfinch-shakespeare-L6-C256, models/README.md): a small GoldFinch trained on Shakespeare's",
      "plays, which answers in their style. It is not an assistant."
    })
final class UpCommand implements Callable<Integer> {

  /**
   * Defaults of a single instance: no standby replicas (there is no other instance to hold them),
   * and the engine one core short of the machine, since the broker and the gateway run in this same
   * process (an engine thread preempted by them stalls the others at every matmul:
   * docs/BENCHMARKS.md, "Batching", and "token streaming"); settings override them.
   */
  static final Map<String, Object> ONE_INSTANCE =
      Map.of(
          FinchstreamConfig.STANDBY_REPLICAS_CONFIG,
          0,
          FinchstreamConfig.ENGINE_THREADS_CONFIG,
          Math.max(1, Runtime.getRuntime().availableProcessors() - 1));

  @Spec CommandSpec spec;

  @Mixin ServiceOptions service;

  @Option(
      names = "--model",
      paramLabel = "FILE",
      description = "Model checkpoint to serve (default: the demo model trained on Shakespeare).")
  Path model;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      defaultValue = ".finchstream",
      description =
          "Kafka data, state stores and the demo model's file. Default: ${DEFAULT-VALUE}.")
  Path dataDir;

  @Option(
      names = "--kafka-port",
      paramLabel = "PORT",
      defaultValue = "9092",
      description = "Kafka listener port (0: any free port). Default: ${DEFAULT-VALUE}.")
  int kafkaPort;

  @Mixin GatewayOptions gateway;

  /** Counted down to stop (tests); null: run until Ctrl-C. */
  CountDownLatch stop;

  @Override
  public Integer call() throws Exception {
    final PrintWriter out = spec.commandLine().getOut();
    final PrintWriter err = spec.commandLine().getErr();
    final FinchstreamConfig base = service.config(ONE_INSTANCE, Map.of());
    final String configured = base.getString(FinchstreamConfig.MODEL_PATH_CONFIG);
    final Path file = model != null ? model : configured.isBlank() ? null : Path.of(configured);
    // The broker starts (and, after a crash, recovers) while the model loads.
    final ExecutorService starting = Executors.newSingleThreadExecutor();
    final Future<EmbeddedKafka> kafkaStarting =
        starting.submit(() -> EmbeddedKafka.start(dataDir, kafkaPort));
    starting.shutdown();
    final LoadedModel served;
    final String description;
    final EmbeddedKafka kafka;
    try {
      final Path modelFile =
          file != null
              ? file
              : ServedModels.extractDemo(
                  dataDir.resolve("models").resolve(ServedModels.DEMO_FILE), err);
      served =
          ServedModels.load(modelFile, ServedModels.vocab(base), ModelLoading.options(base, err));
      description = ServedModels.description(modelFile);
    } catch (final Exception | Error e) {
      closeWhenStarted(kafkaStarting);
      throw e;
    }
    try {
      kafka = kafkaStarting.get();
    } catch (final ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
    if (file == null) {
      err.println(
          "finchstream: no --model given: serving the demo model "
              + ServedModels.apiName(served)
              + ", "
              + description
              + ". Serve a real model with --model FILE.");
      err.flush();
    }
    final Map<String, Object> fixed = new HashMap<>();
    fixed.put(FinchstreamConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    fixed.put(FinchstreamConfig.STATE_DIR_CONFIG, dataDir.resolve("state").toString());
    fixed.put(FinchstreamConfig.TOPIC_REPLICATION_CONFIG, (short) 1);
    final GatewayConfig gatewayConfig =
        GatewayLauncher.withClusterSecret(
            gateway.config(service.configFile, service.settings, kafka.bootstrapServers()),
            dataDir);
    out.println(
        "finchstream: serve instances that join this broker need its peer secret: "
            + "FINCHSTREAM_GATEWAY_PEER_SECRET=$(cat "
            + dataDir.resolve(GatewayLauncher.PEER_SECRET_FILE)
            + ")");
    return ServeCommand.runUntilInterrupted(
        service.config(ONE_INSTANCE, fixed),
        served,
        description,
        out,
        err,
        stop,
        kafka,
        gatewayConfig);
  }

  /** Closes the broker once it has started (after a failure elsewhere). */
  private static void closeWhenStarted(final Future<EmbeddedKafka> starting) {
    try {
      starting.get().close();
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (final ExecutionException e) {
      // it did not start: nothing to close
    }
  }
}
