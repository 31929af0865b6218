package io.finchstream.processors.conversation;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.ModelState;
import io.finchstream.processors.FinchstreamMetrics;
import io.finchstream.processors.testing.Fingerprint;
import io.finchstream.processors.testing.TestModels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * While records arrive a punctuation computes only the prefills that generations wait for ({@link
 * BatchedCompute#runUrgent}), and says when one of them can decode ({@link
 * BatchedCompute#takeReadied}), so the running decode cycle ends for it.
 */
class BatchedComputeTest {

  private final LanguageModel model = TestModels.randomFinch().model();

  /** Conversations with a token log each, computed in place; urgent ones named at construction. */
  private final class Logs implements PendingWork {
    final Map<String, int[]> logs = new LinkedHashMap<>();
    final Map<String, ModelState> states = new LinkedHashMap<>();
    final Map<String, Boolean> pending = new LinkedHashMap<>();

    void add(final String conversation, final boolean urgent, final int tokens) {
      final int[] log = new int[tokens];
      Arrays.setAll(log, i -> (i * 7 + conversation.length()) % 200 + 1);
      logs.put(conversation, log);
      states.put(conversation, model.newState());
      pending.put(conversation, urgent);
    }

    @Override
    public List<String> pending() {
      final List<String> all = new ArrayList<>(urgent());
      pending.forEach(
          (c, u) -> {
            if (!u) {
              all.add(c);
            }
          });
      return all;
    }

    @Override
    public List<String> urgent() {
      return pending.keySet().stream().filter(pending::get).toList();
    }

    @Override
    public boolean computing(final String conversation) {
      return pending.containsKey(conversation);
    }

    @Override
    public long pendingTokens() {
      return 0;
    }

    @Override
    public Work work(final String conversation, final int maxTokens) {
      final ModelState state = states.get(conversation);
      final int[] log = logs.get(conversation);
      final int from = (int) state.position();
      final int to = Math.min(log.length, from + maxTokens);
      if (to >= log.length) {
        pending.remove(conversation);
      }
      return from >= to ? null : new Work(conversation, state, Arrays.copyOfRange(log, from, to));
    }

    @Override
    public void computed(final Work work) {}

    @Override
    public void failed(final Work work, final RuntimeException cause) {
      throw cause;
    }
  }

  @Test
  void shouldComputeOnlyWhatAGenerationWaitsForWhileRecordsArrive() {
    final Logs logs = new Logs();
    logs.add("document", false, 40);
    logs.add("chat", true, 12);
    final BatchedCompute compute =
        new BatchedCompute(model, logs, FinchstreamMetrics.simple(), 8, 512);

    assertThat(compute.takeReadied()).isFalse();
    compute.runUrgent(System.nanoTime() + 5_000_000_000L);

    assertThat(logs.states.get("chat").position()).isEqualTo(12);
    assertThat(logs.states.get("document").position()).isZero();
    assertThat(compute.takeReadied()).as("the chat's generation can decode now").isTrue();
    assertThat(compute.takeReadied()).as("said once").isFalse();

    compute.run(System.nanoTime() + 5_000_000_000L);
    assertThat(logs.states.get("document").position()).isEqualTo(40);
    assertThat(compute.takeReadied()).as("no generation waited for the document").isFalse();
    final ModelState direct = model.newState();
    model.ingest(List.of(direct), List.of(logs.logs.get("chat")));
    assertThat(Fingerprint.of(model, logs.states.get("chat")))
        .isEqualTo(Fingerprint.of(model, direct));
  }
}
