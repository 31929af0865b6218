/**
 * Reader for PyTorch {@code torch.save} checkpoints (the official RWKV {@code .pth} files,
 * finch-math §3.3): a stored (uncompressed) zip archive holding {@code <root>/data.pkl}, a pickle
 * of the state_dict whose tensors point at raw little-endian storages {@code <root>/data/<key>}.
 * Storages are memory-mapped; the pickle is interpreted with a whitelist of the few globals a
 * state_dict needs, so nothing from the file is ever executed.
 */
package io.finchstream.engine.io.torch;
