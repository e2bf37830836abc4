package io.keel.server.raft;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.StatusRuntimeException;
import io.keel.raft.Config;
import io.keel.raft.Entry;
import io.keel.raft.MemoryStorage;
import io.keel.raft.RaftNode;
import io.keel.raft.Ready;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class ProposalBatchTest {
  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static RaftNode node(MemoryStorage disk) {
    return new RaftNode(Config.builder(1).electionTick(10).heartbeatTick(1).randomSeed(7).build(), disk);
  }

  @Test
  void isFullAtItsEntryOrByteBound() {
    ProposalBatch byCount = new ProposalBatch(1 << 20, new SimpleMeterRegistry());
    for (int i = 1; i < ProposalBatch.MAX_ENTRIES; i++) {
      assertThat(byCount.add(i, b("x"))).isFalse();
    }
    assertThat(byCount.add(ProposalBatch.MAX_ENTRIES, b("x"))).isTrue();

    ProposalBatch byBytes = new ProposalBatch(1000, new SimpleMeterRegistry());
    assertThat(byBytes.add(1, new byte[400])).isFalse();
    assertThat(byBytes.add(2, new byte[400])).isFalse();
    assertThat(byBytes.add(3, new byte[400])).isTrue();
    ProposalBatch oversize = new ProposalBatch(1000, new SimpleMeterRegistry());
    assertThat(oversize.add(1, new byte[5000])).as("one proposal larger than the bound still goes alone").isTrue();
  }

  @Test
  void aFlushedBatchIsProposedInOrderAsOneProposal() {
    MemoryStorage disk = MemoryStorage.withVoters(1);
    RaftNode n = node(disk);
    n.campaign();
    while (n.hasReady()) {
      Ready rd = n.ready();
      disk.append(rd.entries());
      n.advance(rd);
    }
    try (Proposals proposals = new Proposals(1, 100, 10_000)) {
      ProposalBatch batch = new ProposalBatch(1 << 20, new SimpleMeterRegistry());
      for (int i = 1; i <= 5; i++) {
        proposals.register(i);
        batch.add(i, b("p" + i));
      }
      batch.add(ProposalBatch.FORWARDED, b("fwd"));
      batch.flush(n, proposals);
      assertThat(batch.isEmpty()).isTrue();
      Ready rd = n.ready();
      List<String> data = new ArrayList<>();
      for (Entry e : rd.entries()) {
        data.add(new String(e.data(), StandardCharsets.UTF_8));
      }
      assertThat(data).containsExactly("p1", "p2", "p3", "p4", "p5", "fwd");
      assertThat(proposals.isWaiting(3)).as("proposed, not failed").isTrue();
    }
  }

  @Test
  void aRefusedBatchFailsEveryWaiterWithTooManyRequests() throws Exception {
    RaftNode n = node(MemoryStorage.withVoters(1, 2, 3)); // no leader yet: the core refuses proposals
    try (Proposals proposals = new Proposals(1, 100, 10_000)) {
      ProposalBatch batch = new ProposalBatch(1 << 20, new SimpleMeterRegistry());
      List<CompletableFuture<Object>> waiters = new ArrayList<>();
      for (int i = 1; i <= 3; i++) {
        waiters.add(proposals.register(i));
        batch.add(i, b("p" + i));
      }
      batch.add(ProposalBatch.FORWARDED, b("fwd"));
      batch.flush(n, proposals);
      assertThat(batch.isEmpty()).isTrue();
      for (CompletableFuture<Object> w : waiters) {
        assertThat(w).isCompletedExceptionally();
        try {
          w.get();
        } catch (ExecutionException e) {
          assertThat(e.getCause()).isInstanceOf(StatusRuntimeException.class)
              .hasMessageContaining("too many requests");
        }
      }
    }
  }
}
