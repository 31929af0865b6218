package io.finchstream.proto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TenantKeysTest {

  @Test
  void shouldKeepTheDefaultTenantsKeysAsTheyAre() {
    assertThat(TenantKeys.key(TenantKeys.DEFAULT_TENANT, "demo")).isEqualTo("demo");
    assertThat(TenantKeys.tenant("demo")).isEqualTo(TenantKeys.DEFAULT_TENANT);
    assertThat(TenantKeys.id("demo")).isEqualTo("demo");
    assertThat(TenantKeys.belongsTo("demo", TenantKeys.DEFAULT_TENANT)).isTrue();
  }

  @Test
  void shouldNamespaceOtherTenantsAndDecodeBothPartsBack() {
    final String key = TenantKeys.key("acme", "chat:1@x");
    assertThat(key).isEqualTo("t/acme/chat:1@x");
    assertThat(TenantKeys.tenant(key)).isEqualTo("acme");
    assertThat(TenantKeys.id(key)).isEqualTo("chat:1@x");
    assertThat(key).startsWith(TenantKeys.prefix("acme"));
    assertThat(TenantKeys.belongsTo(key, "acme")).isTrue();
    assertThat(TenantKeys.belongsTo(key, "acm")).isFalse();
    assertThat(TenantKeys.belongsTo(key, TenantKeys.DEFAULT_TENANT)).isFalse();
    assertThat(TenantKeys.belongsTo("demo", "acme")).isFalse();
  }

  @Test
  void shouldNeverLetAnIdOrATenantReachIntoAnotherTenant() {
    // Ids of the default tenant that look like keys of another: impossible, ids have no '/'.
    assertThatThrownBy(() -> TenantKeys.key(TenantKeys.DEFAULT_TENANT, "t/acme/x"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TenantKeys.key("ac/me", "x"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(TenantKeys.key("t", "x")).isEqualTo("t/t/x");
    assertThat(TenantKeys.key("acme", "t")).isNotEqualTo(TenantKeys.key("acme.t", "" + "x"));
    assertThat(TenantKeys.validTenant("default")).isTrue();
    assertThat(TenantKeys.validTenant("-x")).isFalse();
    assertThat(TenantKeys.validTenant("a:b")).isFalse();
  }
}
