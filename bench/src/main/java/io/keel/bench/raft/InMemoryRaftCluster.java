package io.keel.bench.raft;

import io.keel.raft.Config;
import io.keel.raft.Entry;
import io.keel.raft.MemoryStorage;
import io.keel.raft.Message;
import io.keel.raft.RaftNode;
import io.keel.raft.Ready;
import io.keel.raft.StateRole;
import java.util.ArrayDeque;

/**
 * N Raft cores wired together in memory on one thread: no I/O, instant delivery. Each Ready is "persisted"
 * to a MemoryStorage, messages are queued, committed entries counted. Storage is compacted periodically so
 * long benchmark runs stay bounded in memory.
 */
public final class InMemoryRaftCluster {
    private final RaftNode[] nodes;
    private final MemoryStorage[] disks;
    private final ArrayDeque<Message> queue = new ArrayDeque<>();
    private final long[] appliedCount;
    private final long[] appliedIndex;

    public InMemoryRaftCluster(int n, int maxInflight, long maxSizePerMsgBytes) {
        nodes = new RaftNode[n + 1];
        disks = new MemoryStorage[n + 1];
        appliedCount = new long[n + 1];
        appliedIndex = new long[n + 1];
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = i + 1;
        }
        for (int i = 1; i <= n; i++) {
            disks[i] = MemoryStorage.withVoters(ids);
            nodes[i] = new RaftNode(Config.builder(i).maxInflightMsgs(maxInflight).maxSizePerMsgBytes(maxSizePerMsgBytes)
                    .maxUncommittedEntriesBytes(1L << 30).randomSeed(i).build(), disks[i]);
        }
        nodes[1].campaign();
        stabilize();
        if (nodes[1].status().role() != StateRole.LEADER) {
            throw new IllegalStateException("node 1 did not become leader");
        }
    }

    public RaftNode leader() {
        return nodes[1];
    }

    /** Committed-and-applied entries on the leader so far. */
    public long leaderApplied() {
        return appliedCount[1];
    }

    public void stabilize() {
        boolean moved = true;
        while (moved) {
            moved = false;
            for (int i = 1; i < nodes.length; i++) {
                while (nodes[i].hasReady()) {
                    handle(i, nodes[i].ready());
                    moved = true;
                }
            }
            Message m;
            while ((m = queue.poll()) != null) {
                nodes[(int) m.to()].step(m);
                moved = true;
            }
        }
    }

    private void handle(int i, Ready rd) {
        MemoryStorage d = disks[i];
        if (rd.snapshot() != null) {
            d.applySnapshot(rd.snapshot());
        }
        d.append(rd.entries());
        if (rd.hardState() != null) {
            d.setHardState(rd.hardState());
        }
        queue.addAll(rd.messages());
        for (Entry e : rd.committedEntries()) {
            appliedCount[i]++;
            appliedIndex[i] = e.index();
        }
        nodes[i].advance(rd);
        long first = d.firstIndex();
        if (appliedIndex[i] - first > 20_000) {
            d.compact(appliedIndex[i] - 1_000);
        }
    }
}
