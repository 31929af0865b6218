package io.finchstream.gateway.testing;

import io.finchstream.gateway.ConversationDirectory;
import io.finchstream.gateway.ConversationLookup;
import io.finchstream.processors.ConversationQueries;

/** The gateway's directory port on the real processors' interactive queries (as app wires it). */
public final class ServiceDirectory implements ConversationDirectory {

  private final ConversationQueries queries;

  public ServiceDirectory(final ConversationQueries queries) {
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
