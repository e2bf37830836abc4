package io.keel.watch.workqueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WorkQueueTest {
  private final ManualTicker ticker = new ManualTicker();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final WorkQueue<String> q = new WorkQueue<>("t", 3, ticker, registry);

  @Test
  void dedupsQueuedKeysAndKeepsFifoOrder() throws Exception {
    assertThat(q.add("a")).isEqualTo(AddResult.QUEUED);
    assertThat(q.add("b")).isEqualTo(AddResult.QUEUED);
    assertThat(q.add("a")).isEqualTo(AddResult.ALREADY_QUEUED);
    assertThat(q.len()).isEqualTo(2);
    assertThat(q.get(0)).isEqualTo("a");
    assertThat(q.get(0)).isEqualTo("b");
    assertThat(q.get(0)).isNull();
    assertThat(registry.get("keel.workqueue.adds").counter().count()).isEqualTo(2.0);
  }

  @Test
  void keyReAddedWhileProcessingIsQueuedAgainOnlyAfterDone() throws Exception {
    q.add("a");
    assertThat(q.get(0)).isEqualTo("a");
    assertThat(q.add("a")).isEqualTo(AddResult.QUEUED_AFTER_DONE);
    assertThat(q.add("a")).isEqualTo(AddResult.QUEUED_AFTER_DONE);
    assertThat(q.get(0)).as("not handed to a second worker").isNull();
    ticker.advanceMs(7);
    q.done("a");
    assertThat(q.get(0)).isEqualTo("a");
    q.done("a");
    assertThat(q.get(0)).isNull();
    assertThat(registry.get("keel.workqueue.work.duration").timer().totalTime(TimeUnit.MILLISECONDS)).isEqualTo(7.0);
  }

  @Test
  void doneForAKeyNotHeldIsAClearError() {
    assertThatThrownBy(() -> q.done("x")).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no worker holds");
  }

  @Test
  void fullQueueRejectsClearly() throws Exception {
    q.add("a");
    q.add("b");
    q.add("c");
    assertThat(q.add("d")).isEqualTo(AddResult.REJECTED_FULL);
    assertThat(q.add("a")).isEqualTo(AddResult.ALREADY_QUEUED);
    assertThat(registry.get("keel.workqueue.rejected").counter().count()).isEqualTo(1.0);
    q.get(0);
    assertThat(q.add("d")).isEqualTo(AddResult.QUEUED);
  }

  @Test
  void delayedKeyAppearsOnlyAfterItsDelayAndKeepsTheEarlierDeadline() throws Exception {
    assertThat(q.addAfter("a", 100)).isEqualTo(AddResult.DELAYED);
    assertThat(q.addAfter("a", 500)).isEqualTo(AddResult.DELAYED);
    assertThat(q.addAfter("b", 50)).isEqualTo(AddResult.DELAYED);
    assertThat(q.len()).isZero();
    ticker.advanceMs(49);
    assertThat(q.get(0)).isNull();
    ticker.advanceMs(1);
    assertThat(q.get(0)).isEqualTo("b");
    ticker.advanceMs(49);
    assertThat(q.len()).isZero();
    ticker.advanceMs(1);
    assertThat(q.get(0)).isEqualTo("a");
    assertThat(q.delayedLen()).isZero();
    assertThat(q.addAfter("c", 0)).isEqualTo(AddResult.QUEUED);
  }

  @Test
  void getWaitsForAnAddFromAnotherThread() throws Exception {
    WorkQueue<String> real = new WorkQueue<>("real");
    CompletableFuture<String> got = CompletableFuture.supplyAsync(() -> {
      try {
        return real.get(10_000);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    Thread.sleep(20);
    real.add("k");
    assertThat(got.get(10, TimeUnit.SECONDS)).isEqualTo("k");
  }

  @Test
  void realDelayWakesAWaitingWorker() throws Exception {
    WorkQueue<String> real = new WorkQueue<>("real");
    real.addAfter("k", 30);
    assertThat(real.get(10_000)).isEqualTo("k");
  }

  @Test
  void shutDownDrainsQueuedKeysThenReturnsNullAndRejectsAdds() throws Exception {
    q.add("a");
    q.addAfter("late", 10);
    q.shutDown();
    assertThat(q.add("b")).isEqualTo(AddResult.SHUT_DOWN);
    assertThat(q.addAfter("b", 5)).isEqualTo(AddResult.SHUT_DOWN);
    assertThat(q.get(0)).isEqualTo("a");
    ticker.advanceMs(100);
    assertThat(q.get(1000)).isNull();
  }

  @Test
  void shutDownWakesBlockedWorkers() throws Exception {
    WorkQueue<String> real = new WorkQueue<>("real");
    CompletableFuture<String> got = CompletableFuture.supplyAsync(() -> {
      try {
        return real.get(60_000);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    Thread.sleep(20);
    real.shutDown();
    assertThat(got.get(10, TimeUnit.SECONDS)).isNull();
  }

  @Test
  void depthGaugeAndQueueLatency() throws Exception {
    q.add("a");
    q.add("b");
    assertThat(registry.get("keel.workqueue.depth").gauge().value()).isEqualTo(2.0);
    ticker.advanceMs(3);
    q.get(0);
    assertThat(registry.get("keel.workqueue.depth").gauge().value()).isEqualTo(1.0);
    assertThat(registry.get("keel.workqueue.unfinished").gauge().value()).isEqualTo(1.0);
    assertThat(registry.get("keel.workqueue.queue.latency").timer().max(TimeUnit.MILLISECONDS)).isEqualTo(3.0);
  }
}
