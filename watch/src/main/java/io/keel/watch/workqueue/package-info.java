/**
 * Controller work queues with client-go's semantics: deduplicating (level-triggered), one worker per key
 * at a time, delayed adds, and per-key exponential backoff combined with an overall token bucket. Bounded
 * and metered.
 */
package io.keel.watch.workqueue;
