package io.finchstream.processors.testing;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.ModelState;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * What must be bit-identical between two states of one conversation: the recurrent bytes and the
 * next-token logits, both taken on a copy after a {@code logits} call. (GoldFinch advances its GOLD
 * layers lazily, when logits are asked for, so the raw bytes of a state that was only ingested and
 * of one that also produced logits differ while everything they compute is the same; asking both
 * for logits first compares like with like. For Finch the call changes nothing.)
 */
public final class Fingerprint {

  private Fingerprint() {}

  /** The state's fingerprint (the state itself is not changed). */
  public static byte[] of(final LanguageModel model, final ModelState state) {
    final ModelState copy = state.copy();
    final float[][] logits = new float[1][model.info().vocabSize()];
    if (copy.position() > 0) {
      model.logits(List.of(copy), logits);
    }
    final byte[] recurrent = copy.recurrentBytes();
    final ByteBuffer out =
        ByteBuffer.allocate(recurrent.length + 4 * logits[0].length + 8)
            .order(ByteOrder.LITTLE_ENDIAN);
    out.put(recurrent);
    for (final float f : logits[0]) {
      out.putFloat(f);
    }
    out.putLong(copy.cache().size());
    return out.array();
  }
}
