package io.keel.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The runner's own logic (bounds, counts, pacing), with operations completed on a real executor. */
class LoadRunnerTest {

  private final ScheduledExecutorService server = Executors.newScheduledThreadPool(2);

  @AfterEach
  void stop() {
    server.shutdownNow();
  }

  @Test
  void issuesExactlyTotalRequestsWithBoundedOutstandingPerClient() throws Exception {
    int clients = 8;
    int outstanding = 3;
    AtomicLongArray inFlight = new AtomicLongArray(clients);
    AtomicLong maxSeen = new AtomicLong();
    AtomicLong seqSum = new AtomicLong();
    AsyncOperation op = (client, seq, done) -> {
      maxSeen.accumulateAndGet(inFlight.incrementAndGet(client), Math::max);
      seqSum.addAndGet(seq);
      server.schedule(() -> {
        inFlight.decrementAndGet(client);
        done.done(seq % 100 == 7 ? new RuntimeException("boom") : null);
      }, 100, TimeUnit.MICROSECONDS);
    };
    AtomicInteger progress = new AtomicInteger();
    LoadOutcome out = new LoadRunner(new LoadConfig(clients, outstanding, 2000, 30, 0), op,
        progress::incrementAndGet, 1000).run();
    assertThat(out.issued()).isEqualTo(2000);
    assertThat(out.completed()).isEqualTo(2000);
    assertThat(out.successes()).isEqualTo(1980);
    assertThat(out.errors()).containsEntry("boom", 20L);
    assertThat(progress.get()).isEqualTo(2000);
    assertThat(seqSum.get()).as("each sequence number exactly once").isEqualTo(1999L * 2000 / 2);
    assertThat(maxSeen.get()).isLessThanOrEqualTo(outstanding);
    assertThat(out.hitTimeLimit()).isFalse();
    assertThat(out.abandoned()).isZero();
  }

  @Test
  void synchronousCompletionDoesNotOverflowTheStack() throws Exception {
    LoadOutcome out = new LoadRunner(new LoadConfig(1, 1, 200_000, 30, 0), (c, s, done) -> done.done(null),
        () -> { }, 1000).run();
    assertThat(out.successes()).isEqualTo(200_000);
  }

  @Test
  void timeLimitStopsTheRunAndCountsStuckRequests() throws Exception {
    AsyncOperation neverCompletes = (client, seq, done) -> { };
    long t0 = System.nanoTime();
    LoadOutcome out = new LoadRunner(new LoadConfig(4, 1, 1_000_000, 1, 0), neverCompletes, () -> { }, 200).run();
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertThat(ms).isBetween(1000L, 15_000L);
    assertThat(out.issued()).isEqualTo(4);
    assertThat(out.abandoned()).isEqualTo(4);
    assertThat(out.failures()).isEqualTo(4);
  }

  @Test
  void rateLimitPacesRequestsAndMeasuresFromIntendedStart() throws Exception {
    // 200 requests at 400/s take ~0.5 s even though the "server" answers at once.
    LoadOutcome out = new LoadRunner(new LoadConfig(4, 1, 200, 30, 400), (c, s, done) ->
        server.execute(() -> done.done(null)), () -> { }, 1000).run();
    assertThat(out.successes()).isEqualTo(200);
    assertThat(out.wallNanos()).isBetween(450_000_000L, 20_000_000_000L);
  }

  @Test
  void rateLimitChargesQueueingDelayWhenTheServerStalls() throws Exception {
    // One client, 100/s intended, but each request takes 50 ms: request i is sent ~i*40 ms late, and the
    // recorded latency must include that (coordinated omission), so the max is far above 50 ms.
    LoadOutcome out = new LoadRunner(new LoadConfig(1, 1, 20, 30, 100), (c, s, done) ->
        server.schedule(() -> done.done(null), 50, TimeUnit.MILLISECONDS), () -> { }, 1000).run();
    assertThat(out.successes()).isEqualTo(20);
    assertThat(out.latencyNanos().getMaxValue()).isGreaterThan(500_000_000L);
    assertThat(out.latencyNanos().getMinValue()).isBetween(40_000_000L, 200_000_000L);
  }

  @Test
  void rejectsUnboundedOrNonsenseConfigs() {
    assertThatThrownBy(() -> new LoadConfig(0, 1, 1, 1, 0)).hasMessageContaining("clients");
    assertThatThrownBy(() -> new LoadConfig(1, 0, 1, 1, 0)).hasMessageContaining("outstanding");
    assertThatThrownBy(() -> new LoadConfig(1, 1, 0, 1, 0)).hasMessageContaining("total");
    assertThatThrownBy(() -> new LoadConfig(1, 1, 1, 0, 0)).hasMessageContaining("max seconds");
    assertThatThrownBy(() -> new LoadConfig(1, 1, 1, 1, -5)).hasMessageContaining("rate");
  }
}
