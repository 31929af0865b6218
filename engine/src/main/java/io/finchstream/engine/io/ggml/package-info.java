/**
 * Reader for rwkv.cpp's ggml checkpoint files (finch-math §5.2): header, tensor records,
 * FP32/FP16/Q5_1/Q8_0 data, and the undoing of the converter's transforms so that every tensor
 * appears under its canonical {@code .pth} name and shape (finch-math §3.1).
 */
package io.finchstream.engine.io.ggml;
