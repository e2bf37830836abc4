package io.keel.watch.workqueue;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Objects;

/**
 * A {@link WorkQueue} whose {@link #addRateLimited} re-adds a failed key after the limiter's delay
 * (client-go's {@code RateLimitingInterface}). Workers call {@link #forget} once a key succeeds.
 */
public final class RateLimitingQueue<K> extends WorkQueue<K> {
  private final RateLimiter<K> limiter;

  /** client-go's default controller queue: {@link MaxOfRateLimiter#defaultControllerRateLimiter}. */
  public RateLimitingQueue(String name) {
    this(name, DEFAULT_MAX_ITEMS, Ticker.system(), new SimpleMeterRegistry(),
        MaxOfRateLimiter.defaultControllerRateLimiter(Ticker.system(), DEFAULT_MAX_ITEMS));
  }

  public RateLimitingQueue(String name, int maxItems, Ticker ticker, MeterRegistry registry, RateLimiter<K> limiter) {
    super(name, maxItems, ticker, registry);
    this.limiter = Objects.requireNonNull(limiter, "limiter");
  }

  /** Re-adds {@code key} once the rate limiter allows it. */
  public AddResult addRateLimited(K key) {
    Objects.requireNonNull(key, "key");
    metrics.retries.increment();
    return addAfterNanos(key, limiter.whenNanos(key));
  }

  /** Clears {@code key}'s retry history (its next failure starts at the base delay again). */
  public void forget(K key) {
    limiter.forget(key);
  }

  public int numRequeues(K key) {
    return limiter.numRequeues(key);
  }
}
