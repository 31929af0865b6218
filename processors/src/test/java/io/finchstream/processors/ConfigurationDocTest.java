package io.finchstream.processors;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/CONFIGURATION.md is generated from the ConfigDef; this keeps the two in step. */
class ConfigurationDocTest {

  @Test
  void shouldDocumentTheCurrentDefinitionsInDocsConfiguration() throws Exception {
    final Path repo = Path.of(System.getProperty("finchstream.repo", ".."));
    final String doc =
        Files.readString(repo.resolve("docs/CONFIGURATION.md"), StandardCharsets.UTF_8);
    assertThat(doc)
        .as(
            "docs/CONFIGURATION.md is out of date; regenerate the table with"
                + " java -cp 'app/target/lib/*' io.finchstream.processors.FinchstreamConfig")
        .contains(FinchstreamConfig.markdownTable());
  }
}
