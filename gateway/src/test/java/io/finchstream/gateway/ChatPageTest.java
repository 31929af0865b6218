package io.finchstream.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.gateway.testing.GatewayHarness;
import io.finchstream.gateway.testing.ScriptedGateway;
import io.finchstream.gateway.testing.ScriptedProcessors;
import io.finchstream.proto.v1.ConversationEvent;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The chat page at {@code /} in headless Chromium (Debian's {@code chromium} and {@code
 * chromium-driver}; {@code .ci/install-browser} installs them): two turns of a chat stream into the
 * page, the second turn appends only the new message to the server-side conversation, Regenerate
 * and Edit send a shorter or changed history that the server rewinds to, and a screenshot is
 * written to {@code gateway/target/chat-page.png} ({@code DemoChatPageTest} in app makes the one in
 * {@code docs/}, with the real demo model).
 */
@ExtendWith(VertxExtension.class)
class ChatPageTest {

  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final String REPLY =
      " Hello! I am a small recurrent model, streaming my answer token by token through Kafka.";

  private static ScriptedGateway stack;
  private static ScriptedProcessors processors;
  private static GatewayHarness harness;
  private static WebDriver driver;
  private static Path profile;

  @BeforeAll
  static void start(final Vertx vertx) throws Exception {
    Assumptions.assumeTrue(
        Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "SKIPPED: headless Chromium is not installed ("
            + CHROMIUM
            + ", "
            + CHROMEDRIVER
            + "); run .ci/install-browser");
    stack = ScriptedGateway.prepare();
    processors = stack.processors();
    processors.script(REPLY, 3, 15);
    harness = stack.start(vertx, Map.of(), ReadinessProbe.none(), EventLimits.defaults()).harness();
    profile = Files.createTempDirectory("chromium-profile");
    final ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--user-data-dir=" + profile,
        "--window-size=900,700");
    final ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER.toFile())
            .usingAnyFreePort()
            .build();
    driver = new ChromeDriver(service, options);
    driver.manage().window().setSize(new Dimension(900, 700));
  }

  @AfterAll
  static void stop() throws Exception {
    if (driver != null) {
      driver.quit();
    }
    if (stack != null) {
      stack.close();
    }
    if (profile != null) {
      try (var files = Files.walk(profile)) {
        files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
      }
    }
  }

  @Test
  void shouldStreamRepliesIntoThePageAndContinueTheConversation() throws Exception {
    driver.get("http://localhost:" + harness.port() + "/");
    final WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30));
    wait.until(
        ExpectedConditions.textToBePresentInElementLocated(
            By.id("model"), GatewayHarness.MODEL.id()));
    assertThat(driver.findElement(By.id("model")).getText())
        .as("the page says what the model is")
        .isEqualTo(
            "model " + GatewayHarness.MODEL.id() + " — " + GatewayHarness.MODEL.description());

    send("Hi! Who are you?");
    wait.until(
        d -> d.findElements(By.cssSelector(".msg.assistant[data-state='done']")).size() == 1);
    assertThat(driver.findElements(By.cssSelector(".msg.assistant")).get(0).getText())
        .isEqualTo(REPLY.strip());

    send("What does that mean?");
    wait.until(
        d -> d.findElements(By.cssSelector(".msg.assistant[data-state='done']")).size() == 2);
    final List<WebElement> replies = driver.findElements(By.cssSelector(".msg.assistant"));
    assertThat(replies.get(1).getText()).isEqualTo(REPLY.strip());
    assertThat(driver.findElements(By.cssSelector(".msg.user")))
        .extracting(WebElement::getText)
        .containsExactly("Hi! Who are you?", "What does that mean?");
    assertThat(driver.findElements(By.cssSelector(".msg.error"))).isEmpty();

    final List<ConversationEvent> appends =
        processors.events().stream().filter(ConversationEvent::hasAppendText).toList();
    assertThat(appends)
        .extracting(e -> e.getAppendText().getText())
        .as("the second turn resends the history but only the new message is appended")
        .containsExactly("Hi! Who are you?", "What does that mean?");
    assertThat(appends.stream().map(e -> processors.conversationOf(e.getEventId())).distinct())
        .hasSize(1);
    assertThat(driver.findElement(By.id("status")).getText()).contains("first token after");
    final String conversation = processors.conversationOf(appends.get(0).getEventId());

    // Regenerate: the last reply is answered again; the server goes back to the last user message
    driver.findElement(By.id("regenerate")).click();
    wait.until(
        d ->
            d.findElements(By.cssSelector(".msg.assistant")).size() == 2
                && d.findElements(By.cssSelector(".msg.assistant[data-state='done']")).size() == 2
                && !rewinds(conversation).isEmpty());
    assertThat(rewinds(conversation)).containsExactly(3L);
    assertThat(appendsTo(conversation)).as("regenerate appends nothing").hasSize(2);

    // Edit the first message: everything after it goes, the server goes back to the start
    driver.findElements(By.cssSelector("button.edit")).get(0).click();
    final WebElement input = driver.findElement(By.id("input"));
    input.clear();
    send("Hello again!");
    wait.until(
        d ->
            d.findElements(By.cssSelector(".msg.assistant[data-state='done']")).size() == 1
                && d.findElements(By.cssSelector(".msg.user")).size() == 1);
    assertThat(driver.findElements(By.cssSelector(".msg.user")))
        .extracting(WebElement::getText)
        .containsExactly("Hello again!");
    assertThat(rewinds(conversation)).containsExactly(3L, 0L);
    assertThat(appendsTo(conversation))
        .extracting(e -> e.getAppendText().getText())
        .endsWith("Hello again!");
    assertThat(driver.findElements(By.cssSelector(".msg.error"))).isEmpty();

    final Path shot = Path.of("target", "chat-page.png");
    Files.copy(
        ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE).toPath(),
        shot,
        StandardCopyOption.REPLACE_EXISTING);
    assertThat(Files.size(shot)).isPositive();
  }

  private static List<Long> rewinds(final String conversation) {
    return processors.events().stream()
        .filter(ConversationEvent::hasRewind)
        .filter(e -> processors.conversationOf(e.getEventId()).equals(conversation))
        .map(e -> e.getRewind().getToMessage())
        .toList();
  }

  private static List<ConversationEvent> appendsTo(final String conversation) {
    return processors.events().stream()
        .filter(ConversationEvent::hasAppendText)
        .filter(e -> processors.conversationOf(e.getEventId()).equals(conversation))
        .toList();
  }

  private static void send(final String text) {
    final WebElement input = driver.findElement(By.id("input"));
    input.sendKeys(text);
    driver.findElement(By.id("send")).click();
  }
}
