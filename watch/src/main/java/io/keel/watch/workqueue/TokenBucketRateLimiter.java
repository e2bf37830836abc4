package io.keel.watch.workqueue;

import java.util.Objects;

/**
 * An overall token bucket shared by all keys: {@code qps} tokens per second, at most {@code burst}
 * saved (client-go's {@code BucketRateLimiter}, 10 qps / burst 100 in its default controller limiter).
 * Each call reserves a token; when none is left the caller waits until its reserved token exists.
 */
public final class TokenBucketRateLimiter<K> implements RateLimiter<K> {
  private final double qps;
  private final int burst;
  private final Ticker ticker;
  private double tokens;
  private long lastNanos;

  public TokenBucketRateLimiter(double qps, int burst, Ticker ticker) {
    if (!(qps > 0) || Double.isInfinite(qps) || burst < 1) {
      throw new IllegalArgumentException("need qps > 0 and burst >= 1, got qps=" + qps + " burst=" + burst);
    }
    this.qps = qps;
    this.burst = burst;
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.tokens = burst;
    this.lastNanos = ticker.nanoTime();
  }

  @Override
  public synchronized long whenNanos(K key) {
    long now = ticker.nanoTime();
    long elapsed = Math.max(0, now - lastNanos);
    lastNanos = now;
    tokens = Math.min(burst, tokens + elapsed * qps / 1e9);
    tokens -= 1;
    if (tokens >= 0) {
      return 0;
    }
    return (long) Math.ceil(-tokens / qps * 1e9);
  }

  @Override
  public void forget(K key) {
    // the bucket is shared; nothing per key
  }

  @Override
  public int numRequeues(K key) {
    return 0;
  }
}
