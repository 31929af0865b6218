package io.finchstream.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finchstream.proto.TenantKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GatewayConfigTest {

  @Test
  void shouldLayerFileThenEnvironmentThenOverrides(@TempDir final Path dir) throws Exception {
    final Path file = dir.resolve("finchstream.properties");
    Files.writeString(
        file,
        "gateway.port=9000\ngateway.body.limit.bytes=2048\nmodel.path=/ignored/by/the/gateway\n");
    final GatewayConfig config =
        GatewayConfig.load(
            file,
            Map.of(
                "FINCHSTREAM_GATEWAY_BODY_LIMIT_BYTES",
                "4096",
                "FINCHSTREAM_GATEWAY_API_KEYS",
                " a , b ,,",
                "FINCHSTREAM_SHARED",
                "/x",
                "FINCHSTREAM_GATEWAY_KAFKA_SECURITY_PROTOCOL",
                "SSL"),
            Map.of(GatewayConfig.PORT_CONFIG, "9100"));
    assertThat(config.getInt(GatewayConfig.PORT_CONFIG)).isEqualTo(9100);
    assertThat(config.getLong(GatewayConfig.BODY_LIMIT_CONFIG)).isEqualTo(4096);
    assertThat(config.apiKeys()).extracting(GatewayConfig.ApiKey::secret).containsExactly("a", "b");
    assertThat(config.kafkaOverrides()).containsEntry("security.protocol", "SSL");
  }

  @Test
  void shouldDefaultToLocalhost8080WithoutKeysAndWithoutCors() {
    final GatewayConfig config = new GatewayConfig(Map.of());
    assertThat(config.getString(GatewayConfig.HOST_CONFIG)).isEqualTo("localhost");
    assertThat(config.getInt(GatewayConfig.PORT_CONFIG)).isEqualTo(8080);
    assertThat(config.apiKeys()).isEmpty();
    assertThat(config.getList(GatewayConfig.CORS_ORIGINS_CONFIG)).isEmpty();
  }

  @Test
  void shouldNameTheKeyOfABadValue() {
    assertThatThrownBy(() -> new GatewayConfig(Map.of(GatewayConfig.PORT_CONFIG, "70000")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(GatewayConfig.PORT_CONFIG);
    assertThatThrownBy(() -> new GatewayConfig(Map.of(GatewayConfig.HEARTBEAT_CONFIG, "600000")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(GatewayConfig.HEARTBEAT_CONFIG)
        .hasMessageContaining("idle");
  }

  @Test
  void shouldNeverPrintKeys() {
    final GatewayConfig config =
        new GatewayConfig(Map.of(GatewayConfig.API_KEYS_CONFIG, "secret-one"));
    assertThat(config.values().toString()).doesNotContain("secret-one"); // what logAll prints
    assertThat(config.apiKeys())
        .containsExactly(new GatewayConfig.ApiKey(TenantKeys.DEFAULT_TENANT, "secret-one"));
    assertThat(config.apiKeys().toString()).doesNotContain("secret-one");
  }

  @Test
  void shouldMatchTheTableInTheDocs() throws Exception {
    final Path doc = Path.of(System.getProperty("finchstream.repo", ".."), "docs", "GATEWAY.md");
    final String text = Files.readString(doc);
    final String table =
        text.substring(
            text.indexOf("<!-- gateway-config:begin -->\n")
                + "<!-- gateway-config:begin -->\n".length(),
            text.indexOf("<!-- gateway-config:end -->"));
    assertThat(table)
        .as("docs/GATEWAY.md is out of date: paste the output of GatewayConfig.main")
        .isEqualTo(GatewayConfig.markdownTable());
  }

  @Test
  void shouldDocumentEveryKeyInTheGeneratedTable() {
    final String table = GatewayConfig.markdownTable();
    for (final String key : GatewayConfig.CONFIG.names()) {
      assertThat(table).contains("`" + key + "`");
    }
    assertThat(table).contains("FINCHSTREAM_GATEWAY_API_KEYS");
  }

  @Test
  void shouldPutKeysInTenants() {
    final GatewayConfig config =
        new GatewayConfig(
            Map.of(GatewayConfig.API_KEYS_CONFIG, "acme:k1, acme:k2,globex:k3,k4,default:a:b"));
    assertThat(config.apiKeys())
        .containsExactly(
            new GatewayConfig.ApiKey("acme", "k1"),
            new GatewayConfig.ApiKey("acme", "k2"),
            new GatewayConfig.ApiKey("globex", "k3"),
            new GatewayConfig.ApiKey(TenantKeys.DEFAULT_TENANT, "k4"),
            new GatewayConfig.ApiKey(TenantKeys.DEFAULT_TENANT, "a:b"));
    assertThatThrownBy(
            () -> new GatewayConfig(Map.of(GatewayConfig.API_KEYS_CONFIG, "acme:k1,globex:k1")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(GatewayConfig.API_KEYS_CONFIG)
        .hasMessageContaining("two tenants")
        .hasMessageNotContaining("k1");
    assertThatThrownBy(() -> new GatewayConfig(Map.of(GatewayConfig.API_KEYS_CONFIG, "acme:")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("empty key");
  }
}
