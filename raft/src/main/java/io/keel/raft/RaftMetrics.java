package io.keel.raft;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Micrometer instruments of one {@link RaftNode} (tag {@code node}): proposals accepted/dropped, Ready
 * batches, entries persisted and applied, messages emitted, leadership gained; gauges for term, commit and
 * applied index. Updated only by the node's owner thread.
 */
final class RaftMetrics {
    final Counter proposalsAccepted;
    final Counter proposalsDropped;
    final Counter readyBatches;
    final Counter entriesPersisted;
    final Counter entriesApplied;
    final Counter messagesSent;
    final Counter leadershipGained;

    RaftMetrics(MeterRegistry registry, RaftNode node, long id) {
        String tag = Long.toString(id);
        proposalsAccepted = Counter.builder("keel.raft.proposals").tag("node", tag).tag("result", "accepted")
                .register(registry);
        proposalsDropped = Counter.builder("keel.raft.proposals").tag("node", tag).tag("result", "dropped")
                .register(registry);
        readyBatches = Counter.builder("keel.raft.ready.batches").tag("node", tag).register(registry);
        entriesPersisted = Counter.builder("keel.raft.entries.persisted").tag("node", tag).register(registry);
        entriesApplied = Counter.builder("keel.raft.entries.applied").tag("node", tag).register(registry);
        messagesSent = Counter.builder("keel.raft.messages.sent").tag("node", tag).register(registry);
        leadershipGained = Counter.builder("keel.raft.leadership.gained").tag("node", tag).register(registry);
        Gauge.builder("keel.raft.term", node, n -> n.status().term()).tag("node", tag).register(registry);
        Gauge.builder("keel.raft.commit.index", node, n -> n.status().commit()).tag("node", tag).register(registry);
        Gauge.builder("keel.raft.applied.index", node, n -> n.status().applied()).tag("node", tag).register(registry);
    }
}
