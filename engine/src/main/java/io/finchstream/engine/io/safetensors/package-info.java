/**
 * safetensors checkpoints: a memory-mapped reader (F32/F16/BF16, strict header validation, Hugging
 * Face RWKV-6 names mapped to canonical ones, finch-math §3.4) and a writer (F32 or BF16, canonical
 * names) used to save generated models.
 */
package io.finchstream.engine.io.safetensors;
