/**
 * Live tokens: every draw of a running generation published to {@code finchstream.tokens} the
 * moment it is sampled, outside the transactions that store it ({@link
 * io.finchstream.processors.live.LiveTokens}, {@link
 * io.finchstream.processors.live.KafkaLiveTokens}). Why that is safe, and how readers must use it,
 * is in docs/PROCESSORS.md ("Live tokens") and in events.proto ({@code LiveToken}).
 */
package io.finchstream.processors.live;
