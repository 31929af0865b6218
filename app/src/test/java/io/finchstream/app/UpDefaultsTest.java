package io.finchstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.processors.FinchstreamConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What {@code up} changes of the service's defaults, and that settings still win. */
class UpDefaultsTest {

  @Test
  void shouldLeaveTheBrokerAndTheGatewayOneCoreUnlessTold() {
    final ServiceOptions options = new ServiceOptions();
    final FinchstreamConfig defaults = options.config(UpCommand.ONE_INSTANCE, Map.of());
    assertThat(defaults.getInt(FinchstreamConfig.ENGINE_THREADS_CONFIG))
        .isEqualTo(Math.max(1, Runtime.getRuntime().availableProcessors() - 1));
    assertThat(defaults.getInt(FinchstreamConfig.STANDBY_REPLICAS_CONFIG)).isZero();

    options.settings.put(FinchstreamConfig.ENGINE_THREADS_CONFIG, "3");
    assertThat(
            options
                .config(UpCommand.ONE_INSTANCE, Map.of())
                .getInt(FinchstreamConfig.ENGINE_THREADS_CONFIG))
        .isEqualTo(3);
  }
}
