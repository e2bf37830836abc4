package io.keel.server.raft;

import io.keel.raft.ProposalDroppedException;
import io.keel.raft.RaftNode;
import io.keel.server.api.EtcdStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;

/**
 * The client proposals the Raft loop takes from its inbox in one turn, handed to the Raft core together as one
 * proposal of many entries. A leader then appends them once and sends each follower one append for all of them,
 * and a follower forwards them to the leader as one message — instead of one append, one acknowledgement and (on
 * a follower) one forward per client request, which made peer messages cost more than the writes themselves.
 * Bounded by {@link #MAX_ENTRIES} and by bytes (at least one proposal per batch, whatever its size). A batch the
 * core refuses fails every proposal in it with "too many requests", as a single refused proposal does. On a
 * leader, proposals its followers forwarded join the batch too. Raft thread only.
 */
final class ProposalBatch {
  static final int MAX_ENTRIES = 256;
  /** The id of a proposal a follower forwarded to this leader: nobody waits for it here. */
  static final long FORWARDED = 0;

  private final long maxBytes;
  private final long[] ids = new long[MAX_ENTRIES];
  private final List<byte[]> data = new ArrayList<>(MAX_ENTRIES);
  private final DistributionSummary entriesPerProposal;
  private final Counter refused;
  private long bytes;

  ProposalBatch(long maxBytes, MeterRegistry registry) {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("maxBytes must be positive: " + maxBytes);
    }
    this.maxBytes = maxBytes;
    this.entriesPerProposal = DistributionSummary.builder("keel.raft.entries.per.proposal")
        .description("client requests handed to the Raft core as one proposal").register(registry);
    this.refused = Counter.builder("keel.raft.proposals.refused")
        .description("proposed entries the Raft core refused (no leader, transfer, limits); forwarded ones included")
        .register(registry);
  }

  /** Adds a proposal; true when the batch is full and must be flushed before the next add. */
  boolean add(long id, byte[] entry) {
    assert data.size() < MAX_ENTRIES && bytes < maxBytes : "add to a full batch";
    ids[data.size()] = id;
    data.add(entry);
    bytes += entry.length;
    return data.size() >= MAX_ENTRIES || bytes >= maxBytes;
  }

  boolean isEmpty() {
    return data.isEmpty();
  }

  /** Proposes what was added (if anything) as one proposal; a refusal fails every proposal in it. */
  void flush(RaftNode node, Proposals proposals) {
    int n = data.size();
    if (n == 0) {
      return;
    }
    entriesPerProposal.record(n);
    try {
      node.propose(data);
    } catch (ProposalDroppedException ex) {
      refused.increment(n);
      for (int i = 0; i < n; i++) {
        if (ids[i] != FORWARDED) { // a dropped forwarded proposal times out at its follower, as in etcd
          proposals.fail(ids[i], EtcdStatus.TOO_MANY_REQUESTS.asRuntimeException());
        }
      }
    } finally {
      data.clear();
      bytes = 0;
    }
  }
}
