package io.finchstream.app;

import io.finchstream.gateway.ConversationDirectory;
import io.finchstream.gateway.ConversationLookup;
import io.finchstream.processors.ConversationQueries;

/** The gateway's directory port on the processors' interactive queries. */
final class ProcessorsDirectory implements ConversationDirectory {

  private final ConversationQueries queries;

  ProcessorsDirectory(final ConversationQueries queries) {
    this.queries = queries;
  }

  @Override
  public ConversationLookup lookup(final String conversationId) {
    return switch (queries.find(conversationId)) {
      case ConversationQueries.Found f ->
          new ConversationLookup.Found(f.meta(), f.info().generating());
      case ConversationQueries.NotFound n -> new ConversationLookup.NotFound();
      case ConversationQueries.Remote r ->
          new ConversationLookup.Elsewhere(r.host().host() + ":" + r.host().port());
      case ConversationQueries.Unavailable u -> new ConversationLookup.Unavailable(u.reason());
    };
  }
}
