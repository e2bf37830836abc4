package io.keel.server.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CompletionsTest {
  @Test
  void smallBatchRunsOnTheCallerBigOnesOnThePoolAndNothingIsLost() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (Completions c = new Completions("t", 2, 4, registry)) {
      Set<String> threads = ConcurrentHashMap.newKeySet();
      AtomicInteger ran = new AtomicInteger();
      for (int i = 0; i < Completions.INLINE_MAX; i++) {
        c.add(() -> threads.add(Thread.currentThread().getName()));
      }
      c.flush();
      assertThat(threads).containsExactly(Thread.currentThread().getName());
      int total = 0;
      for (int round = 0; round < 200; round++) {
        int n = Completions.INLINE_MAX + 1 + round * 7;
        for (int i = 0; i < n; i++) {
          c.add(ran::incrementAndGet);
        }
        c.flush(); // a full queue makes the caller run the chunk itself: nothing dropped
        total += n;
      }
      int expected = total;
      await().atMost(Duration.ofSeconds(20)).until(() -> ran.get() == expected);
      assertThat(registry.get("keel.raft.completions").tag("where", "pool").counter().count()).isEqualTo(expected);
    }
  }

  @Test
  void afterCloseEveryBatchStillRunsOnTheCaller() {
    Completions c = new Completions("t", 1, 1, new SimpleMeterRegistry());
    c.close();
    AtomicInteger ran = new AtomicInteger();
    for (int i = 0; i < 3 * Completions.CHUNK; i++) {
      c.add(ran::incrementAndGet);
    }
    c.flush();
    assertThat(ran.get()).isEqualTo(3 * Completions.CHUNK);
  }

  @Test
  void flushWithNothingAddedDoesNothing() throws InterruptedException {
    try (Completions c = new Completions("t", 1, 1, new SimpleMeterRegistry())) {
      c.flush();
      CountDownLatch done = new CountDownLatch(1);
      for (int i = 0; i <= Completions.INLINE_MAX; i++) {
        c.add(done::countDown);
      }
      c.flush();
      assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    }
  }
}
