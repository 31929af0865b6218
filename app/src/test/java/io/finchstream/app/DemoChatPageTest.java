package io.finchstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.engine.testing.SharedData;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * What a newcomer sees: {@code finchstream up} with its defaults (embedded Kafka, the trained
 * GoldFinch demo model) and its chat page in headless Chromium. The reply must read like the plays
 * the model was trained on: most of its words are words of tinyshakespeare.txt, which byte noise
 * from an untrained model never manages. The screenshot is written to {@code
 * app/target/demo-chat-page.png} ({@code docs/img/chat-page.png} is a copy).
 */
class DemoChatPageTest {

  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

  /** Share of a reply's words that must be words of the training text. */
  private static final double SHAKESPEARE_WORDS = 0.6;

  /** Words the replies must have together before their share is judged. */
  private static final int MIN_WORDS = 5;

  /** The user's turns, sent one after another until the replies have {@link #MIN_WORDS}. */
  private static final List<String> PROMPTS =
      List.of(
          "Good morrow, my lord. What news from Rome?",
          "Speak on, good sir: what says the king?",
          "And what of the queen?");

  @TempDir static Path data;
  private static Instance up;
  private static WebDriver driver;
  private static Path profile;

  @BeforeAll
  static void start() throws Exception {
    Assumptions.assumeTrue(
        Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "SKIPPED: headless Chromium is not installed ("
            + CHROMIUM
            + ", "
            + CHROMEDRIVER
            + "); run .ci/install-browser");
    up = Instance.up(data.resolve("up"), 2, Path.of("target", "child-logs"));
    profile = Files.createTempDirectory("chromium-profile");
    final ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--user-data-dir=" + profile,
        "--window-size=900,700");
    driver =
        new ChromeDriver(
            new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .build(),
            options);
    driver.manage().window().setSize(new Dimension(900, 700));
  }

  @AfterAll
  static void stop() throws Exception {
    if (driver != null) {
      driver.quit();
    }
    if (up != null) {
      up.close();
    }
    if (profile != null) {
      try (var files = Files.walk(profile)) {
        files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
      }
    }
  }

  @Test
  void shouldAnswerInTheChatPageWithTextThatReadsLikeShakespeare() throws Exception {
    driver.get(up.url() + "/");
    final WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(60));
    wait.until(d -> d.findElement(By.id("model")).getText().contains("goldfinch-shakespeare"));
    assertThat(driver.findElement(By.id("model")).getText())
        .as("the page says it is a small demo model, not an assistant")
        .containsIgnoringCase("demo");

    // The page samples at temperature 1 without a seed, and the demo model sometimes ends its
    // turn after a few words ("Nay, God's sake."): the words of up to three turns are judged.
    final List<String> replies = new ArrayList<>();
    final List<String> words = new ArrayList<>();
    for (int turn = 0; turn < PROMPTS.size() && words.size() < MIN_WORDS; turn++) {
      final WebElement input = driver.findElement(By.id("input"));
      input.sendKeys(PROMPTS.get(turn));
      input.sendKeys(Keys.ENTER);
      final int done = turn + 1;
      new WebDriverWait(driver, Duration.ofMinutes(2))
          .until(
              d ->
                  d.findElements(By.cssSelector(".msg.assistant[data-state='done']")).size()
                      >= done);
      assertThat(driver.findElements(By.cssSelector(".msg.error"))).isEmpty();
      final String reply =
          driver.findElements(By.cssSelector(".msg.assistant")).get(turn).getText();
      replies.add(reply);
      words.addAll(words(reply));
    }

    final Set<String> plays =
        Set.copyOf(
            words(
                Files.readString(
                    SharedData.require("tinyshakespeare.txt"), StandardCharsets.UTF_8)));
    final long known = words.stream().filter(plays::contains).count();
    assertThat(words)
        .as("the words of the replies %s", replies)
        .hasSizeGreaterThanOrEqualTo(MIN_WORDS);
    assertThat((double) known / words.size())
        .as("share of the replies' words that are words of the plays: %s", replies)
        .isGreaterThanOrEqualTo(SHAKESPEARE_WORDS);

    final Path shot = Path.of("target", "demo-chat-page.png");
    Files.copy(
        ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE).toPath(),
        shot,
        StandardCopyOption.REPLACE_EXISTING);
    assertThat(Files.size(shot)).isPositive();
  }

  /** Lower-case runs of letters (an apostrophe inside a word kept: "o'er", "lord's"). */
  private static List<String> words(final String text) {
    return Arrays.stream(text.toLowerCase(Locale.ROOT).split("[^a-z']+"))
        .map(w -> w.replaceAll("^'+|'+$", ""))
        .filter(w -> !w.isEmpty())
        .collect(Collectors.toList());
  }
}
