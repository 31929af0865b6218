/**
 * Store concerns as small decorators over a bytes key-value store: binary keys, byte counting,
 * typed Protobuf views, the token log, values split into parts; and the bounded-memory RocksDB
 * configuration. The only package allowed to import {@code org.rocksdb} (checkstyle).
 */
package io.finchstream.processors.store;
