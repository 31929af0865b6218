package io.finchstream.processors.testing;

import io.finchstream.processors.FinchstreamConfig;
import io.finchstream.processors.FinchstreamService;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * One service instance in its own JVM, for tests that kill instances ({@link ChildService}).
 * Arguments are {@code key=value} settings plus {@code model=NAME} ({@link TestModels#byName}).
 * Prints {@code RUNNING} once Kafka Streams runs; closes cleanly when stdin ends.
 */
public final class ServiceMain {

  private ServiceMain() {}

  public static void main(final String[] args) throws Exception {
    final Map<String, Object> props = new HashMap<>();
    String modelName = "random";
    for (final String arg : args) {
      final int eq = arg.indexOf('=');
      final String key = arg.substring(0, eq);
      final String value = arg.substring(eq + 1);
      if (key.equals("model")) {
        modelName = value;
      } else {
        props.put(key, value);
      }
    }
    final FinchstreamService service =
        new FinchstreamService(
            new FinchstreamConfig(props), TestModels.byName(modelName), new SimpleMeterRegistry());
    service.start();
    if (service.awaitRunning(Duration.ofMinutes(2))) {
      System.out.println("RUNNING");
      System.out.flush();
    }
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      while (in.readLine() != null) {
        // wait for end of input
      }
    }
    service.close();
    System.out.println("CLOSED");
  }
}
