package io.keel.watch.workqueue;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The longest wait of several limiters (client-go's {@code MaxOfRateLimiter}). Every limiter sees every
 * call, so per-key backoff and the shared bucket both advance.
 */
public final class MaxOfRateLimiter<K> implements RateLimiter<K> {
  private final List<RateLimiter<K>> limiters;

  public MaxOfRateLimiter(List<RateLimiter<K>> limiters) {
    if (limiters.isEmpty()) {
      throw new IllegalArgumentException("need at least one limiter");
    }
    this.limiters = List.copyOf(limiters);
  }

  /**
   * client-go's {@code DefaultControllerRateLimiter}: per-key exponential 5 ms .. 1000 s, and an overall
   * bucket of 10 qps with burst 100.
   */
  public static <K> MaxOfRateLimiter<K> defaultControllerRateLimiter(Ticker ticker, int maxKeys) {
    return new MaxOfRateLimiter<>(List.of(
        new ExponentialFailureRateLimiter<>(TimeUnit.MILLISECONDS.toNanos(5), TimeUnit.SECONDS.toNanos(1000), maxKeys),
        new TokenBucketRateLimiter<>(10, 100, ticker)));
  }

  @Override
  public long whenNanos(K key) {
    long max = 0;
    for (RateLimiter<K> l : limiters) {
      max = Math.max(max, l.whenNanos(key));
    }
    return max;
  }

  @Override
  public void forget(K key) {
    for (RateLimiter<K> l : limiters) {
      l.forget(key);
    }
  }

  @Override
  public int numRequeues(K key) {
    int max = 0;
    for (RateLimiter<K> l : limiters) {
      max = Math.max(max, l.numRequeues(key));
    }
    return max;
  }
}
