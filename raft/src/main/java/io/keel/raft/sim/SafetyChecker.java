package io.keel.raft.sim;

import io.keel.raft.ConfState;
import io.keel.raft.Entry;
import io.keel.raft.MemoryStorage;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks Raft's safety properties incrementally as the simulator persists and applies: election safety,
 * log matching, leader completeness, state-machine safety, monotonic commit, durability of committed
 * entries on a quorum (etcd #14370) and linearizable ReadIndex. Throws {@link SafetyViolation}.
 */
final class SafetyChecker {
    private final Map<Long, Long> leaderByTerm = new HashMap<>();
    /** (index, term) -> {dataHash, prevTerm or -1}. */
    private final Map<LogKey, long[]> logFacts = new HashMap<>();
    /** Globally applied sequence, 1-based: term, data hash and chained hash per index. */
    private long[] termAt = new long[1024];
    private long[] hashAt = new long[1024];
    private long[] chainAt = new long[1024];
    private int appliedSize; // highest index applied anywhere

    private record LogKey(long index, long term) {
    }

    static long hash(byte[] data) {
        long h = 0xcbf29ce484222325L;
        for (byte b : data) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        return h;
    }

    static long chain(long prev, long term, long dataHash) {
        long h = prev * 31 + term;
        h = h * 0x9E3779B97F4A7C15L + dataHash;
        return h ^ (h >>> 29);
    }

    long appliedSize() {
        return appliedSize;
    }

    long chainAt(long index) {
        return index == 0 ? 0 : chainAt[(int) index];
    }

    void onLeader(long id, long term) {
        Long prev = leaderByTerm.putIfAbsent(term, id);
        if (prev != null && prev != id) {
            throw new SafetyViolation("election safety: term " + term + " has two leaders " + prev + " and " + id);
        }
    }

    /** Leader completeness: a new leader's durable log holds every entry committed so far. */
    void checkLeaderCompleteness(long id, long term, MemoryStorage disk) {
        if (disk.lastIndex() < appliedSize) {
            throw new SafetyViolation("leader completeness: leader " + id + " at term " + term + " has last index "
                    + disk.lastIndex() + " < committed index " + appliedSize);
        }
        for (long i = Math.max(1, disk.firstIndex()); i <= appliedSize; i++) {
            long t = disk.term(i);
            if (t != termAt[(int) i]) {
                throw new SafetyViolation("leader completeness: leader " + id + " at term " + term + " has term " + t
                        + " at committed index " + i + ", committed term is " + termAt[(int) i]);
            }
        }
    }

    /** Log matching: the same (index, term) anywhere always has the same data and the same predecessor term. */
    void onPersistEntries(long node, List<Entry> entries, long prevTermOfFirst) {
        long prevTerm = prevTermOfFirst;
        for (Entry e : entries) {
            long h = hash(e.data());
            long[] fact = logFacts.get(new LogKey(e.index(), e.term()));
            if (fact == null) {
                logFacts.put(new LogKey(e.index(), e.term()), new long[] {h, prevTerm});
            } else {
                if (fact[0] != h) {
                    throw new SafetyViolation("log matching: node " + node + " entry " + e.index() + "@" + e.term()
                            + " has different data than seen elsewhere");
                }
                if (fact[1] >= 0 && prevTerm >= 0 && fact[1] != prevTerm) {
                    throw new SafetyViolation("log matching: node " + node + " entry " + e.index() + "@" + e.term()
                            + " follows term " + prevTerm + " but elsewhere follows term " + fact[1]);
                }
                if (fact[1] < 0 && prevTerm >= 0) {
                    fact[1] = prevTerm;
                }
            }
            prevTerm = e.term();
        }
    }

    void onCommitPersisted(long node, long oldCommit, long newCommit) {
        if (newCommit < oldCommit) {
            throw new SafetyViolation("monotonic commit: node " + node + " commit went " + oldCommit + " -> " + newCommit);
        }
    }

    /**
     * State-machine safety: every node applies the same entry at each index. Also requires the entry to be
     * durable on a quorum of the applying node's voters (never reported committed before persisted).
     */
    void onApply(long node, Entry e, long expectedIndex, ConfState conf, ConfState prevConf, SimNode[] nodes) {
        if (e.index() != expectedIndex) {
            throw new SafetyViolation("node " + node + " applied index " + e.index() + ", expected " + expectedIndex);
        }
        // The leader may have committed e under the configuration before the latest conf change (etcd
        // switches configuration on apply), so a quorum of either configuration is accepted.
        if (!durableOnQuorum(e, conf, nodes) && !durableOnQuorum(e, prevConf, nodes)) {
            throw new SafetyViolation("node " + node + " applied " + e.index() + "@" + e.term()
                    + " which is not durable on a quorum of " + conf);
        }
        long h = hash(e.data());
        int i = (int) e.index();
        if (i <= appliedSize) {
            if (termAt[i] != e.term() || hashAt[i] != h) {
                throw new SafetyViolation("state machine safety: node " + node + " applied " + e.index() + "@"
                        + e.term() + " but " + termAt[i] + " was applied there before");
            }
            return;
        }
        if (i != appliedSize + 1) {
            throw new SafetyViolation("node " + node + " applied index " + i + " beyond global applied " + appliedSize);
        }
        if (i >= termAt.length) {
            int n = termAt.length * 2;
            termAt = Arrays.copyOf(termAt, n);
            hashAt = Arrays.copyOf(hashAt, n);
            chainAt = Arrays.copyOf(chainAt, n);
        }
        termAt[i] = e.term();
        hashAt[i] = h;
        chainAt[i] = chain(chainAt[i - 1], e.term(), h);
        appliedSize = i;
    }

    private static boolean durableOnQuorum(Entry e, ConfState conf, SimNode[] nodes) {
        return durableOn(conf.voters(), e, nodes)
                && (conf.votersOutgoing().isEmpty() || durableOn(conf.votersOutgoing(), e, nodes));
    }

    private static boolean durableOn(List<Long> voters, Entry e, SimNode[] nodes) {
        int have = 0;
        for (long v : voters) {
            MemoryStorage d = nodes[(int) v].disk;
            if (e.index() < d.firstIndex() || (e.index() <= d.lastIndex() && d.term(e.index()) == e.term())) {
                have++;
            }
        }
        return have >= voters.size() / 2 + 1;
    }

    /** A snapshot must reproduce the globally applied prefix exactly. */
    void onSnapshotInstalled(long node, long index, long chainHash) {
        if (index > appliedSize) {
            throw new SafetyViolation("node " + node + " installed snapshot " + index + " beyond applied " + appliedSize);
        }
        if (chainAt(index) != chainHash) {
            throw new SafetyViolation("state machine safety: node " + node + " snapshot at " + index
                    + " differs from the applied history");
        }
    }

    /** Linearizable reads: a read issued after index k was applied anywhere must be served at >= k. */
    void onReadState(long node, long readIndex, long minIndex) {
        if (readIndex < minIndex) {
            throw new SafetyViolation("stale read: node " + node + " read index " + readIndex
                    + " < index " + minIndex + " committed before the read was issued");
        }
    }
}
