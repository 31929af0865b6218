/** Kafka serdes for the Protobuf messages (no schema registry; schemas are versioned in proto/). */
package io.finchstream.processors.serde;
