package io.finchstream.app;

import io.finchstream.gateway.ConversationDirectory;
import io.finchstream.gateway.ConversationLookup;
import io.finchstream.gateway.StoredMessage;
import io.finchstream.processors.ConversationQueries;
import java.util.List;

/** The gateway's directory port on the processors' interactive queries. */
final class ProcessorsDirectory implements ConversationDirectory {

  private final ConversationQueries queries;

  ProcessorsDirectory(final ConversationQueries queries) {
    this.queries = queries;
  }

  @Override
  public ConversationLookup lookup(final String conversationId) {
    return answer(queries.find(conversationId));
  }

  @Override
  public ConversationLookup messages(
      final String conversationId, final long from, final int limit) {
    return answer(queries.messages(conversationId, from, limit));
  }

  @Override
  public List<ConversationLookup.Listed> listLocal(
      final String prefix, final String after, final int limit) {
    return queries.listLocal(prefix, after, limit).stream()
        .map(
            f ->
                new ConversationLookup.Listed(
                    f.info().conversationId(), f.meta(), f.info().generating()))
        .toList();
  }

  @Override
  public boolean findsPrefixes() {
    return true;
  }

  @Override
  public ConversationLookup prefix(final String rootKey, final List<byte[]> digests) {
    return answer(queries.findPrefix(rootKey, digests));
  }

  @Override
  public List<String> peers() {
    return queries.peers().stream().map(h -> h.host() + ":" + h.port()).toList();
  }

  /** The processors' answer as the gateway's. */
  static ConversationLookup answer(final ConversationQueries.Result result) {
    return switch (result) {
      case ConversationQueries.Found f ->
          new ConversationLookup.Found(f.meta(), f.info().generating());
      case ConversationQueries.Messages m ->
          new ConversationLookup.Messages(
              m.meta(),
              m.generating(),
              m.messages().stream()
                  .map(
                      x ->
                          new StoredMessage(
                              x.index(),
                              x.role(),
                              x.text(),
                              x.truncated(),
                              x.tokens(),
                              x.end(),
                              x.digestHex(),
                              x.snapshot(),
                              x.reachable()))
                  .toList());
      case ConversationQueries.PrefixMatches p ->
          new ConversationLookup.Prefix(
              p.candidates().stream()
                  .map(
                      c ->
                          new ConversationLookup.PrefixCandidate(
                              c.conversationId(),
                              c.messages(),
                              c.position(),
                              c.conversationMessages(),
                              c.generating()))
                  .toList());
      case ConversationQueries.DigestMatches d ->
          new ConversationLookup.Unavailable("a digest lookup is not a conversation lookup");
      case ConversationQueries.Waiting w ->
          new ConversationLookup.Unavailable(
              "a count of waiting events is not a conversation lookup");
      case ConversationQueries.NotFound n -> new ConversationLookup.NotFound();
      case ConversationQueries.Remote r ->
          new ConversationLookup.Elsewhere(r.host().host() + ":" + r.host().port());
      case ConversationQueries.Unavailable u -> new ConversationLookup.Unavailable(u.reason());
    };
  }
}
