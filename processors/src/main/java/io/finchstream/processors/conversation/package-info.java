/**
 * The conversation processor and its parts, one job each: applying events with durable tokens
 * first, deferring events during generations, batched lazy compute and snapshots, decode rounds,
 * hot states, fork export and import.
 */
package io.finchstream.processors.conversation;
