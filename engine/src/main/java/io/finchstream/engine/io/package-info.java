/**
 * Checkpoint files seen through canonical (official RWKV {@code .pth}) tensor names and shapes,
 * whatever the format. Entry point: {@link io.finchstream.engine.io.Checkpoints#open}, which picks
 * the reader from the file content: {@link io.finchstream.engine.io.torch.TorchCheckpoint} (.pth),
 * {@link io.finchstream.engine.io.safetensors.SafetensorsCheckpoint} and {@link
 * io.finchstream.engine.io.ggml.GgmlCheckpoint} (rwkv.cpp). {@link
 * io.finchstream.engine.io.MemoryCheckpoint} holds tensors in memory (tests, random models); {@link
 * io.finchstream.engine.io.safetensors.SafetensorsWriter} saves any checkpoint.
 */
package io.finchstream.engine.io;
