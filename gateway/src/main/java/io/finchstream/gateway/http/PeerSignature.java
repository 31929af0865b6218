package io.finchstream.gateway.http;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Authenticates requests between the gateways of one cluster (a read forwarded to the instance that
 * owns the conversation) with a secret they share ({@code gateway.peer.secret}). The secret itself
 * never travels: a request carries {@code v1:<unix ms>:<hex HMAC-SHA256>} over its method, path,
 * conversation key, read-your-writes position and time, so an instance that advertises a false
 * address learns nothing it could reuse for another request, and a signature expires after {@link
 * #MAX_SKEW_MS} (instances' clocks must agree that closely). Thread-safe.
 */
public final class PeerSignature {

  /** The header that carries the signature. */
  public static final String HEADER = "X-Finchstream-Peer";

  /** How far a signature's time may be from the receiver's clock. */
  public static final long MAX_SKEW_MS = TimeUnit.SECONDS.toMillis(60);

  private static final String VERSION = "v1";

  private final SecretKeySpec key;
  private final LongSupplier clockMs;

  /**
   * @param secret the cluster's shared secret; empty: a random one, which no other instance knows
   *     (forwarded reads then fail with a message that says to configure it)
   */
  public PeerSignature(final String secret, final LongSupplier clockMs) {
    final byte[] bytes;
    if (secret.isEmpty()) {
      bytes = new byte[32];
      new SecureRandom().nextBytes(bytes);
    } else {
      bytes = secret.getBytes(StandardCharsets.UTF_8);
    }
    this.key = new SecretKeySpec(bytes, "HmacSHA256");
    this.clockMs = clockMs;
  }

  /** The header value for a request. */
  public String sign(
      final String method, final String path, final String conversationKey, final String after) {
    final long now = clockMs.getAsLong();
    return VERSION + ":" + now + ":" + mac(method, path, conversationKey, after, now);
  }

  /** Whether {@code header} signs exactly this request, recently enough. */
  public boolean verify(
      final String header,
      final String method,
      final String path,
      final String conversationKey,
      final String after) {
    if (header == null) {
      return false;
    }
    final String[] parts = header.split(":", -1);
    if (parts.length != 3 || !parts[0].equals(VERSION)) {
      return false;
    }
    final long at;
    try {
      at = Long.parseLong(parts[1]);
    } catch (final NumberFormatException e) {
      return false;
    }
    if (Math.abs(clockMs.getAsLong() - at) > MAX_SKEW_MS) {
      return false;
    }
    final byte[] expected =
        mac(method, path, conversationKey, after, at).getBytes(StandardCharsets.US_ASCII);
    return MessageDigest.isEqual(expected, parts[2].getBytes(StandardCharsets.US_ASCII));
  }

  private String mac(
      final String method,
      final String path,
      final String conversationKey,
      final String after,
      final long at) {
    try {
      final Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      // Length-prefixed fields: no two different requests share a signed text.
      for (final String field :
          new String[] {
            method, path, conversationKey, after == null ? "" : after, Long.toString(at)
          }) {
        final byte[] bytes = field.getBytes(StandardCharsets.UTF_8);
        mac.update(Integer.toString(bytes.length).getBytes(StandardCharsets.US_ASCII));
        mac.update((byte) ':');
        mac.update(bytes);
      }
      return HexFormat.of().formatHex(mac.doFinal());
    } catch (final NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("every Java runtime provides HmacSHA256", e);
    }
  }
}
