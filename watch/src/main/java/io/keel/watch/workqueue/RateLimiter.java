package io.keel.watch.workqueue;

/**
 * Decides how long a key must wait before it is retried (client-go's {@code workqueue.RateLimiter}).
 * Implementations are thread-safe.
 */
public interface RateLimiter<K> {
  /** Records a retry of {@code key} and returns how long it must wait, in nanoseconds (>= 0). */
  long whenNanos(K key);

  /** Forgets {@code key}'s failures (call after it was processed successfully). */
  void forget(K key);

  /** How many times {@code key} was retried since it was last forgotten. */
  int numRequeues(K key);
}
