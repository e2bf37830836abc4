package io.keel.watch.workqueue;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Per-key exponential backoff: the n-th retry of a key waits {@code base * 2^n}, capped at {@code max}
 * (client-go's {@code ItemExponentialFailureRateLimiter}; its defaults are 5 ms and 1000 s).
 *
 * <p>Tracks at most {@code maxKeys} keys; a new key beyond that waits {@code max} (and is not tracked)
 * so a caller that never calls {@link #forget} cannot grow it without bound.
 */
public final class ExponentialFailureRateLimiter<K> implements RateLimiter<K> {
  public static final long DEFAULT_BASE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
  public static final long DEFAULT_MAX_NANOS = TimeUnit.SECONDS.toNanos(1000);

  private final long baseNanos;
  private final long maxNanos;
  private final int maxKeys;
  private final Map<K, Integer> failures = new HashMap<>();

  public ExponentialFailureRateLimiter(long baseNanos, long maxNanos, int maxKeys) {
    if (baseNanos <= 0 || maxNanos < baseNanos) {
      throw new IllegalArgumentException("need 0 < base <= max, got base=" + baseNanos + "ns max=" + maxNanos + "ns");
    }
    if (maxKeys < 1) {
      throw new IllegalArgumentException("maxKeys must be >= 1: " + maxKeys);
    }
    this.baseNanos = baseNanos;
    this.maxNanos = maxNanos;
    this.maxKeys = maxKeys;
  }

  /** client-go's defaults: 5 ms base, 1000 s cap. */
  public static <K> ExponentialFailureRateLimiter<K> withDefaults(int maxKeys) {
    return new ExponentialFailureRateLimiter<>(DEFAULT_BASE_NANOS, DEFAULT_MAX_NANOS, maxKeys);
  }

  @Override
  public synchronized long whenNanos(K key) {
    Integer n = failures.get(key);
    if (n == null) {
      if (failures.size() >= maxKeys) {
        return maxNanos;
      }
      n = 0;
    }
    failures.put(key, n == Integer.MAX_VALUE ? n : n + 1);
    return backoffNanos(n);
  }

  /** {@code base * 2^exp}, capped at max, without overflow. */
  long backoffNanos(int exp) {
    if (exp >= 63 || baseNanos > (maxNanos >> exp)) {
      return maxNanos;
    }
    return Math.min(maxNanos, baseNanos << exp);
  }

  @Override
  public synchronized void forget(K key) {
    failures.remove(key);
  }

  @Override
  public synchronized int numRequeues(K key) {
    return failures.getOrDefault(key, 0);
  }
}
