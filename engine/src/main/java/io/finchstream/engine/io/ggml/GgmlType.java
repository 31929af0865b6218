package io.finchstream.engine.io.ggml;

import io.finchstream.engine.io.DType;

/**
 * The {@code data_type} codes of an rwkv.cpp file (finch-math §5.2, rwkv.cpp docs/FILE_FORMAT.md),
 * with their block geometry. Values are stored in blocks of {@link #blockSize} elements along the
 * contiguous dimension ({@code ne[0]}), each {@link #blockBytes} bytes.
 */
enum GgmlType {
  FP32(0, 1, 4, DType.F32),
  FP16(1, 1, 2, DType.F16),
  Q4_0(2, 32, 18, null),
  Q4_1(3, 32, 20, null),
  Q5_0(7, 32, 22, null),
  Q5_1(8, 32, 24, DType.Q5_1),
  Q8_0(9, 32, 34, DType.Q8_0);

  final int code;
  final int blockSize;
  final int blockBytes;

  /** What we present as {@code storedType}; null when this reader cannot decode the type. */
  final DType dtype;

  GgmlType(final int code, final int blockSize, final int blockBytes, final DType dtype) {
    this.code = code;
    this.blockSize = blockSize;
    this.blockBytes = blockBytes;
    this.dtype = dtype;
  }

  /** The type of a code, or null when the code is none of rwkv.cpp's. */
  static GgmlType ofCode(final int code) {
    for (final GgmlType t : values()) {
      if (t.code == code) {
        return t;
      }
    }
    return null;
  }

  /** Bytes of {@code numel} elements (numel a multiple of the block size). */
  long bytes(final long numel) {
    return numel / blockSize * blockBytes;
  }
}
