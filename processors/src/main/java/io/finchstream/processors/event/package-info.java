/**
 * Input validation ({@link io.finchstream.processors.event.EventValidator}, pure), the validated
 * commands, and the builders of replies and dead letters; the small processors at the topology's
 * entry (validation, fork-transfer decoding).
 */
package io.finchstream.processors.event;
