package io.finchstream.loadtests.chaos;

import java.util.ArrayList;
import java.util.List;

/**
 * What the client of one conversation did and saw, for the checks after the run: the messages the
 * gateway accepted (202), those whose fate it could not know (the request failed after it may have
 * been written), and every generation as it was streamed.
 */
final class ClientRecord {

  /** One SSE {@code token} event. */
  record Chunk(int index, List<Integer> tokenIds, String text) {}

  /** One streamed generation, as the client saw it. */
  static final class Streamed {
    final String gateway;
    final long startedMs;
    String requestId;
    int status;
    final List<Chunk> chunks = new ArrayList<>();
    String doneText;
    String finishReason;
    String error;
    boolean interrupted;

    Streamed(final String gateway, final long startedMs) {
      this.gateway = gateway;
      this.startedMs = startedMs;
    }

    boolean finished() {
      return doneText != null;
    }
  }

  final String conversation;
  final List<String> accepted = new ArrayList<>();
  final List<String> maybe = new ArrayList<>();
  final List<String> refused = new ArrayList<>();
  final List<Streamed> generations = new ArrayList<>();
  int generateFailures;

  ClientRecord(final String conversation) {
    this.conversation = conversation;
  }
}
