package io.finchstream.engine.structured;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

/**
 * One of a fixed set of JSON texts, byte for byte: {@code enum} and {@code const} values (each in
 * its compact form), {@code true}/{@code false}, {@code null}, and property names. The texts sit in
 * a byte trie; {@code aux} is the trie node. Texts are prefix-free except numbers (enum {@code [1,
 * 12]}), which a number-ending byte completes as for {@link NumberRule}: no JSON delimiter can
 * continue a number, so the longer text is preferred without ambiguity.
 */
final class LiteralRule extends Rule {

  private final int[] edgeStart; // (nodes + 1) node's edges are [edgeStart[n], edgeStart[n+1])
  private final byte[] labels; // (edges) sorted within a node
  private final int[] targets; // (edges)
  private final boolean[] terminal; // (nodes) a text ends here
  private final int[] remain; // (nodes) fewest bytes to the end of a text

  /** A rule for {@code texts} (distinct, non-empty). */
  LiteralRule(final int id, final List<byte[]> texts) {
    super(id);
    final List<TreeMap<Integer, Integer>> children = new ArrayList<>();
    final List<Boolean> ends = new ArrayList<>();
    children.add(new TreeMap<>());
    ends.add(false);
    for (final byte[] text : texts) {
      int node = 0;
      for (final byte value : text) {
        final int b = value & 0xFF;
        Integer next = children.get(node).get(b);
        if (next == null) {
          next = children.size();
          children.get(node).put(b, next);
          children.add(new TreeMap<>());
          ends.add(false);
        }
        node = next;
      }
      ends.set(node, true);
    }
    final int nodes = children.size();
    edgeStart = new int[nodes + 1];
    labels = new byte[nodes - 1];
    targets = new int[nodes - 1];
    terminal = new boolean[nodes];
    int edge = 0;
    for (int n = 0; n < nodes; n++) {
      edgeStart[n] = edge;
      terminal[n] = ends.get(n);
      for (final var e : children.get(n).entrySet()) {
        labels[edge] = (byte) (int) e.getKey();
        targets[edge++] = e.getValue();
      }
    }
    edgeStart[nodes] = edge;
    remain = new int[nodes];
    for (int n = nodes - 1; n >= 0; n--) { // children have larger numbers than parents
      int best = terminal[n] ? 0 : UNREACHABLE;
      for (int e = edgeStart[n]; e < edgeStart[n + 1]; e++) {
        best = Math.min(best, 1 + remain[targets[e]]);
      }
      remain[n] = best;
    }
    minBytes = remain[0];
  }

  private int child(final int node, final int b) {
    for (int e = edgeStart[node]; e < edgeStart[node + 1]; e++) {
      if ((labels[e] & 0xFF) == b) {
        return targets[e];
      }
    }
    return -1;
  }

  private boolean leaf(final int node) {
    return edgeStart[node] == edgeStart[node + 1];
  }

  @Override
  void feed(final Frame f, final int b, final Frame.Sink out) {
    final int next = child(f.aux, b);
    if (next >= 0) {
      out.add(terminal[next] && leaf(next) ? f.parent : f.with(0, next, 0));
    } else if (terminal[f.aux]) {
      f.parent.rule.feed(f.parent, b, out); // a number text ended before this byte
    }
  }

  @Override
  boolean completeWithoutByte(final Frame f) {
    return terminal[f.aux];
  }

  @Override
  int cost(final int phase, final int aux, final int index) {
    return remain[aux];
  }

  @Override
  boolean updateMinBytes() {
    return false;
  }

  @Override
  public String toString() {
    return "LiteralRule["
        + Arrays.toString(Arrays.copyOf(labels, Math.min(8, labels.length)))
        + "]";
  }
}
