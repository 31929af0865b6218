package io.finchstream.engine.structured;

import io.finchstream.engine.tokenizer.Tokenizer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link JsonGrammar} bound to a vocabulary ({@link TokenTable}): it computes which tokens may
 * come next in a grammar state and caches that mask per state, so a generation pays for a trie walk
 * only the first time it (or any other generation with this grammar) meets a state; later draws in
 * the same state cost one pass over the logits. Immutable apart from the cache; thread-safe, meant
 * to be shared by every request with the same schema and vocabulary.
 *
 * <p>The cache holds at most {@code cacheBytes} of masks (a dense mask is V/8 bytes, 8 KiB for
 * World; most states allow few tokens and take far less); past that, masks are computed per draw
 * and not kept. The result never depends on the cache.
 */
public final class TokenGrammar {

  /** Default bound of the mask cache per grammar. */
  public static final long DEFAULT_CACHE_BYTES = 32L << 20;

  private final JsonGrammar grammar;
  private final TokenTable table;
  private final long cacheBytes;
  private final Map<ParseState, MaskEntry> cache = new ConcurrentHashMap<>();
  private final AtomicLong cached = new AtomicLong();
  private final AtomicLong walks = new AtomicLong();

  /** {@code grammar} over {@code table}'s vocabulary, with the default cache bound. */
  public TokenGrammar(final JsonGrammar grammar, final TokenTable table) {
    this(grammar, table, DEFAULT_CACHE_BYTES);
  }

  /** {@code grammar} over {@code table}'s vocabulary, caching at most {@code cacheBytes}. */
  public TokenGrammar(final JsonGrammar grammar, final TokenTable table, final long cacheBytes) {
    if (cacheBytes < 0) {
      throw new IllegalArgumentException("cacheBytes must be >= 0, got " + cacheBytes);
    }
    this.grammar = grammar;
    this.table = table;
    this.cacheBytes = cacheBytes;
  }

  /** A constraint at the start of the output, for one generation. */
  public JsonConstraint newConstraint() {
    return new JsonConstraint(this, grammar.start());
  }

  /** The grammar. */
  public JsonGrammar grammar() {
    return grammar;
  }

  /** The vocabulary. */
  public TokenTable table() {
    return table;
  }

  /** Masks computed by a trie walk so far (cache misses). */
  public long walks() {
    return walks.get();
  }

  /** Masks in the cache. */
  public int cachedStates() {
    return cache.size();
  }

  /** Heap bytes of the cached masks (approximate). */
  public long cachedBytes() {
    return cached.get();
  }

  /** The allowed tokens of {@code state}: cached, or computed (and cached while there is room). */
  MaskEntry entry(final ParseState state) {
    final MaskEntry hit = cache.get(state);
    if (hit != null) {
      return hit;
    }
    final MaskEntry computed = compute(state);
    final long size = computed.memoryBytes();
    if (cached.get() + size <= cacheBytes && cache.putIfAbsent(state, computed) == null) {
      cached.addAndGet(size);
    }
    return computed;
  }

  /**
   * Every token whose bytes the grammar accepts in {@code state}: inside an open string from the
   * vocabulary's string table, elsewhere by walking the token trie with the state.
   */
  MaskEntry compute(final ParseState state) {
    walks.incrementAndGet();
    final Frame top = state.single();
    return top != null && top.rule instanceof StringRule && top.phase != StringRule.START
        ? computeInString(state, top)
        : computeByWalk(state);
  }

  /** {@link #compute} by walking the whole token trie (the reference for the string table). */
  MaskEntry computeByWalk(final ParseState state) {
    final MaskEntry.Builder allowed = new MaskEntry.Builder(table.vocabSize(), state.minBytes);
    walk(0, state, allowed, new Frame.Sink());
    return end(state, allowed);
  }

  private MaskEntry computeInString(final ParseState state, final Frame string) {
    final MaskEntry.Builder allowed = new MaskEntry.Builder(table.vocabSize(), state.minBytes);
    insideString(string, allowed, new Frame.Sink());
    return end(state, allowed);
  }

  private static MaskEntry end(final ParseState state, final MaskEntry.Builder allowed) {
    if (state.mayEnd()) {
      allowed.allow(Tokenizer.END_OF_TEXT, -1);
    }
    return allowed.build();
  }

  private void walk(
      final int node,
      final ParseState state,
      final MaskEntry.Builder allowed,
      final Frame.Sink sink) {
    for (int c = table.firstChild(node); c >= 0; c = table.nextSibling(c)) {
      final ParseState next = state.advance(table.label(c), sink);
      if (next == null) {
        continue;
      }
      final int token = table.token(c);
      if (token >= 0) {
        allowed.allow(token, next.minBytes);
      }
      if (table.firstChild(c) >= 0) {
        walk(c, next, allowed, sink);
      }
    }
  }

  /**
   * The tokens allowed inside an open string (the only stack): those that stay inside come from the
   * vocabulary's {@link StringMoves} table as they are; those that close the string continue, from
   * their first byte after the quote, in the state after the string.
   */
  private void insideString(
      final Frame string, final MaskEntry.Builder allowed, final Frame.Sink sink) {
    final StringMoves moves = table.strings(StringMoves.position(string));
    final int below = string.parent.total;
    final StringRule rule = (StringRule) string.rule;
    allowed.allowAll(moves.inside, moves.insideCount);
    for (int end = 0; end < StringMoves.POSITIONS; end++) {
      final int after = Rule.plus(below, rule.cost(phaseOf(end), auxOf(end), indexOf(end)));
      if (after != string.total) { // else neither progress nor growth: the bitmap says it all
        for (final int token : moves.endingAt[end]) {
          allowed.classify(token, after);
        }
      }
    }
    final ParseState after = ParseState.of(string.parent);
    for (int i = 0; i < moves.closing.length; i++) {
      final byte[] bytes = table.bytes(moves.closing[i]);
      ParseState s = after;
      for (int b = moves.closingRest[i]; b < bytes.length && s != null; b++) {
        s = s.advance(bytes[b] & 0xFF, sink);
      }
      if (s != null) {
        allowed.allow(moves.closing[i], s.minBytes);
      }
    }
  }

  private static int phaseOf(final int position) {
    return position < 8 ? StringRule.BODY : position == 8 ? StringRule.ESCAPE : StringRule.HEX;
  }

  private static int auxOf(final int position) {
    return position < 8 ? position : position == 8 ? 0 : (position - 9) / 2;
  }

  private static int indexOf(final int position) {
    return position < 9 ? 0 : (position - 9) % 2;
  }

  /** The state after the bytes of {@code token}, or null when the grammar refuses them. */
  ParseState advance(final ParseState state, final int token, final Frame.Sink sink) {
    final byte[] bytes = table.bytes(token);
    if (bytes.length == 0) {
      return null;
    }
    ParseState s = state;
    for (int i = 0; i < bytes.length && s != null; i++) {
      s = s.advance(bytes[i] & 0xFF, sink);
    }
    return s;
  }

  @Override
  public String toString() {
    return "TokenGrammar[" + grammar + " over " + table + ", " + cache.size() + " masks cached]";
  }
}
