package io.finchstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.finchstream.gateway.GatewayConfig;
import io.finchstream.processors.FinchstreamConfig;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map.Entry;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.ParseResult;

/**
 * Keeps deploy/ honest without Docker or a cluster: every finchstream command line in the Compose
 * file and the Kubernetes manifests must parse with the real CLI, every configuration key must be
 * one we define, probes must hit routes the gateway serves, and the image must start the JVM with
 * the flags the launcher uses.
 */
class DeployManifestsTest {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Path REPO =
      Path.of(System.getProperty("finchstream.repo", "..")).toAbsolutePath().normalize();
  private static final Path DEPLOY = REPO.resolve("deploy");

  private static List<JsonNode> documents(final Path file) throws IOException {
    final List<JsonNode> docs = new ArrayList<>();
    try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
      while (it.hasNext()) {
        docs.add(it.next());
      }
    }
    return docs;
  }

  private static List<String> strings(final JsonNode array) {
    final List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  /** Kubernetes expands $(VAR) from the container's env; give each a plausible value. */
  private static String[] expandEnvRefs(final List<String> args) {
    return args.stream()
        .map(a -> a.replaceAll("\\$\\(([A-Z_]+)\\)", "x-$1"))
        .toArray(String[]::new);
  }

  private static void assertParsesWithTheRealCli(final String where, final String[] args) {
    final ParseResult parsed = Main.commandLine().parseArgs(args);
    assertThat(parsed.hasSubcommand()).as(where + ": " + String.join(" ", args)).isTrue();
  }

  @Test
  void shouldUseOnlyRealCommandLinesInCompose() throws IOException {
    final JsonNode services =
        documents(DEPLOY.resolve("compose/compose.yaml")).get(0).get("services");
    final List<String> serve = strings(services.get("finchstream").get("command"));
    assertParsesWithTheRealCli("compose finchstream", serve.toArray(String[]::new));
    assertThat(serve.get(0)).isEqualTo("serve");
    assertModelInitParses(
        "compose model-init", services.get("model-init").get("command").get(0).asText());
    final String healthcheck =
        services.get("finchstream").get("healthcheck").get("test").get(1).asText();
    assertThat(healthcheck).contains("/health/ready");
    for (final Entry<String, JsonNode> env :
        services.get("finchstream").get("environment").properties()) {
      assertKnownEnvironmentKey(env.getKey());
    }
  }

  @Test
  void shouldUseOnlyRealCommandLinesKeysAndRoutesInKubernetes() throws IOException {
    JsonNode statefulSet = null;
    JsonNode configMap = null;
    for (final JsonNode doc : documents(DEPLOY.resolve("kubernetes/finchstream.yaml"))) {
      switch (doc.get("kind").asText()) {
        case "StatefulSet" -> statefulSet = doc;
        case "ConfigMap" -> configMap = doc;
        default -> {}
      }
    }
    assertThat(statefulSet).isNotNull();
    final JsonNode pod = statefulSet.get("spec").get("template").get("spec");
    final JsonNode container = pod.get("containers").get(0);
    assertParsesWithTheRealCli(
        "kubernetes container", expandEnvRefs(strings(container.get("args"))));
    assertModelInitParses(
        "kubernetes init container", pod.get("initContainers").get(0).get("args").get(0).asText());
    for (final JsonNode env : container.get("env")) {
      final String name = env.get("name").asText();
      if (name.startsWith(FinchstreamConfig.ENV_PREFIX)) {
        assertKnownEnvironmentKey(name);
      }
    }
    final String gatewayRoutes =
        Files.readString(
            REPO.resolve("gateway/src/main/java/io/finchstream/gateway/GatewayVerticle.java"));
    for (final String probe : List.of("readinessProbe", "livenessProbe")) {
      final String path = container.get(probe).get("httpGet").get("path").asText();
      assertThat(gatewayRoutes)
          .as(probe + " path " + path + " is a gateway route")
          .contains("\"" + path + "\"");
    }
    final String scrape =
        statefulSet
            .get("spec")
            .get("template")
            .get("metadata")
            .get("annotations")
            .get("prometheus.io/path")
            .asText();
    assertThat(gatewayRoutes).contains("\"" + scrape + "\"");

    final Properties properties = new Properties();
    properties.load(new StringReader(configMap.get("data").get("finchstream.properties").asText()));
    for (final String key : properties.stringPropertyNames()) {
      assertThat(isKnownKey(key)).as("ConfigMap key " + key + " is a Finchstream setting").isTrue();
    }
  }

  @Test
  void shouldStartTheJvmInTheImageWithTheLaunchersVectorFlag() throws IOException {
    final String dockerfile = Files.readString(DEPLOY.resolve("Dockerfile"));
    final String launcher = Files.readString(REPO.resolve("finchstream"));
    assertThat(launcher).contains("--add-modules jdk.incubator.vector");
    assertThat(dockerfile)
        .contains("\"--add-modules\", \"jdk.incubator.vector\"")
        .contains("/opt/finchstream/finchstream.jar")
        .contains("package -pl app -am");
  }

  private static void assertModelInitParses(final String where, final String shell) {
    final Matcher m =
        Pattern.compile("finchstream\\.jar\\s+(model demo.*)$", Pattern.DOTALL)
            .matcher(shell.strip());
    assertThat(m.find()).as(where + " runs `finchstream model demo`: " + shell).isTrue();
    assertParsesWithTheRealCli(where, m.group(1).strip().split("\\s+"));
  }

  private static boolean isKnownKey(final String key) {
    return FinchstreamConfig.CONFIG.names().contains(key)
        || GatewayConfig.CONFIG.names().contains(key)
        || key.startsWith(FinchstreamConfig.STREAMS_PREFIX)
        || key.startsWith(GatewayConfig.KAFKA_PREFIX);
  }

  private static void assertKnownEnvironmentKey(final String env) {
    if (env.equals("FINCHSTREAM_LOG_FORMAT") || env.equals("FINCHSTREAM_LOG_LEVEL")) {
      return; // read by log4j2.xml
    }
    final String key =
        env.substring(FinchstreamConfig.ENV_PREFIX.length())
            .toLowerCase(Locale.ROOT)
            .replace('_', '.');
    assertThat(isKnownKey(key))
        .as("environment " + env + " maps to a Finchstream setting (" + key + ")")
        .isTrue();
  }
}
