package io.finchstream.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.WeightPrecision;
import io.finchstream.processors.FinchstreamConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/**
 * The served model's load options come from the configuration ({@code model.precision}, {@code
 * engine.threads}).
 */
class ModelLoadingTest {

  private static LoadOptions options(final Map<String, Object> settings) {
    return ModelLoading.options(
        new FinchstreamConfig(settings), new PrintWriter(new StringWriter()));
  }

  @Test
  void shouldDefaultToFp32OnAllProcessors() {
    final LoadOptions options = options(Map.of());
    assertThat(options.precision()).isEqualTo(WeightPrecision.FP32);
    assertThat(options.threads()).isEqualTo(LoadOptions.defaults().threads());
  }

  @Test
  void shouldTakePrecisionAndThreadsFromTheConfiguration() {
    final LoadOptions options =
        options(
            Map.of(
                FinchstreamConfig.MODEL_PRECISION_CONFIG,
                "bf16",
                FinchstreamConfig.ENGINE_THREADS_CONFIG,
                1));
    assertThat(options.precision()).isEqualTo(WeightPrecision.BF16);
    assertThat(options.threads()).isEqualTo(1);
  }

  @Test
  void shouldRefuseAnUnknownPrecisionByName() {
    assertThatThrownBy(() -> options(Map.of(FinchstreamConfig.MODEL_PRECISION_CONFIG, "fp8")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("model.precision");
  }
}
