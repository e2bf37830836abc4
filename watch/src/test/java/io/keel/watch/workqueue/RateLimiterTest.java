package io.keel.watch.workqueue;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
  private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

  @Test
  void exponentialBackoffDoublesFromFiveMsAndCapsAtThousandSeconds() {
    ExponentialFailureRateLimiter<String> l = ExponentialFailureRateLimiter.withDefaults(100);
    assertThat(l.whenNanos("a")).isEqualTo(5 * MS);
    assertThat(l.whenNanos("a")).isEqualTo(10 * MS);
    assertThat(l.whenNanos("a")).isEqualTo(20 * MS);
    assertThat(l.whenNanos("b")).as("per key").isEqualTo(5 * MS);
    assertThat(l.numRequeues("a")).isEqualTo(3);
    for (int i = 0; i < 100; i++) {
      l.whenNanos("a");
    }
    assertThat(l.whenNanos("a")).isEqualTo(TimeUnit.SECONDS.toNanos(1000));
    l.forget("a");
    assertThat(l.numRequeues("a")).isZero();
    assertThat(l.whenNanos("a")).isEqualTo(5 * MS);
  }

  @Test
  void exponentialLimiterIsBoundedInKeys() {
    ExponentialFailureRateLimiter<String> l = new ExponentialFailureRateLimiter<>(MS, 100 * MS, 2);
    l.whenNanos("a");
    l.whenNanos("b");
    assertThat(l.whenNanos("c")).isEqualTo(100 * MS);
    assertThat(l.numRequeues("c")).isZero();
  }

  @Test
  void tokenBucketAllowsBurstThenSpacesAtQps() {
    ManualTicker t = new ManualTicker();
    TokenBucketRateLimiter<String> b = new TokenBucketRateLimiter<>(10, 100, t);
    for (int i = 0; i < 100; i++) {
      assertThat(b.whenNanos("k" + i)).isZero();
    }
    assertThat(b.whenNanos("x")).isEqualTo(100 * MS);
    assertThat(b.whenNanos("y")).isEqualTo(200 * MS);
    t.advanceMs(200);
    assertThat(b.whenNanos("z")).isEqualTo(100 * MS);
    t.advanceMs(60_000);
    assertThat(b.whenNanos("z")).as("refills up to burst").isZero();
  }

  @Test
  void defaultControllerLimiterTakesTheLongerOfBackoffAndBucket() {
    ManualTicker t = new ManualTicker();
    MaxOfRateLimiter<String> l = MaxOfRateLimiter.defaultControllerRateLimiter(t, 1000);
    assertThat(l.whenNanos("a")).isEqualTo(5 * MS);
    assertThat(l.whenNanos("a")).isEqualTo(10 * MS);
    for (int i = 0; i < 98; i++) {
      l.whenNanos("k" + i);
    }
    // bucket now empty: the next key waits 100 ms even though its own backoff is 5 ms
    assertThat(l.whenNanos("fresh")).isEqualTo(100 * MS);
    assertThat(l.numRequeues("a")).isEqualTo(2);
  }

  @Test
  void rateLimitingQueueRequeuesAfterBackoffAndForgets() throws Exception {
    ManualTicker t = new ManualTicker();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    RateLimitingQueue<String> q = new RateLimitingQueue<>("rl", 10, t, registry,
        ExponentialFailureRateLimiter.withDefaults(10));
    q.add("a");
    assertThat(q.get(0)).isEqualTo("a");
    assertThat(q.addRateLimited("a")).isEqualTo(AddResult.DELAYED);
    q.done("a");
    t.advanceMs(4);
    assertThat(q.get(0)).isNull();
    t.advanceMs(1);
    assertThat(q.get(0)).isEqualTo("a");
    q.addRateLimited("a");
    q.done("a");
    t.advanceMs(9);
    assertThat(q.get(0)).isNull();
    t.advanceMs(1);
    assertThat(q.get(0)).isEqualTo("a");
    assertThat(q.numRequeues("a")).isEqualTo(2);
    q.forget("a");
    q.done("a");
    assertThat(q.numRequeues("a")).isZero();
    assertThat(registry.get("keel.workqueue.retries").counter().count()).isEqualTo(2.0);
  }
}
