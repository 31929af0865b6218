package io.finchstream.proto;

import java.util.regex.Pattern;

/**
 * Conversations of tenants: the Kafka key of conversation {@code id} of tenant {@code T} is {@code
 * t/T/id}, and for the {@link #DEFAULT_TENANT} just {@code id}. The gateway writes and reads every
 * conversation under the key of its caller's tenant, so that tenants never see each other's
 * conversations, and strips the tenant again from whatever it shows; the processors need not know
 * (a key is a key).
 *
 * <p>Unambiguous because neither part may contain {@code /}: conversation ids are {@code
 * [A-Za-z0-9][A-Za-z0-9._:@~-]{0,127}} and tenant names {@code [A-Za-z0-9][A-Za-z0-9._-]{0,63}}. A
 * key without {@code /} belongs to the default tenant, one with belongs to the tenant between
 * {@code t/} and the next {@code /}, and no client-chosen id can name another tenant's key. Every
 * key of a tenant other than the default starts with {@link #prefix}, so a listing (or any index
 * kept by key, such as a digest-to-conversation map) is scoped to a tenant by that prefix, and to
 * the default tenant by the absence of {@code /}.
 */
public final class TenantKeys {

  /** The tenant of requests without API keys, and of keys configured without a tenant. */
  public static final String DEFAULT_TENANT = "default";

  private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  private static final String PREFIX = "t/";

  private TenantKeys() {}

  /** Whether {@code tenant} is a valid tenant name. */
  public static boolean validTenant(final String tenant) {
    return tenant != null && TENANT.matcher(tenant).matches();
  }

  /** The Kafka key of conversation {@code id} (a valid conversation id) of {@code tenant}. */
  public static String key(final String tenant, final String id) {
    if (!validTenant(tenant)) {
      throw new IllegalArgumentException("invalid tenant name '" + tenant + "'");
    }
    if (id.indexOf('/') >= 0) {
      throw new IllegalArgumentException("a conversation id cannot contain '/': " + id);
    }
    return DEFAULT_TENANT.equals(tenant) ? id : PREFIX + tenant + "/" + id;
  }

  /** The prefix every key of {@code tenant} starts with; empty for the default tenant. */
  public static String prefix(final String tenant) {
    return DEFAULT_TENANT.equals(tenant) ? "" : PREFIX + tenant + "/";
  }

  /** The tenant of {@code key}. */
  public static String tenant(final String key) {
    final int slash = key.indexOf('/', PREFIX.length());
    return key.startsWith(PREFIX) && slash > PREFIX.length()
        ? key.substring(PREFIX.length(), slash)
        : DEFAULT_TENANT;
  }

  /** The conversation id of {@code key} within its tenant (what the tenant's clients call it). */
  public static String id(final String key) {
    final int slash = key.indexOf('/', PREFIX.length());
    return key.startsWith(PREFIX) && slash > PREFIX.length() ? key.substring(slash + 1) : key;
  }

  /** Whether {@code key} is a conversation of {@code tenant}. */
  public static boolean belongsTo(final String key, final String tenant) {
    return DEFAULT_TENANT.equals(tenant)
        ? key.indexOf('/') < 0
        : key.startsWith(prefix(tenant)) && key.indexOf('/', prefix(tenant).length()) < 0;
  }
}
