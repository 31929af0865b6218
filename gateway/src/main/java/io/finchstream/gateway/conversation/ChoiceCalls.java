package io.finchstream.gateway.conversation;

import io.finchstream.gateway.GatewayServices;
import io.finchstream.gateway.http.ApiError;
import io.finchstream.gateway.kafka.Events;
import io.finchstream.gateway.kafka.Written;
import io.finchstream.gateway.ops.ClientApi;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.GenerationDone;
import io.finchstream.proto.v1.TokenChunk;
import io.vertx.core.Vertx;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code n} replies to one prompt (OpenAI's {@code n}), as {@code n} {@link GenerationCall}s.
 *
 * <p>Choice 0 is the conversation's own generation: the events before it (the new messages), then
 * one {@code Fork} per other choice into a branch of the conversation's tree, {@code
 * key~n<nonce>.<i>}, then its Generate; its reply is the one kept in the conversation (OpenAI's
 * reuse of a conversation continues choice 0 as well). Once those events are written, choice {@code
 * i} generates on branch {@code i} (written after the fork, on the same partition: a tree lives on
 * one partition and one task, so the fork is a copy on that task and the branch's Generate comes
 * after it in offset order). The prompt is thus written once, and computed once: a Fork that finds
 * the prompt not computed yet waits for it, and every branch starts from a copy of the prompt's
 * state (docs/GATEWAY.md, "n choices"). The branches' generations run on the same task and the
 * processors decode them in the same batched engine calls as choice 0. The branches are deleted
 * once their reply is over.
 *
 * <p><b>Seeds.</b> Every choice carries the request's seed ({@code s}, a random one when the
 * request has none, so that the choices differ) and its index ({@code Generate.choice}); the
 * processors draw choice {@code i} with seed {@code s + i·0x9E3779B97F4A7C15} (mod 2^64, {@code
 * io.finchstream.engine.sampling.Choices#seed}): choice 0 of any {@code n} is the reply of {@code n
 * = 1} with the same seed.
 *
 * <p>With {@code n = 1} this is exactly one {@link GenerationCall}. The listener is called on the
 * caller's context; it gets {@link Listener#onError} at most once, after which the other choices
 * are cancelled. Not thread-safe.
 */
public final class ChoiceCalls {

  /**
   * Most choices per request: OpenAI's bound for {@code n}, and the processors' for {@code
   * Generate.choice} ({@code io.finchstream.engine.sampling.Choices.MAX_CHOICES}).
   */
  public static final int MAX_CHOICES = 128;

  private static final Logger LOG = LoggerFactory.getLogger(ChoiceCalls.class);
  private static final SecureRandom SEEDS = new SecureRandom();

  /** Receives the choices' replies. */
  public interface Listener {
    /** Choice 0's events were written (before any reply, except when choice 0 ends at once). */
    default void onAccepted() {}

    /** The next piece of choice {@code choice}'s reply ({@link GenerationCall.Listener}). */
    void onChunk(int choice, TokenChunk chunk);

    /** Choice {@code choice} is over. */
    void onDone(int choice, GenerationDone done);

    /** Every choice is over ({@link #onDone} was called for each). */
    void onAllDone();

    /** A choice failed; the others are cancelled and nothing more is called. */
    void onError(ApiError error);
  }

  private final GatewayServices services;
  private final String key;
  private final ClientApi api;
  private final Listener listener;
  private final List<String> branches = new ArrayList<>();
  private final GenerationCall[] calls;
  private int running;
  private boolean failed;
  private boolean cancelled;
  private boolean branchesDeleted;
  private boolean started;
  private Generate.Builder shared;

  private ChoiceCalls(
      final GatewayServices services,
      final String key,
      final int n,
      final ClientApi api,
      final Listener listener) {
    this.services = services;
    this.key = key;
    this.api = api;
    this.listener = listener;
    this.calls = new GenerationCall[n];
    this.running = n;
  }

  /**
   * Starts {@code n} choices of conversation {@code key}. Must be called on a Vert.x context.
   *
   * @param before the events to write before choice 0's Generate (the prompt)
   * @param generate the parameters shared by every choice
   * @param n choices, at least 1
   */
  public static ChoiceCalls start(
      final GatewayServices services,
      final String key,
      final List<Admission.Item> before,
      final Generate.Builder generate,
      final int n,
      final ClientApi api,
      final Listener listener) {
    final ChoiceCalls calls = new ChoiceCalls(services, key, n, api, listener);
    calls.begin(before, generate);
    return calls;
  }

  /** The Kafka key of branch {@code i} (1..n-1) for a request whose nonce is {@code nonce}. */
  static String branch(final String key, final String nonce, final int i) {
    return key + "~n" + nonce + "." + i;
  }

  private void begin(final List<Admission.Item> before, final Generate.Builder generate) {
    final int n = calls.length;
    if (n > 1 && !generate.getSampling().hasSeed()) {
      generate.getSamplingBuilder().setSeed(SEEDS.nextLong());
    }
    final List<Admission.Item> first = new ArrayList<>(before);
    final String nonce = Events.newId().substring(0, 8);
    for (int i = 1; i < n; i++) {
      branches.add(branch(key, nonce, i));
      first.add(Admission.item(Events.fork(branches.get(i - 1)), "n"));
    }
    this.shared = generate;
    calls[0] =
        GenerationCall.start(
            services, key, first, generate.clone().setChoice(0), api, new Choice(0));
  }

  /**
   * Once choice 0's events are written (or a reply to it came, which implies it): tells the
   * listener, and starts the other choices on their branches. Once.
   */
  private void accepted() {
    if (started || failed || cancelled) {
      return;
    }
    started = true;
    listener.onAccepted();
    for (int i = 1; i < calls.length; i++) {
      calls[i] =
          GenerationCall.start(
              services,
              branches.get(i - 1),
              List.of(),
              shared.clone().setChoice(i),
              api,
              new Choice(i));
    }
  }

  /** The request id of choice 0's Generate. */
  public String requestId() {
    return calls[0].requestId();
  }

  /** Whether any event was handed to Kafka ({@link GenerationCall#wrote}). */
  public boolean wrote() {
    return calls[0].wrote();
  }

  /** Cancels every choice still running (the client went away). */
  public void cancel() {
    cancelled = true;
    for (final GenerationCall c : calls) {
      if (c != null) {
        c.cancel();
      }
    }
    deleteBranches();
  }

  /** Deletes the branches once nothing runs on them any more. */
  private void deleteBranches() {
    if (branchesDeleted || branches.isEmpty() || !calls[0].wrote()) {
      return;
    }
    for (final GenerationCall c : calls) {
      if (c != null && !c.finished()) {
        return;
      }
    }
    branchesDeleted = true;
    for (final String b : branches) {
      services
          .publisher()
          .publish(Vertx.currentContext(), b, Events.delete())
          .onFailure(e -> LOG.warn("could not delete the choice branch {}: {}", b, e.getMessage()));
    }
  }

  /** One choice's listener. */
  private class Choice implements GenerationCall.Listener {
    private final int index;

    Choice(final int index) {
      this.index = index;
    }

    @Override
    public void onAccepted(final Written written) {
      if (index == 0) {
        accepted();
      }
    }

    @Override
    public void onChunk(final TokenChunk chunk) {
      if (index == 0) {
        accepted();
      }
      if (!failed) {
        listener.onChunk(index, chunk);
      }
    }

    @Override
    public void onDone(final GenerationDone done) {
      if (index == 0) {
        accepted();
      }
      if (failed) {
        deleteBranches();
        return;
      }
      listener.onDone(index, done);
      running--;
      deleteBranches();
      if (running == 0) {
        listener.onAllDone();
      }
    }

    @Override
    public void onError(final ApiError error) {
      if (failed) {
        deleteBranches();
        return;
      }
      failed = true;
      for (final GenerationCall c : calls) {
        if (c != null) {
          c.cancel();
        }
      }
      deleteBranches();
      listener.onError(error);
    }
  }
}
