package io.keel.server.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class ProposalsTest {
  @Test
  void waitersNotAnsweredWithinTheTimeoutFailWithATimeoutAndLeaveNothingBehind() throws Exception {
    try (Proposals p = new Proposals(7, 1000, 300)) {
      List<CompletableFuture<Object>> timedOut = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        timedOut.add(p.register(p.nextId()));
      }
      long answeredId = p.nextId();
      CompletableFuture<Object> answered = p.register(answeredId);
      assertThat(p.pending()).isEqualTo(101);
      p.take(answeredId).complete("ok");
      assertThat(timedOut).noneMatch(CompletableFuture::isDone);

      await().atMost(Duration.ofSeconds(30)).until(() -> timedOut.stream().allMatch(CompletableFuture::isDone));
      for (CompletableFuture<Object> f : timedOut) {
        assertThat(f).isCompletedExceptionally();
        try {
          f.get();
        } catch (ExecutionException e) {
          assertThat(e.getCause()).isInstanceOf(TimeoutException.class);
        }
      }
      assertThat(answered.get()).isEqualTo("ok");
      assertThat(p.pending()).isZero();
      assertThat(p.isWaiting(answeredId)).isFalse();
    }
  }

  @Test
  void aWaiterIsNotTimedOutBeforeItsDeadline() throws Exception {
    try (Proposals p = new Proposals(7, 10, 2000)) {
      long id = p.nextId();
      CompletableFuture<Object> f = p.register(id);
      Thread.sleep(3 * Proposals.SWEEP_MS);
      assertThat(f).isNotDone();
      assertThat(p.isWaiting(id)).isTrue();
      for (int i = 1; i < 10; i++) {
        assertThat(p.register(p.nextId())).isNotNull();
      }
      assertThat(p.register(p.nextId())).as("over maxPending").isNull();
    }
  }
}
