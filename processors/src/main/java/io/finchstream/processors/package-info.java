/**
 * The Finchstream service on Kafka Streams: {@link io.finchstream.processors.ConversationTopology}
 * (one pure function), its store names ({@link io.finchstream.processors.StoreNames}; the topic
 * names are {@link io.finchstream.proto.Topics}), the configuration ({@link
 * io.finchstream.processors.FinchstreamConfig}), the service that runs it ({@link
 * io.finchstream.processors.FinchstreamService}) and interactive queries for the gateway ({@link
 * io.finchstream.processors.ConversationQueries}). Design: docs/PROCESSORS.md.
 */
package io.finchstream.processors;
