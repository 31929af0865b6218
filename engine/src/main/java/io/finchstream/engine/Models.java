package io.finchstream.engine;

import io.finchstream.engine.finch.FinchModel;
import io.finchstream.engine.goldfinch.GoldFinchConfig;
import io.finchstream.engine.goldfinch.GoldFinchModel;
import io.finchstream.engine.io.Checkpoint;
import io.finchstream.engine.io.CheckpointException;
import io.finchstream.engine.io.Checkpoints;
import java.nio.file.Path;

/**
 * Loads a {@link LanguageModel} from a checkpoint, detecting the architecture from its tensor
 * names.
 */
public final class Models {

  private Models() {}

  /**
   * Opens the checkpoint file (any supported format, recognised by content), detects the
   * architecture and loads the weights into memory; the file is closed before returning.
   *
   * @throws CheckpointException naming the file, the problem and a fix
   */
  public static LanguageModel load(final Path file, final LoadOptions options) {
    try (Checkpoint checkpoint = Checkpoints.open(file, options.progress())) {
      return fromCheckpoint(checkpoint, options);
    }
  }

  /**
   * The model stored in an opened checkpoint (the checkpoint may be closed afterwards: the weights
   * are copied into memory).
   *
   * @throws CheckpointException when the architecture is not recognised or a tensor is wrong
   */
  public static LanguageModel fromCheckpoint(
      final Checkpoint checkpoint, final LoadOptions options) {
    return switch (architecture(checkpoint)) {
      case "finch" -> FinchModel.load(checkpoint, options);
      case "goldfinch" -> GoldFinchModel.load(checkpoint, options);
      default -> throw new IllegalStateException("unreachable");
    };
  }

  /**
   * The architecture of a checkpoint: "goldfinch" when some block has GOLD attention ({@code
   * att.query.weight}, goldfinch-math §1); else "finch" when it has RWKV-6 token-shift LoRAs
   * ({@code blocks.0.att.time_maa_x}, as ChatRWKV and rwkv.cpp detect v6).
   *
   * @throws CheckpointException when it is none we know
   */
  public static String architecture(final Checkpoint checkpoint) {
    if (GoldFinchConfig.isGoldFinch(checkpoint)) {
      return "goldfinch";
    }
    if (checkpoint.has("blocks.0.att.time_maa_x")) {
      return "finch";
    }
    throw new CheckpointException(
        checkpoint.path(),
        "not a model this engine knows: no"
            + " 'blocks.0.att.time_maa_x' tensor (Finch/RWKV-6) and no 'att.query.weight' (GoldFinch). Supported:"
            + " Finch (RWKV-6) checkpoints in .pth, safetensors or rwkv.cpp ggml form, GoldFinch in .pth or"
            + " safetensors");
  }
}
