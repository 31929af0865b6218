package io.finchstream.loadtests.gateway;

import java.util.SplittableRandom;

/** Reproducible user messages of about a given size, made of common words. */
public final class Prompts {

  private static final String[] WORDS =
      ("the of and to in is you that it he was for on are as with his they at be this have from or "
              + "one had by word but not what all were we when your can said there use an each which she do how their if will up other about "
              + "out many then them these so some her would make like him into time has look two more write go see number no way could people "
              + "my than first water been call who oil its now find long down day did get come made may part tell me why story river night")
          .split(" ");

  private final SplittableRandom random;
  private final int bytes;

  public Prompts(final long seed, final int bytes) {
    this.random = new SplittableRandom(seed);
    this.bytes = bytes;
  }

  /** The next message. */
  public String next() {
    final StringBuilder sb = new StringBuilder(bytes + 16);
    while (sb.length() < bytes) {
      if (sb.length() > 0) {
        sb.append(' ');
      }
      sb.append(WORDS[random.nextInt(WORDS.length)]);
    }
    return sb.append('?').toString();
  }
}
